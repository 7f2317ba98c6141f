//! VI/JSON arguments → a vim25 SOAP request, checked against the schema.
//!
//! vCenter rejects bodies with elements out of order or unknown, so the
//! encoder writes parameters and fields in schema order no matter the JSON
//! order, adds `xsi:type` wherever the value's type is not the declared one,
//! and refuses arguments that do not fit the schema before anything is sent,
//! with a message naming the method, the parameter and what was expected.
//!
//! In `anyType` positions (e.g. `OptionValue.value`) a JSON string, boolean,
//! integer or fraction goes out as `xsd:string`, `xsd:boolean`, `xsd:int`
//! (`xsd:long` if it does not fit) or `xsd:double`; VI/JSON's boxed form
//! `{"_typeName":"long","_value":5}` (or `ArrayOfString` with an array) picks
//! the type explicitly, and a data object needs its `_typeName`.

use serde_json::{Map, Value};
use vmware_vocabulary::args::json_kind;

use super::xml::{escape_into, escape_lossy};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;
use crate::vsphere::schema::{Kind, MOREF, Method, Schema, TypeRef};

/// The envelope around every request. `operationID` carries the tool call's
/// correlation id so vCenter's logs can be matched to ours.
pub fn envelope(operation_id: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 400);
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/""#,
        r#" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
        r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#
    ));
    if !operation_id.is_empty() {
        out.push_str("<soapenv:Header><operationID>");
        out.push_str(&escape_lossy(operation_id));
        out.push_str("</operationID></soapenv:Header>");
    }
    out.push_str("<soapenv:Body>");
    out.push_str(body);
    out.push_str("</soapenv:Body></soapenv:Envelope>");
    out
}

/// Encode a call of `method` on `this` as the SOAP body element.
/// Returns the body and the method's schema entry.
pub fn encode_call<'s>(
    schema: &'s Schema,
    this: &MoRef,
    method: &str,
    args: &Map<String, Value>,
) -> Result<(String, &'s Method), VsError> {
    if schema.kind(&this.kind) != Kind::Managed || this.kind == MOREF {
        return Err(VsError::InvalidArgument(format!(
            "{method}: '{}' is not a vim25 managed object type",
            this.kind
        )));
    }
    let m = schema.method(&this.kind, method).ok_or_else(|| {
        VsError::InvalidArgument(format!(
            "{} has no method '{method}' in vim25 (methods: {})",
            this.kind,
            schema.method_names(&this.kind).join(", ")
        ))
    })?;
    let expected = || {
        m.params
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for key in args.keys() {
        if key == "_this" {
            if MoRef::from_json(&args[key]).as_ref() != Some(this) {
                return Err(VsError::InvalidArgument(format!(
                    "{method}: `_this` must be the target {this} or left out"
                )));
            }
            continue;
        }
        if !m.params.iter().any(|p| &p.name == key) {
            return Err(VsError::InvalidArgument(format!(
                "{method}: unknown parameter '{key}' (parameters: {})",
                if m.params.is_empty() {
                    "none".to_string()
                } else {
                    expected()
                }
            )));
        }
    }
    let mut enc = Encoder {
        schema,
        method,
        out: String::with_capacity(256),
    };
    enc.out.push('<');
    enc.out.push_str(method);
    enc.out.push_str(r#" xmlns="urn:vim25"><_this type=""#);
    enc.text(&this.kind, "_this")?;
    enc.out.push_str(r#"">"#);
    enc.text(&this.value, "_this")?;
    enc.out.push_str("</_this>");
    for p in &m.params {
        match args.get(&p.name) {
            None | Some(Value::Null) if p.ty.optional => {}
            None | Some(Value::Null) => {
                return Err(VsError::InvalidArgument(format!(
                    "{method}: missing required parameter '{}' ({})",
                    p.name, p.ty
                )));
            }
            Some(v) => enc.value(&p.name, &p.ty, v, &p.name)?,
        }
    }
    enc.out.push_str("</");
    enc.out.push_str(method);
    enc.out.push('>');
    Ok((enc.out, m))
}

struct Encoder<'s> {
    schema: &'s Schema,
    method: &'s str,
    out: String,
}

/// The XML Schema name of a primitive for `xsi:type`.
fn xsd(prim: &str) -> String {
    format!("xsd:{prim}")
}

/// `ArrayOfX` → element type `X` (primitives lower-cased, as the WSDL names them).
pub fn array_item_type(array_type: &str) -> Option<String> {
    let item = array_type.strip_prefix("ArrayOf")?;
    let lower = {
        let mut c = item.chars();
        match c.next() {
            Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
            None => return None,
        }
    };
    if crate::vsphere::schema::PRIMITIVES.contains(&lower.as_str()) {
        Some(lower)
    } else {
        Some(item.to_string())
    }
}

/// The `ArrayOfX` name for an element type `x`.
pub fn array_type_name(item: &str) -> String {
    let mut c = item.chars();
    match c.next() {
        Some(f) => format!("ArrayOf{}{}", f.to_uppercase(), c.as_str()),
        None => "ArrayOf".to_string(),
    }
}

impl Encoder<'_> {
    fn err(&self, path: &str, what: String) -> VsError {
        VsError::InvalidArgument(format!("{}: parameter '{path}': {what}", self.method))
    }

    fn text(&mut self, s: &str, path: &str) -> Result<(), VsError> {
        escape_into(&mut self.out, s).map_err(|c| {
            VsError::InvalidArgument(format!(
                "{}: parameter '{path}': contains U+{:04X}, which XML cannot carry",
                self.method, c as u32
            ))
        })
    }

    fn open(
        &mut self,
        name: &str,
        xsi_type: Option<&str>,
        type_attr: Option<&str>,
        path: &str,
    ) -> Result<(), VsError> {
        self.out.push('<');
        self.out.push_str(name);
        if let Some(t) = xsi_type {
            self.out.push_str(r#" xsi:type=""#);
            self.text(t, path)?;
            self.out.push('"');
        }
        if let Some(t) = type_attr {
            self.out.push_str(r#" type=""#);
            self.text(t, path)?;
            self.out.push('"');
        }
        self.out.push('>');
        Ok(())
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Encode a value of a declared (possibly array) type under element `name`.
    fn value(&mut self, name: &str, ty: &TypeRef, v: &Value, path: &str) -> Result<(), VsError> {
        if ty.array {
            let boxed = match v {
                // The VI/JSON boxed form of an array.
                Value::Object(o) => o.get("_value"),
                _ => None,
            };
            let items = match (v, boxed) {
                (Value::Array(items), _) | (_, Some(Value::Array(items))) => items,
                (other, _) => {
                    return Err(self.err(
                        path,
                        format!("expected an array of {}, got {}", ty.name, json_kind(other)),
                    ));
                }
            };
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if item.is_null() {
                    return Err(self.err(&p, "null inside an array".into()));
                }
                self.single(name, &ty.name, item, &p)?;
            }
            Ok(())
        } else {
            self.single(name, &ty.name, v, path)
        }
    }

    /// Encode one value of declared type `decl` under element `name`.
    fn single(&mut self, name: &str, decl: &str, v: &Value, path: &str) -> Result<(), VsError> {
        match self.schema.kind(decl) {
            Kind::Primitive if decl == "anyType" => self.any(name, v, path),
            Kind::Primitive => {
                let text = self.primitive_text(decl, v, path)?;
                self.open(name, None, None, path)?;
                self.text(&text, path)?;
                self.close(name);
                Ok(())
            }
            Kind::Enum => {
                let s = v.as_str().ok_or_else(|| {
                    self.err(
                        path,
                        format!("expected a {decl} string, got {}", json_kind(v)),
                    )
                })?;
                let values = self.schema.enum_values(decl).unwrap_or_default();
                if !values.iter().any(|x| x == s) {
                    return Err(self.err(
                        path,
                        format!("'{s}' is not a {decl} (one of: {})", values.join(", ")),
                    ));
                }
                self.open(name, None, None, path)?;
                self.text(s, path)?;
                self.close(name);
                Ok(())
            }
            Kind::Managed => {
                let r = self.reference(decl, v, path)?;
                self.open(name, None, Some(&r.kind), path)?;
                self.text(&r.value, path)?;
                self.close(name);
                Ok(())
            }
            Kind::Data => self.data(name, decl, v, path, false),
            Kind::Unknown => Err(self.err(path, format!("the schema has no type '{decl}'"))),
        }
    }

    fn reference(&self, decl: &str, v: &Value, path: &str) -> Result<MoRef, VsError> {
        let r = MoRef::from_json(v).ok_or_else(|| {
            self.err(
                path,
                format!(
                    "expected a reference to a {decl} ({{\"type\":…,\"value\":…}}), got {}",
                    json_kind(v)
                ),
            )
        })?;
        if self.schema.kind(&r.kind) != Kind::Managed || r.kind == MOREF {
            return Err(self.err(path, format!("'{}' is not a managed object type", r.kind)));
        }
        if !self.schema.is_subtype(&r.kind, decl) {
            return Err(self.err(
                path,
                format!("expected a reference to a {decl}, got a {}", r.kind),
            ));
        }
        Ok(r)
    }

    fn primitive_text(&self, prim: &str, v: &Value, path: &str) -> Result<String, VsError> {
        let want = |what: &str| {
            self.err(
                path,
                format!("expected {what} ({prim}), got {}", json_kind(v)),
            )
        };
        let int_in = |lo: i64, hi: i64| -> Result<String, VsError> {
            match v.as_i64() {
                Some(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
                Some(n) => Err(self.err(
                    path,
                    format!("{n} is out of range for {prim} ({lo}..={hi})"),
                )),
                None if v.is_number() => {
                    Err(self.err(path, format!("expected an integer ({prim})")))
                }
                None => Err(want("an integer")),
            }
        };
        match prim {
            "string" | "anyURI" => v
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| want("a string")),
            "boolean" => v
                .as_bool()
                .map(|b| b.to_string())
                .ok_or_else(|| want("a boolean")),
            "byte" => int_in(i8::MIN.into(), i8::MAX.into()),
            "short" => int_in(i16::MIN.into(), i16::MAX.into()),
            "int" => int_in(i32::MIN.into(), i32::MAX.into()),
            "long" => int_in(i64::MIN, i64::MAX),
            "float" | "double" => match v {
                Value::Number(n) => n
                    .as_f64()
                    .map(|f| f.to_string())
                    .ok_or_else(|| want("a number")),
                _ => Err(want("a number")),
            },
            "dateTime" => {
                let s = v
                    .as_str()
                    .ok_or_else(|| want("an RFC 3339 date-time string"))?;
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| {
                        self.err(path, format!("'{s}' is not an RFC 3339 date-time: {e}"))
                    })?;
                Ok(s.to_string())
            }
            "base64Binary" => {
                let s = v.as_str().ok_or_else(|| want("a base64 string"))?;
                if !s.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r')
                }) {
                    return Err(self.err(path, "not base64 text".into()));
                }
                Ok(s.to_string())
            }
            other => Err(self.err(path, format!("unsupported primitive type {other}"))),
        }
    }

    /// A data object of declared type `decl`; `force_type` writes `xsi:type`
    /// even when the type is the declared one (anyType positions).
    fn data(
        &mut self,
        name: &str,
        decl: &str,
        v: &Value,
        path: &str,
        force_type: bool,
    ) -> Result<(), VsError> {
        let obj = v.as_object().ok_or_else(|| {
            self.err(
                path,
                format!("expected a {decl} object, got {}", json_kind(v)),
            )
        })?;
        let actual = match obj.get("_typeName") {
            None => decl.to_string(),
            Some(Value::String(t)) => t.clone(),
            Some(other) => {
                return Err(self.err(
                    path,
                    format!("_typeName must be a string, got {}", json_kind(other)),
                ));
            }
        };
        if self.schema.kind(&actual) != Kind::Data {
            return Err(self.err(path, format!("'{actual}' is not a vim25 data object type")));
        }
        if !self.schema.is_subtype(&actual, decl) {
            return Err(self.err(
                path,
                format!("'{actual}' is not a {decl} (nor derived from it)"),
            ));
        }
        let fields = self.schema.all_fields(&actual).unwrap_or_default();
        for key in obj.keys() {
            if key != "_typeName" && !fields.iter().any(|f| &f.name == key) {
                return Err(self.err(path, format!("{actual} has no field '{key}'")));
            }
        }
        let xsi = if force_type || actual != decl {
            Some(actual.as_str())
        } else {
            None
        };
        self.open(name, xsi, None, path)?;
        for f in fields {
            let fpath = format!("{path}.{}", f.name);
            match obj.get(&f.name) {
                None | Some(Value::Null) if f.ty.optional => {}
                None | Some(Value::Null) => {
                    return Err(self.err(
                        &fpath,
                        format!("required field of {actual} is missing ({})", f.ty),
                    ));
                }
                Some(fv) => self.value(&f.name, &f.ty, fv, &fpath)?,
            }
        }
        self.close(name);
        Ok(())
    }

    /// A value in an `anyType` position: its type must be on the wire.
    fn any(&mut self, name: &str, v: &Value, path: &str) -> Result<(), VsError> {
        match v {
            Value::String(s) => {
                self.open(name, Some(&xsd("string")), None, path)?;
                self.text(s, path)?;
                self.close(name);
                Ok(())
            }
            Value::Bool(b) => {
                self.open(name, Some(&xsd("boolean")), None, path)?;
                self.out.push_str(if *b { "true" } else { "false" });
                self.close(name);
                Ok(())
            }
            Value::Number(n) => {
                let (t, text) = match n.as_i64() {
                    Some(i) if i32::try_from(i).is_ok() => ("int", i.to_string()),
                    Some(i) => ("long", i.to_string()),
                    None => ("double", n.as_f64().map(|f| f.to_string()).unwrap_or_default()),
                };
                self.open(name, Some(&xsd(t)), None, path)?;
                self.out.push_str(&text);
                self.close(name);
                Ok(())
            }
            Value::Array(_) => Err(self.err(
                path,
                "an array in an anyType position needs its type: {\"_typeName\":\"ArrayOfString\",\"_value\":[…]}".into(),
            )),
            Value::Null => Err(self.err(path, "null is not a value".into())),
            Value::Object(o) => {
                let t = o.get("_typeName").and_then(Value::as_str);
                if let Some(inner) = o.get("_value") {
                    let t = t.ok_or_else(|| self.err(path, "a boxed value needs _typeName".into()))?;
                    return self.boxed(name, t, inner, path);
                }
                match t {
                    Some(MOREF) | None if MoRef::from_json(v).is_some() => {
                        let r = self.reference("ManagedObject", v, path)?;
                        self.open(name, Some(MOREF), Some(&r.kind), path)?;
                        self.text(&r.value, path)?;
                        self.close(name);
                        Ok(())
                    }
                    Some(t) => {
                        let t = t.to_string();
                        self.data(name, &t, v, path, true)
                    }
                    None => Err(self.err(path, "an object in an anyType position needs _typeName".into())),
                }
            }
        }
    }

    /// `{"_typeName": T, "_value": …}` in an anyType position.
    fn boxed(&mut self, name: &str, t: &str, inner: &Value, path: &str) -> Result<(), VsError> {
        if let Some(item) = array_item_type(t) {
            let items = inner
                .as_array()
                .ok_or_else(|| self.err(path, format!("{t} needs an array _value")))?;
            if self.schema.kind(&item) == Kind::Unknown {
                return Err(self.err(path, format!("the schema has no type '{item}'")));
            }
            self.open(name, Some(t), None, path)?;
            for (i, x) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                match self.schema.kind(&item) {
                    Kind::Primitive if item == "anyType" => self.any("anyType", x, &p)?,
                    Kind::Managed => {
                        let r = self.reference("ManagedObject", x, &p)?;
                        self.open(MOREF, None, Some(&r.kind), &p)?;
                        self.text(&r.value, &p)?;
                        self.close(MOREF);
                    }
                    _ => self.single(&item, &item, x, &p)?,
                }
            }
            self.close(name);
            return Ok(());
        }
        match self.schema.kind(t) {
            Kind::Primitive if t != "anyType" => {
                let text = self.primitive_text(t, inner, path)?;
                self.open(name, Some(&xsd(t)), None, path)?;
                self.text(&text, path)?;
                self.close(name);
                Ok(())
            }
            Kind::Enum => {
                let s = inner
                    .as_str()
                    .ok_or_else(|| self.err(path, format!("{t} needs a string _value")))?;
                if !self
                    .schema
                    .enum_values(t)
                    .unwrap_or_default()
                    .iter()
                    .any(|x| x == s)
                {
                    return Err(self.err(path, format!("'{s}' is not a {t}")));
                }
                self.open(name, Some(t), None, path)?;
                self.text(s, path)?;
                self.close(name);
                Ok(())
            }
            _ => Err(self.err(path, format!("'{t}' cannot be boxed with _value"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::vsphere::schema::schema;

    fn call(this: (&str, &str), method: &str, args: Value) -> Result<String, VsError> {
        let args = args.as_object().cloned().unwrap_or_default();
        encode_call(
            schema().unwrap(),
            &MoRef::new(this.0, this.1),
            method,
            &args,
        )
        .map(|(b, _)| b)
    }

    fn invalid(r: Result<String, VsError>) -> String {
        match r {
            Err(VsError::InvalidArgument(m)) => m,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn parameters_and_fields_come_out_in_schema_order() {
        // JSON order: spec fields reversed, parameters reversed.
        let body = call(
            ("VirtualMachine", "vm-42"),
            "CloneVM_Task",
            json!({
                "spec": {"powerOn": true, "template": false, "location": {"pool": {"type": "ResourcePool", "value": "resgroup-9"}}},
                "name": "clone-1",
                "folder": {"_typeName": "ManagedObjectReference", "type": "Folder", "value": "group-v3"}
            }),
        )
        .unwrap();
        assert_eq!(
            body,
            concat!(
                r#"<CloneVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-42</_this>"#,
                r#"<folder type="Folder">group-v3</folder><name>clone-1</name>"#,
                r#"<spec><location><pool type="ResourcePool">resgroup-9</pool></location>"#,
                r#"<template>false</template><powerOn>true</powerOn></spec></CloneVM_Task>"#
            )
        );
    }

    #[test]
    fn subtype_gets_xsi_type_and_inherited_fields_come_first() {
        let body = call(
            ("PropertyCollector", "propertyCollector"),
            "RetrievePropertiesEx",
            json!({
                "options": {"maxObjects": 100},
                "specSet": [{
                    "propSet": [{"pathSet": ["name"], "type": "VirtualMachine"}],
                    "objectSet": [{
                        "obj": {"type": "ContainerView", "value": "session[1]view-1"},
                        "skip": true,
                        "selectSet": [{"_typeName": "TraversalSpec", "skip": false, "path": "view", "type": "ContainerView", "name": "v"}]
                    }]
                }]
            }),
        )
        .unwrap();
        assert!(
            body.contains(r#"<selectSet xsi:type="TraversalSpec"><name>v</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>"#),
            "{body}"
        );
        assert!(
            body.contains(
                r#"<propSet><type>VirtualMachine</type><pathSet>name</pathSet></propSet>"#
            ),
            "{body}"
        );
        assert!(
            body.contains("<options><maxObjects>100</maxObjects></options>"),
            "{body}"
        );
        assert!(body.find("<specSet>").unwrap() < body.find("<options>").unwrap());
    }

    #[test]
    fn text_is_escaped() {
        let body = call(
            ("Folder", "group-v3"),
            "Rename_Task",
            json!({"newName": "a<b>&\"c'"}),
        )
        .unwrap();
        assert!(
            body.contains("<newName>a&lt;b&gt;&amp;&quot;c&apos;</newName>"),
            "{body}"
        );
        let m = invalid(call(
            ("Folder", "group-v3"),
            "Rename_Task",
            json!({"newName": "nul\u{0}"}),
        ));
        assert!(
            m.contains("Rename_Task") && m.contains("newName") && m.contains("U+0000"),
            "{m}"
        );
    }

    #[test]
    fn any_type_values_carry_their_type() {
        let body = call(
            ("OptionManager", "VpxSettings"),
            "UpdateOptions",
            json!({"changedValue": [
                {"_typeName": "OptionValue", "key": "a", "value": "text"},
                {"_typeName": "OptionValue", "key": "b", "value": 5},
                {"_typeName": "OptionValue", "key": "c", "value": {"_typeName": "long", "_value": 5}},
                {"_typeName": "OptionValue", "key": "d", "value": true},
                {"_typeName": "OptionValue", "key": "e", "value": {"_typeName": "ArrayOfString", "_value": ["x", "y"]}}
            ]}),
        )
        .unwrap();
        assert!(body.contains(r#"<changedValue><key>a</key><value xsi:type="xsd:string">text</value></changedValue>"#), "{body}");
        assert!(
            body.contains(r#"<value xsi:type="xsd:int">5</value>"#),
            "{body}"
        );
        assert!(
            body.contains(r#"<value xsi:type="xsd:long">5</value>"#),
            "{body}"
        );
        assert!(
            body.contains(r#"<value xsi:type="xsd:boolean">true</value>"#),
            "{body}"
        );
        assert!(
            body.contains(
                r#"<value xsi:type="ArrayOfString"><string>x</string><string>y</string></value>"#
            ),
            "{body}"
        );
    }

    #[test]
    fn schema_rejections_name_method_parameter_and_expectation() {
        let vm = ("VirtualMachine", "vm-1");
        let m = invalid(call(vm, "PowerOnVM_Taskk", json!({})));
        assert!(
            m.contains("VirtualMachine has no method 'PowerOnVM_Taskk'")
                && m.contains("PowerOnVM_Task"),
            "{m}"
        );
        let m = invalid(call(
            vm,
            "PowerOnVM_Task",
            json!({"hots": {"type": "HostSystem", "value": "host-1"}}),
        ));
        assert!(
            m.contains("PowerOnVM_Task: unknown parameter 'hots'") && m.contains("host"),
            "{m}"
        );
        let m = invalid(call(
            vm,
            "CreateSnapshot_Task",
            json!({"name": "s1", "memory": false}),
        ));
        assert!(
            m.contains("CreateSnapshot_Task: missing required parameter 'quiesce' (boolean)"),
            "{m}"
        );
        let m = invalid(call(
            vm,
            "CreateSnapshot_Task",
            json!({"name": "s1", "memory": "no", "quiesce": false}),
        ));
        assert!(
            m.contains("parameter 'memory'") && m.contains("expected a boolean"),
            "{m}"
        );
        let m = invalid(call(
            vm,
            "PowerOnVM_Task",
            json!({"host": {"type": "Folder", "value": "group-1"}}),
        ));
        assert!(
            m.contains("expected a reference to a HostSystem, got a Folder"),
            "{m}"
        );
        let m = invalid(call(
            ("Folder", "group-v3"),
            "CreateVM_Task",
            json!({"config": {"_typeName": "NoSuchSpec"}, "pool": {"type": "ResourcePool", "value": "rp"}}),
        ));
        assert!(
            m.contains("'NoSuchSpec' is not a vim25 data object type"),
            "{m}"
        );
        let m = invalid(call(
            ("Folder", "group-v3"),
            "CreateVM_Task",
            json!({"config": {"_typeName": "HostConnectSpec"}, "pool": {"type": "ResourcePool", "value": "rp"}}),
        ));
        assert!(
            m.contains("'HostConnectSpec' is not a VirtualMachineConfigSpec"),
            "{m}"
        );
        let m = invalid(call(
            ("Folder", "group-v3"),
            "CreateVM_Task",
            json!({"config": {"nmae": "x"}, "pool": {"type": "ResourcePool", "value": "rp"}}),
        ));
        assert!(
            m.contains("VirtualMachineConfigSpec has no field 'nmae'"),
            "{m}"
        );
        let m = invalid(call(
            ("HostSystem", "host-1"),
            "EnterMaintenanceMode_Task",
            json!({"timeout": 1u64 << 40}),
        ));
        assert!(m.contains("out of range for int"), "{m}");
        let m = invalid(call(("NoSuchType", "x"), "Foo", json!({})));
        assert!(m.contains("not a vim25 managed object type"), "{m}");
        let m = invalid(call(vm, "MigrateVM_Task", json!({"priority": "fastest"})));
        assert!(
            m.contains("'fastest' is not a VirtualMachineMovePriority"),
            "{m}"
        );
    }

    #[test]
    fn arrays_and_envelope() {
        let body = call(("ViewManager", "ViewManager"), "CreateContainerView", json!({
            "container": {"type": "Folder", "value": "group-d1"}, "type": ["VirtualMachine"], "recursive": true
        }))
        .unwrap();
        assert!(
            body.contains("<type>VirtualMachine</type><recursive>true</recursive>"),
            "{body}"
        );
        let m = invalid(call(
            ("ViewManager", "ViewManager"),
            "CreateContainerView",
            json!({
                "container": {"type": "Folder", "value": "group-d1"}, "type": "VirtualMachine", "recursive": true
            }),
        ));
        assert!(m.contains("expected an array of string"), "{m}");
        let env = envelope("corr<1>", "<X/>");
        assert!(env.contains("<soapenv:Header><operationID>corr&lt;1&gt;</operationID></soapenv:Header><soapenv:Body><X/></soapenv:Body>"));
        assert!(!envelope("", "<X/>").contains("Header"));
        assert_eq!(array_item_type("ArrayOfString").as_deref(), Some("string"));
        assert_eq!(
            array_item_type("ArrayOfManagedObjectReference").as_deref(),
            Some("ManagedObjectReference")
        );
        assert_eq!(
            array_item_type("ArrayOfVirtualDevice").as_deref(),
            Some("VirtualDevice")
        );
        assert_eq!(array_type_name("int"), "ArrayOfInt");
    }
}
