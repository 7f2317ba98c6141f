//! Declaring tools and dispatching calls to typed handlers.
//!
//! A tool group builds a [`Toolbox`]: its group name and version, and each
//! tool's [`ToolSpec`] with a handler taking serde-deserialized arguments.
//! The toolbox answers `describe` and routes `call`, turning unknown tools and
//! bad arguments into `invalid-argument` errors that say what is valid, so a
//! handler only ever sees well-typed input.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::bindings::exports::infra::vmware::tool_group::{Annotations, Manifest, Tool};
use crate::capabilities::Capabilities;
use crate::error::{Error, Result};
use crate::schema;

/// Arguments of a tool that takes none; any argument given is rejected.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// One tool's declaration: what MCP clients see.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool's name within its group, e.g. `powerOnVm`.
    pub name: String,
    /// What the tool does and when to use it, for the model.
    pub description: String,
    /// The JSON Schema of the arguments object.
    pub input_schema: Value,
    /// The JSON Schema of the result, when it is structured.
    pub output_schema: Option<Value>,
    /// The tool only reads.
    pub read_only: bool,
    /// The tool may destroy or lose something.
    pub destructive: bool,
    /// Calling it twice with the same arguments has no further effect.
    pub idempotent: bool,
    /// The vim25 methods the tool invokes, as `Type.Method`.
    pub invokes: Vec<String>,
}

impl ToolSpec {
    /// A tool with no arguments and no annotations yet.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        ToolSpec {
            name: name.into(),
            description: description.into(),
            input_schema: schema::object().build(),
            output_schema: None,
            read_only: false,
            destructive: false,
            idempotent: false,
            invokes: Vec::new(),
        }
    }

    /// Declare the vim25 methods the tool invokes, each as `Type.Method`
    /// (`VirtualMachine.PowerOnVM_Task`). The host refuses any other method
    /// during a call of this tool, even with an approval grant, and names
    /// the tool when the vSphere role lacks a privilege they need. The
    /// group's `capabilities.invokes` is the union of its tools' lists.
    pub fn invokes(mut self, methods: &[&str]) -> Self {
        for m in methods {
            if !self.invokes.iter().any(|existing| existing == m) {
                self.invokes.push(m.to_string());
            }
        }
        self
    }

    /// Set the arguments' JSON Schema (see [`schema::object`]).
    pub fn input(mut self, schema: Value) -> Self {
        self.input_schema = schema;
        self
    }

    /// Set the result's JSON Schema.
    pub fn output(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }

    /// Mark the tool read-only (which also makes it idempotent and not destructive).
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self.destructive = false;
        self.idempotent = true;
        self
    }

    /// Mark the tool destructive: it may lose data or uptime.
    pub fn destructive(mut self) -> Self {
        self.destructive = true;
        self
    }

    /// Mark the tool idempotent: repeating it has no further effect.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    fn to_wit(&self) -> Tool {
        Tool {
            name: self.name.clone(),
            description: self.description.clone(),
            input_schema: self.input_schema.to_string(),
            output_schema: self.output_schema.as_ref().map(Value::to_string),
            annotations: Annotations {
                read_only: self.read_only,
                destructive: self.destructive,
                idempotent: self.idempotent,
            },
            invokes: self.invokes.clone(),
        }
    }
}

type Handler = Box<dyn Fn(Value) -> Result<Value>>;

/// A tool group: its identity, its tools with their handlers, and its
/// capabilities.
pub struct Toolbox {
    group: String,
    version: String,
    tools: Vec<(ToolSpec, Handler)>,
    capabilities: Capabilities,
}

impl Toolbox {
    /// An empty group named `group` (tools become `infra.vmware.<group>.<tool>`)
    /// at `version` (usually `env!("CARGO_PKG_VERSION")`).
    pub fn new(group: impl Into<String>, version: impl Into<String>) -> Self {
        Toolbox {
            group: group.into(),
            version: version.into(),
            tools: Vec::new(),
            capabilities: Capabilities::default(),
        }
    }

    /// Declare managed object types the group reads (`VirtualMachine`,
    /// `HostSystem`...): the host refuses reads of any other type. See
    /// [`crate::capabilities`].
    pub fn reads(mut self, types: &[&str]) -> Self {
        self.capabilities.add_reads(types);
        self
    }

    /// The declared capabilities: the read types, and the methods of
    /// every tool (see [`ToolSpec::invokes`]).
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = self.capabilities.clone();
        for spec in self.specs() {
            caps.add_invokes(&spec.invokes);
        }
        caps
    }

    /// Add a tool. Its handler receives the arguments deserialized as `A`
    /// (declare `#[serde(deny_unknown_fields)]` so typos are reported) and
    /// returns any serializable result.
    pub fn tool<A, R, F>(mut self, spec: ToolSpec, handler: F) -> Self
    where
        A: DeserializeOwned,
        R: Serialize,
        F: Fn(A) -> Result<R> + 'static,
    {
        let name = spec.name.clone();
        let input_schema = spec.input_schema.clone();
        let wrapped = move |arguments: Value| -> Result<Value> {
            let args: A = parse_arguments(&name, &input_schema, arguments)?;
            let result = handler(args)?;
            Ok(serde_json::to_value(result)?)
        };
        self.tools.push((spec, Box::new(wrapped)));
        self
    }

    /// The group's name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The declared tools, in declaration order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.tools.iter().map(|(spec, _)| spec)
    }

    /// The manifest the host registers, as the WIT record.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            group: self.group.clone(),
            version: self.version.clone(),
            tools: self.specs().map(ToolSpec::to_wit).collect(),
            capabilities: self.capabilities().to_wit(),
        }
    }

    /// Run `tool` with arguments as JSON text (empty or `null` means none)
    /// and return its result as JSON text: the WIT `call` entry point.
    pub fn call(&self, tool: &str, arguments: &str) -> Result<String> {
        let arguments = if arguments.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(arguments).map_err(|err| {
                Error::invalid_argument(format!("{tool}: arguments are not valid JSON: {err}"))
            })?
        };
        Ok(self.call_value(tool, arguments)?.to_string())
    }

    /// Run `tool` with a parsed arguments value.
    pub fn call_value(&self, tool: &str, arguments: Value) -> Result<Value> {
        let Some((_, handler)) = self.tools.iter().find(|(spec, _)| spec.name == tool) else {
            let valid: Vec<&str> = self.specs().map(|s| s.name.as_str()).collect();
            return Err(Error::invalid_argument(format!(
                "unknown tool '{tool}' in group '{}'; valid tools: {}",
                self.group,
                valid.join(", ")
            )));
        };
        handler(arguments)
    }
}

/// Deserialize a tool's arguments object into `A`. `null` counts as `{}`;
/// anything but an object, a wrong type or a missing or unknown field is an
/// `invalid-argument` error naming the field, serde's reason, and the valid
/// arguments from the tool's input schema.
pub fn parse_arguments<A: DeserializeOwned>(
    tool: &str,
    input_schema: &Value,
    arguments: Value,
) -> Result<A> {
    let arguments = match arguments {
        Value::Null => Value::Object(Map::new()),
        Value::Object(map) => Value::Object(map),
        other => {
            return Err(Error::invalid_argument(format!(
                "{tool}: arguments must be a JSON object, got {}; valid arguments: {}",
                json_type_name(&other),
                schema::describe_arguments(input_schema)
            )));
        }
    };
    serde_path_to_error::deserialize(arguments).map_err(|err| {
        let path = err.path().to_string();
        let reason = err.inner().to_string();
        let valid = schema::describe_arguments(input_schema);
        if path == "." || path.is_empty() {
            Error::invalid_argument(format!("{tool}: {reason}; valid arguments: {valid}"))
        } else {
            Error::invalid_argument(format!(
                "{tool}: argument `{path}`: {reason}; valid arguments: {valid}"
            ))
        }
    })
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct VmArgs {
        vm_name: String,
        description: Option<String>,
    }

    fn toolbox() -> Toolbox {
        Toolbox::new("vms", "1.0.0")
            .reads(&["VirtualMachine"])
            .tool(
                ToolSpec::new("getVMInfo", "Read a VM").input(
                    schema::object()
                        .string("vmName", "The VM")
                        .optional_string("description", "Why")
                        .build(),
                ),
                |args: VmArgs| Ok(json!({"vm": args.vm_name, "description": args.description})),
            )
            .tool(ToolSpec::new("ping", "Answer").read_only(), |_: NoArgs| {
                Ok("pong")
            })
            .tool(
                ToolSpec::new("off", "Power off").invokes(&[
                    "VirtualMachine.PowerOffVM_Task",
                    "VirtualMachine.PowerOffVM_Task",
                ]),
                |_: NoArgs| Ok("off"),
            )
    }

    fn invalid_argument(result: Result<String>) -> String {
        match result {
            Err(Error::InvalidArgument(message)) => message,
            other => panic!("expected invalid-argument, got {other:?}"),
        }
    }

    #[test]
    fn dispatches_typed_arguments() {
        let toolbox = toolbox();
        assert_eq!(
            toolbox.call("getVMInfo", r#"{"vmName":"db1"}"#).unwrap(),
            r#"{"vm":"db1","description":null}"#
        );
        assert_eq!(toolbox.call("ping", "").unwrap(), r#""pong""#);
        assert_eq!(toolbox.call("ping", "null").unwrap(), r#""pong""#);
        let manifest = toolbox.manifest();
        assert_eq!(manifest.group, "vms");
        assert_eq!(manifest.tools.len(), 3);
        assert_eq!(manifest.capabilities.reads, ["VirtualMachine"]);
        assert_eq!(
            manifest.capabilities.invokes,
            ["VirtualMachine.PowerOffVM_Task"]
        );
        assert_eq!(
            manifest.tools[2].invokes,
            ["VirtualMachine.PowerOffVM_Task"]
        );
        assert!(manifest.tools[1].invokes.is_empty());
        assert!(
            manifest.tools[1].annotations.read_only && manifest.tools[1].annotations.idempotent
        );
    }

    #[test]
    fn unknown_tool_lists_valid_ones() {
        let message = invalid_argument(toolbox().call("nope", "{}"));
        assert!(message.contains("unknown tool 'nope'"), "{message}");
        assert!(message.contains("getVMInfo, ping, off"), "{message}");
    }

    #[test]
    fn bad_arguments_name_the_field() {
        let toolbox = toolbox();
        let wrong_type = invalid_argument(toolbox.call("getVMInfo", r#"{"vmName":5}"#));
        assert!(wrong_type.contains("argument `vmName`"), "{wrong_type}");
        assert!(wrong_type.contains("expected a string"), "{wrong_type}");
        assert!(
            wrong_type.contains("vmName (string, required)"),
            "{wrong_type}"
        );
        let missing = invalid_argument(toolbox.call("getVMInfo", "{}"));
        assert!(missing.contains("missing field `vmName`"), "{missing}");
        let unknown = invalid_argument(toolbox.call("getVMInfo", r#"{"vmName":"a","vmname":"b"}"#));
        assert!(unknown.contains("unknown field `vmname`"), "{unknown}");
        let not_object = invalid_argument(toolbox.call("getVMInfo", "[1]"));
        assert!(
            not_object.contains("must be a JSON object, got an array"),
            "{not_object}"
        );
        let not_json = invalid_argument(toolbox.call("getVMInfo", "{"));
        assert!(not_json.contains("not valid JSON"), "{not_json}");
        let extra = invalid_argument(toolbox.call("ping", r#"{"x":1}"#));
        assert!(
            extra.contains("unknown field `x`") && extra.contains("no arguments"),
            "{extra}"
        );
    }
}
