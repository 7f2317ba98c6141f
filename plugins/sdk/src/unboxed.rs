//! Reading a VI/JSON value straight into a Rust type, looking through an
//! `anyType` box on the way.
//!
//! A `Value` tree costs an allocation per field; a large read (a page of 50
//! events is about 60 KB) spends most of its time building fields the tool
//! never looks at. Deserializing into a type that names only the fields it
//! uses skips the rest as it goes. [`Unboxed`] is that read for values a
//! backend may have boxed (`{"_typeName":"ArrayOfEvent","_value":[…]}`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{
    MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, StringDeserializer,
};
use serde::de::{
    DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, de};

/// `T`, whether or not it arrived inside a VI/JSON box. `T` should not be
/// an `Option`: a value reaches `T` as the kind it is (a number, a list),
/// which an `Option` does not take; an absent value is the reader's to say
/// (see [`crate::vsphere::read_property`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Unboxed<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Unboxed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(UnboxingVisitor(PhantomData))
            .map(Unboxed)
    }
}

/// Hands each kind of value to `T`, and a box's `_value` in place of the box.
struct UnboxingVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for UnboxingVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a VI/JSON value, boxed or not")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::deserialize(StrDeserializer::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        T::deserialize(StringDeserializer::new(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        T::deserialize(().into_deserializer())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        T::deserialize(().into_deserializer())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        // A box is `_typeName` then `_value`; anything else is `T` itself,
        // read with the keys already taken put back in front.
        let Some(first) = map.next_key::<String>()? else {
            return T::deserialize(MapAccessDeserializer::new(map));
        };
        if first != "_typeName" {
            return T::deserialize(MapAccessDeserializer::new(Replayed {
                type_name: None,
                next: Next::Taken(first),
                rest: map,
            }));
        }
        let type_name: String = map.next_value()?;
        match map.next_key::<String>()? {
            Some(key) if key == "_value" => {
                let value = map.next_value()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(value)
            }
            Some(key) => T::deserialize(MapAccessDeserializer::new(Replayed {
                type_name: Some(type_name),
                next: Next::TypeName(Some(key)),
                rest: map,
            })),
            None => T::deserialize(MapAccessDeserializer::new(Replayed {
                type_name: Some(type_name),
                next: Next::TypeName(None),
                rest: map,
            })),
        }
    }
}

/// Which key a [`Replayed`] map gives next.
enum Next {
    /// `_typeName`, then the key taken after it (if any).
    TypeName(Option<String>),
    /// A key already taken from the map; its value is still there.
    Taken(String),
    /// The map's own keys.
    Rest,
}

/// A map whose first keys were read to tell a box from an object, given
/// back whole.
struct Replayed<A> {
    type_name: Option<String>,
    next: Next,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replayed<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match std::mem::replace(&mut self.next, Next::Rest) {
            Next::TypeName(after) => {
                self.next = after.map_or(Next::Rest, Next::Taken);
                seed.deserialize(StrDeserializer::new("_typeName"))
                    .map(Some)
            }
            Next::Taken(key) => seed.deserialize(StringDeserializer::new(key)).map(Some),
            Next::Rest => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.type_name.take() {
            Some(type_name) => seed.deserialize(StringDeserializer::new(type_name)),
            None => self.rest.next_value_seed(seed),
        }
    }
}

/// Read `text` (VI/JSON) into `T`, looking through a box.
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_str::<Unboxed<T>>(text).map(|Unboxed(value)| value)
}

/// Read the field `name` of the VI/JSON object `text` into `T` (looking
/// through a box), skipping every other field unbuilt: `None` when the
/// object has no such field or it is `null`.
pub fn field<T: de::DeserializeOwned>(text: &str, name: &str) -> serde_json::Result<Option<T>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = deserializer.deserialize_map(FieldVisitor {
        name,
        wanted: PhantomData,
    })?;
    deserializer.end()?;
    Ok(found)
}

/// Walks an object's fields, reading only the one named.
struct FieldVisitor<'n, T> {
    name: &'n str,
    wanted: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for FieldVisitor<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a VI/JSON object (for its field {})", self.name)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Option<T>, M::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.name && found.is_none() {
                found = map.next_value::<Option<Unboxed<T>>>()?.map(|Unboxed(v)| v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moref::MoRef;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Event {
        #[serde(rename = "_typeName")]
        type_name: String,
        key: i64,
        user_name: Option<String>,
        vm: Option<Argument>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Argument {
        name: String,
        vm: MoRef,
    }

    const EVENT: &str = r#"{"_typeName":"VmPoweredOnEvent","key":7,"chainId":7,
        "vm":{"_typeName":"VmEventArgument","name":"web-01",
              "vm":{"_typeName":"ManagedObjectReference","type":"VirtualMachine","value":"vm-42"}},
        "unused":{"deep":[1,2,{"x":null}]}}"#;

    fn event() -> Event {
        Event {
            type_name: "VmPoweredOnEvent".into(),
            key: 7,
            user_name: None,
            vm: Some(Argument {
                name: "web-01".into(),
                vm: MoRef::new("VirtualMachine", "vm-42"),
            }),
        }
    }

    #[test]
    fn reads_plain_and_boxed_values_alike() {
        let plain: Vec<Event> = from_str(&format!("[{EVENT}]")).unwrap();
        assert_eq!(plain, vec![event()]);
        let boxed: Vec<Event> = from_str(&format!(
            r#"{{"_typeName":"ArrayOfEvent","_value":[{EVENT}]}}"#
        ))
        .unwrap();
        assert_eq!(boxed, plain);
        // An object is itself, `_typeName` included, wherever its keys stand.
        assert_eq!(from_str::<Event>(EVENT).unwrap(), event());
        let reordered = r#"{"key":7,"_typeName":"VmPoweredOnEvent"}"#;
        assert_eq!(from_str::<Event>(reordered).unwrap().key, 7);
        let only_type: serde_json::Value = from_str(r#"{"_typeName":"X"}"#).unwrap();
        assert_eq!(only_type, serde_json::json!({"_typeName": "X"}));
        assert_eq!(
            from_str::<i64>(r#"{"_typeName":"long","_value":5}"#).unwrap(),
            5
        );
        assert_eq!(from_str::<String>(r#""s""#).unwrap(), "s");
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_an_error() {
        let err = from_str::<Vec<Event>>(r#"{"_typeName":"ArrayOfEvent","_value":3}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        assert!(from_str::<Event>(r#"{"key":"seven"}"#).is_err());
    }

    #[test]
    fn one_field_is_read_and_the_rest_skipped() {
        let content = r#"{"_typeName":"ServiceContent","about":{"_typeName":"AboutInfo","name":"x"},
            "eventManager":{"_typeName":"ManagedObjectReference","type":"EventManager","value":"EventManager"},
            "rootFolder":{"_typeName":"ManagedObjectReference","type":"Folder","value":"group-d1"},
            "extensionManager":null}"#;
        let manager: Option<MoRef> = field(content, "eventManager").unwrap();
        assert_eq!(manager, Some(MoRef::new("EventManager", "EventManager")));
        let root: Option<MoRef> = field(content, "rootFolder").unwrap();
        assert_eq!(root.map(|r| r.value), Some("group-d1".to_string()));
        assert_eq!(field::<MoRef>(content, "extensionManager").unwrap(), None);
        assert_eq!(field::<MoRef>(content, "perfManager").unwrap(), None);
        assert!(
            field::<MoRef>(content, "about").is_err(),
            "an AboutInfo is no reference"
        );
        assert!(
            field::<MoRef>("[1]", "eventManager").is_err(),
            "not an object"
        );
        assert!(
            field::<MoRef>(r#"{"a":1} x"#, "a").is_err(),
            "trailing text"
        );
    }
}
