//! A SOAP reply's body: the method's `returnval`(s) decoded to VI/JSON, or
//! its SOAP fault as a typed [`VsError::Fault`]. It sits above both the
//! decoder and the fault mapping, so the decoder needs neither.

use serde_json::Value;

use super::decode::{Decoder, unbox};
use super::fault;
use super::xml::{self, Element};
use crate::vocabulary::VsError;
use crate::vsphere::schema::{Method, Schema};

/// The first element of the SOAP body, or an error saying the reply is not SOAP.
fn body_element(root: &Element) -> Result<&Element, VsError> {
    if root.name != "Envelope" {
        return Err(VsError::Internal(format!(
            "the server's reply is not a SOAP envelope (root element <{}>)",
            root.name
        )));
    }
    let body = root
        .child("Body")
        .ok_or_else(|| VsError::Internal("the server's SOAP reply has no Body".into()))?;
    body.children
        .first()
        .ok_or_else(|| VsError::Internal("the server's SOAP reply has an empty Body".into()))
}

/// Decode a response document for `method`: its `returnval`(s) as VI/JSON,
/// or the SOAP fault as [`VsError::Fault`].
pub fn decode_response(schema: &Schema, text: &str, method: &Method) -> Result<Value, VsError> {
    let root = xml::parse(text).map_err(|e| {
        VsError::Internal(format!(
            "{}: unreadable reply from the server: {e}",
            method.name
        ))
    })?;
    let first = body_element(&root)?;
    if first.name == "Fault" {
        return Err(VsError::Fault(fault::from_soap_fault(schema, first)));
    }
    let dec = Decoder::new(schema);
    let Some(ret) = &method.returns else {
        return Ok(Value::Null);
    };
    let mut values = first
        .children
        .iter()
        .filter(|c| c.name == "returnval")
        .map(|c| dec.element(c, Some(&ret.name)));
    if ret.array {
        Ok(Value::Array(values.filter(|v| !v.is_null()).collect()))
    } else {
        Ok(values.next().map(unbox).unwrap_or(Value::Null))
    }
}

/// The SOAP fault in a document, if it is one (used for HTTP errors whose
/// body may or may not be SOAP).
pub fn fault_in(schema: &Schema, text: &str) -> Option<VsError> {
    let root = xml::parse(text).ok()?;
    let first = body_element(&root).ok()?;
    (first.name == "Fault").then(|| VsError::Fault(fault::from_soap_fault(schema, first)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::vsphere::schema::schema;

    const ENV_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>"#;
    const ENV_END: &str = "</soapenv:Body></soapenv:Envelope>";

    fn decode(managed: &str, method: &str, body: &str) -> Result<Value, VsError> {
        let s = schema().unwrap();
        let m = s.method(managed, method).unwrap();
        decode_response(s, &format!("{ENV_START}{body}{ENV_END}"), m)
    }

    #[test]
    fn references_numbers_booleans_dates_and_one_element_arrays() {
        let v = decode(
            "PropertyCollector",
            "RetrievePropertiesEx",
            r#"<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-42</obj>
<propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice"><VirtualDevice xsi:type="VirtualDisk"><key>2000</key>
<deviceInfo><label>Hard disk 1</label><summary>1,024 KB</summary></deviceInfo><controllerKey>1000</controllerKey><unitNumber>0</unitNumber>
<capacityInKB>1024</capacityInKB></VirtualDevice></val></propSet>
<propSet><name>runtime.bootTime</name><val xsi:type="xsd:dateTime">2024-05-01T10:00:00.5Z</val></propSet>
<propSet><name>summary.config.template</name><val xsi:type="xsd:boolean">false</val></propSet>
<propSet><name>summary.quickStats.overallCpuUsage</name><val xsi:type="xsd:int">120</val></propSet>
<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore" xsi:type="ManagedObjectReference">datastore-1</ManagedObjectReference></val></propSet>
</objects></returnval></RetrievePropertiesExResponse>"#,
        )
        .unwrap();
        assert_eq!(v["_typeName"], "RetrieveResult");
        // `objects` is declared an array: one element still makes an array.
        let obj = &v["objects"][0];
        assert_eq!(
            obj["obj"],
            json!({"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": "vm-42"})
        );
        let props = obj["propSet"].as_array().unwrap();
        assert_eq!(props.len(), 5);
        let devices = &props[0]["val"];
        assert_eq!(devices["_typeName"], "ArrayOfVirtualDevice");
        let disk = &devices["_value"][0];
        assert_eq!(disk["_typeName"], "VirtualDisk");
        assert_eq!(disk["key"], 2000);
        assert_eq!(disk["capacityInKB"], 1024);
        assert_eq!(disk["deviceInfo"]["_typeName"], "Description");
        assert_eq!(
            unbox(props[1]["val"].clone()),
            json!("2024-05-01T10:00:00.5Z")
        );
        assert_eq!(unbox(props[2]["val"].clone()), json!(false));
        assert_eq!(props[3]["val"], json!({"_typeName": "int", "_value": 120}));
        assert_eq!(
            unbox(props[4]["val"].clone()),
            json!([{"_typeName": "ManagedObjectReference", "type": "Datastore", "value": "datastore-1"}])
        );
    }

    #[test]
    fn unknown_elements_and_types_are_kept() {
        let v = decode(
            "ServiceInstance",
            "RetrieveServiceContent",
            r#"<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>
<rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>
<about><name>VMware vCenter Server</name><apiVersion>99.0</apiVersion><futureField>x</futureField><futureNested><a>1</a><a>2</a></futureNested></about>
<futureManager type="FutureManager">fm-1</futureManager>
<futureSetting xsi:type="FutureSettingType"><weight>3</weight></futureSetting>
</returnval></RetrieveServiceContentResponse>"#,
        )
        .unwrap();
        assert_eq!(v["_typeName"], "ServiceContent");
        assert_eq!(v["rootFolder"]["value"], "group-d1");
        assert_eq!(v["about"]["apiVersion"], "99.0");
        assert_eq!(v["about"]["futureField"], "x");
        assert_eq!(v["about"]["futureNested"], json!({"a": ["1", "2"]}));
        assert_eq!(
            v["futureManager"],
            json!({"_typeName": "ManagedObjectReference", "type": "FutureManager", "value": "fm-1"})
        );
        assert_eq!(
            v["futureSetting"],
            json!({"_typeName": "FutureSettingType", "weight": "3"})
        );
    }

    #[test]
    fn arrays_of_one_from_the_return_type() {
        let s = schema().unwrap();
        let m = s
            .method("VirtualMachine", "QueryFaultToleranceCompatibility")
            .unwrap();
        let text = format!(
            "{ENV_START}{}{ENV_END}",
            r#"<QueryFaultToleranceCompatibilityResponse xmlns="urn:vim25"><returnval><fault xsi:type="InvalidState"></fault><localizedMessage>nope</localizedMessage></returnval></QueryFaultToleranceCompatibilityResponse>"#
        );
        let v = decode_response(s, &text, m).unwrap();
        assert_eq!(
            v,
            json!([{"_typeName": "LocalizedMethodFault", "fault": {"_typeName": "InvalidState"}, "localizedMessage": "nope"}])
        );
        let empty = format!(
            "{ENV_START}<QueryFaultToleranceCompatibilityResponse xmlns=\"urn:vim25\"/>{ENV_END}"
        );
        assert_eq!(decode_response(s, &empty, m).unwrap(), json!([]));
    }

    #[test]
    fn soap_fault_becomes_a_typed_fault() {
        let err = decode(
            "VirtualMachine",
            "PowerOnVM_Task",
            r#"<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The attempted operation cannot be performed in the current state (Powered on).</faultstring><detail><InvalidPowerStateFault xmlns="urn:vim25" xsi:type="InvalidPowerState"><requestedState>poweredOn</requestedState><existingState>poweredOn</existingState></InvalidPowerStateFault></detail></soapenv:Fault>"#,
        )
        .unwrap_err();
        let VsError::Fault(f) = err else {
            panic!("{err:?}")
        };
        assert_eq!(f.type_name, "InvalidPowerState");
        assert!(f.message.contains("current state"));
        assert_eq!(f.detail["existingState"], "poweredOn");
        assert_eq!(f.detail["_typeName"], "InvalidPowerState");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let s = schema().unwrap();
        let m = s.method("ServiceInstance", "CurrentTime").unwrap();
        for text in [
            "",
            "<html>502 Bad Gateway</html>",
            "<Envelope/>",
            "<Envelope><Body/></Envelope>",
            "<<<",
        ] {
            assert!(decode_response(s, text, m).is_err(), "{text}");
        }
        let ok = format!(
            "{ENV_START}<CurrentTimeResponse xmlns=\"urn:vim25\"><returnval>2024-01-01T00:00:00Z</returnval></CurrentTimeResponse>{ENV_END}"
        );
        assert_eq!(
            decode_response(s, &ok, m).unwrap(),
            json!("2024-01-01T00:00:00Z")
        );
        // A number that does not parse is kept as text.
        let d = Decoder::new(s);
        let el = xml::parse(r#"<x xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xsd:int">12a</x>"#).unwrap();
        assert_eq!(d.element(&el, Some("int")), json!("12a"));
        let el = xml::parse(r#"<x>INF</x>"#).unwrap();
        assert_eq!(d.element(&el, Some("double")), json!("INF"));
    }
}
