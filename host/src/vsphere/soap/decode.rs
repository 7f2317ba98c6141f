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
use super::xml::Element;
use crate::vsphere::schema::{Kind, MOREF, Schema};

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
