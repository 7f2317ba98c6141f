//! Checking a tool's arguments against its input schema, with the messages
//! agents see. The host runs [`check`] before any plugin runs; the SDK runs
//! the same [`check`] inside the plugin before it deserializes the arguments,
//! so a wrong type, a missing or an unknown argument reads the same from
//! either. It covers the JSON Schema subset tool groups use: `type`,
//! `properties`, `required`, `additionalProperties`, `enum`, `minLength`,
//! `maxLength`, `minimum` and `maximum`. Messages quote at most a short
//! prefix of what was given ([`crate::quote`]).

use serde_json::{Map, Value};

use crate::quote;

/// Check a tool call's arguments (`null` counts as `{}`) against `schema`.
/// On success, the arguments as an object; otherwise the whole message an
/// agent sees: `<tool>: <every problem, "; "-separated>`.
pub fn check(tool: &str, schema: &Value, arguments: &Value) -> Result<Map<String, Value>, String> {
    let map = match arguments {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        other => {
            return Err(format!(
                "{tool}: arguments must be a JSON object keyed by argument name, not {} (valid arguments: {})",
                kind_of(other),
                describe_arguments(schema)
            ));
        }
    };
    validate(schema, &map).map_err(|problems| format!("{tool}: {problems}"))?;
    Ok(map)
}

/// Check `args` against `schema`; the error names each field, what was
/// given and what is valid, `"; "`-separated.
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
                    problems.push(argument_problem(name, &e));
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

/// A problem with one argument: ``argument `name` <problem>``. Also used
/// when a typed deserialization finds what the schema did not say (e.g. a
/// number too large for its Rust type).
pub fn argument_problem(name: &str, problem: &str) -> String {
    format!("argument `{}` {problem}", quote::prefix(name))
}

/// A schema's arguments in one line, e.g. `vmName (string, required),
/// description (string, optional)`, or `none`.
pub fn describe_arguments(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return "none".to_string();
    };
    if properties.is_empty() {
        return "none".to_string();
    }
    properties
        .iter()
        .map(|(name, property)| {
            let need = if required.contains(&name.as_str()) {
                "required"
            } else {
                "optional"
            };
            format!("{name} ({}, {need})", type_names(property).join("|"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_names(prop: &Value) -> Vec<&str> {
    match prop.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
        _ => vec!["any"],
    }
}

fn describe_expected(prop: Option<&Value>) -> String {
    let Some(prop) = prop else {
        return String::new();
    };
    let kind = type_names(prop).join(" or ");
    let kind = if kind == "any" { "value".into() } else { kind };
    match prop.get("description").and_then(Value::as_str) {
        Some(d) => format!(" ({kind}: {d})"),
        None => format!(" ({kind})"),
    }
}

fn check_value(prop: &Value, value: &Value) -> Result<(), String> {
    let types = type_names(prop);
    if types != ["any"] && !types.iter().any(|t| type_matches(t, value)) {
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
    if let Some(s) = value.as_str() {
        let length = s.chars().count() as u64;
        if let Some(min) = prop.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            return Err(format!("must be at least {min} character(s) long"));
        }
        if let Some(max) = prop.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            return Err(format!(
                "must be at most {max} character(s) long, not {length}"
            ));
        }
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

/// A JSON value's kind in a message, without its content: `a string`,
/// `an object`, `null`. For values that may hold secrets or be huge (a
/// vSphere argument, a SOAP body), where quoting the value is no option.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What a JSON value is, for messages: `the number 5`, `the string "x"`.
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
        assert_eq!(
            check("t", &schema(), &json!({"vmName":"a"})).unwrap()["vmName"],
            "a"
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
    fn whole_messages_name_the_tool_and_refuse_non_objects() {
        let e = check("infra.vmware.vms.getVMInfo", &schema(), &json!({})).unwrap_err();
        assert!(
            e.starts_with("infra.vmware.vms.getVMInfo: missing required argument `vmName`"),
            "{e}"
        );
        let e = check("t", &schema(), &json!([1])).unwrap_err();
        assert_eq!(
            e,
            "t: arguments must be a JSON object keyed by argument name, not an array (valid arguments: vmName (string, required), count (integer, optional))"
        );
        assert!(
            check("t", &schema(), &Value::Null)
                .unwrap_err()
                .contains("missing required")
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

    #[test]
    fn describes_arguments_in_one_line() {
        assert_eq!(
            describe_arguments(&schema()),
            "vmName (string, required), count (integer, optional)"
        );
        assert_eq!(describe_arguments(&json!({"type":"object"})), "none");
    }
}
