//! `mentorship seed-demo`: one account per role with a known password, and a small catalog, so
//! that a person trying the API, or the contract fuzzer (`make fuzz-api`), can act as every role
//! on a fresh database. The passwords are public: it refuses to run with `APP_ENV=production`.

use mentorship_domain::catalog::{Level, LevelOutOfRange};
use mentorship_domain::people::{Role, normalize_email};
use mentorship_domain::students::check_student;
use mentorship_store::catalog::{self, PathFields, ProjectFields};
use mentorship_store::students::{self, NewStudent};
use mentorship_store::{PageRequest, Store, StoreError, accounts, users};
use uuid::Uuid;

use crate::error::ApiError;
use crate::passwords::Passwords;

/// A demo account. Its password is published in the README: demo databases only.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    pub role: Role,
    pub email: &'static str,
    pub name: &'static str,
    pub password: &'static str,
}

/// The demo admin; it also authors the demo catalog.
pub const DEMO_ADMIN: DemoAccount = DemoAccount {
    role: Role::Admin,
    email: "demo.admin@example.com",
    name: "Demo Admin",
    password: "demo-admin-password",
};

/// The other roles. Mentors normally come from an accepted application; the demo mentor is an
/// account created directly. The student is enrolled on the first demo path.
pub const DEMO_PEOPLE: [DemoAccount; 3] = [
    DemoAccount {
        role: Role::Manager,
        email: "demo.manager@example.com",
        name: "Demo Manager",
        password: "demo-manager-password",
    },
    DemoAccount {
        role: Role::Mentor,
        email: "demo.mentor@example.com",
        name: "Demo Mentor",
        password: "demo-mentor-password",
    },
    DemoAccount {
        role: Role::Student,
        email: "demo.student@example.com",
        name: "Demo Student",
        password: "demo-student-password",
    },
];

/// A demo path and the titles and difficulties of its projects, in order.
struct DemoPath {
    title: &'static str,
    field: &'static str,
    complexity: u8,
    description: &'static str,
    projects: &'static [(&'static str, u8)],
}

const DEMO_PATHS: [DemoPath; 2] = [
    DemoPath {
        title: "Web Developer",
        field: "web development",
        complexity: 2,
        description: "From HTML to a deployed web application.",
        projects: &[("Build a static site", 1), ("Build a REST API", 2)],
    },
    DemoPath {
        title: "Data Analyst",
        field: "data analysis",
        complexity: 1,
        description: "Cleaning, exploring and presenting data.",
        projects: &[("Explore a public data set", 1), ("Build a dashboard", 2)],
    },
];

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the demo accounts have published passwords; refusing to seed with APP_ENV=production")]
    Production,
    #[error("a demo account exists with another role: {email} is a {found}, not a {expected}")]
    RoleTaken {
        email: &'static str,
        found: Role,
        expected: Role,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A level of the demo catalog is out of range: a bug in this file.
    #[error("demo catalog: {0}")]
    Catalog(#[from] LevelOutOfRange),
    /// The demo student breaks a rule of the program: a bug in this file.
    #[error("demo student: {0}")]
    Student(String),
    /// `Passwords` reports through `ApiError`, whose text hides internal causes from clients;
    /// the operator of this command should see the cause.
    #[error("hashing a password: {0}")]
    Hashing(String),
}

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Internal(cause) => SeedError::Hashing(cause),
            other => SeedError::Hashing(other.to_string()),
        }
    }
}

/// What seeding did with one thing: made it, or found it already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Existed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Existed => "exists ",
        }
    }
}

/// Creates what is missing of the demo data and returns one line per account, path and project.
/// Running it again changes nothing: existing accounts keep their passwords.
pub async fn seed(store: &Store, passwords: &Passwords) -> Result<Vec<String>, SeedError> {
    let (author, outcome) = ensure_account(store, passwords, DEMO_ADMIN).await?;
    let mut report = vec![account_line(DEMO_ADMIN, outcome)];
    let mut first_path = None;
    for path in &DEMO_PATHS {
        let (id, lines) = ensure_path(store, path, author).await?;
        first_path.get_or_insert(id);
        report.extend(lines);
    }
    for account in DEMO_PEOPLE {
        let outcome = match (account.role, first_path) {
            (Role::Student, Some(path_id)) => {
                ensure_student(store, passwords, account, path_id, author).await?
            }
            _ => ensure_account(store, passwords, account).await?.1,
        };
        report.push(account_line(account, outcome));
    }
    Ok(report)
}

fn account_line(account: DemoAccount, outcome: Outcome) -> String {
    format!(
        "{} {:<8} {:<26} password: {}",
        outcome.label(),
        account.role.as_str(),
        account.email,
        account.password
    )
}

async fn ensure_account(
    store: &Store,
    passwords: &Passwords,
    account: DemoAccount,
) -> Result<(Uuid, Outcome), SeedError> {
    let email = normalize_email(account.email);
    if let Some((user, _)) = users::find_for_login(store, &email).await? {
        if user.role != account.role {
            return Err(SeedError::RoleTaken {
                email: account.email,
                found: user.role,
                expected: account.role,
            });
        }
        return Ok((user.id, Outcome::Existed));
    }
    let new = users::NewUser {
        email,
        name: account.name.into(),
        role: account.role,
        password_hash: passwords.hash(account.password.into()).await?,
    };
    let user = users::create(store, new, None).await?;
    Ok((user.id, Outcome::Created))
}

/// The demo student: enrolled on `path_id` at its first project, with the published password
/// set at once (a real student sets theirs from the invitation).
async fn ensure_student(
    store: &Store,
    passwords: &Passwords,
    account: DemoAccount,
    path_id: Uuid,
    author: Uuid,
) -> Result<Outcome, SeedError> {
    if let Some((user, _)) = users::find_for_login(store, &normalize_email(account.email)).await? {
        return match user.role {
            Role::Student => Ok(Outcome::Existed),
            found => Err(SeedError::RoleTaken {
                email: account.email,
                found,
                expected: Role::Student,
            }),
        };
    }
    let first_project = catalog::list_projects(
        store,
        path_id,
        PageRequest {
            after: None,
            limit: 1,
        },
    )
    .await?
    .items
    .into_iter()
    .next()
    .ok_or(StoreError::NotFound("demo project"))?;
    let rhythm = check_student("Europe/Paris", 45, None, true)
        .map_err(|r| SeedError::Student(format!("{r:?}")))?;
    let new = NewStudent {
        name: account.name.into(),
        email: normalize_email(account.email),
        path_id,
        project_id: first_project.id,
        rhythm,
    };
    // No invitation: the demo student's password is published.
    let student = students::enroll(store, &new, None, author).await?;
    let hash = passwords.hash(account.password.into()).await?;
    accounts::change_password(store, student.id, &hash).await?;
    Ok(Outcome::Created)
}

async fn ensure_path(
    store: &Store,
    demo: &DemoPath,
    author: Uuid,
) -> Result<(Uuid, Vec<String>), SeedError> {
    let everything = PageRequest {
        after: None,
        limit: 200,
    };
    let existing = catalog::list_paths(store, Some(demo.field), everything)
        .await?
        .items
        .into_iter()
        .find(|p| p.title == demo.title);
    let (path, outcome) = match existing {
        Some(path) => (path, Outcome::Existed),
        None => {
            let fields = PathFields {
                title: demo.title.into(),
                field: demo.field.into(),
                complexity: Level::new(demo.complexity)?,
                description: demo.description.into(),
            };
            (
                catalog::create_path(store, fields, author).await?,
                Outcome::Created,
            )
        }
    };
    let mut report = vec![format!(
        "{} path     {} ({})",
        outcome.label(),
        path.title,
        path.id
    )];
    let projects = catalog::list_projects(
        store,
        path.id,
        PageRequest {
            after: None,
            limit: 200,
        },
    )
    .await?
    .items;
    for (title, difficulty) in demo.projects {
        let outcome = if projects.iter().any(|p| p.title == *title) {
            Outcome::Existed
        } else {
            let fields = ProjectFields {
                title: (*title).into(),
                position: None,
                difficulty: Level::new(*difficulty)?,
                description: String::new(),
            };
            catalog::create_project(store, path.id, fields, author).await?;
            Outcome::Created
        };
        report.push(format!("{} project    {title}", outcome.label()));
    }
    Ok((path.id, report))
}
