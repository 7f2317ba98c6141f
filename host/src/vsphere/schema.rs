//! The vim25 schema (types, fields in wire order, methods, privileges) that
//! drives encoding, decoding and approval classes.
//!
//! It is generated from pyVmomi's type tables by `tools/gen-vim25-schema.py`
//! into `host/schema/vim25.json` (regenerate with `pip install pyvmomi &&
//! python3 tools/gen-vim25-schema.py`), embedded in the binary, and parsed
//! once on first use (about 10 ms in a debug build). Without it the client could not put elements in the order vCenter
//! demands, tell a one-element array from a scalar, or know which methods
//! return a Task.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The generated schema, compiled in.
const SCHEMA_JSON: &str = include_str!("../../schema/vim25.json");

/// The XML Schema primitive types vim25 uses, by their WSDL names.
pub const PRIMITIVES: &[&str] = &[
    "string",
    "boolean",
    "byte",
    "short",
    "int",
    "long",
    "float",
    "double",
    "dateTime",
    "anyType",
    "anyURI",
    "base64Binary",
];

/// The wire name of a managed object reference.
pub const MOREF: &str = "ManagedObjectReference";

/// A declared type: a WSDL type name, whether it is an array, whether it may be absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    /// The WSDL type name (`string`, `VirtualMachineConfigSpec`, `HostSystem`...).
    pub name: String,
    /// Repeated element.
    pub array: bool,
    /// May be left out.
    pub optional: bool,
}

impl TypeRef {
    /// Parse the schema notation `Name`, `Name[]`, `Name?`, `Name[]?`.
    fn parse(s: &str) -> TypeRef {
        let (s, optional) = match s.strip_suffix('?') {
            Some(rest) => (rest, true),
            None => (s, false),
        };
        let (s, array) = match s.strip_suffix("[]") {
            Some(rest) => (rest, true),
            None => (s, false),
        };
        TypeRef {
            name: s.to_string(),
            array,
            optional,
        }
    }

    /// A plain required scalar of the given type.
    pub fn scalar(name: &str) -> TypeRef {
        TypeRef {
            name: name.to_string(),
            array: false,
            optional: false,
        }
    }
}

impl std::fmt::Display for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.name, if self.array { "[]" } else { "" })
    }
}

/// A field of a data type, a property of a managed type, or a method parameter.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its element name.
    pub name: String,
    /// Its declared type.
    pub ty: TypeRef,
}

/// A data object type.
#[derive(Debug, Clone)]
pub struct DataType {
    /// The base type, if any (most derive from `DynamicData`).
    pub base: Option<String>,
    /// Its own fields in wire order; inherited fields come first on the wire.
    pub fields: Vec<Field>,
}

/// A method of a managed type.
#[derive(Debug, Clone)]
pub struct Method {
    /// The WSDL method name, e.g. `PowerOnVM_Task`.
    pub name: String,
    /// The managed type that declares it.
    pub owner: String,
    /// Parameters in wire order, `_this` excluded.
    pub params: Vec<Field>,
    /// The return type; `None` for void.
    pub returns: Option<TypeRef>,
    /// For methods returning a Task: the task's result type (`None`: no result).
    pub task_result: Option<String>,
    /// The privilege the method requires, when it is a single fixed one.
    pub privilege: Option<String>,
    /// Privileges the server checks on parameters (e.g. `Resource.AssignVMToPool`).
    pub param_privileges: Vec<String>,
}

impl Method {
    /// True when the method returns a Task that the caller should await.
    pub fn returns_task(&self) -> bool {
        self.returns
            .as_ref()
            .is_some_and(|r| r.name == "Task" && !r.array)
    }
}

/// A managed object type.
#[derive(Debug, Clone)]
pub struct ManagedType {
    /// The base type, if any.
    pub base: Option<String>,
    /// Its own properties.
    pub properties: Vec<Field>,
    /// Its own methods by WSDL name.
    pub methods: HashMap<String, Method>,
}

/// What a type name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An XML Schema primitive (`string`, `int`, `anyType`...).
    Primitive,
    /// An enumeration (a string with fixed values).
    Enum,
    /// A data object type.
    Data,
    /// A managed object type, i.e. a reference (or `ManagedObjectReference` itself).
    Managed,
    /// Not in the schema (e.g. a type from a newer server).
    Unknown,
}

/// The whole vim25 schema.
#[derive(Debug, Default)]
pub struct Schema {
    /// The newest vim25 API version the schema describes, e.g. `9.1.1.0`.
    pub version: String,
    data: HashMap<String, DataType>,
    enums: HashMap<String, Vec<String>>,
    managed: HashMap<String, ManagedType>,
}

#[derive(Deserialize)]
struct RawSchema {
    v: String,
    d: HashMap<String, RawData>,
    e: HashMap<String, Vec<String>>,
    m: HashMap<String, RawManaged>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(default)]
    b: Option<String>,
    #[serde(default)]
    f: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct RawManaged {
    #[serde(default)]
    b: Option<String>,
    #[serde(default)]
    p: Vec<(String, String)>,
    #[serde(default, rename = "M")]
    methods: HashMap<String, RawMethod>,
}

#[derive(Deserialize)]
struct RawMethod {
    #[serde(default)]
    p: Vec<(String, String)>,
    #[serde(default)]
    r: Option<String>,
    #[serde(default)]
    t: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Vec<String>,
}

fn fields(raw: Vec<(String, String)>) -> Vec<Field> {
    raw.into_iter()
        .map(|(name, ty)| Field {
            name,
            ty: TypeRef::parse(&ty),
        })
        .collect()
}

/// How long parsing the embedded schema took, for the startup log.
static PARSE_TIME: OnceLock<Duration> = OnceLock::new();
static SCHEMA: OnceLock<Result<Schema, String>> = OnceLock::new();

/// The embedded schema, parsed on first use. An error means the embedded file
/// is corrupt (a build problem), and every SOAP call reports it.
pub fn schema() -> Result<&'static Schema, String> {
    SCHEMA
        .get_or_init(|| {
            let start = Instant::now();
            let parsed = Schema::parse(SCHEMA_JSON);
            let _ = PARSE_TIME.set(start.elapsed());
            parsed
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The time the embedded schema took to parse, once it has been parsed.
pub fn parse_time() -> Option<Duration> {
    PARSE_TIME.get().copied()
}

impl Schema {
    /// Parse a schema in the generator's format.
    pub fn parse(text: &str) -> Result<Schema, String> {
        let raw: RawSchema = serde_json::from_str(text)
            .map_err(|e| format!("the embedded vim25 schema is invalid: {e}"))?;
        let data = raw
            .d
            .into_iter()
            .map(|(name, d)| {
                (
                    name,
                    DataType {
                        base: d.b,
                        fields: fields(d.f),
                    },
                )
            })
            .collect();
        let managed = raw
            .m
            .into_iter()
            .map(|(owner, m)| {
                let methods = m
                    .methods
                    .into_iter()
                    .map(|(name, raw)| {
                        let method = Method {
                            name: name.clone(),
                            owner: owner.clone(),
                            params: fields(raw.p),
                            returns: raw.r.as_deref().map(TypeRef::parse),
                            task_result: raw.t,
                            privilege: raw.x,
                            param_privileges: raw.y,
                        };
                        (name, method)
                    })
                    .collect();
                (
                    owner,
                    ManagedType {
                        base: m.b,
                        properties: fields(m.p),
                        methods,
                    },
                )
            })
            .collect();
        Ok(Schema {
            version: raw.v,
            data,
            enums: raw.e,
            managed,
        })
    }

    /// What `name` denotes.
    pub fn kind(&self, name: &str) -> Kind {
        if PRIMITIVES.contains(&name) {
            Kind::Primitive
        } else if name == MOREF || self.managed.contains_key(name) {
            Kind::Managed
        } else if self.data.contains_key(name) {
            Kind::Data
        } else if self.enums.contains_key(name) {
            Kind::Enum
        } else {
            Kind::Unknown
        }
    }

    /// A data type by name.
    pub fn data_type(&self, name: &str) -> Option<&DataType> {
        self.data.get(name)
    }

    /// A managed type by name.
    pub fn managed_type(&self, name: &str) -> Option<&ManagedType> {
        self.managed.get(name)
    }

    /// The values of an enum type.
    pub fn enum_values(&self, name: &str) -> Option<&[String]> {
        self.enums.get(name).map(Vec::as_slice)
    }

    /// The base of a data or managed type.
    fn base_of(&self, name: &str) -> Option<&str> {
        if let Some(d) = self.data.get(name) {
            return d.base.as_deref();
        }
        self.managed.get(name).and_then(|m| m.base.as_deref())
    }

    /// `name` and its ancestors, most derived first. Bounded so that a
    /// malformed schema with a cycle cannot hang a call.
    pub fn ancestry<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        let mut chain = vec![name];
        let mut current = name;
        while let Some(base) = self.base_of(current) {
            if chain.len() > 64 || chain.contains(&base) {
                break;
            }
            chain.push(base);
            current = base;
        }
        chain
    }

    /// True when `sub` is `sup` or derives from it. Every managed type is a
    /// `ManagedObject`; every data type is a `DynamicData` for `anyType` purposes
    /// only through its declared chain.
    pub fn is_subtype(&self, sub: &str, sup: &str) -> bool {
        if sub == sup || sup == "anyType" {
            return true;
        }
        if sup == "ManagedObject" || sup == MOREF {
            return self.kind(sub) == Kind::Managed;
        }
        self.ancestry(sub).contains(&sup)
    }

    /// Every field of a data type including inherited ones, in wire order
    /// (base type's fields first). `None` if the type is not a data type.
    pub fn all_fields(&self, name: &str) -> Option<Vec<&Field>> {
        self.data.get(name)?;
        let mut out = Vec::new();
        for t in self.ancestry(name).into_iter().rev() {
            if let Some(d) = self.data.get(t) {
                out.extend(d.fields.iter());
            }
        }
        Some(out)
    }

    /// A field's declared type, looking through base types.
    pub fn field(&self, type_name: &str, field: &str) -> Option<&Field> {
        self.ancestry(type_name)
            .into_iter()
            .filter_map(|t| self.data.get(t))
            .find_map(|d| d.fields.iter().find(|f| f.name == field))
    }

    /// A managed type's property, looking through base types.
    pub fn property(&self, managed: &str, property: &str) -> Option<&Field> {
        self.ancestry(managed)
            .into_iter()
            .filter_map(|t| self.managed.get(t))
            .find_map(|m| m.properties.iter().find(|f| f.name == property))
    }

    /// A method callable on a managed type, looking through base types.
    pub fn method(&self, managed: &str, method: &str) -> Option<&Method> {
        self.ancestry(managed)
            .into_iter()
            .filter_map(|t| self.managed.get(t))
            .find_map(|m| m.methods.get(method))
    }

    /// The names of the methods callable on a managed type, for error messages.
    pub fn method_names(&self, managed: &str) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .ancestry(managed)
            .into_iter()
            .filter_map(|t| self.managed.get(t))
            .flat_map(|m| m.methods.keys().map(String::as_str))
            .collect();
        names.sort_unstable();
        names
    }

    /// The data types deriving (directly or not) from `name`, for lenient
    /// property-path checks through polymorphic fields.
    pub fn data_subtypes(&self, name: &str) -> Vec<&str> {
        self.data
            .keys()
            .map(String::as_str)
            .filter(|t| *t != name && self.is_subtype(t, name))
            .collect()
    }

    /// Check a property path (`runtime.powerState`) against a managed type.
    /// Returns the declared type of the last segment, or a message saying
    /// which segment is unknown. Fields of subtypes are accepted, since a
    /// polymorphic field may hold one.
    pub fn check_property_path(&self, managed: &str, path: &str) -> Result<TypeRef, String> {
        // Keyed array elements (`device[2000].backing`) are the server's to
        // resolve: only the part before the first index is checked.
        let (path, indexed) = match path.split_once('[') {
            Some((head, _)) => (head, true),
            None => (path, false),
        };
        let mut segments = path.split('.');
        let first = segments.next().unwrap_or_default();
        if first.is_empty() {
            return Err("the property path is empty".into());
        }
        let mut current = match self.property(managed, first) {
            Some(p) => p.ty.clone(),
            None => return Err(format!("{managed} has no property '{first}'")),
        };
        let mut walked = first.to_string();
        for seg in segments {
            if seg.is_empty() {
                return Err(format!(
                    "'{walked}.' ends or continues with an empty segment"
                ));
            }
            if current.array {
                return Err(format!(
                    "'{walked}' is an array; a property path cannot go into it"
                ));
            }
            let found = match self.kind(&current.name) {
                Kind::Data => self
                    .field(&current.name, seg)
                    .map(|f| f.ty.clone())
                    .or_else(|| {
                        self.data_subtypes(&current.name)
                            .into_iter()
                            .find_map(|t| self.field(t, seg).map(|f| f.ty.clone()))
                    }),
                // Paths through anyType or unknown types cannot be checked here.
                Kind::Primitive if current.name == "anyType" => {
                    return Ok(TypeRef::scalar("anyType"));
                }
                Kind::Unknown => return Ok(TypeRef::scalar("anyType")),
                _ => None,
            };
            match found {
                Some(t) => current = t,
                None => {
                    return Err(format!(
                        "'{walked}' ({}) has no field '{seg}'",
                        current.name
                    ));
                }
            }
            walked.push('.');
            walked.push_str(seg);
        }
        if indexed {
            return Ok(TypeRef::scalar("anyType"));
        }
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schema_parses_quickly_and_has_the_core_types() {
        let s = schema().expect("schema");
        assert!(!s.version.is_empty());
        let took = parse_time().expect("parse time recorded");
        // Debug builds are slow; this guards against pathological regressions only.
        assert!(took < Duration::from_secs(5), "schema parse took {took:?}");
        eprintln!("vim25 schema parsed in {took:?}");
        for t in [
            "VirtualMachineConfigSpec",
            "TaskInfo",
            "LocalizedMethodFault",
            "PropertyFilterSpec",
            "TraversalSpec",
        ] {
            assert_eq!(s.kind(t), Kind::Data, "{t}");
        }
        assert_eq!(s.kind("VirtualMachine"), Kind::Managed);
        assert_eq!(s.kind("VirtualMachinePowerState"), Kind::Enum);
        assert_eq!(s.kind("int"), Kind::Primitive);
        assert_eq!(s.kind("NoSuchType"), Kind::Unknown);
    }

    #[test]
    fn inheritance_lookups() {
        let s = schema().unwrap();
        // Destroy_Task is declared on ManagedEntity.
        let m = s
            .method("VirtualMachine", "Destroy_Task")
            .expect("inherited method");
        assert_eq!(m.owner, "ManagedEntity");
        assert!(m.returns_task());
        // `name` is a ManagedEntity property.
        assert_eq!(
            s.property("VirtualMachine", "name").unwrap().ty.name,
            "string"
        );
        // TraversalSpec inherits `name` from SelectionSpec, which comes first.
        let f: Vec<&str> = s
            .all_fields("TraversalSpec")
            .unwrap()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let pos = |n: &str| f.iter().position(|x| *x == n).unwrap();
        assert!(pos("dynamicType") < pos("name") && pos("name") < pos("type"));
        assert!(s.is_subtype("TraversalSpec", "SelectionSpec"));
        assert!(!s.is_subtype("SelectionSpec", "TraversalSpec"));
        assert!(s.is_subtype("VirtualMachine", "ManagedEntity"));
        assert!(s.is_subtype("VirtualMachine", "ManagedObject"));
        assert!(!s.is_subtype("Folder", "VirtualMachine"));
        assert_eq!(s.field("VirtualDisk", "key").unwrap().ty.name, "int");
    }

    #[test]
    fn tasks_and_their_results() {
        let s = schema().unwrap();
        assert!(
            s.method("VirtualMachine", "PowerOnVM_Task")
                .unwrap()
                .returns_task()
        );
        // CloneVM_Task has no single privilege (see `classify` for what that means).
        let clone = s.method("VirtualMachine", "CloneVM_Task").unwrap();
        assert!(clone.privilege.is_none());
        assert_eq!(clone.task_result.as_deref(), Some("VirtualMachine"));
    }

    #[test]
    fn property_paths() {
        let s = schema().unwrap();
        assert!(
            s.check_property_path("VirtualMachine", "config.hardware.device[2000].backing")
                .is_ok()
        );
        assert!(s.check_property_path("VirtualMachine", "").is_err());
        assert!(s.check_property_path("VirtualMachine", "runtime.").is_err());
        assert_eq!(
            s.check_property_path("VirtualMachine", "runtime.powerState")
                .unwrap()
                .name,
            "VirtualMachinePowerState"
        );
        assert!(
            s.check_property_path("VirtualMachine", "config.hardware.device")
                .unwrap()
                .array
        );
        assert!(
            s.check_property_path("VirtualMachine", "nope")
                .unwrap_err()
                .contains("no property 'nope'")
        );
        assert!(
            s.check_property_path("VirtualMachine", "config.bogus")
                .unwrap_err()
                .contains("no field 'bogus'")
        );
    }
}
