//! Who and what the demo program holds: its catalog, its staff, its mentors (one or more in
//! every onboarding state) and its students. Data only; `onboarding.rs` and `history.rs` act it.

use mentorship_domain::mentors::LegalStatus;
use mentorship_domain::people::Role;

/// A demo login whose password is published in the README: demo databases only.
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

/// The demo manager: the manager of most mentors, told of their absences and reports.
pub const DEMO_MANAGER: DemoAccount = DemoAccount {
    role: Role::Manager,
    email: "demo.manager@example.com",
    name: "Demo Manager",
    password: "demo-manager-password",
};

/// The demo mentor: active on the first path, with students, sessions, statements and two
/// referrals that qualified.
pub const DEMO_MENTOR: DemoAccount = DemoAccount {
    role: Role::Mentor,
    email: "demo.mentor@example.com",
    name: "Demo Mentor",
    password: "demo-mentor-password",
};

/// The demo student: the demo mentor's first student, with eight weeks of sessions.
pub const DEMO_STUDENT: DemoAccount = DemoAccount {
    role: Role::Student,
    email: "demo.student@example.com",
    name: "Demo Student",
    password: "demo-student-password",
};

/// The four published logins, in the order `seed-demo` prints them.
pub const DEMO_LOGINS: [DemoAccount; 4] = [DEMO_ADMIN, DEMO_MANAGER, DEMO_MENTOR, DEMO_STUDENT];

/// The password of every other person of the demo program.
pub const OTHERS_PASSWORD: &str = "demo-password";

/// A path of the demo catalog and its projects (title, difficulty), in order.
pub struct DemoPath {
    pub title: &'static str,
    pub field: &'static str,
    pub complexity: u8,
    pub description: &'static str,
    pub projects: &'static [(&'static str, u8)],
}

pub const PATHS: [DemoPath; 3] = [
    DemoPath {
        title: "Web Developer",
        field: "web development",
        complexity: 2,
        description: "From HTML to a deployed web application.",
        projects: &[
            ("Build a static site", 1),
            ("Build a REST API", 2),
            ("Deploy a full-stack application", 3),
        ],
    },
    DemoPath {
        title: "Data Analyst",
        field: "data analysis",
        complexity: 1,
        description: "Cleaning, exploring and presenting data.",
        projects: &[
            ("Explore a public data set", 1),
            ("Clean and join data sources", 2),
            ("Build a dashboard", 2),
        ],
    },
    DemoPath {
        title: "Machine Learning Engineer",
        field: "machine learning",
        complexity: 3,
        description: "Training, serving and watching models.",
        projects: &[
            ("Train a first model", 1),
            ("Serve a model behind an API", 2),
            ("Monitor a model in production", 3),
        ],
    },
];

/// The second manager (the demo manager is the first).
pub const SECOND_MANAGER: (&str, &str) = ("Nadia Haddad", "nadia.haddad@example.com");

/// Where the school's accounting system would hear of statements: a name under `example.com`
/// (RFC 2606) that answers nothing.
pub const ACCOUNTING_HOOK: &str = "https://hooks.example.com/mentorship";

/// Where a demo mentor's onboarding ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Applied, eligible, waiting for review.
    Applied,
    /// Applied without meeting the eligibility rules.
    Ineligible,
    Rejected,
    /// Accepted; two documents waiting for review, one rejected, one not sent.
    SendingDocuments,
    /// The four documents verified; the contract not signed yet.
    ContractReady,
    /// Active with students: the weekly history is theirs.
    Teaching,
    Suspended,
    Offboarded,
}

/// A demo mentor.
pub struct CastMentor {
    pub name: &'static str,
    pub email: &'static str,
    /// Index in [`PATHS`] of the path applied for.
    pub path: usize,
    pub zone: &'static str,
    pub experience_years: u8,
    pub field_years: u8,
    pub legal_status: LegalStatus,
    pub country: &'static str,
    pub stage: Stage,
    /// Students assigned at the start of the history (teaching mentors).
    pub students: usize,
    /// Referred by the demo mentor, and onboarded later than the others.
    pub referred: bool,
    /// Reviewed (and so managed) by the second manager rather than the demo manager.
    pub second_manager: bool,
}

const fn mentor(name: &'static str, email: &'static str, path: usize, stage: Stage) -> CastMentor {
    CastMentor {
        name,
        email,
        path,
        zone: "Europe/Paris",
        experience_years: 8,
        field_years: 5,
        legal_status: LegalStatus::Freelancer,
        country: "FR",
        stage,
        students: 0,
        referred: false,
        second_manager: false,
    }
}

/// The demo mentor first: the referrer of the two referred mentors.
pub const MENTORS: [CastMentor; 15] = [
    CastMentor {
        students: 7,
        ..mentor(DEMO_MENTOR.name, DEMO_MENTOR.email, 0, Stage::Teaching)
    },
    CastMentor {
        students: 6,
        legal_status: LegalStatus::Company,
        ..mentor(
            "Amelie Martin",
            "amelie.martin@example.com",
            0,
            Stage::Teaching,
        )
    },
    CastMentor {
        students: 6,
        country: "BE",
        zone: "Europe/Brussels",
        ..mentor(
            "Bruno Lefevre",
            "bruno.lefevre@example.com",
            1,
            Stage::Teaching,
        )
    },
    CastMentor {
        students: 5,
        second_manager: true,
        ..mentor(
            "Chloe Dubois",
            "chloe.dubois@example.com",
            1,
            Stage::Teaching,
        )
    },
    CastMentor {
        students: 6,
        country: "CA",
        zone: "America/Montreal",
        experience_years: 12,
        second_manager: true,
        ..mentor(
            "David Moreau",
            "david.moreau@example.com",
            2,
            Stage::Teaching,
        )
    },
    CastMentor {
        students: 3,
        referred: true,
        ..mentor("Emma Girard", "emma.girard@example.com", 2, Stage::Teaching)
    },
    CastMentor {
        students: 3,
        referred: true,
        country: "MA",
        zone: "Africa/Casablanca",
        ..mentor(
            "Farid Benali",
            "farid.benali@example.com",
            0,
            Stage::Teaching,
        )
    },
    mentor(
        "Gabriel Petit",
        "gabriel.petit@example.com",
        1,
        Stage::Applied,
    ),
    CastMentor {
        experience_years: 2,
        field_years: 1,
        ..mentor("Hugo Roux", "hugo.roux@example.com", 0, Stage::Ineligible)
    },
    mentor(
        "Ines Fontaine",
        "ines.fontaine@example.com",
        2,
        Stage::Rejected,
    ),
    mentor(
        "Jules Mercier",
        "jules.mercier@example.com",
        0,
        Stage::SendingDocuments,
    ),
    CastMentor {
        second_manager: true,
        ..mentor(
            "Karine Blanc",
            "karine.blanc@example.com",
            1,
            Stage::ContractReady,
        )
    },
    mentor(
        "Louis Garnier",
        "louis.garnier@example.com",
        0,
        Stage::Suspended,
    ),
    mentor(
        "Manon Chevalier",
        "manon.chevalier@example.com",
        1,
        Stage::Offboarded,
    ),
    mentor(
        "Olivier Lambert",
        "olivier.lambert@example.com",
        2,
        Stage::Applied,
    ),
];

/// Index in [`MENTORS`] of the mentor a student moves to in the history (from the third).
pub const REASSIGNED_FROM: usize = 2;
pub const REASSIGNED_TO: usize = 3;

/// Students waiting for a mentor (enrolled, none assigned).
pub const UNASSIGNED_STUDENTS: usize = 3;

const FIRST_NAMES: [&str; 20] = [
    "Alice", "Baptiste", "Camille", "Dylan", "Elise", "Florian", "Gaelle", "Hamza", "Iris",
    "Jonas", "Lea", "Mathis", "Nora", "Oscar", "Pauline", "Quentin", "Rose", "Samir", "Theo",
    "Zoe",
];

const LAST_NAMES: [&str; 13] = [
    "Bernard", "Durand", "Faure", "Gauthier", "Henry", "Joly", "Leroy", "Marchand", "Noel",
    "Perrin", "Renaud", "Schmitt", "Vidal",
];

/// The zones students live in (the platform's, and three others on the same weekdays).
pub const STUDENT_ZONES: [&str; 4] = [
    "Europe/Paris",
    "Europe/Brussels",
    "Africa/Casablanca",
    "Europe/Lisbon",
];

/// The name and email of the `n`-th student after the demo student: the same every run.
pub fn student_identity(n: usize) -> (String, String) {
    let first = FIRST_NAMES[n % FIRST_NAMES.len()];
    let last = LAST_NAMES[(n * 7 + n / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let email = format!("{}.{}@example.com", first, last).to_lowercase();
    (format!("{first} {last}"), email)
}
