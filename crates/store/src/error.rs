//! What can go wrong when persisting.

use mentorship_domain::refusal::{Refusal, RefusalKind};

/// A failure of the store. Broken rules come back typed, with the domain's code and kind, so the
/// API answers them with the rule's name instead of a 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL is not usable: {0}")]
    BadUrl(String),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A unique constraint refused the write; the value names what was duplicated.
    #[error("{0} is already taken")]
    Duplicate(&'static str),
    /// The object changed since the caller read it (`If-Match` did not match).
    #[error("the {0} was changed by someone else")]
    VersionMismatch(&'static str),
    /// A rule of the program refused the change: the domain's refusal, carried out of the
    /// transaction it stopped.
    #[error("{message}")]
    Refused {
        code: &'static str,
        kind: RefusalKind,
        message: String,
    },
    /// Several rules of the program refused the change at once: each, in the domain's order.
    #[error("{}", .0.first().map_or("refused", |b| b.message.as_str()))]
    RefusedAll(Vec<Broken>),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

/// A read of one record where its absence is an answer, not an error.
pub trait Found<T> {
    /// `Some` of a record that exists, `None` of one that does not; other errors stay errors.
    fn found(self) -> Result<Option<T>, StoreError>;
}

impl<T> Found<T> for Result<T, StoreError> {
    fn found(self) -> Result<Option<T>, StoreError> {
        match self {
            Ok(record) => Ok(Some(record)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One broken rule, carried out of the transaction it stopped with its code, kind and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Broken {
    pub code: &'static str,
    pub kind: RefusalKind,
    pub message: String,
}

impl Refusal for Broken {
    fn code(&self) -> &'static str {
        self.code
    }

    fn kind(&self) -> RefusalKind {
        self.kind
    }
}

impl StoreError {
    /// Every rule a domain check found broken, for an answer that lists them all.
    pub fn all_refused<R: Refusal>(refusals: &[R]) -> Self {
        StoreError::RefusedAll(
            refusals
                .iter()
                .map(|r| Broken {
                    code: r.code(),
                    kind: r.kind(),
                    message: r.to_string(),
                })
                .collect(),
        )
    }

    /// A domain refusal, carried through the transaction that it stopped.
    pub fn refused<R: Refusal>(refusal: &R) -> Self {
        StoreError::Refused {
            code: refusal.code(),
            kind: refusal.kind(),
            message: refusal.to_string(),
        }
    }

    /// The first of the refusals a domain check returned (checks list every broken rule; a
    /// transaction stops at the first, in the domain's order).
    pub fn first_refused<R: Refusal>(refusals: Vec<R>) -> Self {
        refusals.first().map_or_else(
            || StoreError::Corrupt("a refusal without a reason".into()),
            StoreError::refused,
        )
    }

    /// Turns a unique violation into `Duplicate(what)`, and leaves every other error as it is.
    pub(crate) fn unique_as(what: &'static str) -> impl Fn(StoreError) -> StoreError {
        move |e| match &e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Duplicate(what)
            }
            _ => e,
        }
    }
}
