//! Fuzzed SOAP replies: 1,200 generated answers from a scripted vCenter
//! (seeded, so a failure replays) — truncated XML, wrong `xsi:type`s,
//! unknown elements, deep nesting, huge bodies, HTML error pages, 500s with
//! no fault, bytes that are not UTF-8 — to targeted reads and to a method
//! call. Every case must end in a correct result or a clear error: no
//! panic, no password in any message, and a bounded message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use vmware_mcp::config::Secret;
use vmware_mcp::vsphere::soap::{SoapBackend, SoapConfig};
use vmware_mcp::vsphere::{Backend, CallContext, MoRef};

const PASSWORD: &str = "fuzz-secret-pw-7f3a9c";
const CASES: u64 = 1200;
const ENV_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>"#;
const ENV_END: &str = "</soapenv:Body></soapenv:Envelope>";

/// xorshift64*: small, seeded, good enough to vary cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn envelope(method: &str, inner: &str) -> String {
    format!("{ENV_START}<{method}Response xmlns=\"urn:vim25\">{inner}</{method}Response>{ENV_END}")
}

/// A well-formed RetrievePropertiesEx answer for one VM.
fn good_read(name: &str) -> String {
    envelope(
        "RetrievePropertiesEx",
        &format!(
            r#"<returnval><objects><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name><val xsi:type="xsd:string">{name}</val></propSet><propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOn</val></propSet></objects></returnval>"#
        ),
    )
}

/// One generated reply: (HTTP status, body bytes), and what kind it is.
fn generate(rng: &mut Rng) -> (StatusCode, Vec<u8>, &'static str) {
    let good = good_read("db1");
    match rng.below(11) {
        0 => (StatusCode::OK, good.into_bytes(), "valid"),
        1 => {
            let cut = rng.below(good.len() as u64) as usize;
            (StatusCode::OK, good.as_bytes()[..cut].to_vec(), "truncated")
        }
        2 => {
            let types = [
                "xsd:int",
                "xsd:boolean",
                "ManagedObjectReference",
                "NoSuchType",
                "xsd:dateTime",
                "ArrayOfString",
                "",
            ];
            let t = types[rng.below(types.len() as u64) as usize];
            (
                StatusCode::OK,
                good.replace("xsd:string", t)
                    .replace("VirtualMachinePowerState", t)
                    .into_bytes(),
                "wrong type",
            )
        }
        3 => {
            let junk = [
                "<surprise>1</surprise>",
                "<x:y xmlns:x=\"urn:z\"/>",
                "<propSet><name>extra</name></propSet>",
                "<![CDATA[<<>>]]>",
                "<!-- c -->",
            ];
            let at = good.find("<objects>").unwrap() + rng.below(60) as usize;
            let mut body = good.clone();
            let at = (0..=at.min(body.len()))
                .rev()
                .find(|i| body.is_char_boundary(*i))
                .unwrap();
            body.insert_str(at, junk[rng.below(junk.len() as u64) as usize]);
            (StatusCode::OK, body.into_bytes(), "unknown element")
        }
        4 => {
            let depth = 100 + rng.below(20_000) as usize;
            let inner = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
            (
                StatusCode::OK,
                envelope(
                    "RetrievePropertiesEx",
                    &format!("<returnval>{inner}</returnval>"),
                )
                .into_bytes(),
                "deep nesting",
            )
        }
        5 => {
            let size = (1 + rng.below(8) as usize) << 20;
            (
                StatusCode::OK,
                good_read(&"x".repeat(size)).into_bytes(),
                "huge body",
            )
        }
        6 => {
            let status = [
                StatusCode::OK,
                StatusCode::BAD_GATEWAY,
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::INTERNAL_SERVER_ERROR,
            ][rng.below(4) as usize];
            (status, b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>".to_vec(), "html page")
        }
        7 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            if rng.below(2) == 0 {
                Vec::new()
            } else {
                b"Internal Server Error".to_vec()
            },
            "500 without fault",
        ),
        8 => {
            let mut body = good.into_bytes();
            let at = rng.below(body.len() as u64) as usize;
            body.splice(at..at, [0xff, 0xfe, 0x80]);
            (StatusCode::OK, body, "not utf-8")
        }
        9 => {
            let detail = [
                "<NotAFault/>",
                "",
                "<InvalidArgumentFault xsi:type=\"InvalidArgument\"><invalidProperty>",
                "<SystemErrorFault xsi:type=\"SystemError\"><reason>boom</reason></SystemErrorFault>",
            ];
            let d = detail[rng.below(detail.len() as u64) as usize];
            (StatusCode::INTERNAL_SERVER_ERROR, format!("{ENV_START}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>fault</faultstring><detail>{d}</detail></soapenv:Fault>{ENV_END}").into_bytes(), "odd fault")
        }
        _ => {
            let len = rng.below(4096) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            (StatusCode::OK, bytes, "random bytes")
        }
    }
}

async fn start(seed: u64) -> (String, Arc<Mutex<Vec<&'static str>>>) {
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let seen = kinds.clone();
    let rng = Arc::new(Mutex::new(Rng(seed)));
    let served = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/sdk",
        post(move |headers: HeaderMap, body: String| {
            let (rng, seen, served) = (rng.clone(), seen.clone(), served.clone());
            async move {
                let method: String = body
                    .split("<soapenv:Body>")
                    .nth(1)
                    .unwrap_or_default()
                    .trim_start_matches('<')
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let xml = |body: String| -> Response {
                    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
                };
                match method.as_str() {
                    "RetrieveServiceContent" => xml(envelope(&method, concat!(
                        r#"<returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>"#,
                        r#"<viewManager type="ViewManager">ViewManager</viewManager><searchIndex type="SearchIndex">SearchIndex</searchIndex><about><name>Fuzz</name><fullName>Fuzz vCenter</fullName><vendor>t</vendor>"#,
                        r#"<version>8.0</version><build>1</build><osType>linux</osType><productLineId>vpx</productLineId><apiType>VirtualCenter</apiType>"#,
                        r#"<apiVersion>8.0.2.0</apiVersion></about><sessionManager type="SessionManager">SessionManager</sessionManager></returnval>"#
                    ))),
                    "Login" => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "text/xml"), (header::SET_COOKIE, "vmware_soap_session=s1; Path=/")],
                        envelope(&method, "<returnval><key>s1</key><userName>u</userName><fullName>u</fullName><loginTime>2024-01-01T00:00:00Z</loginTime><lastActiveTime>2024-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale><extensionSession>false</extensionSession></returnval>"),
                    ).into_response(),
                    "Logout" => xml(envelope(&method, "")),
                    _ => {
                        let authed = headers.get(header::COOKIE).is_some();
                        assert!(authed, "calls after login carry the session");
                        served.fetch_add(1, Ordering::Relaxed);
                        let (status, bytes, kind) = generate(&mut rng.lock().unwrap());
                        seen.lock().unwrap().push(kind);
                        let bytes = if method == "FindByInventoryPath" && kind == "valid" {
                            envelope(&method, r#"<returnval type="VirtualMachine">vm-9</returnval>"#).into_bytes()
                        } else {
                            bytes
                        };
                        (status, [(header::CONTENT_TYPE, "text/xml")], Bytes::from(bytes)).into_response()
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/sdk"), kinds)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fuzzed_reply_gives_a_result_or_a_clear_error() {
    let (url, kinds) = start(0x5eed_cafe).await;
    let mut config = SoapConfig::new(url, "u", Secret::new(PASSWORD));
    config.request_timeout = std::time::Duration::from_secs(20);
    let backend = SoapBackend::connect(config).await.expect("login works");
    let ctx = CallContext::default();
    let vm = MoRef::new("VirtualMachine", "vm-1");
    let search = MoRef::new("SearchIndex", "SearchIndex");
    let properties = vec!["name".to_string(), "runtime.powerState".to_string()];
    let (mut ok, mut errors) = (0, 0);
    for case in 0..CASES {
        let outcome = if case % 4 == 3 {
            let args = serde_json::json!({"inventoryPath": "DC0/vm/db1"});
            backend
                .invoke(
                    &ctx,
                    &search,
                    "FindByInventoryPath",
                    args.as_object().unwrap(),
                )
                .await
                .map(|v| v.to_string())
        } else {
            backend
                .read(&ctx, std::slice::from_ref(&vm), &properties)
                .await
                .map(|objects| format!("{objects:?}"))
        };
        let kind = kinds.lock().unwrap().last().copied().unwrap_or("?");
        if kind == "valid" {
            let result = outcome.as_ref().expect("a valid reply gives a result");
            let expected = if case % 4 == 3 { "vm-9" } else { "db1" };
            assert!(result.contains(expected), "case {case}: {result}");
        }
        match outcome {
            Ok(_) => ok += 1,
            Err(e) => {
                errors += 1;
                let message = e.to_string();
                assert!(
                    !message.contains(PASSWORD),
                    "case {case} ({kind}) leaked the password"
                );
                assert!(!message.is_empty(), "case {case} ({kind}): an empty error");
                assert!(
                    message.len() < 4096,
                    "case {case} ({kind}): the error quotes too much ({} bytes)",
                    message.len()
                );
            }
        }
    }
    let kinds = kinds.lock().unwrap().clone();
    for k in [
        "valid",
        "truncated",
        "wrong type",
        "unknown element",
        "deep nesting",
        "huge body",
        "html page",
        "500 without fault",
        "not utf-8",
        "odd fault",
        "random bytes",
    ] {
        assert!(kinds.contains(&k), "the generator produced {k}");
    }
    println!(
        "{CASES} fuzzed replies: {ok} results, {errors} clear errors; peak RSS {:.0} MB",
        peak_rss_mb()
    );
    assert!(ok > 0 && errors > 0);
    assert!(
        peak_rss_mb() < 1024.0,
        "memory stays bounded: {:.0} MB",
        peak_rss_mb()
    );
}
