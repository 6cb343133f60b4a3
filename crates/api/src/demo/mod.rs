//! `mentorship seed-demo`: a realistic program on an empty database, for frontend teams to
//! build screens against and for the contract fuzzer (`make fuzz-api`) to act in as every
//! role. Three paths; fifteen mentors, some in every onboarding state; forty students, most
//! with a mentor and progress; eight weeks of sessions in every status, with notes (some
//! late); absences; difficulty reports in each state; statements issued, approved, disputed
//! and paid; referral bonuses.
//!
//! Everything goes through the store's own functions, so the data obeys every rule. The
//! history is built in the order it would have happened, with the store's clock
//! ([`mentorship_store::clock`]) set to each step's instant: the records carry the instants
//! a real program would have. The passwords are public: it refuses to run with
//! `APP_ENV=production`.

mod acts;
mod cast;
mod plan;

use mentorship_domain::catalog::LevelOutOfRange;
use mentorship_domain::people::normalize_email;
use mentorship_store::mentors::MentorFilter;
use mentorship_store::students::StudentFilter;
use mentorship_store::{PageRequest, StoreError, catalog, mentors, students, users};

pub use cast::{DEMO_LOGINS, DemoAccount, OTHERS_PASSWORD};

use crate::error::ApiError;
use crate::state::AppState;

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the demo accounts have published passwords; refusing to seed with APP_ENV=production")]
    Production,
    /// The demo program is built whole on an empty program, never mixed into another.
    #[error(
        "the database already holds a program ({0}) that is not the demo's: seed-demo builds \
         its program on a database with no paths, mentors or students"
    )]
    NotEmpty(&'static str),
    #[error("{what}: {error}")]
    Step { what: String, error: StoreError },
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A level of the demo catalog is out of range: a bug in `cast.rs`.
    #[error("demo catalog: {0}")]
    Catalog(#[from] LevelOutOfRange),
    /// A demo person breaks a rule of the program: a bug in `cast.rs`.
    #[error("demo program: {0}")]
    Cast(String),
    /// What the API's own functions refused or failed at (hashing, the files store, a document
    /// or referral code the rules refuse): `ApiError`'s text hides internal causes from
    /// clients, and the operator of this command should see the cause.
    #[error("{0}")]
    Internal(String),
}

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Internal(cause) => SeedError::Internal(cause),
            other => SeedError::Internal(other.to_string()),
        }
    }
}

/// Builds the demo program on an empty database and returns what to print: one line per
/// published login, then what the program holds. On a database that already holds it, changes
/// nothing and says so.
pub async fn seed(state: &AppState) -> Result<Vec<String>, SeedError> {
    seed_as_of(state, mentorship_store::now()).await
}

/// The same, as if seeded at `today`: the program's dates follow from it (tests seed on the
/// days a calendar makes awkward: a year's end, a change of clocks).
pub async fn seed_as_of(
    state: &AppState,
    today: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, SeedError> {
    if let Some(found) = program_found(state).await? {
        if demo_logins_exist(state).await? {
            let mut report = login_lines("exists ");
            report.push("program  already there: nothing changed".into());
            return Ok(report);
        }
        return Err(SeedError::NotEmpty(found));
    }
    let summary = build(state, today).await?;
    let mut report = login_lines("created");
    report.push(format!("program  {summary}"));
    report.push(format!(
        "others   every other person of the program signs in with `{OTHERS_PASSWORD}` (see README)"
    ));
    Ok(report)
}

async fn build(
    state: &AppState,
    today: chrono::DateTime<chrono::Utc>,
) -> Result<String, SeedError> {
    let start = plan::Calendar::new(today).founding();
    mentorship_store::clock::as_of(start, acts::play(state, today)).await
}

fn login_lines(label: &str) -> Vec<String> {
    DEMO_LOGINS
        .iter()
        .map(|a| {
            format!(
                "{label} {:<8} {:<26} password: {}",
                a.role.as_str(),
                a.email,
                a.password
            )
        })
        .collect()
}

/// What of a program the database holds, if any: paths, mentors or students.
async fn program_found(state: &AppState) -> Result<Option<&'static str>, StoreError> {
    let one = || PageRequest {
        after: None,
        limit: 1,
    };
    let store = &state.store;
    if !catalog::list_paths(store, None, one())
        .await?
        .items
        .is_empty()
    {
        return Ok(Some("paths"));
    }
    if !mentors::list(store, &MentorFilter::default(), one())
        .await?
        .items
        .is_empty()
    {
        return Ok(Some("mentors"));
    }
    if !students::list(store, StudentFilter::default(), one())
        .await?
        .items
        .is_empty()
    {
        return Ok(Some("students"));
    }
    Ok(None)
}

async fn demo_logins_exist(state: &AppState) -> Result<bool, StoreError> {
    for account in DEMO_LOGINS {
        match users::find_for_login(&state.store, &normalize_email(account.email)).await? {
            Some((user, _)) if user.role == account.role => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}
