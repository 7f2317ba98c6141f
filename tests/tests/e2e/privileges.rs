//! Least privilege (issue 10, point 4): `vmware-mcp privileges` computes
//! the vSphere privileges the loaded groups need, with role definitions;
//! at start against vcsim the server warns about a role that lacks some or
//! holds far more.

use std::process::{Command, Stdio};

use serde_json::Value;
use vmware_mcp_e2e::server::binary;
use vmware_mcp_e2e::{Server, Vcsim, scratch_file, workspace_root};

fn privileges(args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("privileges")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "PLUGIN_CACHE_DIR",
            workspace_root().join("target/e2e/plugin-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("running vmware-mcp privileges")
}

const BUILT_IN_NEEDS: &[&str] = &[
    "VirtualMachine.Interact.PowerOn",
    "VirtualMachine.Interact.PowerOff",
    "VirtualMachine.Interact.Reset",
    "VirtualMachine.State.CreateSnapshot",
    "VirtualMachine.State.RevertToSnapshot",
    "VirtualMachine.State.RemoveSnapshot",
    "VirtualMachine.Provisioning.Clone",
    "VirtualMachine.Config.Rename",
    "VirtualMachine.Inventory.Delete",
    "VirtualMachine.Config.CPUCount",
    "VirtualMachine.Config.Memory",
    "Resource.ColdMigrate",
    "Resource.HotMigrate",
    "Host.Config.Maintenance",
    "Datastore.Browse",
    "System.Read",
    "System.View",
];

#[test]
fn the_built_in_groups_need_these_privileges_and_a_role_is_printed() {
    let out = privileges(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let govc = text
        .lines()
        .find(|l| l.trim_start().starts_with("govc role.create vmware-mcp "))
        .unwrap_or_else(|| panic!("a govc line in:\n{text}"));
    let powercli = text
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("New-VIRole -Name 'vmware-mcp' -Privilege (Get-VIPrivilege -Id ")
        })
        .unwrap_or_else(|| panic!("a PowerCLI line in:\n{text}"));
    for p in BUILT_IN_NEEDS {
        assert!(govc.split_whitespace().any(|w| w == *p), "{p} in {govc}");
        assert!(powercli.contains(&format!("'{p}'")), "{p} in {powercli}");
    }
    // Per privilege, the tools and methods that need it.
    assert!(
        text.contains("vms.createSnapshot: VirtualMachine.CreateSnapshot_Task"),
        "{text}"
    );
    assert!(
        text.contains("hosts.enterMaintenanceMode: HostSystem.EnterMaintenanceMode_Task"),
        "{text}"
    );
    for line in [
        "vms.renameVm: VirtualMachine.Rename_Task",
        "vms.deleteVm: VirtualMachine.Destroy_Task",
        "vms.reconfigureVm: VirtualMachine.ReconfigVM_Task",
        "vms.migrateVm: VirtualMachine.RelocateVM_Task",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    // A read behind a privilege: browsing a datastore.
    assert!(
        text.contains("storage.browseDatastore: HostDatastoreBrowser.SearchDatastore_Task"),
        "{text}"
    );
    // Performance samples are a read: QueryPerf needs System.View, which
    // every role holds, and nothing more (its lines follow that privilege's).
    let lines: Vec<&str> = text.lines().collect();
    let view = lines
        .iter()
        .position(|l| l.trim_start().starts_with("System.View "))
        .unwrap_or_else(|| panic!("System.View in {text}"));
    let section: Vec<&str> = std::iter::once(lines[view])
        .chain(
            lines[view + 1..]
                .iter()
                .copied()
                .take_while(|l| l.starts_with("     ")),
        )
        .collect();
    assert!(
        section
            .iter()
            .any(|l| l.contains("perf.getVMStats, perf.getHostStats: PerformanceManager.QueryPerf")),
        "QueryPerf under System.View: {section:#?}"
    );
    assert_eq!(
        text.matches("PerformanceManager.QueryPerf").count(),
        1,
        "{text}"
    );
    // Events and tasks are read through collectors, which System.View allows.
    for line in [
        "events.listEvents: EventManager.CreateCollectorForEvents",
        "events.listTasks: TaskManager.CreateCollectorForTasks",
    ] {
        assert!(
            section.iter().any(|l| l.contains(line)),
            "{line} under System.View: {section:#?}"
        );
    }
    // Nothing an administrator-only role would add.
    assert!(!govc.contains("Authorization."), "{govc}");

    let json = privileges(&["--json", "--role-name", "svc mcp"]);
    assert!(json.status.success());
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    // A privilege two methods of one tool need names both, and that tool only.
    let reset = &report["privileges"]["VirtualMachine.Interact.Reset"];
    let needs: Vec<(String, Value)> = reset
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["reason"].as_str().unwrap().to_string(),
                n["tools"].clone(),
            )
        })
        .collect();
    assert_eq!(
        needs,
        [
            (
                "VirtualMachine.RebootGuest".to_string(),
                serde_json::json!(["rebootVm"])
            ),
            (
                "VirtualMachine.ResetVM_Task".to_string(),
                serde_json::json!(["rebootVm"])
            ),
        ],
        "{reset}"
    );
    assert!(
        report["govc"]
            .as_str()
            .unwrap()
            .starts_with("govc role.create 'svc mcp' ")
    );
}

#[test]
fn a_narrowing_plugins_file_narrows_the_role() {
    let file = scratch_file(
        "privileges-narrowed",
        "plugins.toml",
        "[[plugin]]\nbuiltin = \"vms\"\ninvokes = [\"VirtualMachine.PowerOnVM_Task\"]\n\n[[plugin]]\nbuiltin = \"hosts\"\ninvokes = []\n\n[[plugin]]\nbuiltin = \"storage\"\ninvokes = []\n",
    );
    let out = privileges(&["--json", "--plugins-file", &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&String> = report["privileges"].as_object().unwrap().keys().collect();
    assert_eq!(
        ids,
        [
            "System.Anonymous",
            "System.Read",
            "System.View",
            "VirtualMachine.Interact.PowerOn"
        ],
        "{report}"
    );
}

/// The privileges the built-in groups need, from the command itself.
fn needed() -> Vec<String> {
    let out = privileges(&["--json"]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["privileges"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn warnings(server: &Server) -> Vec<Value> {
    server
        .log_lines()
        .into_iter()
        .filter(|l| l["level"] == "WARN")
        .collect()
}

#[test]
fn on_vcsim_a_role_without_snapshot_privileges_is_named_per_tool() {
    // The operator's role: what `privileges` printed, minus the snapshot ones.
    let role: Vec<String> = needed()
        .into_iter()
        .filter(|p| !p.starts_with("VirtualMachine.State."))
        .collect();
    let role = role.join(",");
    let sim = Vcsim::start("privileges-restricted", &["-role-privileges", &role]);
    let server = Server::start("privileges-restricted", sim.server_options());
    let warned = warnings(&server);
    let missing = |privilege: &str| {
        warned
            .iter()
            .find(|l| l["privilege"] == privilege)
            .unwrap_or_else(|| panic!("a warning for {privilege}:\n{}", server.log_text()))
    };
    let create = missing("VirtualMachine.State.CreateSnapshot");
    assert_eq!(create["tools"], "vms.createSnapshot", "{create}");
    assert!(
        create["message"]
            .as_str()
            .unwrap()
            .contains("vms.createSnapshot will fail"),
        "{create}"
    );
    assert_eq!(
        missing("VirtualMachine.State.RevertToSnapshot")["tools"],
        "vms.revertToSnapshot"
    );
    assert_eq!(
        missing("VirtualMachine.State.RemoveSnapshot")["tools"],
        "vms.deleteSnapshot"
    );
    // Only those three, and the role is not too broad.
    assert_eq!(
        warned.iter().filter(|l| l["privilege"].is_string()).count(),
        3,
        "{}",
        server.log_text()
    );
    assert!(
        !server.log_text().contains("far broader"),
        "{}",
        server.log_text()
    );
}

#[test]
fn on_vcsim_the_admin_role_is_far_broader_than_needed() {
    let sim = Vcsim::start("privileges-admin", &[]);
    let server = Server::start("privileges-admin", sim.server_options());
    let broad = warnings(&server)
        .into_iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("far broader than the loaded tool groups need"))
        })
        .unwrap_or_else(|| panic!("a far-broader warning:\n{}", server.log_text()));
    assert!(
        broad["admin_privileges"]
            .as_str()
            .unwrap()
            .contains("Authorization.ModifyRoles"),
        "{broad}"
    );
    assert!(
        broad["held"].as_u64().unwrap() > broad["needed"].as_u64().unwrap() * 4,
        "{broad}"
    );
    // vcsim's Admin role holds everything the groups need: no missing privilege.
    assert!(
        !warnings(&server).iter().any(|l| l["privilege"].is_string()),
        "{}",
        server.log_text()
    );
}
