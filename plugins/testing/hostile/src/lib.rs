//! The `hostile` tool group: misbehaviour on purpose, for the host's tests.
//!
//! Each tool attacks one of the host's guarantees: fuel/epoch limits
//! (`spin`), memory limits (`memoryBomb`), trap isolation (`trap`, then
//! `echo` to show the host still serves), approval gating (calls without
//! a grant, with a grant for another VM, or a grant used twice) and
//! capabilities (a granted method it did not declare, a declared one the
//! operator may narrow away). It is only loaded by host tests, never by
//! default.

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

/// The methods this group invokes (it declares fewer than it tries).
const POWER_OFF: Method = Method::new("VirtualMachine", "PowerOffVM_Task");
/// Powers a VM on.
const POWER_ON: Method = Method::new("VirtualMachine", "PowerOnVM_Task");
/// Resets a VM; never declared, so the host must refuse it.
const RESET: Method = Method::new("VirtualMachine", "ResetVM_Task");

/// Arguments naming one VM by id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VmIdArgs {
    /// A VirtualMachine id, e.g. vm-42.
    #[schemars(length(min = 1))]
    vm_id: String,
}

/// Arguments naming two VMs by id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TwoVmArgs {
    /// The VM id the grant names.
    #[schemars(length(min = 1))]
    vm_a: String,
    /// The VM id actually powered off.
    #[schemars(length(min = 1))]
    vm_b: String,
}

/// The reference of a VM by id, taken as given (no lookup: the point is to
/// reach the host's gate with exactly this target).
fn vm_ref(id: &str) -> MoRef {
    MoRef::new("VirtualMachine", id)
}

/// Ask for a grant to power off one VM.
fn power_off_grant(vm: &MoRef, operation: &str) -> Result<approval::Grant> {
    approval::request(
        &Action::new(operation, format!("hostile test: power off {}", vm.value))
            .target(vm, &vm.value)
            .method(POWER_OFF)
            .detail(json!({ "vm": vm.value })),
    )
}

/// Loop forever without yielding (the host must interrupt it).
fn spin(_: NoArgs) -> Result<Value> {
    let mut counter: u64 = 0;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

/// Allocate and touch 1 MiB blocks until allocation fails (the host's memory
/// limit must stop it; the allocation failure aborts, which traps).
fn memory_bomb(_: NoArgs) -> Result<Value> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 1 << 20];
        for byte in block.iter_mut().step_by(4096) {
            *byte = 1;
        }
        blocks.push(std::hint::black_box(block));
    }
}

/// Panic, which traps the component instance.
fn trap(_: NoArgs) -> Result<Value> {
    panic!("hostile plugin: deliberate trap");
}

/// Invoke `PowerOffVM_Task` with no grant at all; the host must refuse.
fn power_off_without_approval(args: VmIdArgs) -> Result<Value> {
    vsphere::invoke(&vm_ref(&args.vm_id), POWER_OFF, json!({}))
}

/// Get a grant for VM A, then power off VM B; the host must refuse B.
fn grant_for_a_then_power_off_b(args: TwoVmArgs) -> Result<Value> {
    let a = vm_ref(&args.vm_a);
    let b = vm_ref(&args.vm_b);
    let grant = power_off_grant(&a, "hostile-grant-a")?;
    let result = vsphere::invoke(&b, POWER_OFF, json!({}))?;
    Ok(json!({ "grant": grant.id, "result": result }))
}

/// Get a grant for one `PowerOffVM_Task` and call it twice; the host must
/// refuse the second call. A second success is reported, not hidden.
fn replay_grant(args: VmIdArgs) -> Result<Value> {
    let vm = vm_ref(&args.vm_id);
    let grant = power_off_grant(&vm, "hostile-replay")?;
    let first = vsphere::invoke(&vm, POWER_OFF, json!({}))?;
    let second = vsphere::invoke(&vm, POWER_OFF, json!({}))?;
    Ok(json!({ "grant": grant.id, "first": first, "second": second, "secondCallSucceeded": true }))
}

/// Get a grant for `ResetVM_Task`, which the group does not declare, and
/// call it; the host must refuse it despite the grant.
fn reset_with_grant(args: VmIdArgs) -> Result<Value> {
    granted_call(&args.vm_id, "hostile-undeclared-reset", RESET)
}

/// Get a grant for `PowerOnVM_Task`, which the group declares, and call
/// it: allowed unless the operator's plugins file narrowed it away.
fn power_on_with_grant(args: VmIdArgs) -> Result<Value> {
    granted_call(&args.vm_id, "hostile-power-on", POWER_ON)
}

/// Read every host's name; the group declares reads of VMs only, so the
/// host must refuse.
fn read_undeclared(_: NoArgs) -> Result<Value> {
    let hosts = vsphere::retrieve("HostSystem", None, true, &["name"])?;
    Ok(json!({ "hosts": hosts.len() }))
}

/// Ask for a grant to call `method` on one VM, then call it.
fn granted_call(vm_id: &str, operation: &str, method: Method) -> Result<Value> {
    let vm = vm_ref(vm_id);
    let grant = approval::request(
        &Action::new(operation, format!("hostile test: {method} on {}", vm.value))
            .target(&vm, &vm.value)
            .method(method)
            .detail(json!({ "vm": vm.value })),
    )?;
    let result = vsphere::invoke(&vm, method, json!({}))?;
    Ok(json!({ "grant": grant.id, "result": result }))
}

/// Try everything a sandboxed plugin must not have: environment, arguments,
/// files, directories, sockets and name lookup. Reports what it got.
fn probe_sandbox(_: NoArgs) -> Result<Value> {
    fn outcome<T>(r: std::io::Result<T>) -> Value {
        match r {
            Ok(_) => json!({"ok": true}),
            Err(e) => json!({"ok": false, "error": e.to_string()}),
        }
    }
    Ok(json!({
        "envVars": std::env::vars_os().count(),
        "args": std::env::args_os().count(),
        "readRoot": outcome(std::fs::read_dir("/")),
        "readPasswd": outcome(std::fs::read_to_string("/etc/passwd")),
        "readCwd": outcome(std::fs::read_dir(".")),
        "writeFile": outcome(std::fs::write("/tmp/hostile-plugin-was-here", b"x")),
        "tcpConnect": outcome(std::net::TcpStream::connect(("127.0.0.1", 5005))),
        "udpBind": outcome(std::net::UdpSocket::bind(("0.0.0.0", 0))),
        "resolve": outcome(std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80))),
    }))
}

/// The group's tools.
fn toolbox() -> Toolbox {
    Toolbox::new("hostile", env!("CARGO_PKG_VERSION"))
        // Its tools declare power-off and power-on only: `resetWithGrant`
        // calls a method outside them, which the host must refuse.
        .reads(&["VirtualMachine"])
        .tool(
            ToolSpec::new("spin", "Loop forever (tests the host's time limit)."),
            spin,
        )
        .tool(
            ToolSpec::new(
                "memoryBomb",
                "Allocate memory until it fails (tests the host's memory limit).",
            ),
            memory_bomb,
        )
        .tool(
            ToolSpec::new(
                "trap",
                "Trap (tests that the host survives a crashed plugin).",
            ),
            trap,
        )
        .tool(
            ToolSpec::new(
                "powerOffWithoutApproval",
                "Power off a VM without asking for approval (must be refused).",
            )
            .invokes(&[POWER_OFF])
            .destructive(),
            power_off_without_approval,
        )
        .tool(
            ToolSpec::new(
                "grantForAThenPowerOffB",
                "Get approval to power off VM A, then power off VM B (B must be refused).",
            )
            .invokes(&[POWER_OFF])
            .destructive(),
            grant_for_a_then_power_off_b,
        )
        .tool(
            ToolSpec::new(
                "replayGrant",
                "Use one power-off grant twice (the second call must be refused).",
            )
            .invokes(&[POWER_OFF])
            .destructive(),
            replay_grant,
        )
        .tool(
            ToolSpec::new(
                "resetWithGrant",
                "Get approval to reset a VM, then reset it; ResetVM_Task is not declared (must be refused).",
            )
            .destructive(),
            reset_with_grant,
        )
        .tool(
            ToolSpec::new(
                "powerOnWithGrant",
                "Get approval to power on a VM, then power it on (declared; refused only when narrowed away).",
            )
            .invokes(&[POWER_ON])
            .destructive(),
            power_on_with_grant,
        )
        .tool(
            ToolSpec::new(
                "readUndeclared",
                "Read hosts, a type the group does not declare (must be refused).",
            )
            .read_only(),
            read_undeclared,
        )
        .tool(
            ToolSpec::new(
                "probeSandbox",
                "Try to reach the environment, arguments, files and network (all must fail).",
            )
            .read_only(),
            probe_sandbox,
        )
        .tool(
            ToolSpec::new(
                "echo",
                "Return the arguments unchanged (shows the host still serves).",
            )
            .read_only(),
            |args: Value| Ok(args),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_returns_its_arguments() {
        let toolbox = toolbox();
        assert_eq!(
            toolbox.call("echo", r#"{"a":[1,"x"]}"#).unwrap(),
            r#"{"a":[1,"x"]}"#
        );
        assert_eq!(toolbox.call("echo", "").unwrap(), "{}");
        let names: Vec<&str> = toolbox.specs().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "spin",
                "memoryBomb",
                "trap",
                "powerOffWithoutApproval",
                "grantForAThenPowerOffB",
                "replayGrant",
                "resetWithGrant",
                "powerOnWithGrant",
                "readUndeclared",
                "probeSandbox",
                "echo"
            ]
        );
    }
}
