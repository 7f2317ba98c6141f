//! The `events` tool group: what happened and what is alarming (MCP tools
//! `infra.vmware.events.*`): vCenter's events and tasks, read a page at a
//! time through history collectors, and the alarms triggered on entities.
//!
//! This file declares the tools; the work lives in one module per tool, with
//! what they share in `entity` (which object a filter names), `since` (when
//! a window starts) and `history` (paging a collector newest first).

mod alarms;
mod entity;
mod events;
mod history;
mod since;
mod tasks;

use vmware_plugin_sdk::prelude::*;

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("events", env!("CARGO_PKG_VERSION"))
        // The collectors and alarms read, and the entities named in filters
        // and rows.
        .reads(&[
            "EventHistoryCollector",
            "TaskHistoryCollector",
            "Alarm",
            "ManagedEntity",
        ])
        .tool(
            ToolSpec::new("listEvents", "vCenter events, newest first.")
                .invokes(history::EVENT_METHODS)
                .read_only(),
            |args: events::ListArgs| events::list_events(&args),
        )
        .tool(
            ToolSpec::new("listTasks", "vCenter tasks, newest first.")
                .invokes(history::TASK_METHODS)
                .read_only(),
            |args: tasks::ListArgs| tasks::list_tasks(&args),
        )
        .tool(
            ToolSpec::new("listAlarms", "Triggered alarms, newest first.").read_only(),
            |args: alarms::ListArgs| alarms::list_alarms(&args),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let manifest = toolbox().manifest();
        assert_eq!(manifest.group, "events");
        let names: Vec<&str> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["listEvents", "listTasks", "listAlarms"]);
        assert!(manifest.tools.iter().all(|t| t.annotations.read_only));
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        for (tool, args, says) in [
            ("listEvents", r#"{"limit": 0}"#, "limit"),
            ("listEvents", r#"{"since": "yesterday"}"#, "since"),
            ("listTasks", r#"{"state": "done"}"#, "state"),
            ("listAlarms", r#"{"status": "green"}"#, "status"),
            ("listAlarms", r#"{"vm": "x"}"#, "vm"),
        ] {
            assert!(
                matches!(toolbox.call(tool, args), Err(Error::InvalidArgument(m)) if m.contains(says)),
                "{tool} {args}"
            );
        }
    }
}
