//! Capability manifests (issue 10, point 3): the host enforces what a group
//! declared below the plugin, whatever the approval; the operator's plugins
//! file pins components by digest and narrows their methods.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call, first_vm, scratch_dir, scratch_file};
use vmware_mcp_e2e::{TestPlugin, plugin_dir};

/// `sha256sum FILE`'s digest.
fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string()
}

/// The built example datastores group (a 0.3.0 component, read-only).
fn datastores_wasm() -> std::path::PathBuf {
    TestPlugin::Datastores.component()
}

/// A policy that grants every state change, so a refusal can only come
/// from the capability check.
fn allow_all(name: &str) -> String {
    scratch_file(name, "policy.toml", "default = \"allow\"\n")
}

fn plugin_loaded_line(server: &Server, group: &str) -> Value {
    server
        .log_lines()
        .into_iter()
        .find(|l| l["message"] == "plugin loaded" && l["plugin"] == group)
        .unwrap_or_else(|| {
            panic!(
                "no `plugin loaded` line for {group}:\n{}",
                server.log_text()
            )
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undeclared_method_is_refused_even_with_a_grant() {
    let name = "caps-undeclared";
    let server = Server::start(
        name,
        ServerOptions::demo()
            .arg("--plugins")
            .arg(
                plugin_dir(name, &[TestPlugin::Hostile])
                    .display()
                    .to_string(),
            )
            .env("APPROVAL_POLICY_PATH", allow_all(name)),
    );
    let client = server.client().await;

    // The manifest is shown at load.
    let loaded = plugin_loaded_line(&server, "hostile");
    assert_eq!(loaded["contract"], "0.3.0", "{loaded}");
    assert_eq!(loaded["reads"], "[VirtualMachine]", "{loaded}");
    assert_eq!(
        loaded["invokes"], "[VirtualMachine.PowerOffVM_Task, VirtualMachine.PowerOnVM_Task]",
        "{loaded}"
    );
    let hostile =
        plugin_dir(&format!("{name}-digest"), &[TestPlugin::Hostile]).join("hostile.wasm");
    assert_eq!(loaded["digest"], sha256(&hostile), "{loaded}");
    let vms = plugin_loaded_line(&server, "vms");
    assert!(
        vms["invokes"]
            .as_str()
            .unwrap()
            .contains("VirtualMachine.CreateSnapshot_Task"),
        "{vms}"
    );

    let on = first_vm(&client, json!({"powerState": "poweredOn"})).await;
    let id = on["id"].as_str().unwrap();
    let refused = call(
        &client,
        "infra.vmware.hostile.resetWithGrant",
        json!({"vmId": id}),
    )
    .await
    .unwrap();
    assert!(refused.is_error, "{}", refused.text);
    assert_eq!(refused.error_kind(), "approval_denied", "{}", refused.text);
    let message = refused.error_message();
    for expected in [
        "`hostile` group may not invoke VirtualMachine.ResetVM_Task",
        "[VirtualMachine.PowerOffVM_Task, VirtualMachine.PowerOnVM_Task]",
        "whatever the approval",
    ] {
        assert!(message.contains(expected), "`{expected}` in: {message}");
    }
    // The grant itself was given: the refusal is the capability check's.
    assert!(
        server.log_lines().iter().any(|l| l["message"]
            == "refused: outside the group's capabilities"
            && l["name"] == "VirtualMachine.ResetVM_Task"),
        "{}",
        server.log_text()
    );

    // The same path with a declared method goes through.
    let off = first_vm(&client, json!({"powerState": "poweredOff"})).await;
    let off_id = off["id"].as_str().unwrap();
    let allowed = call(
        &client,
        "infra.vmware.hostile.powerOnWithGrant",
        json!({"vmId": off_id}),
    )
    .await
    .unwrap();
    assert!(!allowed.is_error, "{}", allowed.text);

    // Reads of an undeclared type are refused too.
    let read = call(&client, "infra.vmware.hostile.readUndeclared", json!({}))
        .await
        .unwrap();
    assert!(read.is_error, "{}", read.text);
    assert!(
        read.error_message()
            .contains("may not read HostSystem objects"),
        "{}",
        read.text
    );
    client.cancel().await.ok();
}

/// A plugins file in its own directory, listing `entries` (TOML).
fn plugins_file(name: &str, entries: &str) -> String {
    scratch_file(name, "plugins.toml", entries)
}

#[test]
fn a_digest_mismatch_is_refused_at_start() {
    let name = "caps-digest-mismatch";
    let wasm = datastores_wasm();
    let actual = sha256(&wasm);
    let stale = "0".repeat(64);
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"{}\"\nsha256 = \"{stale}\"\n",
            wasm.display()
        ),
    );
    let (code, output) = Server::run_to_exit(ServerOptions::demo().arg("--plugins-file").arg(file));
    assert_ne!(code, Some(0), "{output}");
    assert!(code.is_some(), "it exits rather than crashing: {output}");
    for expected in [
        "does not match its pinned digest",
        &format!("expected sha256 {stale}"),
        &format!("the file has {actual}"),
        &wasm.display().to_string(),
    ] {
        assert!(output.contains(expected), "`{expected}` in:\n{output}");
    }
    assert!(!output.contains("serving MCP"), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_component_with_its_digest_loads_and_serves() {
    let name = "caps-digest-good";
    let dir = scratch_dir(name).join("components");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(datastores_wasm(), dir.join("datastores.wasm")).unwrap();
    let digest = sha256(&dir.join("datastores.wasm"));
    // A path relative to the plugins file's own directory.
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"components/datastores.wasm\"\nsha256 = \"sha256:{digest}\"\n"
        ),
    );
    let server = Server::start(name, ServerOptions::demo().arg("--plugins-file").arg(file));
    let loaded = plugin_loaded_line(&server, "datastores");
    assert_eq!(loaded["digest"], digest, "{loaded}");
    assert_eq!(loaded["reads"], "[Datastore]", "{loaded}");
    assert_eq!(loaded["invokes"], "nothing", "{loaded}");
    let client = server.client().await;
    let listed = call(&client, "infra.vmware.datastores.listDatastores", json!({}))
        .await
        .unwrap();
    assert!(!listed.is_error, "{}", listed.text);
    assert!(
        listed.json["count"].as_u64().unwrap() > 0,
        "{}",
        listed.text
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operators_narrowing_takes_effect() {
    let name = "caps-narrowed";
    let wasm = plugin_dir(name, &[TestPlugin::Hostile]).join("hostile.wasm");
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"{}\"\nsha256 = \"{}\"\ninvokes = [\"VirtualMachine.PowerOffVM_Task\"]\n\n[[plugin]]\nbuiltin = \"vms\"\ninvokes = [\"VirtualMachine.PowerOnVM_Task\"]\n",
            wasm.display(),
            sha256(&wasm)
        ),
    );
    let server = Server::start(
        name,
        ServerOptions::demo()
            .arg("--plugins-file")
            .arg(file)
            .env("APPROVAL_POLICY_PATH", allow_all(name)),
    );
    let loaded = plugin_loaded_line(&server, "hostile");
    assert_eq!(
        loaded["invokes"], "[VirtualMachine.PowerOffVM_Task]",
        "{loaded}"
    );
    assert_eq!(loaded["narrowed"], true, "{loaded}");
    let client = server.client().await;
    let off = first_vm(&client, json!({"powerState": "poweredOff"})).await;
    let off_id = off["id"].as_str().unwrap();

    // Declared, granted, but narrowed away by the operator.
    let refused = call(
        &client,
        "infra.vmware.hostile.powerOnWithGrant",
        json!({"vmId": off_id}),
    )
    .await
    .unwrap();
    assert!(refused.is_error, "{}", refused.text);
    assert_eq!(refused.error_kind(), "approval_denied", "{}", refused.text);
    assert!(
        refused
            .error_message()
            .contains("narrowed its methods to [VirtualMachine.PowerOffVM_Task]"),
        "{}",
        refused.text
    );
    // A built-in group narrowed to power-on keeps it and loses the rest.
    let on = call(
        &client,
        "infra.vmware.vms.powerOnVm",
        json!({"vmName": off_id}),
    )
    .await
    .unwrap();
    assert!(!on.is_error, "{}", on.text);
    let snap = call(
        &client,
        "infra.vmware.vms.createSnapshot",
        json!({"vmName": off_id, "snapshotName": "narrowed"}),
    )
    .await
    .unwrap();
    assert!(snap.is_error, "{}", snap.text);
    assert!(
        snap.error_message()
            .contains("may not invoke VirtualMachine.CreateSnapshot_Task"),
        "{}",
        snap.text
    );
    client.cancel().await.ok();
}

#[test]
fn a_narrowing_outside_the_declaration_is_an_error_at_start() {
    let name = "caps-widened";
    let file = plugins_file(
        name,
        "[[plugin]]\nbuiltin = \"hosts\"\ninvokes = [\"VirtualMachine.PowerOnVM_Task\"]\n",
    );
    let (code, output) = Server::run_to_exit(ServerOptions::demo().arg("--plugins-file").arg(file));
    assert_ne!(code, Some(0), "{output}");
    assert!(
        output.contains(
            "`VirtualMachine.PowerOnVM_Task` is not among the methods the component declares"
        ),
        "{output}"
    );
}

/// Issue 15, point 5: each component is listed once; the second entry for a
/// built-in group used to widen it silently (PowerOn-only became
/// PowerOn+PowerOff).
#[test]
fn a_component_listed_twice_is_an_error_at_start() {
    let name = "caps-listed-twice";
    let file = plugins_file(
        name,
        "[[plugin]]\nbuiltin = \"vms\"\ninvokes = [\"VirtualMachine.PowerOnVM_Task\"]\n\n[[plugin]]\nbuiltin = \"vms\"\ninvokes = [\"VirtualMachine.PowerOffVM_Task\"]\n",
    );
    let (code, output) =
        Server::run_to_exit(ServerOptions::demo().arg("--plugins-file").arg(&file));
    assert_ne!(code, Some(0), "{output}");
    assert!(code.is_some(), "it exits rather than crashing: {output}");
    for expected in [
        file.as_str(),
        "entries 1 and 2 both list the built-in group `vms`",
        "list each component once",
    ] {
        assert!(output.contains(expected), "`{expected}` in:\n{output}");
    }
    assert!(!output.contains("serving MCP"), "{output}");

    // The same file under two spellings of its path.
    let wasm = datastores_wasm();
    let dir = scratch_dir(name).join("components");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&wasm, dir.join("datastores.wasm")).unwrap();
    let digest = sha256(&wasm);
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"components/datastores.wasm\"\nsha256 = \"{digest}\"\n\n[[plugin]]\npath = \"./components/../components/datastores.wasm\"\nsha256 = \"{digest}\"\n"
        ),
    );
    let (code, output) = Server::run_to_exit(ServerOptions::demo().arg("--plugins-file").arg(file));
    assert_ne!(code, Some(0), "{output}");
    assert!(
        output.contains("entries 1 and 2 both list the component")
            && output.contains("datastores.wasm"),
        "{output}"
    );
}

/// Pinning states intent: a pinned component whose tools clash with another
/// group's stops the start (it used to be skipped with a log line).
#[test]
fn a_pinned_component_whose_tools_clash_is_an_error_at_start() {
    let name = "caps-pinned-clash";
    let wasm = TestPlugin::Vms.component();
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"{}\"\nsha256 = \"{}\"\n",
            wasm.display(),
            sha256(&wasm)
        ),
    );
    let (code, output) = Server::run_to_exit(ServerOptions::demo().arg("--plugins-file").arg(file));
    assert_ne!(code, Some(0), "{output}");
    assert!(code.is_some(), "it exits rather than crashing: {output}");
    for expected in [
        "declares tool `infra.vmware.vms.",
        "builtin:vms already provides",
        "listed in the plugins file, so it must load",
        &wasm.display().to_string(),
    ] {
        assert!(output.contains(expected), "`{expected}` in:\n{output}");
    }
    assert!(!output.contains("serving MCP"), "{output}");
}

/// A sparse file of `bytes` (no disk used), as a stand-in for a huge component.
fn sparse_component(dir: &Path, file: &str, bytes: u64) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(file);
    std::fs::File::create(&path)
        .unwrap()
        .set_len(bytes)
        .unwrap();
    path
}

/// The server's peak resident memory (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("reading /proc")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// A component over the size cap (64 MiB by default, `PLUGIN_MAX_BYTES`) is
/// refused by its size, before it is read: a 200 MB file in a plugin
/// directory used to be read whole (222 MB peak).
#[tokio::test(flavor = "multi_thread")]
async fn a_component_over_the_size_cap_is_refused_before_it_is_read() {
    let name = "caps-size-cap";
    const HUGE: u64 = 200_000_000;
    // In a plugin directory: skipped, with the reason, and never read.
    let dir = scratch_dir(name).join("dir");
    let huge = sparse_component(&dir, "huge.wasm", HUGE);
    let server = Server::start(
        name,
        ServerOptions::demo()
            .arg("--plugins")
            .arg(dir.display().to_string()),
    );
    let skipped = server
        .log_lines()
        .into_iter()
        .find(|l| l["message"] == "cannot read plugin component; skipped")
        .unwrap_or_else(|| panic!("no skip line:\n{}", server.log_text()));
    let error = skipped["error"].as_str().unwrap_or("");
    for expected in [
        &huge.display().to_string(),
        "200000000 bytes",
        "67108864-byte limit",
        "PLUGIN_MAX_BYTES",
    ] {
        assert!(error.contains(expected), "`{expected}` in {skipped}");
    }
    let peak = peak_rss_kib(server.pid());
    assert!(
        peak < 150 * 1024,
        "peak RSS {} MiB: the 200 MB file was read",
        peak / 1024
    );
    drop(server);

    // In the plugins file: a start-up error naming the file and the limit.
    let pinned = sparse_component(&scratch_dir(name).join("pinned"), "huge.wasm", HUGE);
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"{}\"\nsha256 = \"{}\"\n",
            pinned.display(),
            "0".repeat(64)
        ),
    );
    let (code, output) =
        Server::run_to_exit(ServerOptions::demo().arg("--plugins-file").arg(&file));
    assert_ne!(code, Some(0), "{output}");
    for expected in [
        &pinned.display().to_string(),
        "200000000 bytes",
        "67108864-byte limit",
        "refusing it unread",
    ] {
        assert!(output.contains(expected), "`{expected}` in:\n{output}");
    }
    assert!(
        !output.contains("does not match its pinned digest"),
        "the digest is never computed: {output}"
    );

    // The cap is configurable: a real component over a small cap.
    let wasm = datastores_wasm();
    let file = plugins_file(
        name,
        &format!(
            "[[plugin]]\npath = \"{}\"\nsha256 = \"{}\"\n",
            wasm.display(),
            sha256(&wasm)
        ),
    );
    let (code, output) = Server::run_to_exit(
        ServerOptions::demo()
            .arg("--plugins-file")
            .arg(file)
            .env("PLUGIN_MAX_BYTES", "1024"),
    );
    assert_ne!(code, Some(0), "{output}");
    assert!(output.contains("over the 1024-byte limit"), "{output}");
}
