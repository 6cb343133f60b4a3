//! Doing each act of the demo program through the store's own functions, as the API would for
//! the person who does it, with the domain's checks the API makes before the store.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use mentorship_domain::calendar::local_date;
use mentorship_domain::capacity::check_requested_students;
use mentorship_domain::catalog::Level;
use mentorship_domain::mentors::{self as rules, ApplicationFacts, DocumentKind, DocumentUpload};
use mentorship_domain::people::{Role, normalize_email};
use mentorship_domain::referrals::referral_code;
use mentorship_domain::statements::StatementMonth;
use mentorship_domain::students::{ProjectProgress, check_student};
use mentorship_domain::webhooks::WebhookEvent;
use mentorship_store::assignments::{self, Choice};
use mentorship_store::catalog::{self, PathFields, ProjectFields};
use mentorship_store::mentors::{self, NewApplication, ProfileChanges};
use mentorship_store::reports::{self, NewReport};
use mentorship_store::sessions::{self, NewBooking};
use mentorship_store::statements::{self, IssuedStatement, MonthIssue, Payment};
use mentorship_store::students::{self, NewStudent};
use mentorship_store::users::{self, NewUser};
use mentorship_store::{absences, accounts, path_requests, policies};
use uuid::Uuid;

use super::SeedError;
use super::cast::{
    ACCOUNTING_HOOK, CastMentor, DEMO_ADMIN, DEMO_LOGINS, DEMO_MANAGER, DemoAccount, MENTORS,
    PATHS, SECOND_MANAGER, Stage,
};
use super::plan::{self, Act, Agenda, Calendar, CastStudent, REPORTS, mentor_in_week, slot_start};
use crate::routes::applications::referrer;
use crate::routes::documents::{decide, receive};
use crate::routes::students::invitation;
use crate::routes::webhooks::subscribe;
use crate::state::AppState;

/// A small but real PDF: documents are checked by their first bytes.
const DEMO_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

const SUMMARIES: [&str; 6] = [
    "Reviewed the project's structure; next: tests for the main flows.",
    "Walked through the feedback on the last submission; two fixes to make.",
    "Practised explaining the design choices for the defence.",
    "Debugged the deployment together; it runs. Next: the README.",
    "Planned the next project's milestones for the coming two weeks.",
    "Went over the data model; the student will refactor the joins.",
];

/// The ids of what the program made so far, by the cast's indices.
pub struct Program<'a> {
    state: &'a AppState,
    calendar: Calendar,
    students_cast: &'a [CastStudent],
    /// Password hashes: each published login's, and one for everyone else.
    hashes: Hashes,
    admin: Uuid,
    managers: [Uuid; 2],
    paths: Vec<(Uuid, Vec<Uuid>)>,
    mentors: Vec<Option<Uuid>>,
    students: Vec<Option<Uuid>>,
    sessions: HashMap<(usize, i32), Uuid>,
    absences: HashMap<usize, Uuid>,
    path_requests: HashMap<usize, Uuid>,
    reports: HashMap<usize, Uuid>,
    /// Each statement issued, in order: its id and mentor.
    statements: Vec<(Uuid, Uuid)>,
    /// Sessions booked (a rescheduled one and the one replacing it are two).
    booked: usize,
}

pub struct Hashes {
    pub logins: HashMap<&'static str, String>,
    pub others: String,
}

impl<'a> Program<'a> {
    pub fn new(
        state: &'a AppState,
        calendar: Calendar,
        students_cast: &'a [CastStudent],
        hashes: Hashes,
    ) -> Self {
        Program {
            state,
            calendar,
            students_cast,
            hashes,
            admin: Uuid::nil(),
            managers: [Uuid::nil(); 2],
            paths: Vec::new(),
            mentors: vec![None; MENTORS.len()],
            students: vec![None; students_cast.len()],
            sessions: HashMap::new(),
            absences: HashMap::new(),
            path_requests: HashMap::new(),
            reports: HashMap::new(),
            statements: Vec::new(),
            booked: 0,
        }
    }

    /// Does `act` at `at` (the store's clock already set there); may plan what follows it.
    pub async fn perform(
        &mut self,
        agenda: &mut Agenda,
        at: DateTime<Utc>,
        act: Act,
    ) -> Result<(), SeedError> {
        let what = format!("{act:?}");
        self.act(agenda, at, act).await.map_err(|e| match e {
            SeedError::Store(error) => SeedError::Step { what, error },
            SeedError::Internal(cause) => SeedError::Internal(format!("{what}: {cause}")),
            other => other,
        })
    }

    async fn act(
        &mut self,
        agenda: &mut Agenda,
        at: DateTime<Utc>,
        act: Act,
    ) -> Result<(), SeedError> {
        let store = &self.state.store;
        match act {
            Act::Found => self.found().await?,
            Act::Apply { mentor } => self.apply(mentor).await?,
            Act::Accept { mentor } => {
                mentors::accept(store, self.mentor(mentor)?, self.manager_of(mentor)).await?;
            }
            Act::RejectApplication { mentor } => {
                let reason = "Your experience is in a field the path does not cover yet.";
                mentors::reject(store, self.mentor(mentor)?, self.manager_of(mentor), reason)
                    .await?;
            }
            Act::SendDocument { mentor, kind } => self.send_document(mentor, kind, at).await?,
            Act::Review {
                mentor,
                kind,
                verify,
            } => self.review(mentor, kind, verify).await?,
            Act::Sign { mentor } => {
                let mut random = [0u8; 8];
                rand::Rng::fill_bytes(&mut rand::rng(), &mut random);
                let id = self.mentor(mentor)?;
                let name = MENTORS[mentor].name;
                mentors::sign(store, id, name, true, referral_code(random)).await?;
            }
            Act::OpenPlaces { mentor, places } => self.open_places(mentor, places).await?,
            Act::Move { mentor, to } => {
                let (reason, action) = match to {
                    rules::MentorStatus::Suspended => (
                        "Paused at the mentor's request for a family matter.",
                        "mentor.suspended",
                    ),
                    _ => (
                        "Left the program for a full-time position.",
                        "mentor.offboarded",
                    ),
                };
                let (id, by) = (self.mentor(mentor)?, self.manager_of(mentor));
                mentors::staff_move(store, id, to, reason, action, by).await?;
            }
            Act::RequestPath { mentor, path } => {
                let (path_id, _) = self.paths[path].clone();
                let request =
                    path_requests::request(store, self.mentor(mentor)?, path_id, at).await?;
                self.path_requests.insert(mentor, request.id);
            }
            Act::DecidePath { mentor, approve } => {
                let id = *self
                    .path_requests
                    .get(&mentor)
                    .ok_or_else(|| missing("path request"))?;
                let reason = (!approve).then_some("The path is fully staffed for this quarter.");
                path_requests::decide(store, id, approve, reason, self.manager_of(mentor)).await?;
            }
            Act::Enroll { student } => self.enroll(student).await?,
            Act::Assign { student, mentor } => {
                let choice = Choice::Mentor(self.mentor(mentor)?);
                assignments::assign(store, self.student(student)?, choice, self.managers[0], at)
                    .await?;
            }
            Act::Book { student, week } => self.book(agenda, student, week, at).await?,
            Act::Reschedule { student, week, to } => {
                let id = self.session(student, week)?;
                let by = self.mentor_of(student, week)?;
                let moved = sessions::reschedule(store, id, to, by, at).await?;
                self.sessions.insert((student, week), moved.id);
                self.booked += 1;
            }
            Act::Cancel {
                student,
                week,
                side,
            } => {
                let (id, by) = (self.session(student, week)?, self.mentor_of(student, week)?);
                let by = match side {
                    mentorship_domain::sessions::CancelledBy::Student => self.student(student)?,
                    mentorship_domain::sessions::CancelledBy::Mentor => by,
                };
                sessions::cancel(store, id, side, by, at).await?;
            }
            Act::RecordOutcome {
                student,
                week,
                outcome,
            } => {
                let (id, by) = (self.session(student, week)?, self.mentor_of(student, week)?);
                sessions::record_session_outcome(store, id, outcome, by, at).await?;
            }
            Act::WriteNotes { student, week } => {
                let (id, by) = (self.session(student, week)?, self.mentor_of(student, week)?);
                let n = student + usize::try_from(week + 20).unwrap_or(0);
                let summary = SUMMARIES[n % SUMMARIES.len()];
                let private = n
                    .is_multiple_of(4)
                    .then_some("Tired this week; keep an eye on the pace.");
                sessions::write_notes(store, id, summary, private, by, at).await?;
            }
            Act::DeclareAbsence {
                mentor,
                first_day,
                last_day,
            } => {
                let new = absences::NewAbsence {
                    first_day,
                    last_day,
                    reason: Some("Training course".into()),
                };
                let id = self.mentor(mentor)?;
                let declared = absences::declare(store, id, &new, id, at).await?;
                self.absences.insert(mentor, declared.id);
            }
            Act::WithdrawAbsence { mentor } => {
                let id = self.mentor(mentor)?;
                let absence = *self
                    .absences
                    .get(&mentor)
                    .ok_or_else(|| missing("absence"))?;
                absences::withdraw(store, id, absence, id, at).await?;
            }
            Act::FileReport { report } => self.file_report(report).await?,
            Act::AdvanceReport { report, to } => {
                let id = *self.reports.get(&report).ok_or_else(|| missing("report"))?;
                let by = self.manager_of(REPORTS[report].mentor);
                let comment = Some("Called the student; a plan is agreed.");
                reports::advance(store, id, to, comment, by, Role::Manager).await?;
            }
            Act::IssueMonth { month, held } => self.issue_month(agenda, month, held, at).await?,
            Act::Approve { statement } => {
                let (id, mentor) = self.statements[statement];
                statements::approve(store, id, Role::Mentor, mentor).await?;
            }
            Act::Dispute { statement } => {
                let (id, mentor) = self.statements[statement];
                let reason = "One session of the month is missing from the lines.";
                statements::dispute(store, id, Role::Mentor, reason, mentor).await?;
            }
            Act::Pay { statement } => {
                let (id, _) = self.statements[statement];
                let payment = Payment {
                    reference: format!("DEMO-TRANSFER-{:04}", statement + 1),
                    paid_on: local_date(at, plan::PARIS),
                };
                statements::mark_paid(store, id, Role::Manager, &payment, self.managers[0]).await?;
            }
        }
        Ok(())
    }

    /// The staff and the catalog.
    async fn found(&mut self) -> Result<(), SeedError> {
        let store = &self.state.store;
        self.admin = self.account(DEMO_ADMIN).await?;
        self.managers[0] = self.account(DEMO_MANAGER).await?;
        let (name, email) = SECOND_MANAGER;
        let second = NewUser {
            email: normalize_email(email),
            name: name.into(),
            role: Role::Manager,
            password_hash: self.hashes.others.clone(),
        };
        self.managers[1] = users::create(store, second, Some(self.admin)).await?.id;
        for demo in &PATHS {
            let fields = PathFields {
                title: demo.title.into(),
                field: demo.field.into(),
                complexity: Level::new(demo.complexity)?,
                description: demo.description.into(),
            };
            let path = catalog::create_path(store, fields, self.admin).await?;
            let mut projects = Vec::new();
            for (title, difficulty) in demo.projects {
                let fields = ProjectFields {
                    title: (*title).into(),
                    position: None,
                    difficulty: Level::new(*difficulty)?,
                    description: format!("A project of the {} path.", demo.title),
                };
                projects.push(
                    catalog::create_project(store, path.id, fields, self.admin)
                        .await?
                        .id,
                );
            }
            self.paths.push((path.id, projects));
        }
        // The school's accounting system hears of statements. Its address answers nothing, so
        // the deliveries fail and retry where the webhooks' screens show them.
        let events = [WebhookEvent::StatementIssued, WebhookEvent::StatementPaid];
        let description = "Accounting: statements to pay".to_owned();
        subscribe(
            self.state,
            ACCOUNTING_HOOK.into(),
            description,
            &events,
            self.admin,
        )
        .await?;
        Ok(())
    }

    async fn account(&self, account: DemoAccount) -> Result<Uuid, SeedError> {
        let new = NewUser {
            email: normalize_email(account.email),
            name: account.name.into(),
            role: account.role,
            password_hash: self.hash_of(account.email),
        };
        Ok(users::create(&self.state.store, new, None).await?.id)
    }

    fn hash_of(&self, email: &str) -> String {
        self.hashes
            .logins
            .get(email)
            .unwrap_or(&self.hashes.others)
            .clone()
    }

    async fn apply(&mut self, m: usize) -> Result<(), SeedError> {
        let cast: &CastMentor = &MENTORS[m];
        let store = &self.state.store;
        let email = normalize_email(cast.email);
        let referrer_id = if cast.referred {
            // The demo mentor's code, checked as the API checks a code sent with an application.
            let demo = mentors::get(store, self.mentor(0)?).await?;
            let code = demo.referral_code.ok_or_else(|| missing("referral code"))?;
            Some(referrer(self.state, &email, &code).await?)
        } else {
            None
        };
        let policies = policies::current(store).await?.policies;
        let application = NewApplication {
            account: NewUser {
                email,
                name: cast.name.into(),
                role: Role::Mentor,
                password_hash: self.hash_of(cast.email),
            },
            path_id: self.paths[cast.path].0,
            facts: ApplicationFacts {
                professional_experience_years: cast.experience_years,
                field_experience_years: cast.field_years,
                right_to_work_attested: true,
            },
            legal_status: cast.legal_status,
            country: cast.country.into(),
            referrer_id,
            time_zone: cast.zone.into(),
        };
        let mentor = mentors::apply(store, application, &policies).await?;
        self.mentors[m] = Some(mentor.id);
        Ok(())
    }

    async fn send_document(
        &self,
        m: usize,
        kind: DocumentKind,
        at: DateTime<Utc>,
    ) -> Result<(), SeedError> {
        let store = &self.state.store;
        let id = self.mentor(m)?;
        let policies = policies::current(store).await?.policies;
        let uploaded_on = local_date(at, policies.platform_zone);
        let facts = DocumentUpload {
            kind,
            first_bytes: DEMO_PDF,
            size_bytes: DEMO_PDF.len() as u64,
            issued_on: (kind == DocumentKind::CriminalRecord)
                .then(|| uploaded_on - Duration::days(12)),
            uploaded_on,
        };
        receive(self.state, id, &facts, DEMO_PDF.to_vec(), &policies).await?;
        Ok(())
    }

    async fn review(&self, m: usize, kind: DocumentKind, verify: bool) -> Result<(), SeedError> {
        let reason = (!verify).then_some("The scan is unreadable: please send a clearer copy.");
        decide(
            self.state,
            self.mentor(m)?,
            kind,
            self.manager_of(m),
            reason,
        )
        .await?;
        Ok(())
    }

    async fn open_places(&self, m: usize, places: u32) -> Result<(), SeedError> {
        let store = &self.state.store;
        let policies = policies::current(store).await?.policies;
        let places = check_requested_students(places, &policies)
            .map_err(|r| SeedError::Cast(format!("{}: {r}", MENTORS[m].name)))?;
        let mentor = mentors::get(store, self.mentor(m)?).await?;
        let changes = ProfileChanges {
            bio: Some(format!(
                "{} years in the trade; I mentor on the {} path.",
                MENTORS[m].experience_years, PATHS[MENTORS[m].path].title
            )),
            time_zone: None,
            requested_students: Some(places),
            manager_id: None,
        };
        mentors::edit_profile(store, mentor.id, mentor.version, changes, mentor.id).await?;
        Ok(())
    }

    async fn enroll(&mut self, s: usize) -> Result<(), SeedError> {
        let store = &self.state.store;
        let cast = &self.students_cast[s];
        let (path_id, projects) = self.paths[cast.path].clone();
        let project_id = projects[cast.project];
        let rhythm = check_student(cast.zone, cast.minutes, cast.weekdays.as_deref(), true)
            .map_err(|r| SeedError::Cast(format!("{}: {r:?}", cast.name)))?;
        let new = NewStudent {
            name: cast.name.clone(),
            email: normalize_email(&cast.email),
            path_id,
            project_id,
            rhythm,
        };
        // No invitation: the demo's passwords are published; but one student, enrolled
        // yesterday, has theirs to accept.
        let invitation = cast.invited.then(|| invitation(self.state).0);
        let student = students::enroll(store, &new, invitation.as_ref(), self.managers[0]).await?;
        if invitation.is_none() {
            accounts::change_password(store, student.id, &self.hash_of(&cast.email)).await?;
        }
        for (p, project) in projects.iter().enumerate().take(cast.project + 1) {
            let progress = match (p == cast.project, s % 4) {
                (false, _) => ProjectProgress::Validated,
                (true, 2) => ProjectProgress::Submitted,
                (true, _) => ProjectProgress::InProgress,
            };
            students::set_progress(store, student.id, *project, progress, self.managers[0]).await?;
        }
        self.students[s] = Some(student.id);
        Ok(())
    }

    async fn book(
        &mut self,
        agenda: &mut Agenda,
        s: usize,
        week: i32,
        at: DateTime<Utc>,
    ) -> Result<(), SeedError> {
        let cast = &self.students_cast[s];
        let m = mentor_in_week(cast, week).ok_or_else(|| missing("mentor"))?;
        let start = slot_start(&self.calendar, &MENTORS[m], cast.slot, week);
        let mentor = self.mentor(m)?;
        let booking = NewBooking {
            student_id: self.student(s)?,
            mentor_id: Some(mentor),
            project_id: self.paths[cast.path].1[cast.project],
            start,
            by: mentor,
        };
        let session = sessions::book(&self.state.store, &booking, at).await?;
        self.sessions.insert((s, week), session.id);
        self.booked += 1;
        plan::after_booking(agenda, &self.calendar, s, week, start, cast.minutes);
        Ok(())
    }

    async fn file_report(&mut self, r: usize) -> Result<(), SeedError> {
        let report = &REPORTS[r];
        let student = self
            .students_cast
            .iter()
            .position(|c| c.mentor == Some(report.mentor) && c.slot == report.slot)
            .ok_or_else(|| missing("reported student"))?;
        let new = NewReport {
            student_id: self.student(student)?,
            category: report.category,
            severity: report.severity,
            body: report.body.into(),
        };
        let filed = reports::file(&self.state.store, self.mentor(report.mentor)?, &new).await?;
        self.reports.insert(r, filed.id);
        Ok(())
    }

    /// Issues `month`'s statements, every mentor's, or, with `held`, every teaching mentor's
    /// but that one's (whose statement waits to be issued by hand).
    async fn issue_month(
        &mut self,
        agenda: &mut Agenda,
        month: StatementMonth,
        held: Option<usize>,
        at: DateTime<Utc>,
    ) -> Result<(), SeedError> {
        let store = &self.state.store;
        let by = self.managers[0];
        if let Some(held) = held {
            let teaching = MENTORS.iter().enumerate();
            for (m, cast) in teaching.filter(|(m, c)| *m != held && c.stage == Stage::Teaching) {
                let issued = statements::issue(store, self.mentor(m)?, month, by, at)
                    .await
                    .map_err(|error| SeedError::Step {
                        what: format!("issuing {month:?} for {}", cast.name),
                        error,
                    })?;
                self.issued(agenda, issued.statement);
            }
            return Ok(());
        }
        for outcome in statements::issue_month(store, month, by, at).await? {
            match outcome {
                MonthIssue::Issued(issued) => self.issued(agenda, issued.statement),
                MonthIssue::AlreadyIssued(_) => {}
                MonthIssue::Refused { mentor_id, error } => {
                    return Err(SeedError::Step {
                        what: format!("issuing {month:?} for mentor {mentor_id}"),
                        error,
                    });
                }
            }
        }
        Ok(())
    }

    /// Keeps an issued statement and plans what becomes of it.
    fn issued(&mut self, agenda: &mut Agenda, statement: IssuedStatement) {
        let n = self.statements.len();
        self.statements.push((statement.id, statement.mentor_id));
        plan::after_issue(agenda, &self.calendar, n, statement.issued_at);
    }

    fn mentor(&self, m: usize) -> Result<Uuid, SeedError> {
        self.mentors
            .get(m)
            .copied()
            .flatten()
            .ok_or_else(|| missing(MENTORS.get(m).map_or("mentor", |c| c.name)))
    }

    fn student(&self, s: usize) -> Result<Uuid, SeedError> {
        self.students
            .get(s)
            .copied()
            .flatten()
            .ok_or_else(|| missing("student"))
    }

    fn session(&self, s: usize, week: i32) -> Result<Uuid, SeedError> {
        self.sessions
            .get(&(s, week))
            .copied()
            .ok_or_else(|| missing("session"))
    }

    /// The mentor who holds a student's session of `week`.
    fn mentor_of(&self, s: usize, week: i32) -> Result<Uuid, SeedError> {
        let m = mentor_in_week(&self.students_cast[s], week).ok_or_else(|| missing("mentor"))?;
        self.mentor(m)
    }

    /// The manager who reviewed the mentor, and so manages them.
    fn manager_of(&self, m: usize) -> Uuid {
        self.managers[usize::from(MENTORS[m].second_manager)]
    }
}

/// An act names something an earlier act should have made: a bug in `plan.rs`.
fn missing(what: &str) -> SeedError {
    SeedError::Cast(format!("the plan acts on a {what} it has not made yet"))
}

/// The published logins' hashes and the others' one, hashed once each.
pub async fn hashes(state: &AppState) -> Result<Hashes, SeedError> {
    let mut logins = HashMap::new();
    for account in DEMO_LOGINS {
        let hash = state.passwords.hash(account.password.into()).await?;
        logins.insert(account.email, hash);
    }
    let others = state.passwords.hash(super::OTHERS_PASSWORD.into()).await?;
    Ok(Hashes { logins, others })
}

/// Plays the whole program, act by act in the order of their instants, the store's clock set
/// to each; returns the line that says what it holds.
pub async fn play(state: &AppState, today: DateTime<Utc>) -> Result<String, SeedError> {
    let calendar = Calendar::new(today);
    let cast = plan::students();
    let hashes = hashes(state).await?;
    let mut agenda = plan::opening(&calendar, &cast);
    let mut program = Program::new(state, calendar, &cast, hashes);
    while let Some((at, act)) = agenda.next() {
        mentorship_store::clock::set(at);
        program.perform(&mut agenda, at, act).await?;
    }
    let teaching = MENTORS
        .iter()
        .filter(|m| m.stage == Stage::Teaching)
        .count();
    Ok(format!(
        "{} paths, {} mentors ({teaching} teaching), {} students, {} sessions, {} statements, \
         {} difficulty reports",
        PATHS.len(),
        MENTORS.len(),
        cast.len(),
        program.booked,
        program.statements.len(),
        REPORTS.len()
    ))
}
