//! Keyset pagination: a page starts after the last key of the previous one, never at an OFFSET.
//!
//! Every page query ends in `LIMIT CAST($n AS BIGINT)`, never a bare `LIMIT $n`: the bundled
//! SQLite reads a bare `LIMIT ?` when it prepares the statement, so each new limit value expires
//! the cached statement and the query is prepared again on every call (13% of the CPU of a list,
//! BENCHMARKS.md). A cast is read at run time; PostgreSQL accepts the same text.

/// Which page to read: at most `limit` items whose key is greater than `after`.
/// The key is the id (UUIDv7, so creation order) or another unique, ordered column.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<K = uuid::Uuid> {
    pub after: Option<K>,
    pub limit: u32,
}

impl<K: Copy> PageRequest<K> {
    /// The `after` bound, or `first` (a value below every key) on the first page.
    pub(crate) fn after_or(&self, first: K) -> K {
        self.after.unwrap_or(first)
    }

    /// One more row than asked for, to learn whether another page follows.
    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of items and the key to continue after, if there is more.
#[derive(Debug, Clone)]
pub struct Page<T, K = uuid::Uuid> {
    pub items: Vec<T>,
    pub next_after: Option<K>,
}

impl<T, K: Copy> Page<T, K> {
    /// Builds a page from up to `limit + 1` rows fetched in key order.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest<K>,
        key: impl Fn(&T) -> K,
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let next_after = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&key)
        } else {
            None
        };
        Page {
            items: rows,
            next_after,
        }
    }
}
