//! Checks tool arguments against the tool's input schema before any plugin
//! runs, so every tool gives the same clear message for a wrong type, a
//! missing field or an unknown field. It covers the JSON Schema subset tool
//! groups use: `type`, `properties`, `required`, `additionalProperties`,
//! `enum`, `minLength`, `minimum` and `maximum`. Messages quote at most a
//! short prefix of what was given ([`crate::mcp::quote`]).

use serde_json::{Map, Value};

use crate::mcp::quote;

/// Check `args` against `schema`; the error names the field, what was given and what is valid.
pub fn validate(schema: &Value, args: &Map<String, Value>) -> Result<(), String> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut problems = Vec::new();
    for required in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if args.get(required).is_none_or(Value::is_null) {
            problems.push(format!(
                "missing required argument `{required}`{}",
                describe_expected(properties.and_then(|p| p.get(required)))
            ));
        }
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (name, value) in args {
        match properties.and_then(|p| p.get(name)) {
            Some(prop) => {
                if !value.is_null()
                    && let Err(e) = check_value(prop, value)
                {
                    problems.push(format!("argument `{}` {e}", quote::prefix(name)));
                }
            }
            None if closed => {
                let valid: Vec<&str> = properties
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                problems.push(format!(
                    "unknown argument `{}` (valid arguments: {})",
                    quote::prefix(name),
                    if valid.is_empty() {
                        "none".into()
                    } else {
                        valid.join(", ")
                    }
                ));
            }
            None => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn describe_expected(prop: Option<&Value>) -> String {
    let Some(prop) = prop else {
        return String::new();
    };
    let kind = prop.get("type").and_then(Value::as_str).unwrap_or("value");
    match prop.get("description").and_then(Value::as_str) {
        Some(d) => format!(" ({kind}: {d})"),
        None => format!(" ({kind})"),
    }
}

fn check_value(prop: &Value, value: &Value) -> Result<(), String> {
    if let Some(expected) = prop.get("type") {
        let types: Vec<&str> = match expected {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
            return Err(format!(
                "must be {}, not {}",
                types
                    .iter()
                    .map(|t| article(t))
                    .collect::<Vec<_>>()
                    .join(" or "),
                kind_of(value)
            ));
        }
    }
    if let Some(options) = prop.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!(
            "must be one of {}, not {}",
            options
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            quote::json(value)
        ));
    }
    if let (Some(min), Some(s)) = (
        prop.get("minLength").and_then(Value::as_u64),
        value.as_str(),
    ) && (s.chars().count() as u64) < min
    {
        return Err(format!("must be at least {min} character(s) long"));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = prop.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            return Err(format!("must be at least {min}, not {n}"));
        }
        if let Some(max) = prop.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            return Err(format!("must be at most {max}, not {n}"));
        }
    }
    Ok(())
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn article(t: &str) -> String {
    match t {
        "integer" | "object" | "array" => format!("an {t}"),
        "null" => "null".into(),
        _ => format!("a {t}"),
    }
}

fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => format!("the string {}", quote::json(v)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type":"object","properties":{"vmName":{"type":"string","minLength":1,"description":"VM name"},"count":{"type":"integer"}},"required":["vmName"],"additionalProperties":false})
    }

    #[test]
    fn accepts_valid_arguments() {
        assert!(
            validate(
                &schema(),
                json!({"vmName":"web-01","count":2}).as_object().unwrap()
            )
            .is_ok()
        );
    }

    #[test]
    fn names_missing_wrong_and_unknown_fields() {
        let e = validate(
            &schema(),
            json!({"count":"two","colour":1}).as_object().unwrap(),
        )
        .unwrap_err();
        assert!(
            e.contains("missing required argument `vmName` (string: VM name)"),
            "{e}"
        );
        assert!(
            e.contains("argument `count` must be an integer, not the string \"two\""),
            "{e}"
        );
        assert!(
            e.contains("unknown argument `colour` (valid arguments: vmName, count)"),
            "{e}"
        );
    }

    #[test]
    fn messages_quote_only_a_prefix_of_long_input() {
        let long = "n".repeat(1 << 20);
        let mut args = Map::new();
        args.insert(long.clone(), Value::String(long.clone()));
        args.insert("count".into(), Value::String(long.clone()));
        let e = validate(&schema(), &args).unwrap_err();
        assert!(e.len() < 1000, "{} bytes: {}", e.len(), &e[..200]);
        assert!(e.contains("characters in all"), "{e}");
    }

    #[test]
    fn rejects_empty_strings_where_min_length_is_set() {
        let e = validate(&schema(), json!({"vmName":""}).as_object().unwrap()).unwrap_err();
        assert!(e.contains("at least 1 character"), "{e}");
    }
}
