//! The SOAP backend against a scripted in-process server, for the paths vcsim
//! cannot produce: a retrieval that fails after its view was created (the
//! view must still be destroyed), a `missingSet` permission fault, and a
//! vCenter that stalls on a state change (the call times out within the
//! request timeout, says its outcome is unknown, and is not resent).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use vmware_mcp::config::Secret;
use vmware_mcp::vocabulary::VsError;
use vmware_mcp::vsphere::soap::{SoapBackend, SoapConfig};
use vmware_mcp::vsphere::{Backend, CallContext, RetrieveSpec};

const ENV_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>"#;
const ENV_END: &str = "</soapenv:Body></soapenv:Envelope>";

/// What the scripted server answers to RetrievePropertiesEx.
#[derive(Clone, Copy)]
enum Script {
    SystemError,
    NoPermission,
    /// Never answer PowerOffVM_Task.
    StallPowerOff,
}

fn method_of(body: &str) -> String {
    let after = body.split("<soapenv:Body>").nth(1).unwrap_or_default();
    after
        .trim_start_matches('<')
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn reply(method: &str, inner: &str) -> String {
    format!("{ENV_START}<{method}Response xmlns=\"urn:vim25\">{inner}</{method}Response>{ENV_END}")
}

async fn start(script: Script) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let app = Router::new().route(
        "/sdk",
        post(move |headers: HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let m = method_of(&body);
                log.lock().unwrap().push(m.clone());
                let authed = headers.get(header::COOKIE).is_some_and(|c| c.to_str().unwrap_or("").contains("vmware_soap_session=s1"));
                let ok = |inner: &str| (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], reply(&m, inner)).into_response();
                match m.as_str() {
                    "RetrieveServiceContent" => ok(concat!(
                        r#"<returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>"#,
                        r#"<viewManager type="ViewManager">ViewManager</viewManager><about><name>Scripted</name><fullName>Scripted vCenter</fullName><vendor>t</vendor>"#,
                        r#"<version>8.0</version><build>1</build><osType>linux</osType><productLineId>vpx</productLineId><apiType>VirtualCenter</apiType>"#,
                        r#"<apiVersion>8.0.2.0</apiVersion></about><sessionManager type="SessionManager">SessionManager</sessionManager></returnval>"#
                    )),
                    "Login" => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "text/xml"), (header::SET_COOKIE, "vmware_soap_session=s1; Path=/; HttpOnly")],
                        reply(&m, "<returnval><key>s1</key><userName>u</userName><fullName>u</fullName><loginTime>2024-01-01T00:00:00Z</loginTime><lastActiveTime>2024-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale><extensionSession>false</extensionSession></returnval>"),
                    )
                        .into_response(),
                    _ if !authed => (StatusCode::INTERNAL_SERVER_ERROR, "no session").into_response(),
                    "CreateContainerView" => ok(r#"<returnval type="ContainerView">session[s1]view-1</returnval>"#),
                    "DestroyView" | "Logout" => ok(""),
                    "PowerOffVM_Task" if matches!(script, Script::StallPowerOff) => {
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        ok("")
                    }
                    "RetrievePropertiesEx" => match script {
                        Script::SystemError => (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            format!(
                                "{ENV_START}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>A general system error occurred: boom</faultstring><detail><SystemErrorFault xmlns=\"urn:vim25\" xsi:type=\"SystemError\"><reason>boom</reason></SystemErrorFault></detail></soapenv:Fault>{ENV_END}"
                            ),
                        )
                            .into_response(),
                        Script::NoPermission | Script::StallPowerOff => ok(concat!(
                            r#"<returnval><objects><obj type="HostSystem">host-1</obj><propSet><name>name</name><val xsi:type="xsd:string">esx1</val></propSet>"#,
                            r#"<missingSet><path>config</path><fault><fault xsi:type="NoPermission"><object type="HostSystem">host-1</object><privilegeId>System.Read</privilegeId></fault>"#,
                            r#"<localizedMessage>Permission to perform this operation was denied.</localizedMessage></fault></missingSet></objects></returnval>"#
                        )),
                    },
                    _ => (StatusCode::NOT_FOUND, "unexpected").into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

async fn run(script: Script) -> (VsError, Vec<String>) {
    let (url, seen) = start(script).await;
    let b = SoapBackend::connect(SoapConfig::new(url, "u", Secret::new("p")))
        .await
        .unwrap();
    assert_eq!(
        b.api_version(),
        "8.0.2.0",
        "from about.apiVersion when no vimServiceVersions.xml"
    );
    let spec = RetrieveSpec {
        object_type: "HostSystem".into(),
        root: None,
        recursive: true,
        properties: vec!["name".into(), "config".into()],
    };
    let err = b
        .retrieve(&CallContext::default(), &spec)
        .await
        .unwrap_err();
    let seen = seen.lock().unwrap().clone();
    (err, seen)
}

#[tokio::test]
async fn the_view_is_destroyed_when_reading_fails() {
    let (err, seen) = run(Script::SystemError).await;
    let VsError::Fault(f) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f.type_name, "SystemError");
    assert_eq!(f.detail["reason"], "boom");
    assert_eq!(
        seen.iter().filter(|m| *m == "DestroyView").count(),
        1,
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("DestroyView"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_permission_fault_in_missing_set_is_reported() {
    let (err, seen) = run(Script::NoPermission).await;
    let VsError::Fault(f) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f.type_name, "NoPermission");
    assert!(
        f.message.contains("'config' of HostSystem:host-1"),
        "{}",
        f.message
    );
    assert_eq!(f.detail["privilegeId"], "System.Read");
    assert_eq!(
        seen.last().map(String::as_str),
        Some("DestroyView"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_state_change_that_stalls_times_out_as_unknown_and_is_not_resent() {
    let (url, seen) = start(Script::StallPowerOff).await;
    let mut config = SoapConfig::new(url, "u", Secret::new("p"));
    config.request_timeout = std::time::Duration::from_secs(2);
    let b = SoapBackend::connect(config).await.unwrap();
    let started = std::time::Instant::now();
    let vm = vmware_mcp::vsphere::MoRef::new("VirtualMachine", "vm-1");
    let err = b
        .invoke(
            &CallContext::default(),
            &vm,
            "PowerOffVM_Task",
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "bounded by the 2 s request timeout: {:?}",
        started.elapsed()
    );
    let VsError::Timeout(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("within 2 s"), "{message}");
    assert!(
        message.contains("unknown") && message.contains("not retried"),
        "{message}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().filter(|m| *m == "PowerOffVM_Task").count(),
        1,
        "sent once, never resent: {seen:?}"
    );
}
