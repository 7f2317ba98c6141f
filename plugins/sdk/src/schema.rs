//! Building tools' JSON Schemas, and describing them in error messages.
//!
//! Both schemas of a tool are derived from its handler's types, so each is
//! declared once: the input schema from the argument type ([`input_for`]),
//! the output schema from the result type ([`output_for`]). [`page_row`]
//! states a paged list's row, and [`describe_arguments`] turns an input
//! schema back into a sentence so that an `invalid_argument` error says what
//! is valid. [`object`] builds a closed object schema by hand, the input
//! schema of a tool before its argument type is known.

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

/// The schema of one row of a paged list, from its full
/// [`output_for`] schema: an object that must hold every column, with
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

/// The output schema of a tool whose handler returns `R`, derived from
/// `R`'s `JsonSchema` as it serializes: the result type is the one
/// declaration, so the schema cannot drift from what the handler returns.
/// `None` when `R` states no shape (a `serde_json::Value`).
///
/// The schema names each top-level field with its JSON type; a field that
/// is always serialized is required (an `Option` field is present as
/// `null`), one with `skip_serializing_if` is not. A nested object is
/// stated as `object` and an array of objects as `array`: the tool's
/// description says what they hold. That keeps tools/list lean (a model
/// reads every byte of it) and result validation cheap, and field doc
/// comments stay with the Rust readers they are written for.
pub fn output_for<R: schemars::JsonSchema>() -> Option<Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .into_generator();
    let schema = generator.into_root_schema_for::<R>().to_value();
    let fields = schema.get("properties")?.as_object()?;
    let columns: Map<String, Value> = fields
        .iter()
        .map(|(name, field)| (name.clone(), column(field)))
        .collect();
    let mut output = Map::new();
    output.insert("type".into(), json!("object"));
    output.insert("properties".into(), Value::Object(columns));
    if let Some(required) = schema.get("required") {
        output.insert("required".into(), required.clone());
    }
    Some(Value::Object(output))
}

/// One result field's schema as an output schema states it: its JSON type
/// (and `enum`), nullable as `anyOf` with `null`, nested objects as
/// `object`. A paged list's rows (an array of [`page_row`]s, the one nested
/// shape with no `properties`) keep their row schema, which is where the
/// columns are described.
fn column(field: &Value) -> Value {
    if let Some(options) = enum_options(field) {
        return json!({ "type": "string", "enum": options });
    }
    if let Some(Value::Array(branches)) = field.get("anyOf").or_else(|| field.get("oneOf")) {
        return json!({ "anyOf": branches.iter().map(column).collect::<Vec<_>>() });
    }
    match field.get("type") {
        Some(Value::Array(types)) => {
            let branches: Vec<Value> = types.iter().map(|t| column(&with_type(field, t))).collect();
            json!({ "anyOf": branches })
        }
        Some(Value::String(kind)) if kind == "array" => match field.get("items") {
            Some(row) if row["type"] == "object" && row.get("properties").is_none() => {
                json!({ "type": "array", "items": row })
            }
            Some(items) if items["type"].is_string() && items["type"] != "object" => {
                json!({ "type": "array", "items": column(items) })
            }
            _ => json!({ "type": "array" }),
        },
        Some(Value::String(kind)) => {
            let mut lean = json!({ "type": kind });
            if let Some(options) = field.get("enum") {
                lean["enum"] = options.clone();
            }
            lean
        }
        // `true`, a field of any JSON value.
        _ => json!({}),
    }
}

/// The strings of a field that is one of several: a Rust enum whose
/// variants carry doc comments derives as `oneOf` of one `const` each.
fn enum_options(field: &Value) -> Option<Vec<Value>> {
    if let Some(Value::Array(options)) = field.get("enum") {
        return options
            .iter()
            .all(Value::is_string)
            .then(|| options.clone());
    }
    let branches = field.get("oneOf")?.as_array()?;
    branches
        .iter()
        .map(|branch| branch.get("const").filter(|c| c.is_string()).cloned())
        .collect()
}

/// `field` with its `type` array narrowed to one type.
fn with_type(field: &Value, kind: &Value) -> Value {
    let mut narrowed = field.clone();
    narrowed["type"] = kind.clone();
    if kind == "null"
        && let Some(object) = narrowed.as_object_mut()
    {
        object.remove("enum");
    }
    narrowed
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

    /// A result as a tool group declares one.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Row {
        name: String,
        cpu: Option<i64>,
        template: bool,
    }

    /// A result with nested parts and a field that may be left out.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Detail {
        /// Doc comments stay out of output schemas.
        name: String,
        state: State,
        host: Option<Row>,
        rows: Vec<Row>,
        tags: Vec<String>,
        count: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    #[derive(serde::Serialize, schemars::JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    enum State {
        /// Documented variants derive as `oneOf` of `const`s.
        PoweredOn,
        /// Off.
        PoweredOff,
    }

    #[test]
    fn derives_the_output_schema_from_the_result_type() {
        let schema = output_for::<Detail>().unwrap();
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "state": {"type": "string", "enum": ["poweredOn", "poweredOff"]},
                    "host": {"anyOf": [{"type": "object"}, {"type": "null"}]},
                    "rows": {"type": "array"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "count": {"type": "integer"},
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "required": ["name", "state", "host", "rows", "tags", "count"],
            })
        );
        assert_eq!(
            output_for::<Value>(),
            None,
            "an unshaped result states nothing"
        );
    }

    #[test]
    fn a_page_row_requires_every_column_and_states_its_type() {
        let row = output_for::<Row>().unwrap();
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
