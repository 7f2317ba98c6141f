//! What every managed entity shares: the properties each is created with
//! (`name`, `parent`, its statuses), vCenter's naming rules (names are
//! escaped, unique within their parent and at most 80 characters) with
//! `Rename_Task` built on them, and the methods of the entity types that have
//! no module of methods of their own (Datacenter, the compute resources,
//! Datastore, Network). Types with rules of their own (folders, pools, hosts,
//! VMs) check those and then rename through here.

use serde_json::{Map, Value, json};

use super::args::Call;
use super::faults;
use super::model::{Model, escape_name};
use crate::vocabulary::VsError;

/// The properties every entity starts with, so that each type's constructor
/// only adds its own; `parent` is `None` for the root folder alone.
pub(super) fn props(name: &str, parent: Option<&Value>) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("name".into(), json!(name));
    if let Some(parent) = parent {
        p.insert("parent".into(), parent.clone());
    }
    p.insert("overallStatus".into(), json!("green"));
    p.insert("configStatus".into(), json!("green"));
    p
}

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

/// Rename an entity (`Rename_Task`) once its type's own rules allow it;
/// returns the stored (escaped) name.
pub(super) fn rename(m: &mut Model, id: &str, raw: &str) -> Result<String, VsError> {
    let parent = m.try_get(id)?.ref_id("parent").unwrap_or_default();
    let name = check_new_name(m, &parent, raw, Some(id))?;
    m.try_get_mut(id)?.set("name", Value::from(name.clone()));
    Ok(name)
}

/// Read `Rename_Task`'s one argument, the new name.
pub(super) fn new_name<'a>(call: &Call<'a>) -> Result<&'a str, VsError> {
    call.params(&["newName"])?.string("newName")
}

/// The methods every entity other than VMs and hosts offers here, as the
/// `MethodNotFound` fault lists them for any of those types.
pub(super) const METHODS: &[&str] = &["Rename_Task", "Destroy_Task", "CreateFolder (Folder)"];

/// What an entity type adds to the methods every entity has: why this entity
/// cannot be renamed (if it cannot), and how it is destroyed.
pub(super) struct Rules {
    /// Why `Rename_Task` is refused, checked once the new name has been read.
    pub rename_refusal: Option<&'static str>,
    /// `Destroy_Task` once its (absent) arguments have been checked.
    pub destroy: fn(&mut Model, &str) -> Result<(), VsError>,
}

impl Rules {
    /// The rules of a type with none of its own: any entity can be renamed,
    /// and the simulator destroys none.
    pub(super) const NONE: Rules = Rules {
        rename_refusal: None,
        destroy: destroy_unsupported,
    };
}

/// `Destroy_Task` on a type the simulator does not destroy.
fn destroy_unsupported(m: &mut Model, id: &str) -> Result<(), VsError> {
    Err(faults::not_supported(&format!(
        "the simulated inventory does not destroy a {}",
        m.try_get(id)?.kind
    )))
}

/// Call `Rename_Task` or `Destroy_Task` on an entity of a type with `rules`.
pub(super) fn invoke(m: &mut Model, call: &Call, rules: Rules) -> Result<Value, VsError> {
    match call.method {
        "Rename_Task" => {
            let raw = new_name(call)?;
            if let Some(why) = rules.rename_refusal {
                return Err(faults::not_supported(why));
            }
            rename(m, call.id(), raw)?;
        }
        "Destroy_Task" => {
            call.params(&[])?;
            (rules.destroy)(m, call.id())?;
        }
        _ => return Err(call.not_found(METHODS)),
    }
    Ok(Value::Null)
}
