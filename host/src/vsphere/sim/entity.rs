//! Methods every managed entity shares (`Rename_Task`, `Destroy_Task`), the
//! folder method `CreateFolder`, and the ServiceInstance's own methods, with
//! vCenter's naming rules: names are escaped, unique within their parent, and
//! at most 80 characters.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::args::Args;
use super::build::{self, FolderKind};
use super::faults;
use super::model::{Model, escape_name, fmt_time, reference};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// Check a name for a new or renamed entity under `parent`; returns it
/// escaped as vCenter stores it. `exclude` is the entity being renamed.
pub(super) fn check_new_name(
    m: &Model,
    parent: &str,
    raw: &str,
    exclude: Option<&str>,
) -> Result<String, VsError> {
    let entity = exclude.and_then(|e| m.moref(e));
    if raw.trim().is_empty() || raw.chars().count() > 80 {
        return Err(faults::invalid_name(raw, entity.as_ref()));
    }
    let name = escape_name(raw);
    if let Some(dup) = m
        .children(parent)
        .into_iter()
        .find(|c| Some(c.as_str()) != exclude && m.name(c) == name)
    {
        let r = m
            .moref(&dup)
            .ok_or_else(|| VsError::Internal(format!("lost {dup}")))?;
        return Err(faults::duplicate_name(&name, &r));
    }
    Ok(name)
}

/// True for folders vCenter manages itself: the root folder and a datacenter's four folders.
fn is_system_folder(m: &Model, id: &str) -> bool {
    match m.parent(id) {
        None => true,
        Some(p) => m.get(&p).is_some_and(|o| o.kind == "Datacenter"),
    }
}

/// Rename an entity (`Rename_Task`); returns the stored (escaped) name.
pub(super) fn rename(m: &mut Model, id: &str, raw: &str) -> Result<String, VsError> {
    let o = m.try_get(id)?;
    if o.kind == "HostSystem" {
        return Err(faults::not_supported(
            "a host is named by its address; reconnect it under another name instead",
        ));
    }
    if o.kind == "Folder" && is_system_folder(m, id) {
        return Err(faults::not_supported(
            "the root folder and a datacenter's own folders cannot be renamed",
        ));
    }
    let parent = o.ref_id("parent").unwrap_or_default();
    if o.kind == "ResourcePool"
        && m.get(&parent)
            .is_some_and(|p| p.kind.ends_with("ComputeResource"))
    {
        return Err(faults::not_supported(
            "the root resource pool cannot be renamed",
        ));
    }
    let name = check_new_name(m, &parent, raw, Some(id))?;
    m.try_get_mut(id)?.set("name", Value::from(name.clone()));
    Ok(name)
}

/// The methods every entity (other than VMs and hosts) offers here.
pub(super) const METHODS: &[&str] = &["Rename_Task", "Destroy_Task", "CreateFolder (Folder)"];

/// Call a method of a Folder, Datacenter, ComputeResource, ClusterComputeResource,
/// ResourcePool, Datastore or Network.
pub(super) fn invoke(
    m: &mut Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Value, VsError> {
    let id = target.value.as_str();
    match method {
        "Rename_Task" => {
            let a = Args::new(method, args, &["newName"])?;
            rename(m, id, a.string("newName")?)?;
            Ok(Value::Null)
        }
        "CreateFolder" if target.kind == "Folder" => {
            let a = Args::new(method, args, &["name"])?;
            let raw = a.string("name")?;
            let kind = FolderKind::of(m, id)
                .ok_or_else(|| VsError::Internal(format!("folder {id} has no child types")))?;
            let name = check_new_name(m, id, raw, None)?;
            let new_id = build::folder(m, &name, id, kind);
            Ok(reference("Folder", &new_id))
        }
        "Destroy_Task" => {
            Args::new(method, args, &[])?;
            destroy(m, id)?;
            Ok(Value::Null)
        }
        _ => Err(faults::method_not_found(target, method, METHODS)),
    }
}

fn destroy(m: &mut Model, id: &str) -> Result<(), VsError> {
    let o = m.try_get(id)?;
    match o.kind.as_str() {
        "Folder" => {
            if is_system_folder(m, id) {
                return Err(faults::not_supported(
                    "the root folder and a datacenter's own folders cannot be destroyed",
                ));
            }
            if !m.children(id).is_empty() {
                return Err(faults::not_supported(
                    "the simulated inventory destroys empty folders only; move or destroy what the folder holds first",
                ));
            }
            m.remove(id);
            Ok(())
        }
        "ResourcePool" => {
            let parent = o.ref_id("parent").unwrap_or_default();
            if m.get(&parent)
                .is_some_and(|p| p.kind.ends_with("ComputeResource"))
            {
                return Err(faults::not_supported(
                    "the root resource pool cannot be destroyed",
                ));
            }
            // As in vCenter, child pools and VMs move up to the parent pool.
            let pools = m.children(id);
            let vms: Vec<String> = m
                .objects()
                .filter(|v| {
                    v.kind == "VirtualMachine" && v.ref_id("resourcePool").as_deref() == Some(id)
                })
                .map(|v| v.id.clone())
                .collect();
            for p in pools {
                m.try_get_mut(&p)?
                    .set("parent", reference("ResourcePool", &parent));
            }
            for v in vms {
                m.try_get_mut(&v)?
                    .set("resourcePool", reference("ResourcePool", &parent));
            }
            m.remove(id);
            Ok(())
        }
        other => Err(faults::not_supported(&format!(
            "the simulated inventory does not destroy a {other}"
        ))),
    }
}

/// The ServiceInstance's methods the simulator implements.
pub(super) const SERVICE_METHODS: &[&str] = &["RetrieveServiceContent", "CurrentTime"];

/// Call a `ServiceInstance` method.
pub(super) fn invoke_service(
    m: &Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    match method {
        "RetrieveServiceContent" => {
            Args::new(method, args, &[])?;
            Ok(m.try_get("ServiceInstance")?
                .get("content")
                .cloned()
                .unwrap_or(Value::Null))
        }
        "CurrentTime" => {
            Args::new(method, args, &[])?;
            Ok(Value::from(fmt_time(now)))
        }
        _ => Err(faults::method_not_found(target, method, SERVICE_METHODS)),
    }
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every method's effect, every fault, and that a fault leaves the inventory as it
/// was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn folders_and_pools() {
        let s = sim();
        let vmf = find(&s, "DC0/vm");
        let r = ok(&s, &vmf, "CreateFolder", json!({"name": "ops"})).await;
        let ops = MoRef::from_json(&r).unwrap_or_else(|| panic!("folder ref"));
        assert_eq!(s.inventory_path(&ops).as_deref(), Some("DC0/vm/ops"));
        fails_unchanged(
            &s,
            &vmf,
            "CreateFolder",
            json!({"name": "ops"}),
            "DuplicateName",
        )
        .await;
        fails_unchanged(
            &s,
            &find(&s, "DC0/vm/web"),
            "Destroy_Task",
            json!({}),
            "NotSupported",
        )
        .await;
        ok(&s, &ops, "Destroy_Task", json!({})).await;
        assert!(s.find_by_path("DC0/vm/ops").is_none());
        // Destroying a pool moves its VMs to the parent pool.
        let tier = find(&s, "DC0/host/prod/Resources/web-tier");
        let vms = ref_values(read(&s, &tier, "vm").await);
        ok(&s, &tier, "Destroy_Task", json!({})).await;
        let root = find(&s, "DC0/host/prod/Resources");
        let now = ref_values(read(&s, &root, "vm").await);
        assert!(vms.iter().all(|v| now.contains(v)));
    }
}
