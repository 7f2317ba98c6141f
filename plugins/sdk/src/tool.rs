//! Declaring tools and dispatching calls to typed handlers.
//!
//! A tool group builds a [`Toolbox`]: its group name and version, and each
//! tool's [`ToolSpec`] with a handler taking typed arguments. The argument
//! type is the one declaration of a tool's arguments: its `JsonSchema` is the
//! input schema agents see, and its `Deserialize` is what the handler gets.
//! The toolbox answers `describe` and routes `call`, checking arguments with
//! the very check (and words) the host uses, so unknown tools and bad
//! arguments become `invalid_argument` errors that say what is valid, and a
//! handler only ever sees well-typed input.

use std::cell::OnceCell;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use vmware_vocabulary::args;

use crate::bindings::exports::infra::vmware::tool_group::{Annotations, Manifest, Tool};
use crate::capabilities::Capabilities;
use crate::error::{Error, Result};
use crate::method::Method;
use crate::schema;

/// Arguments of a tool that takes none; any argument given is rejected.
#[derive(Debug, Clone, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// One tool's declaration: what MCP clients see.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool's name within its group, e.g. `powerOnVm`.
    pub name: String,
    /// What the tool does and when to use it, for the model.
    pub description: String,
    /// The JSON Schema of the arguments object, derived from the handler's
    /// argument type by the [`Toolbox`] the tool is added to.
    pub input_schema: Value,
    /// The JSON Schema of the result, derived from the handler's result
    /// type by the [`Toolbox`] the tool is added to; `None` for a handler
    /// that returns an unshaped `Value`.
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

    /// Declare the vim25 methods the tool invokes: the same [`Method`]
    /// constants its handler asks approval for and invokes. The host refuses
    /// any other method during a call of this tool, even with an approval
    /// grant, and names the tool when the vSphere role lacks a privilege
    /// they need. The group's `capabilities.invokes` is the union of its
    /// tools' lists.
    pub fn invokes(mut self, methods: &[Method]) -> Self {
        for m in methods {
            let qualified = m.qualified();
            if !self.invokes.contains(&qualified) {
                self.invokes.push(qualified);
            }
        }
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

/// A tool's handler: checked arguments in, its result as JSON text out.
type Handler = Box<dyn Fn(Value) -> Result<String>>;

/// One tool of a [`Toolbox`]. Its schemas are derived only when the
/// manifest or [`Toolbox::specs`] needs them: a plugin instance serves one
/// call, so deriving every tool's schemas to run one tool would make each
/// call's cost grow with the number of tools in its group.
struct Entry {
    /// The declaration as given, without its derived schemas.
    declared: ToolSpec,
    /// Derives the input and output schemas from the handler's types.
    schemas: fn() -> (Value, Option<Value>),
    /// The declaration with its schemas, once derived.
    described: OnceCell<ToolSpec>,
    handler: Handler,
}

impl Entry {
    fn spec(&self) -> &ToolSpec {
        self.described.get_or_init(|| {
            let (input, output) = (self.schemas)();
            ToolSpec {
                input_schema: input,
                output_schema: output,
                ..self.declared.clone()
            }
        })
    }
}

/// The schemas of a tool taking `A` and returning `R`.
fn schemas_of<A: JsonSchema, R: JsonSchema>() -> (Value, Option<Value>) {
    (schema::input_for::<A>(), schema::output_for::<R>())
}

/// A tool group: its identity, its tools with their handlers, and its
/// capabilities.
pub struct Toolbox {
    group: String,
    version: String,
    tools: Vec<Entry>,
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
        for entry in &self.tools {
            caps.add_invokes(&entry.declared.invokes);
        }
        caps
    }

    /// Add a tool. Its input schema is derived from `A` (see
    /// [`schema::input_for`]; declare `#[serde(deny_unknown_fields)]` so
    /// typos are reported) and its output schema from `R` (see
    /// [`schema::output_for`]); its handler receives the arguments, checked
    /// against that schema and deserialized as `A`, and returns `R`.
    pub fn tool<A, R, F>(mut self, spec: ToolSpec, handler: F) -> Self
    where
        A: DeserializeOwned + JsonSchema,
        R: Serialize + JsonSchema,
        F: Fn(A) -> Result<R> + 'static,
    {
        let name = vmware_vocabulary::tool_name(&self.group, &spec.name);
        let wrapped = move |arguments: Value| -> Result<String> {
            // Only the called tool's input schema, to check its arguments.
            let args: A = parse_arguments(&name, &schema::input_for::<A>(), arguments)?;
            let result = handler(args)?;
            // Straight to text: a page of rows is not built as a `Value` first.
            Ok(serde_json::to_string(&result)?)
        };
        self.tools.push(Entry {
            declared: spec,
            schemas: schemas_of::<A, R>,
            described: OnceCell::new(),
            handler: Box::new(wrapped),
        });
        self
    }

    /// The group's name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The declared tools with their schemas, in declaration order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.tools.iter().map(Entry::spec)
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
                Error::invalid_argument(format!(
                    "{}: arguments are not valid JSON: {err}",
                    vmware_vocabulary::tool_name(&self.group, tool)
                ))
            })?
        };
        self.call_text(tool, arguments)
    }

    /// Run `tool` with a parsed arguments value.
    pub fn call_value(&self, tool: &str, arguments: Value) -> Result<Value> {
        Ok(serde_json::from_str(&self.call_text(tool, arguments)?)?)
    }

    fn call_text(&self, tool: &str, arguments: Value) -> Result<String> {
        let Some(entry) = self.tools.iter().find(|e| e.declared.name == tool) else {
            let valid: Vec<&str> = self
                .tools
                .iter()
                .map(|e| e.declared.name.as_str())
                .collect();
            return Err(Error::invalid_argument(format!(
                "unknown tool '{tool}' in group '{}'; valid tools: {}",
                self.group,
                valid.join(", ")
            )));
        };
        (entry.handler)(arguments)
    }
}

/// Check a tool's arguments against its input schema with the host's own
/// check ([`vmware_vocabulary::args::check`]: `null` counts as `{}`; a
/// wrong type, a missing or an unknown argument is reported in the host's
/// words), then deserialize them into `A`. `tool` is the tool's MCP name
/// (`infra.vmware.<group>.<tool>`), as the host names it. What the schema
/// allows but `A` still refuses (a number too large for its Rust type) is
/// reported in the same form.
pub fn parse_arguments<A: DeserializeOwned>(
    tool: &str,
    input_schema: &Value,
    arguments: Value,
) -> Result<A> {
    let object = args::check(tool, input_schema, &arguments).map_err(Error::invalid_argument)?;
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|err| {
        let path = err.path().to_string();
        let reason = err.inner().to_string();
        let valid = args::describe_arguments(input_schema);
        let problem = if path == "." || path.is_empty() {
            reason
        } else {
            args::argument_problem(&path, &format!("is not accepted: {reason}"))
        };
        Error::invalid_argument(format!("{tool}: {problem} (valid arguments: {valid})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::{Map, json};

    const POWER_OFF: Method = Method::new("VirtualMachine", "PowerOffVM_Task");

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct VmArgs {
        /// The VM
        #[schemars(length(min = 1))]
        vm_name: String,
        /// Why
        description: Option<String>,
    }

    fn toolbox() -> Toolbox {
        Toolbox::new("vms", "1.0.0")
            .reads(&["VirtualMachine"])
            .tool(ToolSpec::new("getVMInfo", "Read a VM"), |args: VmArgs| {
                Ok(json!({"vm": args.vm_name, "description": args.description}))
            })
            .tool(ToolSpec::new("ping", "Answer").read_only(), |_: NoArgs| {
                Ok("pong")
            })
            .tool(
                ToolSpec::new("off", "Power off").invokes(&[POWER_OFF, POWER_OFF]),
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
        let schema: Value = serde_json::from_str(&manifest.tools[0].input_schema).unwrap();
        assert_eq!(schema["required"], json!(["vmName"]));
    }

    #[test]
    fn unknown_tool_lists_valid_ones() {
        let message = invalid_argument(toolbox().call("nope", "{}"));
        assert!(message.contains("unknown tool 'nope'"), "{message}");
        assert!(message.contains("getVMInfo, ping, off"), "{message}");
    }

    /// The SDK's messages are the host's: the same check on the same schema
    /// gives the same text as the host's `mcp::args::check`.
    #[test]
    fn bad_arguments_are_reported_in_the_hosts_words() {
        let toolbox = toolbox();
        let schema = toolbox.specs().next().unwrap().input_schema.clone();
        for bad in [
            json!({"vmName": 5}),
            json!({}),
            json!({"vmName": "a", "vmname": "b"}),
            json!({"vmName": ""}),
            json!([1]),
        ] {
            let sdk = invalid_argument(toolbox.call("getVMInfo", &bad.to_string()));
            let host = args::check("infra.vmware.vms.getVMInfo", &schema, &bad).unwrap_err();
            assert_eq!(sdk, host, "{bad}");
        }
        let wrong_type = invalid_argument(toolbox.call("getVMInfo", r#"{"vmName":5}"#));
        assert_eq!(
            wrong_type,
            "infra.vmware.vms.getVMInfo: argument `vmName` must be a string, not the number 5"
        );
        let missing = invalid_argument(toolbox.call("getVMInfo", "{}"));
        assert!(
            missing.contains("missing required argument `vmName` (string: The VM)"),
            "{missing}"
        );
        let unknown = invalid_argument(toolbox.call("getVMInfo", r#"{"vmName":"a","vmname":"b"}"#));
        assert!(
            unknown.contains("unknown argument `vmname` (valid arguments: vmName, description)"),
            "{unknown}"
        );
        let not_object = invalid_argument(toolbox.call("getVMInfo", "[1]"));
        assert!(
            not_object.contains("must be a JSON object keyed by argument name, not an array"),
            "{not_object}"
        );
        let not_json = invalid_argument(toolbox.call("getVMInfo", "{"));
        assert!(not_json.contains("not valid JSON"), "{not_json}");
        let extra = invalid_argument(toolbox.call("ping", r#"{"x":1}"#));
        assert!(
            extra.contains("unknown argument `x` (valid arguments: none)"),
            "{extra}"
        );
    }

    #[test]
    fn what_only_the_type_refuses_is_reported_in_the_same_form() {
        #[derive(Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Small {
            /// A byte.
            n: u8,
        }
        let schema =
            json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
        let mut args = Map::new();
        args.insert("n".into(), json!(300));
        let message = match parse_arguments::<Small>("t", &schema, Value::Object(args)) {
            Err(Error::InvalidArgument(m)) => m,
            _ => panic!("300 is not a u8"),
        };
        assert!(
            message.starts_with("t: argument `n` is not accepted: invalid value: integer `300`"),
            "{message}"
        );
        assert!(
            message.ends_with("(valid arguments: n (integer, required))"),
            "{message}"
        );
    }

    thread_local! {
        /// How many times [`Counted`]'s schema was derived on this thread.
        static DERIVED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }

    /// Arguments whose schema derivations are counted.
    #[derive(Deserialize)]
    struct Counted {}

    impl JsonSchema for Counted {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "Counted".into()
        }

        fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
            DERIVED.with(|n| n.set(n.get() + 1));
            schemars::json_schema!({"type": "object", "properties": {}})
        }
    }

    /// A call derives only the called tool's schema, so its cost does not
    /// grow with the number of tools in the group; the manifest has them all.
    #[test]
    fn a_call_derives_no_other_tools_schemas() {
        let counting = toolbox().tool(ToolSpec::new("counted", "Count"), |_: Counted| Ok(1));
        assert_eq!(counting.call("ping", "").unwrap(), r#""pong""#);
        assert_eq!(
            DERIVED.with(|n| n.get()),
            0,
            "ping's call derived no other schema"
        );
        assert_eq!(counting.call("counted", "{}").unwrap(), "1");
        let per_derivation = DERIVED.with(|n| n.get());
        assert!(
            per_derivation > 0,
            "the called tool's schema checks its arguments"
        );
        let manifest = counting.manifest();
        assert_eq!(
            manifest.tools.last().map(|t| t.name.as_str()),
            Some("counted")
        );
        assert_eq!(DERIVED.with(|n| n.get()), 2 * per_derivation);
        let _ = counting.manifest();
        assert_eq!(
            DERIVED.with(|n| n.get()),
            2 * per_derivation,
            "the manifest's schemas are derived once per toolbox"
        );
        assert_eq!(
            counting.capabilities().invokes,
            toolbox().capabilities().invokes,
            "capabilities come from the declarations as before"
        );
    }
}
