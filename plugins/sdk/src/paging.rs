//! Paged listings, written once for every list tool: the limit check and
//! the result `{<rows>: […], total, returned, nextCursor?}` ([`Paged`]) with its schema.
//! A list tool declares `limit: Option<u32>` and `cursor: Option<String>`
//! in its argument type, stating the bounds with
//! `#[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]`. Pages come
//! from [`crate::inventory::select`], which filters and pages in the host's
//! index before anything is read.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::inventory::Page;
use crate::schema;

/// How a list tool pages: rows per page by default, and at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Rows when the caller gives no `limit`; keep one result well under 100 KB.
    pub default: u32,
    /// The largest `limit` accepted (stated in the input schema).
    pub max: u32,
}

impl Paging {
    /// The page size for a call: the caller's `limit`, checked, or the default.
    pub fn limit(self, given: Option<u32>) -> Result<u32> {
        let limit = given.unwrap_or(self.default);
        if (1..=self.max).contains(&limit) {
            Ok(limit)
        } else {
            Err(Error::invalid_argument(format!(
                "limit must be between 1 and {}; got {limit}",
                self.max
            )))
        }
    }
}

/// A short fingerprint of a query's filters, so that a cursor is only good
/// for the query that made it (a cursor replayed with other filters would
/// silently skip or repeat rows).
pub fn fingerprint(parts: &[&str]) -> u64 {
    parts.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, part| {
        part.bytes()
            .chain([0u8])
            .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    })
}

/// The error for a cursor that another query made, or that is not a cursor.
pub fn foreign_cursor() -> Error {
    Error::invalid_argument("cursor is not one of this query's; start again without it")
}

/// Which rows a page shows of rows a tool sorted itself (files in a
/// folder, triggered alarms): an offset cursor tied to the query's
/// [`fingerprint`], for lists the host's index does not page.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The rows this page shows.
    pub rows: std::ops::Range<usize>,
    /// The next page's cursor; `None` on the last.
    pub next_cursor: Option<String>,
}

impl Window {
    /// The window of `limit` rows of `total` at `cursor`, for the query `query`.
    pub fn at(total: usize, limit: u32, cursor: Option<&str>, query: u64) -> Result<Window> {
        let start = match cursor {
            None => 0,
            Some(c) => c
                .split_once('.')
                .filter(|(_, k)| *k == format!("{query:x}"))
                .and_then(|(offset, _)| offset.parse::<usize>().ok())
                .filter(|offset| *offset <= total)
                .ok_or_else(foreign_cursor)?,
        };
        let end = (start + limit as usize).min(total);
        Ok(Window {
            rows: start..end,
            next_cursor: (end < total).then(|| format!("{end}.{query:x}")),
        })
    }
}

/// A row of a paged list: its type is the row's one declaration (its
/// `JsonSchema` becomes the [`schema::page_row`] in the list's output
/// schema), and `ROWS` names the key the rows are listed under.
pub trait PageRow: Serialize + JsonSchema {
    /// The result key holding the rows, e.g. `vms`.
    const ROWS: &'static str;
    /// Whether pages state `total`. A history (events, tasks) is paged
    /// newest first without counting it all, which would read all of it:
    /// its pages leave `total` out, and their schema does not promise it.
    const COUNTED: bool = true;
}

/// One page of rows, serialized as `{<ROWS>: […], total, returned,
/// nextCursor?}` and described by its own output schema, so every list tool
/// returns and states the same paging fields. Embed it with
/// `#[serde(flatten)]` to add fields beside the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<R> {
    /// This page's rows.
    pub rows: Vec<R>,
    /// How many rows match in all; `None` where counting would cost more
    /// than the page (see [`PageRow::COUNTED`]).
    pub total: Option<u32>,
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

impl<R> Paged<R> {
    /// The page `page` selected, with its entries made into `rows`.
    pub fn of(page: &Page, rows: Vec<R>) -> Self {
        Paged {
            rows,
            total: Some(page.total),
            next_cursor: page.next_cursor.clone(),
        }
    }
}

impl<R: PageRow> Serialize for Paged<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let fields =
            2 + usize::from(self.next_cursor.is_some()) + usize::from(self.total.is_some());
        let mut map = serializer.serialize_map(Some(fields))?;
        map.serialize_entry(R::ROWS, &self.rows)?;
        if let Some(total) = self.total {
            map.serialize_entry("total", &total)?;
        }
        map.serialize_entry("returned", &self.rows.len())?;
        if let Some(cursor) = &self.next_cursor {
            map.serialize_entry("nextCursor", cursor)?;
        }
        map.end()
    }
}

impl<R: PageRow> JsonSchema for Paged<R> {
    fn schema_name() -> Cow<'static, str> {
        format!("Paged_{}", R::ROWS).into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let row = schema::output_for::<R>().unwrap_or_else(|| json!({"type": "object"}));
        let mut page = json!({
            "type": "object",
            "properties": {
                R::ROWS: { "type": "array", "items": schema::page_row(&row) },
                "total": { "type": "integer" },
                "returned": { "type": "integer" },
                "nextCursor": { "type": "string" },
            },
            "required": [R::ROWS, "total", "returned"],
        });
        if !R::COUNTED {
            page["properties"]
                .as_object_mut()
                .map(|properties| properties.remove("total"));
            page["required"] = json!([R::ROWS, "returned"]);
        }
        match page {
            Value::Object(object) => Schema::from(object),
            _ => Schema::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGING: Paging = Paging {
        default: 100,
        max: 500,
    };

    /// A row with one column.
    #[derive(serde::Serialize, JsonSchema)]
    struct Row {
        id: String,
    }

    impl PageRow for Row {
        const ROWS: &'static str = "vms";
    }

    #[test]
    fn limits_schema_and_result() {
        assert_eq!(PAGING.limit(None).unwrap(), 100);
        assert_eq!(PAGING.limit(Some(500)).unwrap(), 500);
        for bad in [0, 501] {
            assert!(
                matches!(PAGING.limit(Some(bad)), Err(Error::InvalidArgument(m)) if m.contains("between 1 and 500"))
            );
        }
        let page = Page {
            entries: vec![],
            total: 7,
            next_cursor: Some("c".into()),
        };
        let rows = Paged::of(&page, vec![Row { id: "vm-1".into() }]);
        assert_eq!(
            serde_json::to_value(&rows).unwrap(),
            json!({"vms": [{"id": "vm-1"}], "total": 7, "returned": 1, "nextCursor": "c"})
        );
        let last = Page {
            next_cursor: None,
            ..page
        };
        let empty: Paged<Row> = Paged::of(&last, vec![]);
        assert!(
            serde_json::to_value(&empty)
                .unwrap()
                .get("nextCursor")
                .is_none()
        );
        let schema = schema::output_for::<Paged<Row>>().unwrap();
        assert_eq!(schema["required"], json!(["vms", "total", "returned"]));
        assert_eq!(
            schema["properties"]["vms"]["items"],
            json!({"type": "object", "required": ["id"], "description": "One row: id (string)."})
        );
        assert_eq!(
            schema["properties"]["nextCursor"],
            json!({"type": "string"})
        );
    }

    /// A row of a history, whose pages are not counted.
    #[derive(serde::Serialize, JsonSchema)]
    struct Event {
        key: i64,
    }

    impl PageRow for Event {
        const ROWS: &'static str = "events";
        const COUNTED: bool = false;
    }

    #[test]
    fn windows_page_and_their_cursors_belong_to_their_query() {
        let query = fingerprint(&["a", "b"]);
        assert_ne!(query, fingerprint(&["ab", ""]), "parts are kept apart");
        let first = Window::at(5, 2, None, query).unwrap();
        assert_eq!(first.rows, 0..2);
        let cursor = first.next_cursor.unwrap();
        let second = Window::at(5, 2, Some(&cursor), query).unwrap();
        assert_eq!(second.rows, 2..4);
        let last = Window::at(5, 2, second.next_cursor.as_deref(), query).unwrap();
        assert_eq!((last.rows, last.next_cursor), (4..5, None));
        for bad in [cursor.as_str(), "x", "9.0"] {
            let other = fingerprint(&["other"]);
            assert!(Window::at(5, 2, Some(bad), other).is_err(), "{bad}");
        }
    }

    #[test]
    fn uncounted_pages_neither_state_nor_promise_a_total() {
        let page = Paged {
            rows: vec![Event { key: 3 }],
            total: None,
            next_cursor: Some("c".into()),
        };
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            json!({"events": [{"key": 3}], "returned": 1, "nextCursor": "c"})
        );
        let schema = schema::output_for::<Paged<Event>>().unwrap();
        assert_eq!(schema["required"], json!(["events", "returned"]));
        assert!(schema["properties"].get("total").is_none());
    }
}
