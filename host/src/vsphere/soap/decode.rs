//! vim25 SOAP responses → VI/JSON, typed by the schema.
//!
//! XML has no arrays, numbers or booleans; the schema says which elements
//! repeat (so a one-element array is still an array), which text is a number,
//! and which type an element without `xsi:type` has. Elements or types the
//! schema does not know (a newer server) are kept as strings or nested
//! objects rather than failing the call.
//!
//! Where the declared type is `anyType`, a primitive or enum comes out in
//! VI/JSON's boxed form (`{"_typeName":"int","_value":5}`) so its type is not
//! lost; property values and task results, whose type is known from context,
//! are unboxed ([`unbox`]).

use serde_json::{Map, Number, Value};

use super::encode::array_item_type;
use super::fault;
use super::xml::{self, Element};
use crate::error::VsError;
use crate::vsphere::schema::{Kind, MOREF, Method, Schema};

/// Decodes elements against the schema.
pub struct Decoder<'s> {
    schema: &'s Schema,
}

/// Wrap a value in VI/JSON's boxed form, used where the declared type is anyType.
fn boxed(type_name: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert("_typeName".into(), Value::String(type_name.to_string()));
    m.insert("_value".into(), v);
    Value::Object(m)
}

/// Take a value out of VI/JSON's boxed form (`{"_typeName":…,"_value":…}`),
/// for places whose type is known from context (a property, a task result).
pub fn unbox(v: Value) -> Value {
    match v {
        Value::Object(mut m)
            if m.len() == 2 && m.contains_key("_typeName") && m.contains_key("_value") =>
        {
            m.remove("_value").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// Text of a primitive as JSON; text that does not parse is kept as a string.
fn primitive(type_name: &str, text: &str) -> Value {
    let t = text.trim();
    match type_name {
        "boolean" => match t {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        "byte" | "short" | "int" | "long" => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        "float" | "double" => t
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_string())),
        _ => Value::String(text.to_string()),
    }
}

fn moref(kind: &str, value: &str) -> Value {
    let mut m = Map::new();
    m.insert("_typeName".into(), Value::String(MOREF.into()));
    m.insert("type".into(), Value::String(kind.to_string()));
    m.insert("value".into(), Value::String(value.trim().to_string()));
    Value::Object(m)
}

/// Add a child's value: a field declared as an array always gets an array;
/// an undeclared element seen twice becomes one.
fn put(obj: &mut Map<String, Value>, name: &str, v: Value, array: bool) {
    if v.is_null() {
        return;
    }
    match obj.get_mut(name) {
        Some(Value::Array(items)) if array => items.push(v),
        Some(Value::Array(items)) if !array => items.push(v),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, v]);
        }
        None => {
            obj.insert(
                name.to_string(),
                if array { Value::Array(vec![v]) } else { v },
            );
        }
    }
}

impl<'s> Decoder<'s> {
    /// A decoder over a schema.
    pub fn new(schema: &'s Schema) -> Self {
        Decoder { schema }
    }

    /// Decode an element whose declared type is `declared` (`None`: not in
    /// the schema). Primitives and enums in anyType positions come out boxed.
    pub fn element(&self, el: &Element, declared: Option<&str>) -> Value {
        if el.nil {
            return Value::Null;
        }
        let any_position = matches!(declared, None | Some("anyType"));
        let actual = match (&el.xsi_type, declared) {
            (Some(t), _) => t.as_str(),
            (None, Some(d)) if d != "anyType" => d,
            _ => return self.generic(el),
        };
        let kind = self.schema.kind(actual);
        if kind == Kind::Unknown
            && let Some(item) = array_item_type(actual)
        {
            let items: Vec<Value> = el
                .children
                .iter()
                .map(|c| self.element(c, Some(&item)))
                .filter(|v| !v.is_null())
                .collect();
            return if any_position {
                boxed(actual, Value::Array(items))
            } else {
                Value::Array(items)
            };
        }
        match kind {
            Kind::Primitive if actual == "anyType" => self.generic(el),
            Kind::Primitive => {
                let v = primitive(actual, &el.text);
                if any_position { boxed(actual, v) } else { v }
            }
            Kind::Enum => {
                let v = Value::String(el.text.clone());
                if any_position { boxed(actual, v) } else { v }
            }
            Kind::Managed => {
                let fallback = if actual == MOREF || actual == "ManagedObject" {
                    "ManagedObject"
                } else {
                    actual
                };
                moref(el.type_attr.as_deref().unwrap_or(fallback), &el.text)
            }
            Kind::Data => self.data(el, actual, Some(actual)),
            Kind::Unknown => {
                // A type from a newer server. Keep what can be kept: its
                // fields typed by the declared type where they are known.
                let table = declared.filter(|d| self.schema.kind(d) == Kind::Data);
                if el.children.is_empty() {
                    if let Some(t) = &el.type_attr {
                        return moref(t, &el.text);
                    }
                    if table.is_none() {
                        let v = Value::String(el.text.clone());
                        return if any_position { boxed(actual, v) } else { v };
                    }
                }
                self.data(el, actual, table)
            }
        }
    }

    /// A data object: `_typeName` plus fields typed by `table`'s schema entry.
    fn data(&self, el: &Element, type_name: &str, table: Option<&str>) -> Value {
        let mut obj = Map::new();
        obj.insert("_typeName".into(), Value::String(type_name.to_string()));
        for child in &el.children {
            match table.and_then(|t| self.schema.field(t, &child.name)) {
                Some(f) => {
                    let v = self.element(child, Some(&f.ty.name));
                    put(&mut obj, &child.name, v, f.ty.array);
                }
                None => {
                    let v = self.element(child, None);
                    put(&mut obj, &child.name, v, false);
                }
            }
        }
        Value::Object(obj)
    }

    /// An element nothing is known about: a reference if it looks like one,
    /// text if it has no children, otherwise an object of its children.
    fn generic(&self, el: &Element) -> Value {
        if el.children.is_empty() {
            return match &el.type_attr {
                Some(t) => moref(t, &el.text),
                None => Value::String(el.text.clone()),
            };
        }
        let mut obj = Map::new();
        if let Some(t) = &el.xsi_type {
            obj.insert("_typeName".into(), Value::String(t.clone()));
        }
        for child in &el.children {
            let v = self.element(child, None);
            put(&mut obj, &child.name, v, false);
        }
        Value::Object(obj)
    }
}

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
