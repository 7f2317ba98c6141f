//! Paged listings, written once for every list tool: the limit check and
//! the result `{<rows>: […], total, returned, nextCursor?}` with its schema.
//! A list tool declares `limit: Option<u32>` and `cursor: Option<String>`
//! in its argument type, stating the bounds with
//! `#[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]`. Pages come
//! from [`crate::inventory::select`], which filters and pages in the host's
//! index before anything is read.

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

    /// The result schema: `rows_key` holds rows shaped like `row` (a
    /// [`schema::result_object`]), each stated as a [`schema::page_row`] so
    /// that validating a page costs clients little.
    pub fn output(self, rows_key: &str, row: Value) -> Value {
        let mut result = schema::result_object(&[
            (rows_key, schema::array_of(schema::page_row(&row))),
            ("total", schema::of("integer")),
            ("returned", schema::of("integer")),
        ]);
        result["properties"]["nextCursor"] = json!({
            "type": "string",
            "description": "Pass as `cursor` for the next page; absent on the last page."
        });
        result
    }
}

/// The result of one page: its rows under `rows_key`, the total, how many
/// were returned, and the cursor of the next page when there is one.
pub fn result(rows_key: &str, rows: Vec<Value>, page: &Page) -> Value {
    let returned = rows.len();
    let mut result = json!({ rows_key: rows, "total": page.total, "returned": returned });
    if let Some(cursor) = &page.next_cursor {
        result["nextCursor"] = json!(cursor);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGING: Paging = Paging {
        default: 100,
        max: 500,
    };

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
        let r = result("vms", vec![json!({"id": "vm-1"})], &page);
        assert_eq!(
            r,
            json!({"vms": [{"id": "vm-1"}], "total": 7, "returned": 1, "nextCursor": "c"})
        );
        let last = Page {
            next_cursor: None,
            ..page
        };
        assert!(result("vms", vec![], &last).get("nextCursor").is_none());
        let schema = PAGING.output("vms", schema::of("object"));
        assert!(schema["properties"]["nextCursor"].is_object());
    }
}
