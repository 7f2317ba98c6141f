//! Building tools' JSON Schemas, and describing them in error messages.
//!
//! A tool's input schema is derived from its argument type ([`input_for`]),
//! so the arguments are declared once. Result schemas are built with
//! [`result_object`], [`of`], [`nullable`] and [`array_of`] (or [`object`]
//! for a closed object), and [`describe_arguments`] turns an input schema
//! back into a sentence so that an `invalid_argument` error says what is
//! valid.

use serde_json::{Map, Value, json};

/// A JSON Schema for an object of named properties, under construction.
#[derive(Debug, Clone, Default)]
pub struct ObjectSchema {
    properties: Map<String, Value>,
    required: Vec<String>,
    description: Option<String>,
}

/// Start an object schema (`additionalProperties: false` when built).
pub fn object() -> ObjectSchema {
    ObjectSchema::default()
}

impl ObjectSchema {
    /// A required, non-empty string property.
    pub fn string(self, name: &str, description: &str) -> Self {
        self.property(
            name,
            json!({"type": "string", "minLength": 1, "description": description}),
            true,
        )
    }

    /// An optional, non-empty string property.
    pub fn optional_string(self, name: &str, description: &str) -> Self {
        self.property(
            name,
            json!({"type": "string", "minLength": 1, "description": description}),
            false,
        )
    }

    /// Any property schema, required or not.
    pub fn property(mut self, name: &str, schema: Value, required: bool) -> Self {
        self.properties.insert(name.to_string(), schema);
        if required {
            self.required.push(name.to_string());
        }
        self
    }

    /// A description of the whole object.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_string());
        self
    }

    /// The finished schema.
    pub fn build(self) -> Value {
        let mut schema = Map::new();
        schema.insert("type".into(), json!("object"));
        if let Some(description) = self.description {
            schema.insert("description".into(), json!(description));
        }
        schema.insert("properties".into(), Value::Object(self.properties));
        if !self.required.is_empty() {
            schema.insert("required".into(), json!(self.required));
        }
        schema.insert("additionalProperties".into(), json!(false));
        Value::Object(schema)
    }
}

/// A nullable schema of a JSON type, e.g. `nullable("string")` is
/// `{"anyOf":[{"type":"string"},{"type":"null"}]}`: for result fields
/// vSphere may leave unset. Spelled with `anyOf` rather than a `type` array,
/// which clients that map tool schemas onto a one-type dialect (Gemini's
/// function declarations, the Inspector's portability check) reject.
pub fn nullable(json_type: &str) -> Value {
    json!({ "anyOf": [{ "type": json_type }, { "type": "null" }] })
}

/// The schema of a JSON type, e.g. `of("integer")`.
pub fn of(json_type: &str) -> Value {
    json!({ "type": json_type })
}

/// An array schema of `items`.
pub fn array_of(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// A result object schema with the listed properties, all required (they
/// are always present, possibly null) and others allowed.
pub fn result_object(properties: &[(&str, Value)]) -> Value {
    let mut props = Map::new();
    for (name, schema) in properties {
        props.insert((*name).to_string(), schema.clone());
    }
    let required: Vec<&str> = properties.iter().map(|(name, _)| *name).collect();
    json!({ "type": "object", "properties": props, "required": required })
}

/// The schema of one row of a paged list, from its full
/// [`result_object`] schema: an object that must hold every column, with
/// the columns and their types stated in its description rather than one
/// schema per column.
///
/// Clients validate every row of every page against the output schema. The
/// official Python SDK (jsonschema) spends about 10 ms of a 100-row page
/// descending into ten column schemas, most of the client's time for the
/// page; a row-level check costs about a tenth of that. Every row is still
/// checked for every column, and a model still reads each column's type.
pub fn page_row(row: &Value) -> Value {
    let empty = Map::new();
    let columns = row["properties"].as_object().unwrap_or(&empty);
    let described: Vec<String> = columns
        .iter()
        .map(|(name, column)| format!("{name} ({})", type_words(column)))
        .collect();
    json!({
        "type": "object",
        "required": columns.keys().collect::<Vec<_>>(),
        "description": format!("One row: {}.", described.join(", ")),
    })
}

/// A column schema's type in words: `string`, `integer or null`, `object`.
fn type_words(column: &Value) -> String {
    let types: Vec<&str> = match &column["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => column["anyOf"]
            .as_array()
            .map(|branches| branches.iter().filter_map(|b| b["type"].as_str()).collect())
            .unwrap_or_default(),
    };
    if types.is_empty() {
        "any".to_string()
    } else {
        types.join(" or ")
    }
}

/// Describe an input schema's arguments in one line, e.g.
/// `vmName (string, required), description (string, optional)`, or `none`
/// (the host's wording: it is the same function).
pub use vmware_vocabulary::args::describe_arguments;

/// The input schema of a tool whose arguments deserialize as `A`, derived
/// from `A`'s `JsonSchema`: the argument type is the one declaration, so the
/// schema agents see and what the handler accepts cannot drift apart.
///
/// Doc comments become descriptions; `#[serde(deny_unknown_fields)]` closes
/// the object; `#[serde(rename_all = "camelCase")]` names the properties;
/// `#[schemars(length(min = 1))]`, `#[schemars(range(min = 1, max = 500))]`
/// and `#[schemars(extend("enum" = [...]))]` state bounds. An optional
/// (`Option<T>`) argument is stated as `T` and simply not required; the
/// host and the SDK treat `null` as absent.
pub fn input_for<A: schemars::JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .into_generator();
    let mut schema = generator.into_root_schema_for::<A>().to_value();
    tidy_input(&mut schema);
    schema
}

/// Shape a derived schema as tool input schemas are: an object with
/// `properties` (possibly empty), no `title`, no description of the whole
/// (the argument type's doc comment speaks to Rust readers; the tool's
/// description speaks to models), optional arguments not nullable, and no
/// Rust-only integer `format` (`uint32`), which no JSON Schema client knows.
fn tidy_input(schema: &mut Value) {
    // `true` (a `Value` argument): any object.
    if !schema.is_object() {
        *schema = json!({"type": "object", "properties": {}});
    }
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    object.remove("title");
    object.remove("$schema");
    object.remove("description");
    object.insert("type".into(), json!("object"));
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let properties = object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(properties) = properties.as_object_mut() {
        for (name, property) in properties.iter_mut() {
            if !required.contains(name) {
                drop_null(property);
            }
            drop_numeric_format(property);
        }
    }
}

/// schemars states a Rust integer's width as `format` (`uint32`, `int64`):
/// not a JSON Schema format, and the bounds already say what is valid.
fn drop_numeric_format(property: &mut Value) {
    let numeric = matches!(
        property.get("type").and_then(Value::as_str),
        Some("integer" | "number")
    );
    if numeric && let Some(object) = property.as_object_mut() {
        object.remove("format");
    }
}

/// `{"type": ["string", "null"]}` as `{"type": "string"}`, and a
/// `{"anyOf": [T, {"type": "null"}]}` as `T`.
fn drop_null(property: &mut Value) {
    if let Some(Value::Array(types)) = property.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types[0].clone();
            property["type"] = only;
        }
    }
    if let Some(Value::Array(any_of)) = property.get("anyOf") {
        let rest: Vec<Value> = any_of
            .iter()
            .filter(|s| s.get("type") != Some(&json!("null")))
            .cloned()
            .collect();
        if rest.len() == 1
            && let (Some(target), Value::Object(inner)) = (property.as_object_mut(), &rest[0])
        {
            target.remove("anyOf");
            for (k, v) in inner {
                target.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    if let Some(options) = property.get_mut("enum").and_then(Value::as_array_mut) {
        options.retain(|o| !o.is_null());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_row_requires_every_column_and_states_its_type() {
        let row = result_object(&[
            ("name", of("string")),
            ("cpu", nullable("integer")),
            ("template", of("boolean")),
        ]);
        assert_eq!(
            page_row(&row),
            json!({
                "type": "object",
                "required": ["name", "cpu", "template"],
                "description": "One row: name (string), cpu (integer or null), template (boolean).",
            })
        );
    }

    #[test]
    fn builds_and_describes() {
        let schema = object()
            .string("vmName", "The VM")
            .optional_string("description", "Text")
            .build();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["vmName"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(
            describe_arguments(&schema),
            "vmName (string, required), description (string, optional)"
        );
        assert_eq!(describe_arguments(&object().build()), "none");
        assert_eq!(object().build().get("required"), None);
        let result = result_object(&[("name", of("string")), ("ip", nullable("string"))]);
        assert_eq!(result["required"], json!(["name", "ip"]));
        assert_eq!(
            result["properties"]["ip"],
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
        );
    }

    /// Arguments as a tool group declares them: this doc comment is for
    /// Rust readers and stays out of the schema.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct SnapshotArgs {
        /// The VM.
        #[schemars(length(min = 1))]
        vm_name: String,
        /// Free text.
        description: Option<String>,
        /// How many.
        #[schemars(range(min = 1, max = 5))]
        keep: Option<u32>,
        /// A state.
        #[schemars(extend("enum" = ["on", "off"]))]
        state: Option<String>,
    }

    #[test]
    fn derives_the_input_schema_from_the_argument_type() {
        let schema = input_for::<SnapshotArgs>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["required"], json!(["vmName"]));
        assert_eq!(schema.get("title"), None);
        assert_eq!(schema.get("$schema"), None);
        assert_eq!(schema.get("description"), None);
        let props = &schema["properties"];
        assert_eq!(props["vmName"]["type"], "string");
        assert_eq!(props["vmName"]["minLength"], 1);
        assert_eq!(props["vmName"]["description"], "The VM.");
        assert_eq!(props["description"]["type"], "string");
        assert_eq!(props["keep"]["type"], "integer");
        assert_eq!(props["keep"]["maximum"], 5);
        assert_eq!(props["keep"].get("format"), None, "no Rust-only uint32");
        assert_eq!(props["state"]["enum"], json!(["on", "off"]));
        assert_eq!(
            describe_arguments(&schema),
            "vmName (string, required), description (string, optional), keep (integer, optional), state (string, optional)"
        );
        let none = input_for::<crate::tool::NoArgs>();
        assert_eq!(none["properties"], json!({}));
        assert_eq!(none["additionalProperties"], json!(false));
    }
}
