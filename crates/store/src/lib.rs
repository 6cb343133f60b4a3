//! Persistence of the mentorship API: one contract, two databases.
//!
//! SQLite is the embedded default; PostgreSQL serves deployments with many API instances. Every
//! query is written once with `$n` placeholders (SQLite accepts them) and instantiated for each pool
//! by the `read!` and `write_tx!` macros, so handlers are never generic over the backend. Invariants
//! a race could break are database constraints or are checked inside the writing transaction.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

mod error;
#[macro_use]
mod macros;

#[macro_use]
pub mod audit;
#[macro_use]
pub mod notifications;
pub mod api_keys;
pub mod catalog;
pub mod documents;
pub mod mentors;
pub mod page;
pub mod tokens;
pub mod users;

pub use error::StoreError;
pub use page::{Page, PageRequest};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database a `DATABASE_URL` names, decided by its scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL, or why the URL is refused.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "" => Err(StoreError::BadUrl(
                "it has no scheme (expected sqlite:// or postgres://)".into(),
            )),
            other => Err(StoreError::BadUrl(format!(
                "unknown scheme `{other}` (expected sqlite:// or postgres://)"
            ))),
        }
    }
}

/// Connection settings that are not part of the URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the PostgreSQL pool, or readers in the SQLite reader pool.
    pub max_connections: u32,
    /// How long a request may wait for a connection (and SQLite for its lock).
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            max_connections: u32::try_from(cores * 2).unwrap_or(4).max(2),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The database behind the API.
#[derive(Clone, Debug)]
pub enum Store {
    /// One writer connection (every write is `BEGIN IMMEDIATE`, so writers queue instead of
    /// failing with "database is locked") and a pool of readers over WAL.
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    Postgres(PgPool),
}

impl Store {
    /// Connects to the database a URL names, creating a SQLite file (and its folder) if needed.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        match Backend::of_url(url)? {
            Backend::Sqlite => connect_sqlite(url, options).await,
            Backend::Postgres => connect_postgres(url, options).await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite { .. } => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await?,
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers and every migration this build knows is applied.
    pub async fn is_ready(&self) -> Result<bool, StoreError> {
        const APPLIED: &str = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        let applied: i64 = read!(self, |pool| sqlx::query_scalar(APPLIED)
            .fetch_one(pool)
            .await?);
        let known = migration_versions(self.backend()).len();
        Ok(usize::try_from(applied).is_ok_and(|n| n >= known))
    }

    /// Closes every connection, letting in-flight queries finish.
    pub async fn close(&self) {
        match self {
            Store::Sqlite { writer, readers } => {
                readers.close().await;
                writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

/// The migration versions of each backend, to check that both folders move in lockstep.
pub fn migration_versions(backend: Backend) -> Vec<i64> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).collect()
}

async fn connect_sqlite(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
    let base = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Money is at stake: a committed write survives a power cut.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(options.acquire_timeout)
        // The largest page (200 rows, plus one to know whether another follows) fits, so the
        // connection's thread never waits for the request to take rows before it can finish.
        .row_buffer_size(256);
    if let Some(folder) = Path::new(base.get_filename()).parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder).map_err(|e| {
            StoreError::BadUrl(format!("cannot create folder {}: {e}", folder.display()))
        })?;
    }
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(base.clone())
        .await?;
    let readers = SqlitePoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(base.read_only(true))
        .await?;
    Ok(Store::Sqlite { writer, readers })
}

async fn connect_postgres(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
    let connect = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(e.to_string()))?
        .options([("synchronous_commit", "on")]);
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await?;
    Ok(Store::Postgres(pool))
}

/// A new id: UUIDv7, so ids sort by creation time and serve as keyset cursors.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// The current instant at the precision both databases keep (microseconds), so what a write
/// returns equals what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
