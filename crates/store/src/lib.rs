//! Persistence of the mentorship API: one contract, two databases.
//!
//! SQLite is the embedded default; PostgreSQL serves deployments with many API instances. Every
//! query is written once with `$n` placeholders (SQLite accepts them) as a [`db::Query`]; reads go
//! through [`Store`], writes through a [`db::Tx`] passed to plain `async fn`s, and only the final
//! sqlx call branches on the backend (`db.rs`). Every change of a record goes through
//! [`record::change`]: locked, decided by the domain, compare-and-set, audited, its events told.
//! Invariants a race could break are database constraints or are decided under that lock.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::sync::Arc;

use sqlx::{PgPool, SqlitePool};

mod error;
mod sealing;

pub mod absences;
pub mod accounts;
pub mod api_keys;
pub mod assignments;
pub mod audit;
pub mod calendars;
pub mod catalog;
pub mod clock;
pub mod db;
pub mod documents;
pub mod erasure;
pub mod events;
pub mod exports;
pub mod idempotency;
pub mod mentors;
pub mod notifications;
pub mod page;
pub mod path_requests;
pub mod policies;
pub mod rates;
pub mod record;
pub mod referrals;
pub mod reports;
pub mod sessions;
pub mod statements;
pub mod students;
pub mod tokens;
pub mod users;
pub mod webhooks;

use db::{Conn, Query, Row, Scalar, Tx, one};
pub use error::{Found, StoreError};
pub use events::Notices;
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

/// The database behind the API, and the wording of what its changes tell people.
#[derive(Clone)]
pub struct Store {
    db: Db,
    notices: Arc<dyn Notices>,
}

#[derive(Clone, Debug)]
enum Db {
    /// One writer connection (every write is `BEGIN IMMEDIATE`, so writers queue instead of
    /// failing with "database is locked") and a pool of readers over WAL.
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    Postgres(PgPool),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to the database a URL names, creating a SQLite file (and its folder) if needed.
    /// `notices` words what the changes tell people (the API's templates).
    pub async fn connect(
        url: &str,
        options: &StoreOptions,
        notices: Arc<dyn Notices>,
    ) -> Result<Self, StoreError> {
        let db = match Backend::of_url(url)? {
            Backend::Sqlite => connect_sqlite(url, options).await?,
            Backend::Postgres => connect_postgres(url, options).await?,
        };
        Ok(Store { db, notices })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The PostgreSQL pool, for what only PostgreSQL offers (listening to notifications).
    pub(crate) fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite { .. } => None,
        }
    }

    /// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE` on the single writer
    /// connection, so it takes the write lock up front and never fails half-way with "database
    /// is locked".
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let notices = Arc::clone(&self.notices);
        Ok(match &self.db {
            Db::Sqlite { writer, .. } => {
                Tx::sqlite(writer.begin_with("BEGIN IMMEDIATE").await?, notices)
            }
            Db::Postgres(pool) => Tx::postgres(pool.begin().await?, notices),
        })
    }

    /// Runs one statement in a write transaction of its own; returns the rows it changed.
    pub async fn execute(&self, statement: Query) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let changed = tx.execute(statement).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Runs `read` on a connection that serves reads: a SQLite reader, or the PostgreSQL pool's.
    async fn read<T>(
        &self,
        read: impl AsyncFnOnce(Conn<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.db {
            Db::Sqlite { readers, .. } => read(Conn::Sqlite(&mut *readers.acquire().await?)).await,
            Db::Postgres(pool) => read(Conn::Postgres(&mut *pool.acquire().await?)).await,
        }
    }

    pub async fn fetch_all<R: Row>(&self, q: Query) -> Result<Vec<R>, StoreError> {
        self.read(async |conn| conn.fetch_all(q).await).await
    }

    /// The row of a query that returns at most one (a read by key).
    pub async fn fetch_optional<R: Row>(&self, q: Query) -> Result<Option<R>, StoreError> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    /// The first column of every row.
    pub async fn scalars<T: Scalar>(&self, q: Query) -> Result<Vec<T>, StoreError> {
        self.read(async |conn| conn.scalars(q).await).await
    }

    /// The first column of the one row the query returns.
    pub async fn scalar<T: Scalar>(&self, q: Query) -> Result<T, StoreError> {
        one(self.scalars(q).await?)
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers and every migration this build knows is applied.
    pub async fn is_ready(&self) -> Result<bool, StoreError> {
        const APPLIED: &str = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        let applied: i64 = self.scalar(db::query(APPLIED)).await?;
        let known = migration_versions(self.backend()).len();
        Ok(usize::try_from(applied).is_ok_and(|n| n >= known))
    }

    /// Closes every connection, letting in-flight queries finish.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { writer, readers } => {
                readers.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
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

async fn connect_sqlite(url: &str, options: &StoreOptions) -> Result<Db, StoreError> {
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
    Ok(Db::Sqlite { writer, readers })
}

async fn connect_postgres(url: &str, options: &StoreOptions) -> Result<Db, StoreError> {
    let connect = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(e.to_string()))?
        .options([("synchronous_commit", "on")]);
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await?;
    Ok(Db::Postgres(pool))
}

/// A new id: UUIDv7, so ids sort by creation time and serve as keyset cursors.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// The store's clock ([`clock::now`]): the system's, unless a caller set it.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    clock::now()
}
