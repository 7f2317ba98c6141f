// Command vcsim-harness starts govmomi's vSphere simulator (vcsim) for the
// vmware-mcp integration tests and prints one JSON line saying how to reach it.
//
// Build (GOPATH mode against Debian's golang-github-vmware-govmomi-dev):
//
//	tests/vcsim/build.sh            # -> target/vcsim/vcsim-harness
//
// Flags:
//
//	-model vpx|esx     vCenter (default) or a standalone ESX host
//	-tls=true|false    serve https (default) or plain http
//	-listen ADDR       listen address (default 127.0.0.1:0, a free port)
//	-vms N             VMs per standalone host and per cluster (the VMs of a
//	                   cluster go into its root resource pool), as govmomi's
//	                   Model.Machine counts them; with -model esx, VMs on the host
//	-hosts N           hosts per cluster (vpx only)
//	-clusters N        clusters per datacenter (vpx only)
//	-standalone N      standalone hosts per datacenter (vpx only)
//	-datacenters N     datacenters (vpx only)
//	-cert-out FILE     write the PEM of the CA that signed the server certificate
//	-username/-password  the only credentials Login accepts (default user/pass;
//	                   vcsim on its own accepts any non-empty pair)
//	-paging=true|false emulate vCenter's result paging (see below; default true)
//	-role-privileges P1,P2,...  the privileges the session user's role holds
//	                   (see "Privileges" below; default: every privilege, as
//	                   vcsim's Admin role)
//	-task-delay D      make every task take D (e.g. 2s) instead of finishing
//	                   before its method returns: running at 0%, 50% at D/2,
//	                   then its real outcome (vcsim runs tasks synchronously)
//	-alarms            define two alarms and trigger them (see history.go)
//	-trace             log every SOAP request and response to stderr
//	-exit-on-eof=true|false  exit when stdin is closed (default true: give it
//	                   a pipe, or pass false when running it by hand or with
//	                   stdin at /dev/null)
//
// With -model vpx, the number of VMs is vms * (clusters + standalone) per
// datacenter; -vms 1000 -clusters 1 -standalone 0 gives exactly 1,000 VMs.
//
// When ready it prints exactly one line to stdout:
//
//	{"url":"https://127.0.0.1:PORT/sdk","username":"user","password":"pass","cert":"FILE"}
//
// ("cert" is empty without -cert-out or with -tls=false), then serves until
// SIGTERM/SIGINT or until its stdin is closed (see -exit-on-eof), so a test
// that dies cannot leak a simulator. Diagnostics go to stderr.
//
// Fixes for this govmomi (0.24) build, so that the tests see what vSphere does:
//
//   - Paging: vcsim ignores RetrieveOptions.maxObjects and has no
//     ContinueRetrievePropertiesEx. The harness wraps the PropertyCollector so
//     that RetrievePropertiesEx returns at most maxObjects objects and a token,
//     and ContinueRetrievePropertiesEx/CancelRetrievePropertiesEx page on from it.
//   - ESX: vcsim clones VMs on a standalone host; a real ESXi host refuses
//     CloneVM_Task with a NotSupported fault (cloning needs vCenter). With
//     -model esx the harness answers CloneVM_Task with that fault.
//   - Login: with its default credentials vcsim accepts any non-empty user
//     and password; the harness sets explicit ones so a wrong password fails.
//   - Tasks: vcsim finishes a task before the method that started it
//     returns; -task-delay replays it as a running task (see above).
//   - Privileges: vcsim's AuthorizationManager ignores roles and permissions
//     when asked what a user holds: FetchUserPrivilegeOnEntities answers
//     every Admin privilege for any user and HasPrivilegeOnEntities grants
//     every privilege asked about (a simulator bug: vCenter answers from the
//     user's role). With -role-privileges the harness answers both from that
//     list, as vCenter would for a user whose role holds exactly those.
//
// Not fixed, but worth knowing: vcsim serves RetrieveProperties(Ex) without
// a session (vCenter answers NotAuthenticated); task progress stays 0 on
// success; WaitForUpdatesEx versions are opaque strings like "-".
//
// Other simulator bugs the tests work around are named where they are met
// (e.g. RevertToSnapshot_Task's task entity is the snapshot, not the VM;
// RebootGuest is not implemented; PropertyCollector.Fetch panics on an unset
// property).
//
// TLS: the simulator's built-in certificate (Go's httptest localhost cert) is
// a 1024-bit RSA self-signed CA certificate used as the server certificate,
// which rustls/webpki refuses on two counts. The harness therefore makes its
// own ECDSA P-256 CA and a server certificate for 127.0.0.1, ::1 and localhost
// signed by it, and -cert-out writes the CA, which is what a client puts in its
// CA file (VCENTER_CA_FILE).
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type ready struct {
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
	Cert     string `json:"cert"`
}

func main() {
	model := flag.String("model", "vpx", "vpx (vCenter) or esx (standalone host)")
	useTLS := flag.Bool("tls", true, "serve https")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	vms := flag.Int("vms", 2, "VMs per standalone host and per cluster (esx: on the host)")
	hosts := flag.Int("hosts", 3, "hosts per cluster (vpx)")
	clusters := flag.Int("clusters", 1, "clusters per datacenter (vpx)")
	standalone := flag.Int("standalone", 1, "standalone hosts per datacenter (vpx)")
	datacenters := flag.Int("datacenters", 1, "datacenters (vpx)")
	certOut := flag.String("cert-out", "", "write the CA certificate (PEM) that signed the server certificate here")
	username := flag.String("username", "user", "the user name Login accepts")
	password := flag.String("password", "pass", "the password Login accepts")
	paging := flag.Bool("paging", true, "emulate RetrievePropertiesEx paging (maxObjects/token)")
	taskDelay := flag.Duration("task-delay", 0, "make every task take this long (e.g. 2s)")
	rolePrivileges := flag.String("role-privileges", "", "comma-separated privileges of the session user's role (default: all, as Admin)")
	trace := flag.Bool("trace", false, "log SOAP traffic to stderr")
	exitOnEOF := flag.Bool("exit-on-eof", true, "exit when stdin is closed")
	alarms := flag.Bool("alarms", false, "define and trigger two alarms (see history.go)")
	flag.Parse()

	log.SetOutput(os.Stderr)
	log.SetPrefix("vcsim-harness: ")

	var m *simulator.Model
	switch *model {
	case "vpx":
		m = simulator.VPX()
		m.Datacenter = *datacenters
		m.ClusterHost = *hosts
		m.Cluster = *clusters
		m.Host = *standalone
	case "esx":
		m = simulator.ESX()
	default:
		log.Fatalf("unknown -model %q (want vpx or esx)", *model)
	}
	m.Machine = *vms

	if *trace {
		simulator.Trace = true
		simulator.TraceFile = os.Stderr
	}

	start := time.Now()
	if err := m.Create(); err != nil {
		log.Fatalf("creating the %s model: %v", *model, err)
	}
	defer m.Remove()

	if *paging {
		pc := simulator.Map.Get(m.ServiceContent.PropertyCollector)
		if pc == nil {
			log.Fatalf("no PropertyCollector in the %s model", *model)
		}
		simulator.Map.Put(&pagingCollector{PropertyCollector: simulator.PropertyCollector{PropertyCollector: pc.(*simulator.PropertyCollector).PropertyCollector}})
	}

	if tm, ok := simulator.Map.Get(*m.ServiceContent.TaskManager).(*simulator.TaskManager); ok {
		simulator.Map.Put(&taskHistory{TaskManager: tm})
	} else {
		log.Fatalf("no TaskManager in the %s model", *model)
	}
	if *alarms {
		triggerAlarms(m.ServiceContent.RootFolder)
	}

	if *rolePrivileges != "" {
		am, ok := simulator.Map.Get(*m.ServiceContent.AuthorizationManager).(*simulator.AuthorizationManager)
		if !ok {
			log.Fatalf("no AuthorizationManager in the %s model", *model)
		}
		var held []string
		for _, p := range strings.Split(*rolePrivileges, ",") {
			if p = strings.TrimSpace(p); p != "" {
				held = append(held, p)
			}
		}
		simulator.Map.Put(&roleAuthorization{AuthorizationManager: am, held: held})
	}

	m.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	certFile := ""
	if *useTLS {
		caPEM, serverCert, err := makeCertificates()
		if err != nil {
			log.Fatalf("making certificates: %v", err)
		}
		m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
		if *certOut != "" {
			if err := ioutil.WriteFile(*certOut, caPEM, 0o644); err != nil {
				log.Fatalf("writing %s: %v", *certOut, err)
			}
			certFile = *certOut
		}
	}

	s := m.Service.NewServer()
	defer s.Close()
	// No request has been served yet (the ready line is not printed), so the
	// handler can still be wrapped.
	if *taskDelay > 0 {
		s.Config.Handler = slowTasks(s.Config.Handler, *taskDelay)
	}
	if *model == "esx" {
		s.Config.Handler = esxOnly(s.Config.Handler)
	}

	u := *s.URL
	user := u.User.Username()
	pass, _ := u.User.Password()
	u.User = nil

	line, err := json.Marshal(ready{URL: u.String(), Username: user, Password: pass, Cert: certFile})
	if err != nil {
		log.Fatalf("encoding the ready line: %v", err)
	}
	log.Printf("%s model ready in %s at %s", *model, time.Since(start).Round(time.Millisecond), u.String())
	fmt.Println(string(line))

	done := make(chan string, 2)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { done <- (<-sig).String() }()
	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			done <- "stdin closed"
		}()
	}
	log.Printf("exiting: %s", <-done)
}

// makeCertificates returns the PEM of a fresh CA and a server certificate for
// the loopback addresses signed by it.
func makeCertificates() ([]byte, tls.Certificate, error) {
	notBefore := time.Now().Add(-time.Hour)
	notAfter := notBefore.Add(10 * 365 * 24 * time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vcsim-harness test CA", Organization: []string{"vmware-mcp tests"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"vmware-mcp tests"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key, Leaf: nil}, nil
}

// pagingCollector is the PropertyCollector with vCenter's result paging:
// RetrievePropertiesEx returns at most options.maxObjects objects and a token
// for the rest, which ContinueRetrievePropertiesEx hands out page by page.
// vcsim makes one instance per session (reflect.New of this type), so the
// page store starts empty and is created on first use.
type pagingCollector struct {
	simulator.PropertyCollector

	pagesMu sync.Mutex
	pages   map[string]*pendingPages
	next    int
}

type pendingPages struct {
	objects []types.ObjectContent
	size    int
}

// RetrievePropertiesEx collects as vcsim does, then keeps all but the first page.
func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	body, ok := res.(*methods.RetrievePropertiesExBody)
	if !ok || body.Fault_ != nil || body.Res == nil || body.Res.Returnval == nil {
		return res
	}
	size := int(r.Options.MaxObjects)
	if size <= 0 {
		return res
	}
	first, token := pc.paginate(body.Res.Returnval.Objects, size)
	body.Res.Returnval.Objects = first
	body.Res.Returnval.Token = token
	return body
}

// ContinueRetrievePropertiesEx returns the next page for a token.
func (pc *pagingCollector) ContinueRetrievePropertiesEx(r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := new(methods.ContinueRetrievePropertiesExBody)
	pc.pagesMu.Lock()
	pending, ok := pc.pages[r.Token]
	if ok {
		delete(pc.pages, r.Token)
	}
	pc.pagesMu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown or finished retrieval token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	objects, token := pc.paginate(pending.objects, pending.size)
	body.Res = &types.ContinueRetrievePropertiesExResponse{
		Returnval: types.RetrieveResult{Token: token, Objects: objects},
	}
	return body
}

// CancelRetrievePropertiesEx drops the pages left for a token.
func (pc *pagingCollector) CancelRetrievePropertiesEx(r *types.CancelRetrievePropertiesEx) soap.HasFault {
	pc.pagesMu.Lock()
	delete(pc.pages, r.Token)
	pc.pagesMu.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: new(types.CancelRetrievePropertiesExResponse)}
}

// paginate splits off one page and stores the rest under a new token.
func (pc *pagingCollector) paginate(objects []types.ObjectContent, size int) ([]types.ObjectContent, string) {
	if len(objects) <= size {
		return objects, ""
	}
	pc.pagesMu.Lock()
	defer pc.pagesMu.Unlock()
	if pc.pages == nil {
		pc.pages = make(map[string]*pendingPages)
	}
	pc.next++
	token := "page-" + strconv.Itoa(pc.next)
	pc.pages[token] = &pendingPages{objects: objects[size:], size: size}
	return objects[:size], token
}

// esxOnly answers the methods a standalone ESXi host refuses with the fault
// ESXi returns, and passes everything else to vcsim.
func esxOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := ioutil.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if bytes.Contains(body, []byte("<CloneVM_Task")) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The operation is not supported on the object.</faultstring><detail><NotSupportedFault xmlns="urn:vim25" xsi:type="NotSupported"></NotSupportedFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
			return
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

var taskInReply = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

// slowTasks turns a task that vcsim has already finished back into a running
// one, and finishes it again after delay (with 50% progress half way), so
// that clients see tasks run as on vCenter.
func slowTasks(next http.Handler, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			if m := taskInReply.FindSubmatch(body); m != nil {
				replay(string(m[1]), delay)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

func replay(id string, delay time.Duration) {
	task, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: id}).(*simulator.Task)
	if !ok {
		return
	}
	final := task.Info
	if final.State != types.TaskInfoStateSuccess && final.State != types.TaskInfoStateError {
		return
	}
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.state", Val: types.TaskInfoStateRunning},
		{Name: "info.progress", Val: int32(0)},
		{Name: "info.result", Val: nil},
		{Name: "info.error", Val: nil},
		{Name: "info.completeTime", Val: nil},
	})
	go func() {
		time.Sleep(delay / 2)
		simulator.Map.Update(task, []types.PropertyChange{{Name: "info.progress", Val: int32(50)}})
		time.Sleep(delay - delay/2)
		changes := []types.PropertyChange{
			{Name: "info.progress", Val: int32(100)},
			{Name: "info.completeTime", Val: final.CompleteTime},
			{Name: "info.result", Val: final.Result},
			{Name: "info.state", Val: final.State},
		}
		if final.Error != nil {
			changes = append(changes, types.PropertyChange{Name: "info.error", Val: *final.Error})
		}
		simulator.Map.Update(task, changes)
	}()
}

// roleAuthorization answers what a user holds from one role's privileges
// (-role-privileges) instead of vcsim's "everything" (see "Privileges" in
// the package comment); every other AuthorizationManager method is vcsim's.
type roleAuthorization struct {
	*simulator.AuthorizationManager

	held []string
}

// FetchUserPrivilegeOnEntities reports the role's privileges on each entity.
func (a *roleAuthorization) FetchUserPrivilegeOnEntities(req *types.FetchUserPrivilegeOnEntities) soap.HasFault {
	var res []types.UserPrivilegeResult
	for _, e := range req.Entities {
		res = append(res, types.UserPrivilegeResult{Entity: e, Privileges: a.held})
	}
	return &methods.FetchUserPrivilegeOnEntitiesBody{
		Res: &types.FetchUserPrivilegeOnEntitiesResponse{Returnval: res},
	}
}

// HasPrivilegeOnEntities grants exactly the role's privileges.
func (a *roleAuthorization) HasPrivilegeOnEntities(req *types.HasPrivilegeOnEntities) soap.HasFault {
	held := make(map[string]bool, len(a.held))
	for _, p := range a.held {
		held[p] = true
	}
	var res []types.EntityPrivilege
	for _, e := range req.Entity {
		priv := types.EntityPrivilege{Entity: e}
		for _, id := range req.PrivId {
			priv.PrivAvailability = append(priv.PrivAvailability, types.PrivilegeAvailability{PrivId: id, IsGranted: held[id]})
		}
		res = append(res, priv)
	}
	return &methods.HasPrivilegeOnEntitiesBody{
		Res: &types.HasPrivilegeOnEntitiesResponse{Returnval: res},
	}
}
