//! Lists: `?limit=&cursor=`, answered as `{"items": [...], "next_cursor": ..., "has_more": ...}`
//! with keyset pagination.

use std::fmt::Display;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mentorship_store::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The page a list request asks for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items at most (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent for the first page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The store's page request, or 422 naming `limit` or `cursor`.
    pub fn request<K: FromStr>(&self) -> Result<PageRequest<K>, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = self.cursor.as_deref().map(decode).transpose()?;
        Ok(PageRequest { after, limit })
    }
}

fn decode<K: FromStr>(cursor: &str) -> Result<K, ApiError> {
    let invalid = || {
        ApiError::field(
            "cursor",
            "invalid_cursor",
            "is not a cursor this API returned",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("k:")
        .and_then(|k| k.parse().ok())
        .ok_or_else(invalid)
}

fn encode(key: impl Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(max_length = 200)]
    pub next_cursor: Option<String>,
    /// Whether another page follows (then `next_cursor` is set).
    pub has_more: bool,
}

impl<T: ToSchema> List<T> {
    pub fn from_page<S, K: Display>(page: Page<S, K>, view: impl FnMut(S) -> T) -> Self {
        List {
            items: page.items.into_iter().map(view).collect(),
            has_more: page.next_after.is_some(),
            next_cursor: page.next_after.map(encode),
        }
    }

    /// A list that is whole in one page.
    pub fn whole(items: Vec<T>) -> Self {
        List {
            items,
            next_cursor: None,
            has_more: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = uuid::Uuid::now_v7();
        assert_eq!(decode::<uuid::Uuid>(&encode(id)).unwrap(), id);
        assert_eq!(decode::<i64>(&encode(7)).unwrap(), 7);
        assert!(decode::<uuid::Uuid>("not-a-cursor").is_err());
        assert!(decode::<uuid::Uuid>(&encode(7)).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        let q = |limit| PageQuery {
            limit: Some(limit),
            cursor: None,
        };
        assert!(q(0).request::<i64>().is_err());
        assert!(q(201).request::<i64>().is_err());
        assert_eq!(q(200).request::<i64>().unwrap().limit, 200);
    }
}
