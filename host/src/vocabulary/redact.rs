//! Redaction of secret-looking values, applied before arguments reach a log
//! line, an audit record or an approval prompt. One function, so every
//! place that shows arguments hides the same keys.

use serde_json::Value;

/// Replace values of keys that look secret, wherever they are nested.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if ["password", "secret", "token", "credential"]
                        .iter()
                        .any(|s| lower.contains(s))
                    {
                        (k.clone(), Value::String("***".into()))
                    } else {
                        (k.clone(), redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = serde_json::json!({"spec": {"password": "hunter2", "name": "x"}, "list": [{"authToken": "t"}]});
        let r = redact(&v).to_string();
        assert!(!r.contains("hunter2") && !r.contains("\"t\""), "{r}");
        assert!(r.contains("\"name\":\"x\""));
    }
}
