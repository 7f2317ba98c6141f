//! The SOAP backend against govmomi's vSphere simulator (vcsim), through the
//! shared launcher in `tests/support/vcsim.rs` (the harness in tests/vcsim,
//! built by tests/vcsim/build.sh).
//!
//! Nothing is skipped: without Go and govmomi the tests fail, saying what to
//! install. Each test starts its own simulator on a free port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use vmware_mcp::config::Secret;
use vmware_mcp::vocabulary::VsError;
use vmware_mcp::vsphere::soap::{SoapBackend, SoapConfig};
use vmware_mcp::vsphere::{Backend, CallContext, MoRef, ObjectContent, ProgressHook, RetrieveSpec};
use vmware_mcp_e2e::Vcsim;

/// The SOAP client's view of a simulator: the backend's own configuration,
/// as an operator would write it for a real vCenter.
trait SoapSim {
    /// A client configuration for this simulator, trusting its CA.
    fn config(&self) -> SoapConfig;
    /// A logged-in SOAP backend.
    async fn connect(&self) -> SoapBackend;
}

impl SoapSim for Vcsim {
    fn config(&self) -> SoapConfig {
        let mut cfg = SoapConfig::new(
            self.endpoint.url.clone(),
            self.endpoint.username.clone(),
            Secret::new(self.endpoint.password.clone()),
        );
        cfg.ca_file = Some(self.endpoint.cert.clone())
            .filter(|c| !c.is_empty())
            .map(Into::into);
        cfg
    }

    async fn connect(&self) -> SoapBackend {
        SoapBackend::connect(self.config())
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.endpoint.url))
    }
}

fn ctx() -> CallContext {
    CallContext {
        correlation_id: "soap-vcsim-test".into(),
        ..Default::default()
    }
}

fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn prop<'a>(o: &'a ObjectContent, path: &str) -> Option<&'a Value> {
    o.properties.iter().find(|(p, _)| p == path).map(|(_, v)| v)
}

async fn retrieve(b: &SoapBackend, kind: &str, props: &[&str]) -> Vec<ObjectContent> {
    let spec = RetrieveSpec {
        object_type: kind.into(),
        root: None,
        recursive: true,
        properties: props.iter().map(|p| p.to_string()).collect(),
    };
    b.retrieve(&ctx(), &spec)
        .await
        .unwrap_or_else(|e| panic!("retrieve {kind}: {e}"))
}

async fn vm_state(b: &SoapBackend, vm: &MoRef) -> Value {
    let all = retrieve(b, "VirtualMachine", &["runtime.powerState"]).await;
    let o = all
        .iter()
        .find(|o| &o.reference == vm)
        .expect("vm still there");
    prop(o, "runtime.powerState")
        .cloned()
        .unwrap_or(Value::Null)
}

async fn first_vm(b: &SoapBackend) -> MoRef {
    let vms = retrieve(b, "VirtualMachine", &["name"]).await;
    vms.into_iter().map(|o| o.reference).min().expect("a VM")
}

fn fault(e: VsError) -> vmware_mcp::vocabulary::Fault {
    match e {
        VsError::Fault(f) => f,
        other => panic!("expected a vSphere fault, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vpx_retrieves_vms_and_hosts_with_properties() {
    let sim = Vcsim::start(
        "soap-vpx-retrieves-vms-and-hosts-with-properties",
        &["-model", "vpx"],
    );
    let b = sim.connect().await;
    let content = b.service_content(&ctx()).await.unwrap();
    assert_eq!(content["about"]["apiType"], "VirtualCenter");
    assert_eq!(content["_typeName"], "ServiceContent");
    // vcsim 0.24 publishes vim25 6.5 in vimServiceVersions.xml.
    assert_eq!(b.api_version(), "6.5");

    let vms = retrieve(
        &b,
        "VirtualMachine",
        &[
            "name",
            "runtime.powerState",
            "config.hardware.numCPU",
            "datastore",
            "snapshot",
        ],
    )
    .await;
    // 1 cluster + 1 standalone host, 2 VMs each.
    assert_eq!(vms.len(), 4, "{vms:?}");
    for vm in &vms {
        assert_eq!(vm.reference.kind, "VirtualMachine");
        assert!(
            prop(vm, "name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty())
        );
        assert_eq!(prop(vm, "runtime.powerState"), Some(&json!("poweredOn")));
        assert!(prop(vm, "config.hardware.numCPU").is_some_and(Value::is_i64));
        // An array of one datastore is still an array.
        let ds = prop(vm, "datastore")
            .and_then(Value::as_array)
            .expect("datastore array");
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0]["type"], "Datastore");
        // No snapshot: the property is absent, not null.
        assert!(prop(vm, "snapshot").is_none());
        // Requested order is kept.
        let order: Vec<&str> = vm.properties.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            order,
            [
                "name",
                "runtime.powerState",
                "config.hardware.numCPU",
                "datastore"
            ]
        );
    }

    let hosts = retrieve(
        &b,
        "HostSystem",
        &[
            "name",
            "runtime.inMaintenanceMode",
            "parent",
            "summary.hardware",
        ],
    )
    .await;
    assert_eq!(hosts.len(), 4, "3 cluster hosts + 1 standalone");
    for h in &hosts {
        assert_eq!(prop(h, "runtime.inMaintenanceMode"), Some(&json!(false)));
        assert_eq!(
            prop(h, "summary.hardware").unwrap()["_typeName"],
            "HostHardwareSummary"
        );
        let parent = prop(h, "parent").unwrap();
        assert_eq!(parent["_typeName"], "ManagedObjectReference");
    }

    // Within a container, and a misspelt property refused before sending.
    let cluster = retrieve(&b, "ClusterComputeResource", &["name"])
        .await
        .remove(0)
        .reference;
    let spec = RetrieveSpec {
        object_type: "HostSystem".into(),
        root: Some(cluster),
        recursive: true,
        properties: vec!["name".into()],
    };
    assert_eq!(b.retrieve(&ctx(), &spec).await.unwrap().len(), 3);
    let before = b.request_count();
    let bad = RetrieveSpec {
        object_type: "VirtualMachine".into(),
        root: None,
        recursive: true,
        properties: vec!["runtime.powerstate".into()],
    };
    let err = b.retrieve(&ctx(), &bad).await.unwrap_err();
    assert!(
        matches!(&err, VsError::InvalidArgument(m) if m.contains("powerstate")),
        "{err:?}"
    );
    assert_eq!(
        b.request_count(),
        before,
        "nothing sent for a bad property path"
    );
    b.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esx_retrieves_its_vms_and_host() {
    let sim = Vcsim::start(
        "soap-esx-retrieves-its-vms-and-host",
        &["-model", "esx", "-vms", "3"],
    );
    let b = sim.connect().await;
    let content = b.service_content(&ctx()).await.unwrap();
    assert_eq!(content["about"]["apiType"], "HostAgent");
    let vms = retrieve(
        &b,
        "VirtualMachine",
        &["name", "runtime.powerState", "runtime.host"],
    )
    .await;
    assert_eq!(vms.len(), 3);
    let hosts = retrieve(&b, "HostSystem", &["name", "hardware.systemInfo.uuid"]).await;
    assert_eq!(hosts.len(), 1);
    for vm in &vms {
        assert_eq!(
            prop(vm, "runtime.host").unwrap()["value"],
            json!(hosts[0].reference.value)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_off_and_on_with_result_check_and_a_fault_in_a_task() {
    let sim = Vcsim::start(
        "soap-power-off-and-on-with-result-check-and-a-fault-in-a-task",
        &["-model", "vpx"],
    );
    let b = sim.connect().await;
    let vm = first_vm(&b).await;

    let seen = Arc::new(Mutex::new(Vec::<(u32, String)>::new()));
    let sink = seen.clone();
    let with_progress = CallContext {
        correlation_id: "power-test".into(),
        progress: Some(ProgressHook::new(move |p, m| {
            sink.lock().unwrap().push((p, m))
        })),
        ..Default::default()
    };
    let off = b
        .invoke(&with_progress, &vm, "PowerOffVM_Task", &Map::new())
        .await
        .unwrap();
    assert_eq!(off, Value::Null, "PowerOffVM_Task has no result");
    assert_eq!(vm_state(&b, &vm).await, "poweredOff");
    assert!(
        seen.lock().unwrap().iter().any(|(p, _)| *p == 100),
        "progress reached 100: {:?}",
        seen.lock().unwrap()
    );

    // Powering off again fails inside the task: the task's fault comes back.
    let f = fault(
        b.invoke(&ctx(), &vm, "PowerOffVM_Task", &Map::new())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.type_name, "InvalidPowerState", "{f:?}");
    assert_eq!(f.detail["_typeName"], "InvalidPowerState");
    assert_eq!(f.detail["existingState"], "poweredOff");

    let on = b
        .invoke(&ctx(), &vm, "PowerOnVM_Task", &Map::new())
        .await
        .unwrap();
    assert_eq!(on, Value::Null);
    assert_eq!(vm_state(&b, &vm).await, "poweredOn");

    // A schema error is refused before anything is sent.
    let before = b.request_count();
    let err = b
        .invoke(&ctx(), &vm, "PowerOnVM_Task", &args(json!({"hots": null})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, VsError::InvalidArgument(m) if m.contains("PowerOnVM_Task") && m.contains("hots")),
        "{err:?}"
    );
    assert_eq!(b.request_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_create_revert_remove() {
    let sim = Vcsim::start("soap-snapshot-create-revert-remove", &["-model", "vpx"]);
    let b = sim.connect().await;
    let vm = first_vm(&b).await;
    let snap = b
        .invoke(&ctx(), &vm, "CreateSnapshot_Task", &args(json!({"name": "before-upgrade", "description": "a <test> & more", "memory": false, "quiesce": false})))
        .await
        .unwrap();
    let snap = MoRef::from_json(&snap).unwrap_or_else(|| panic!("snapshot ref, got {snap}"));
    assert_eq!(snap.kind, "VirtualMachineSnapshot");

    let vms = retrieve(&b, "VirtualMachine", &["snapshot"]).await;
    let info = vms
        .iter()
        .find(|o| o.reference == vm)
        .and_then(|o| prop(o, "snapshot"))
        .cloned()
        .expect("snapshot info");
    assert_eq!(info["_typeName"], "VirtualMachineSnapshotInfo");
    let roots = info["rootSnapshotList"]
        .as_array()
        .expect("rootSnapshotList is an array even with one element");
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["name"], "before-upgrade");
    assert_eq!(roots[0]["description"], "a <test> & more");
    assert_eq!(roots[0]["snapshot"]["value"], json!(snap.value));
    assert!(
        roots[0]["createTime"]
            .as_str()
            .is_some_and(|t| t.contains('T')),
        "dateTime kept as text: {}",
        roots[0]["createTime"]
    );

    // vcsim bug: this task's info.entity is the snapshot, not the VM; the result is what matters.
    let reverted = b
        .invoke(&ctx(), &snap, "RevertToSnapshot_Task", &Map::new())
        .await
        .unwrap();
    assert_eq!(reverted, Value::Null);
    let removed = b
        .invoke(
            &ctx(),
            &snap,
            "RemoveSnapshot_Task",
            &args(json!({"removeChildren": false})),
        )
        .await
        .unwrap();
    assert_eq!(removed, Value::Null);
    let vms = retrieve(&b, "VirtualMachine", &["snapshot"]).await;
    assert!(
        vms.iter()
            .find(|o| o.reference == vm)
            .and_then(|o| prop(o, "snapshot"))
            .is_none(),
        "snapshot gone"
    );
}

async fn vm_folder(b: &SoapBackend) -> Value {
    let dcs = retrieve(b, "Datacenter", &["vmFolder"]).await;
    prop(&dcs[0], "vmFolder").cloned().expect("vmFolder")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_works_on_vcenter() {
    let sim = Vcsim::start("soap-clone-works-on-vcenter", &["-model", "vpx"]);
    let b = sim.connect().await;
    let vm = first_vm(&b).await;
    let folder = vm_folder(&b).await;
    let clone_args = args(json!({
        "spec": {"powerOn": false, "template": false, "location": {}},
        "name": "clone-1",
        "folder": folder,
    }));
    let new_vm = b
        .invoke(&ctx(), &vm, "CloneVM_Task", &clone_args)
        .await
        .unwrap();
    let new_vm = MoRef::from_json(&new_vm).unwrap_or_else(|| panic!("VM ref, got {new_vm}"));
    assert_eq!(new_vm.kind, "VirtualMachine");
    let vms = retrieve(&b, "VirtualMachine", &["name"]).await;
    let clone = vms
        .iter()
        .find(|o| o.reference == new_vm)
        .expect("clone listed");
    assert_eq!(prop(clone, "name"), Some(&json!("clone-1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_is_not_supported_on_esx() {
    let sim = Vcsim::start("soap-clone-is-not-supported-on-esx", &["-model", "esx"]);
    let b = sim.connect().await;
    let vm = first_vm(&b).await;
    let folder = vm_folder(&b).await;
    let clone_args = args(
        json!({"folder": folder, "name": "clone-1", "spec": {"location": {}, "template": false, "powerOn": false}}),
    );
    let f = fault(
        b.invoke(&ctx(), &vm, "CloneVM_Task", &clone_args)
            .await
            .unwrap_err(),
    );
    assert_eq!(f.type_name, "NotSupported");
    assert!(f.message.contains("not supported"), "{}", f.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_and_exit_maintenance_mode() {
    let sim = Vcsim::start("soap-enter-and-exit-maintenance-mode", &["-model", "vpx"]);
    let b = sim.connect().await;
    let host = retrieve(&b, "HostSystem", &["name"])
        .await
        .into_iter()
        .map(|o| o.reference)
        .min()
        .unwrap();
    let in_mm = |b: SoapBackend, host: MoRef| async move {
        let hosts = retrieve(&b, "HostSystem", &["runtime.inMaintenanceMode"]).await;
        prop(
            hosts.iter().find(|o| o.reference == host).unwrap(),
            "runtime.inMaintenanceMode",
        )
        .cloned()
    };
    b.invoke(
        &ctx(),
        &host,
        "EnterMaintenanceMode_Task",
        &args(json!({"timeout": 0})),
    )
    .await
    .unwrap();
    assert_eq!(in_mm(b.clone(), host.clone()).await, Some(json!(true)));
    b.invoke(
        &ctx(),
        &host,
        "ExitMaintenanceMode_Task",
        &args(json!({"timeout": 0})),
    )
    .await
    .unwrap();
    assert_eq!(in_mm(b.clone(), host.clone()).await, Some(json!(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_verification_ca_file_and_ignore_ssl() {
    let sim = Vcsim::start(
        "soap-tls-verification-ca-file-and-ignore-ssl",
        &["-model", "esx"],
    );
    // Verification on, simulator CA trusted through the CA file.
    let b = sim.connect().await;
    assert_eq!(b.endpoint().url.scheme(), "https");

    // Verification on, CA not trusted: refused with a message saying what to set.
    let mut cfg = sim.config();
    cfg.ca_file = None;
    let err = SoapBackend::connect(cfg).await.unwrap_err();
    let msg = err.to_string();
    eprintln!("untrusted certificate: {msg}");
    assert!(
        msg.contains("VCENTER_CA_FILE")
            && msg.contains("VCENTER_IGNORE_SSL")
            && msg.contains("certificate"),
        "{msg}"
    );

    // Verification off.
    let mut cfg = sim.config();
    cfg.ca_file = None;
    cfg.ignore_ssl = true;
    let b = SoapBackend::connect(cfg).await.unwrap();
    assert_eq!(retrieve(&b, "HostSystem", &["name"]).await.len(), 1);

    // A CA file that is not PEM is a configuration error.
    let junk = sim.dir().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let mut cfg = sim.config();
    cfg.ca_file = Some(junk);
    assert!(matches!(
        SoapBackend::connect(cfg).await.unwrap_err(),
        VsError::InvalidArgument(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_password_and_plain_http() {
    let sim = Vcsim::start(
        "soap-bad-password-and-plain-http",
        &["-model", "esx", "-tls=false", "-password", "right-one"],
    );
    assert!(sim.endpoint.url.starts_with("http://"));
    let mut cfg = sim.config();
    cfg.password = Secret::new("wrong-one");
    let f = fault(SoapBackend::connect(cfg).await.unwrap_err());
    assert_eq!(f.type_name, "InvalidLogin");
    assert!(!f.message.contains("wrong-one") && !f.detail.to_string().contains("wrong-one"));
    let b = sim.connect().await;
    assert_eq!(retrieve(&b, "VirtualMachine", &["name"]).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_grow_with_pages_not_with_vms() {
    let sim = Vcsim::start(
        "soap-requests-grow-with-pages-not-with-vms",
        &[
            "-model",
            "vpx",
            "-vms",
            "1000",
            "-clusters",
            "1",
            "-standalone",
            "0",
            "-hosts",
            "1",
        ],
    );
    for page_size in [100u32, 1000] {
        let mut cfg = sim.config();
        cfg.page_size = page_size;
        let b = SoapBackend::connect(cfg).await.unwrap();
        let before = b.request_count();
        let vms = retrieve(&b, "VirtualMachine", &["name", "runtime.powerState"]).await;
        let used = b.request_count() - before;
        assert_eq!(vms.len(), 1000);
        assert!(
            vms.iter()
                .all(|o| prop(o, "name").is_some() && prop(o, "runtime.powerState").is_some())
        );
        let pages = 1000u64.div_ceil(u64::from(page_size));
        eprintln!("1,000 VMs in pages of {page_size}: {used} requests");
        // CreateContainerView + pages + DestroyView.
        assert!(
            used <= 2 + pages + 1,
            "{used} requests for {pages} pages of {page_size}"
        );
        assert!(
            used >= 2 + pages,
            "{used} requests for {pages} pages of {page_size}"
        );
    }

    // Concurrent calls share one session.
    let b = sim.connect().await;
    let calls = (0..8).map(|_| {
        let b = b.clone();
        tokio::spawn(async move { retrieve(&b, "VirtualMachine", &["name"]).await.len() })
    });
    for c in calls {
        assert_eq!(c.await.unwrap(), 1000);
    }
    assert_eq!(b.relogin_count(), 0);
}

async fn session_key(b: &SoapBackend) -> String {
    let content = b.service_content(&ctx()).await.unwrap();
    let pc = MoRef::from_json(&content["propertyCollector"]).unwrap();
    let sm = content["sessionManager"].clone();
    let r = b
        .invoke(
            &ctx(),
            &pc,
            "RetrievePropertiesEx",
            &args(json!({
                "specSet": [{"propSet": [{"type": "SessionManager", "pathSet": ["currentSession"]}], "objectSet": [{"obj": sm}]}],
                "options": {}
            })),
        )
        .await
        .unwrap();
    let val = &r["objects"][0]["propSet"][0]["val"];
    val["key"]
        .as_str()
        .or_else(|| val["_value"]["key"].as_str())
        .unwrap_or_else(|| panic!("session key in {r}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_logs_in_again_for_reads_only() {
    let sim = Vcsim::start(
        "soap-expired-session-logs-in-again-for-reads-only",
        &["-model", "vpx"],
    );
    let a = sim.connect().await;
    let admin = sim.connect().await;
    let sm = MoRef::from_json(&a.service_content(&ctx()).await.unwrap()["sessionManager"]).unwrap();
    let terminate = |key: String| {
        let admin = admin.clone();
        let sm = sm.clone();
        async move {
            admin
                .invoke(
                    &ctx(),
                    &sm,
                    "TerminateSession",
                    &args(json!({"sessionId": [key]})),
                )
                .await
                .unwrap()
        }
    };

    terminate(session_key(&a).await).await;
    // A read-only call: logs in again and succeeds.
    assert_eq!(retrieve(&a, "VirtualMachine", &["name"]).await.len(), 4);
    assert_eq!(a.relogin_count(), 1);

    // A state-changing call: logs in again but is not resent.
    terminate(session_key(&a).await).await;
    let vm = first_vm(&admin).await;
    let err = a
        .invoke(&ctx(), &vm, "PowerOffVM_Task", &Map::new())
        .await
        .unwrap_err();
    eprintln!("state-changing call after expiry: {err}");
    assert!(err.to_string().contains("outcome is unknown"), "{err}");
    assert_eq!(a.relogin_count(), 2);
    assert_eq!(vm_state(&admin, &vm).await, "poweredOn", "not resent");
    // The new session works without another login.
    assert_eq!(retrieve(&a, "HostSystem", &["name"]).await.len(), 4);
    assert_eq!(a.relogin_count(), 2);

    // Many calls meeting the expired session at once log in once.
    terminate(session_key(&a).await).await;
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let a = a.clone();
            tokio::spawn(async move { retrieve(&a, "VirtualMachine", &["name"]).await.len() })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), 4);
    }
    assert_eq!(a.relogin_count(), 3);

    // The plugin-facing invoke cannot touch the session itself.
    let err = a
        .invoke(&ctx(), &sm, "Logout", &Map::new())
        .await
        .unwrap_err();
    assert!(matches!(err, VsError::InvalidArgument(_)), "{err:?}");
    a.logout().await.unwrap();
    assert!(!a.is_ready().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlation_id_is_sent_as_operation_id() {
    let sim = Vcsim::start(
        "soap-correlation-id-is-sent-as-operation-id",
        &["-model", "esx", "-trace"],
    );
    let b = sim.connect().await;
    let c = CallContext {
        correlation_id: "corr-7f3a".into(),
        ..Default::default()
    };
    let spec = RetrieveSpec {
        object_type: "HostSystem".into(),
        root: None,
        recursive: true,
        properties: vec!["name".into()],
    };
    b.retrieve(&c, &spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = sim.log();
    // CreateContainerView, RetrievePropertiesEx and DestroyView all carry it.
    assert!(
        log.matches("<operationID>corr-7f3a</operationID>").count() >= 3,
        "operationID missing from:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_tasks_are_awaited_with_progress_without_polling() {
    let sim = Vcsim::start(
        "soap-slow-tasks-are-awaited-with-progress-without-polling",
        &["-model", "vpx", "-task-delay", "1500ms"],
    );
    let b = sim.connect().await;
    let vm = first_vm(&b).await;
    let seen = Arc::new(Mutex::new(Vec::<(u32, String)>::new()));
    let sink = seen.clone();
    let c = CallContext {
        correlation_id: "slow".into(),
        progress: Some(ProgressHook::new(move |p, m| {
            sink.lock().unwrap().push((p, m))
        })),
        ..Default::default()
    };
    let before = b.request_count();
    let started = std::time::Instant::now();
    let r = b
        .invoke(&c, &vm, "PowerOffVM_Task", &Map::new())
        .await
        .unwrap();
    assert_eq!(r, Value::Null);
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "returned before the task finished"
    );
    let used = b.request_count() - before;
    eprintln!(
        "1.5 s task: {used} requests, progress {:?}",
        seen.lock().unwrap()
    );
    // Method + first read + CreatePropertyCollector + CreateFilter + a few
    // WaitForUpdatesEx (one per change) + DestroyPropertyCollector.
    assert!(used <= 10, "{used} requests for one 1.5 s task");
    let seen = seen.lock().unwrap().clone();
    let percents: Vec<u32> = seen.iter().map(|(p, _)| *p).collect();
    assert_eq!(percents.first(), Some(&0), "{seen:?}");
    assert!(percents.contains(&50), "{seen:?}");
    assert_eq!(percents.last(), Some(&100), "{seen:?}");
    assert_eq!(vm_state(&b, &vm).await, "poweredOff");

    // A fault that arrives while waiting.
    let f = fault(
        b.invoke(&ctx(), &vm, "PowerOffVM_Task", &Map::new())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.type_name, "InvalidPowerState");

    // A result that arrives while waiting.
    let snap = b
        .invoke(
            &ctx(),
            &vm,
            "CreateSnapshot_Task",
            &args(json!({"name": "s", "memory": false, "quiesce": false})),
        )
        .await
        .unwrap();
    assert_eq!(
        MoRef::from_json(&snap).map(|r| r.kind).as_deref(),
        Some("VirtualMachineSnapshot"),
        "{snap}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_outlives_the_timeout_is_named() {
    let sim = Vcsim::start(
        "soap-a-task-that-outlives-the-timeout-is-named",
        &["-model", "esx", "-task-delay", "4s"],
    );
    let mut cfg = sim.config();
    cfg.task_timeout = Duration::from_secs(1);
    let b = SoapBackend::connect(cfg).await.unwrap();
    let vm = first_vm(&b).await;
    let err = b
        .invoke(&ctx(), &vm, "PowerOffVM_Task", &Map::new())
        .await
        .unwrap_err();
    let VsError::Timeout(m) = err else {
        panic!("expected a timeout, got {err:?}")
    };
    assert!(
        m.contains("Task:task-")
            && m.contains("PowerOffVM_Task")
            && m.contains("may still be running"),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_waiting_is_recovered() {
    let sim = Vcsim::start(
        "soap-a-session-lost-while-waiting-is-recovered",
        &["-model", "vpx", "-task-delay", "2s"],
    );
    let a = sim.connect().await;
    let admin = sim.connect().await;
    let key = session_key(&a).await;
    let sm = MoRef::from_json(&a.service_content(&ctx()).await.unwrap()["sessionManager"]).unwrap();
    let vm = first_vm(&a).await;
    let waiting = {
        let a = a.clone();
        let vm = vm.clone();
        tokio::spawn(async move { a.invoke(&ctx(), &vm, "PowerOffVM_Task", &Map::new()).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    admin
        .invoke(
            &ctx(),
            &sm,
            "TerminateSession",
            &args(json!({"sessionId": [key]})),
        )
        .await
        .unwrap();
    let r = waiting.await.unwrap();
    assert_eq!(r.unwrap(), Value::Null, "the wait resumed in a new session");
    assert_eq!(a.relogin_count(), 1);
    assert_eq!(vm_state(&admin, &vm).await, "poweredOff");
}
