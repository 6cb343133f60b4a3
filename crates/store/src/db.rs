//! One query text, two databases. A [`Query`] is SQL with `$n` placeholders (SQLite accepts them)
//! and its bound values, kept apart from any backend until it runs; a [`Tx`] is a write
//! transaction on whichever database the store has. Store functions are plain `async fn`s over
//! `&mut Tx` (or `&Store` for reads): only the final sqlx call below branches on the backend.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, FromRow, PgConnection, Postgres, Sqlite, SqliteConnection, Type};
use uuid::Uuid;

use crate::events::Notices;
use crate::{Backend, StoreError};

/// A value bound to a placeholder. `None` binds SQL `NULL`.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    /// A calendar day (`DATE` on PostgreSQL, `YYYY-MM-DD` text on SQLite).
    Date(Option<NaiveDate>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! arg_from {
    ($variant:ident: $($from:ty => $convert:expr),* $(,)?) => {$(
        impl From<$from> for Arg {
            fn from(value: $from) -> Arg {
                #[allow(clippy::redundant_closure_call)]
                Arg::$variant(($convert)(value))
            }
        }
    )*};
}

arg_from!(Uuid: Uuid => Some, Option<Uuid> => |v| v, &Uuid => |v: &Uuid| Some(*v));
arg_from!(Text:
    String => Some,
    &String => |v: &String| Some(v.clone()),
    &str => |v: &str| Some(v.to_owned()),
    Option<String> => |v| v,
    &Option<String> => |v: &Option<String>| v.clone(),
    Option<&str> => |v: Option<&str>| v.map(str::to_owned),
);
arg_from!(Int: i64 => Some, Option<i64> => |v| v);
arg_from!(Bool: bool => Some, Option<bool> => |v| v);
arg_from!(Time: DateTime<Utc> => Some, Option<DateTime<Utc>> => |v| v);
arg_from!(Date: NaiveDate => Some, Option<NaiveDate> => |v| v);
arg_from!(Bytes: Vec<u8> => Some, &[u8] => |v: &[u8]| Some(v.to_vec()), &Vec<u8> => |v: &Vec<u8>| Some(v.clone()));

/// SQL and the values of its placeholders, in order.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it runs"]
pub struct Query {
    sql: &'static str,
    args: Vec<Arg>,
}

/// A query of `sql`, to be given its values with [`Query::bind`].
pub fn query(sql: &'static str) -> Query {
    Query {
        sql,
        args: Vec::new(),
    }
}

impl Query {
    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Binds the four placeholders of an optional range of instants, as the lists' SQL reads
    /// them: `($n = 0 OR at >= $n+1) AND ($n+2 = 0 OR at < $n+3)` (from included, to not).
    pub(crate) fn bind_range(self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        self.bind(i64::from(from.is_some()))
            .bind(from.unwrap_or(DateTime::UNIX_EPOCH))
            .bind(i64::from(to.is_some()))
            .bind(to.unwrap_or(DateTime::UNIX_EPOCH))
    }

    fn sqlite(self) -> Result<(&'static str, SqliteArguments), StoreError> {
        let mut out = SqliteArguments::default();
        let added = self.args.into_iter().try_for_each(|arg| match arg {
            Arg::Uuid(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Int(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Time(v) => out.add(v),
            Arg::Date(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
        });
        added.map_err(encoding)?;
        Ok((self.sql, out))
    }

    fn postgres(self) -> Result<(&'static str, PgArguments), StoreError> {
        let mut out = PgArguments::default();
        let added = self.args.into_iter().try_for_each(|arg| match arg {
            Arg::Uuid(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Int(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Time(v) => out.add(v),
            Arg::Date(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
        });
        added.map_err(encoding)?;
        Ok((self.sql, out))
    }
}

fn encoding(e: BoxDynError) -> StoreError {
    StoreError::Database(sqlx::Error::Encode(e))
}

/// A row type both databases decode (`#[derive(sqlx::FromRow)]` gives both).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A single column value both databases decode.
pub trait Scalar:
    for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
    + Send
    + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
        + Send
        + Unpin
{
}

/// A connection of either database, for one statement.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    pub(crate) async fn execute(self, q: Query) -> Result<u64, StoreError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                let (sql, args) = q.sqlite()?;
                sqlx::query_with(sql, args)
                    .execute(c)
                    .await?
                    .rows_affected()
            }
            Conn::Postgres(c) => {
                let (sql, args) = q.postgres()?;
                sqlx::query_with(sql, args)
                    .execute(c)
                    .await?
                    .rows_affected()
            }
        })
    }

    pub(crate) async fn fetch_all<R: Row>(self, q: Query) -> Result<Vec<R>, StoreError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                let (sql, args) = q.sqlite()?;
                sqlx::query_as_with(sql, args).fetch_all(c).await?
            }
            Conn::Postgres(c) => {
                let (sql, args) = q.postgres()?;
                sqlx::query_as_with(sql, args).fetch_all(c).await?
            }
        })
    }

    pub(crate) async fn scalars<T: Scalar>(self, q: Query) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                let (sql, args) = q.sqlite()?;
                sqlx::query_scalar_with(sql, args).fetch_all(c).await?
            }
            Conn::Postgres(c) => {
                let (sql, args) = q.postgres()?;
                sqlx::query_scalar_with(sql, args).fetch_all(c).await?
            }
        })
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] (an early `?`) rolls it back:
/// nothing half-written.
pub struct Tx {
    inner: TxInner,
    pub(crate) notices: Arc<dyn Notices>,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn sqlite(tx: sqlx::Transaction<'static, Sqlite>, notices: Arc<dyn Notices>) -> Tx {
        Tx {
            inner: TxInner::Sqlite(tx),
            notices,
        }
    }

    pub(crate) fn postgres(
        tx: sqlx::Transaction<'static, Postgres>,
        notices: Arc<dyn Notices>,
    ) -> Tx {
        Tx {
            inner: TxInner::Postgres(tx),
            notices,
        }
    }

    fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => Conn::Sqlite(&mut *tx),
            TxInner::Postgres(tx) => Conn::Postgres(&mut *tx),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the rows it changed.
    pub async fn execute(&mut self, q: Query) -> Result<u64, StoreError> {
        self.conn().execute(q).await
    }

    pub async fn fetch_all<R: Row>(&mut self, q: Query) -> Result<Vec<R>, StoreError> {
        self.conn().fetch_all(q).await
    }

    /// The row of a query that returns at most one (a read by key).
    pub async fn fetch_optional<R: Row>(&mut self, q: Query) -> Result<Option<R>, StoreError> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    /// The first column of every row.
    pub async fn scalars<T: Scalar>(&mut self, q: Query) -> Result<Vec<T>, StoreError> {
        self.conn().scalars(q).await
    }

    /// The first column of the one row the query returns.
    pub async fn scalar<T: Scalar>(&mut self, q: Query) -> Result<T, StoreError> {
        one(self.scalars(q).await?)
    }

    /// Takes the row lock of `lock` (a `SELECT ... FOR UPDATE` of one row by `$1`) on
    /// PostgreSQL, so that a decision read after it cannot be overtaken by another transaction
    /// before this one commits. SQLite needs none: its `BEGIN IMMEDIATE` already holds the
    /// database's only write lock for the whole transaction.
    pub async fn lock(&mut self, lock: &'static str, id: Uuid) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            self.execute(query(lock).bind(id)).await?;
        }
        Ok(())
    }

    /// Marks a point to roll back to, so that one part of a transaction can fail alone (each
    /// student of a cohort). One level: release or roll back before the next.
    pub async fn savepoint(&mut self) -> Result<(), StoreError> {
        self.execute(query("SAVEPOINT part")).await.map(drop)
    }

    /// Keeps what was written since the savepoint.
    pub async fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.execute(query("RELEASE SAVEPOINT part"))
            .await
            .map(drop)
    }

    /// Undoes what was written since the savepoint, and the error with it (PostgreSQL refuses
    /// any statement after an error until then).
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        self.execute(query("ROLLBACK TO SAVEPOINT part")).await?;
        self.release_savepoint().await
    }

    /// Makes every write of the transaction durable at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// The one value of a list that must hold exactly one.
pub(crate) fn one<T>(values: Vec<T>) -> Result<T, StoreError> {
    values
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt("a query that returns one row returned none".into()))
}
