//! One query text, instantiated for each backend.

/// Runs `$body` with `$pool` bound to the pool that serves reads.
macro_rules! read {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::Store::Sqlite { readers: $pool, .. } => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside one write transaction bound to `$tx`, and commits it. An early return
/// (`?`) drops the transaction, which rolls it back: nothing half-written.
/// On SQLite the transaction is `BEGIN IMMEDIATE` on the single writer connection, so it takes
/// the write lock up front and never fails half-way with "database is locked".
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match $store {
            $crate::Store::Sqlite { writer, .. } => {
                let mut $tx = writer.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Store::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
