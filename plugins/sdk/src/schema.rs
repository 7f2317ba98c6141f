//! Building tools' JSON Schemas, and describing them in error messages.
//!
//! Input schemas are simple objects of named arguments; [`object`] builds
//! them without hand-written JSON, and [`describe_arguments`] turns one back
//! into a sentence so that an `invalid-argument` error says what is valid.

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
/// `{"type":["string","null"]}`: for result fields vSphere may leave unset.
pub fn nullable(json_type: &str) -> Value {
    json!({ "type": [json_type, "null"] })
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

/// Describe an input schema's arguments in one line, e.g.
/// `vmName (string, required), description (string, optional)`, or
/// `no arguments`.
pub fn describe_arguments(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return "no arguments".to_string();
    };
    if properties.is_empty() {
        return "no arguments".to_string();
    }
    properties
        .iter()
        .map(|(name, property)| {
            let json_type = match property.get("type") {
                Some(Value::String(t)) => t.clone(),
                Some(Value::Array(types)) => types
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("|"),
                _ => "any".to_string(),
            };
            let need = if required.contains(&name.as_str()) {
                "required"
            } else {
                "optional"
            };
            format!("{name} ({json_type}, {need})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(describe_arguments(&object().build()), "no arguments");
        assert_eq!(object().build().get("required"), None);
        let result = result_object(&[("name", of("string")), ("ip", nullable("string"))]);
        assert_eq!(result["required"], json!(["name", "ip"]));
        assert_eq!(
            result["properties"]["ip"]["type"],
            json!(["string", "null"])
        );
    }
}
