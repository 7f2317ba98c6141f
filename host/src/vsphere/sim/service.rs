//! The ServiceInstance: the service content every session starts from (the
//! root folder, vCenter's `about`, the singleton managers, which the
//! simulator creates as empty objects so that references to them resolve,
//! but for the PerformanceManager's counters, see `perf_manager`) and its
//! own methods.

use serde_json::{Map, Value, json};

use super::args::Call;
use super::model::{Meta, Model, fmt_time, reference};
use crate::vocabulary::VsError;

/// The managers the service content names, as (field, type, id).
const SINGLETONS: &[(&str, &str, &str)] = &[
    (
        "propertyCollector",
        "PropertyCollector",
        "propertyCollector",
    ),
    ("viewManager", "ViewManager", "ViewManager"),
    ("setting", "OptionManager", "VpxSettings"),
    ("userDirectory", "UserDirectory", "UserDirectory"),
    ("sessionManager", "SessionManager", "SessionManager"),
    (
        "authorizationManager",
        "AuthorizationManager",
        "AuthorizationManager",
    ),
    ("perfManager", "PerformanceManager", "PerfMgr"),
    ("eventManager", "EventManager", "EventManager"),
    ("taskManager", "TaskManager", "TaskManager"),
    ("alarmManager", "AlarmManager", "AlarmManager"),
    (
        "customFieldsManager",
        "CustomFieldsManager",
        "CustomFieldsManager",
    ),
    ("searchIndex", "SearchIndex", "SearchIndex"),
    ("fileManager", "FileManager", "FileManager"),
    (
        "virtualDiskManager",
        "VirtualDiskManager",
        "virtualDiskManager",
    ),
    ("ovfManager", "OvfManager", "OvfManager"),
    ("licenseManager", "LicenseManager", "LicenseManager"),
];

/// The vCenter service content (`ServiceContent`) and its singleton objects.
pub(super) fn build(m: &mut Model, instance_uuid: &str) {
    let mut content = Map::new();
    content.insert("_typeName".into(), json!("ServiceContent"));
    content.insert("rootFolder".into(), reference("Folder", "group-d1"));
    for &(field, kind, id) in SINGLETONS {
        content.insert(field.into(), reference(kind, id));
        m.insert(kind, id.to_string(), Map::new(), Meta::None);
    }
    super::perf_manager::build(m);
    content.insert(
        "about".into(),
        json!({
            "_typeName": "AboutInfo",
            "name": "VMware vCenter Server (simulated)",
            "fullName": "VMware vCenter Server 8.0.3 build-24022515 (simulated)",
            "vendor": "VMware, Inc.",
            "version": "8.0.3",
            "build": "24022515",
            "localeVersion": "INTL",
            "localeBuild": "000",
            "osType": "linux-x64",
            "productLineId": "vpx",
            "apiType": "VirtualCenter",
            "apiVersion": "8.0.3.0",
            "instanceUuid": instance_uuid,
            "licenseProductName": "VMware VirtualCenter Server",
            "licenseProductVersion": "8.0",
        }),
    );
    let mut si = Map::new();
    si.insert("content".into(), Value::Object(content));
    m.insert("ServiceInstance", "ServiceInstance".into(), si, Meta::None);
}

/// The ServiceInstance's methods the simulator implements.
pub(super) const METHODS: &[&str] = &["RetrieveServiceContent", "CurrentTime"];

/// Call a `ServiceInstance` method.
pub(super) fn invoke(m: &Model, call: &Call) -> Result<Value, VsError> {
    match call.method {
        "RetrieveServiceContent" => {
            call.params(&[])?;
            Ok(m.try_get("ServiceInstance")?
                .get("content")
                .cloned()
                .unwrap_or(Value::Null))
        }
        "CurrentTime" => {
            call.params(&[])?;
            Ok(Value::from(fmt_time(call.now)))
        }
        _ => Err(call.not_found(METHODS)),
    }
}
