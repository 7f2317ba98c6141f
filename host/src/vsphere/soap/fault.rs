//! vSphere faults → [`Fault`], from a SOAP fault or from a task's `info.error`.
//!
//! Both forms end up as one typed fault carrying vSphere's own type name and
//! message, with the whole fault object (including `faultCause`) as detail, so
//! agents and people see what vSphere said.

use serde_json::{Map, Value};

use super::decode::Decoder;
use super::xml::Element;
use crate::vocabulary::{Fault, VsError};
use crate::vsphere::schema::{Kind, Schema};

/// The fault type vCenter uses when a session is missing or has expired.
pub const NOT_AUTHENTICATED: &str = "NotAuthenticated";

/// True when `e` says the session is not (or no longer) logged in.
pub fn is_not_authenticated(e: &VsError) -> bool {
    matches!(e, VsError::Fault(f) if f.type_name == NOT_AUTHENTICATED)
}

/// Add `msg` to a fault object (as the simulated backend does) unless present.
fn with_msg(mut detail: Value, message: &str) -> Value {
    if let Value::Object(m) = &mut detail
        && !message.is_empty()
        && !m.contains_key("msg")
    {
        m.insert("msg".into(), Value::String(message.to_string()));
    }
    detail
}

/// The first message among a fault's `faultMessage` entries.
fn fault_message(fault: &Value) -> Option<&str> {
    fault
        .get("faultMessage")?
        .as_array()?
        .iter()
        .find_map(|m| m.get("message")?.as_str())
        .filter(|s| !s.is_empty())
}

/// A `soapenv:Fault` element → [`Fault`]. The detail's child is the fault
/// object, named `<TypeFault>` and typed by `xsi:type`.
pub fn from_soap_fault(schema: &Schema, el: &Element) -> Fault {
    let faultstring = el
        .child_text("faultstring")
        .unwrap_or_default()
        .trim()
        .to_string();
    let detail_obj = el.child("detail").and_then(|d| d.children.first());
    match detail_obj {
        Some(obj) => {
            let type_name = obj.xsi_type.clone().unwrap_or_else(|| {
                obj.name
                    .strip_suffix("Fault")
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&obj.name)
                    .to_string()
            });
            let declared = (schema.kind(&type_name) == Kind::Data).then_some(type_name.as_str());
            let mut detail = Decoder::new(schema).element(obj, declared.or(Some("MethodFault")));
            if let Value::Object(m) = &mut detail {
                m.insert("_typeName".into(), Value::String(type_name.clone()));
            }
            let message = if !faultstring.is_empty() {
                faultstring
            } else {
                fault_message(&detail)
                    .map(str::to_string)
                    .unwrap_or_else(|| type_name.clone())
            };
            let detail = with_msg(detail, &message);
            Fault {
                type_name,
                message,
                detail,
            }
        }
        None => {
            // A plain SOAP fault (e.g. a request the server could not parse).
            let code = el
                .child_text("faultcode")
                .map(super::xml::local_part)
                .unwrap_or("ServerFaultCode")
                .to_string();
            let message = if faultstring.is_empty() {
                code.clone()
            } else {
                faultstring
            };
            let mut m = Map::new();
            m.insert("_typeName".into(), Value::String(code.clone()));
            m.insert("msg".into(), Value::String(message.clone()));
            Fault {
                type_name: code,
                message,
                detail: Value::Object(m),
            }
        }
    }
}

/// A LocalizedMethodFault as VI/JSON (a task's `info.error`, a `missingSet`
/// entry's fault) → [`Fault`]. The detail is the inner fault object.
pub fn from_localized(lmf: &Value) -> Fault {
    let fault = lmf.get("fault").cloned().unwrap_or(Value::Null);
    let type_name = fault
        .get("_typeName")
        .and_then(Value::as_str)
        .unwrap_or("MethodFault")
        .to_string();
    let message = lmf
        .get("localizedMessage")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| fault_message(&fault))
        .unwrap_or(&type_name)
        .to_string();
    let detail = match fault {
        Value::Object(_) => with_msg(fault, &message),
        _ => {
            let mut m = Map::new();
            m.insert("_typeName".into(), Value::String(type_name.clone()));
            m.insert("msg".into(), Value::String(message.clone()));
            Value::Object(m)
        }
    };
    Fault {
        type_name,
        message,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::vsphere::schema::schema;
    use crate::vsphere::soap::xml;

    #[test]
    fn task_error_with_fault_cause() {
        // info.error of a failed task, as RetrievePropertiesEx returns it.
        let s = schema().unwrap();
        let el = xml::parse(
            r#"<val xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="TaskInfo"><key>task-7</key><task type="Task">task-7</task>
<descriptionId>VirtualMachine.clone</descriptionId><state>error</state><cancelled>false</cancelled><cancelable>false</cancelable>
<error><fault xsi:type="InvalidArgument"><faultCause><fault xsi:type="FileNotFound"><file>[ds] x.vmdk</file></fault><localizedMessage>File [ds] x.vmdk was not found</localizedMessage></faultCause><invalidProperty>spec.location.pool</invalidProperty></fault>
<localizedMessage>A specified parameter was not correct: spec.location.pool</localizedMessage></error>
<reason xsi:type="TaskReasonUser"><userName>root</userName></reason><queueTime>2024-01-01T00:00:00Z</queueTime><eventChainId>12</eventChainId></val>"#,
        )
        .unwrap();
        let info = Decoder::new(s).element(&el, Some("TaskInfo"));
        assert_eq!(info["state"], "error");
        assert_eq!(info["eventChainId"], 12);
        let f = from_localized(&info["error"]);
        assert_eq!(f.type_name, "InvalidArgument");
        assert_eq!(
            f.message,
            "A specified parameter was not correct: spec.location.pool"
        );
        assert_eq!(f.detail["invalidProperty"], "spec.location.pool");
        assert_eq!(
            f.detail["faultCause"],
            json!({"_typeName": "LocalizedMethodFault", "fault": {"_typeName": "FileNotFound", "file": "[ds] x.vmdk"}, "localizedMessage": "File [ds] x.vmdk was not found"})
        );
    }

    #[test]
    fn not_authenticated_is_recognised() {
        let s = schema().unwrap();
        let el = xml::parse(
            r#"<soapenv:Fault xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><faultcode>ServerFaultCode</faultcode><faultstring></faultstring><detail><NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"><object type="ViewManager">ViewManager</object><privilegeId>System.View</privilegeId></NotAuthenticatedFault></detail></soapenv:Fault>"#,
        )
        .unwrap();
        let f = from_soap_fault(s, &el);
        assert_eq!(f.type_name, "NotAuthenticated");
        assert_eq!(f.message, "NotAuthenticated");
        assert_eq!(f.detail["object"]["type"], "ViewManager");
        assert_eq!(f.detail["privilegeId"], "System.View");
        assert!(is_not_authenticated(&VsError::Fault(f)));
        // Without xsi:type, the element name minus "Fault" is the type.
        let el = xml::parse(r#"<Fault><faultstring>bad login</faultstring><detail><InvalidLoginFault/></detail></Fault>"#).unwrap();
        let f = from_soap_fault(s, &el);
        assert_eq!(
            (f.type_name.as_str(), f.message.as_str()),
            ("InvalidLogin", "bad login")
        );
        // A fault with no detail keeps its code and message.
        let el = xml::parse(r#"<Fault><faultcode>soapenv:Client</faultcode><faultstring>Unable to parse</faultstring></Fault>"#).unwrap();
        let f = from_soap_fault(s, &el);
        assert_eq!(
            (f.type_name.as_str(), f.message.as_str()),
            ("Client", "Unable to parse")
        );
    }
}
