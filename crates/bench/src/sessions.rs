//! The booking and "my sessions" scenarios: their data, seeded through the store (mentors made
//! active directly: onboarding is not what is measured), the bodies of bookings that all
//! succeed (a student-week each, at the student's own hour among their mentor's students, so no
//! rule refuses them), and the storage ceilings: the same `sessions::book` and `sessions::list`
//! calls in a closed loop, without HTTP.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Days, Utc};
use mentorship_api::app::open_store;
use mentorship_api::config::Config;
use mentorship_api::passwords::Passwords;
use mentorship_domain::catalog::Level;
use mentorship_domain::people::Role;
use mentorship_domain::students::check_student;
use mentorship_store::assignments::{self, Choice};
use mentorship_store::db::query;
use mentorship_store::sessions::{self, NewBooking, SessionFilter};
use mentorship_store::students::{self, Invitation, NewStudent};
use mentorship_store::{PageRequest, Store, catalog, users};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::ceilings::{cpu_since, gather};
use crate::measurement::{Measurement, process_cpu_seconds};

/// The password of the seeded mentor whose sessions "my sessions" lists.
pub const MENTOR_PASSWORD: &str = "a bench mentor password";

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    pub mentors: usize,
    /// Students per mentor (each has their own hour of the week with their mentor: at most 50).
    pub students: usize,
    /// Weeks of bookings per student: the first half for the API, the second for the ceiling.
    pub weeks: usize,
}

/// The Monday, 00:00 UTC, of the week after next.
fn first_monday() -> DateTime<Utc> {
    let today = Utc::now().date_naive();
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    (monday + Days::new(14))
        .and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
}

/// The start of student `k`'s booking in week `week`: their own hour of the week (30-minute
/// sessions, an hour apart, 8:00 to 19:00 on weekdays).
fn start(first: DateTime<Utc>, week: usize, k: usize) -> DateTime<Utc> {
    let day = i64::try_from(k / 12).unwrap_or(0);
    let hour = 8 + i64::try_from(k % 12).unwrap_or(0);
    first
        + chrono::Duration::weeks(i64::try_from(week).unwrap_or(0))
        + chrono::Duration::days(day)
        + chrono::Duration::hours(hour)
}

async fn mentor(
    store: &Store,
    path_id: Uuid,
    n: usize,
    hash: &str,
    actor: Uuid,
) -> Result<Uuid, String> {
    const ACTIVE: &str = "INSERT INTO mentors (user_id, status, path_id, experience_years, field_years, \
         legal_status, country, right_to_work, unmet_rules, time_zone, requested_students, \
         activated_at, version, created_at, updated_at) \
         VALUES ($1, 'active', $2, 6, 3, 'freelancer', 'FR', TRUE, '[]', 'Europe/Paris', 50, $3, 1, $3, $3)";
    let user = users::create(
        store,
        users::NewUser {
            email: format!("bench.mentor{n}@example.com"),
            name: format!("Bench Mentor {n}"),
            role: Role::Mentor,
            password_hash: hash.to_owned(),
        },
        Some(actor),
    )
    .await
    .map_err(|e| e.to_string())?;
    let now = mentorship_store::now();
    store
        .execute(query(ACTIVE).bind(user.id).bind(path_id).bind(now))
        .await
        .map_err(|e| e.to_string())?;
    Ok(user.id)
}

/// Seeds a path, `seed.mentors` active mentors with `seed.students` students each, assigned, and
/// writes the booking bodies (`bookings.api.jsonl`, `bookings.storage.jsonl`) and the first
/// mentor's login (`mentor.env`, for "my sessions") to `out`.
pub async fn seed(config: &Config, seed: Seed, out: &Path) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let text = |e: mentorship_store::StoreError| e.to_string();
    // Everything is made by the bootstrap admin, as staff would make it.
    let actor = admin_of(config, &store).await?;
    let (path, project) = bench_catalog(&store, "Bench sessions", actor).await?;
    let hash = Passwords::new(1)
        .map_err(|e| e.to_string())?
        .hash(MENTOR_PASSWORD.into())
        .await
        .map_err(|e| e.to_string())?;
    let rhythm = check_student("Europe/Paris", 30, None, true).map_err(|r| format!("{r:?}"))?;
    let mut students_of = Vec::new();
    for m in 0..seed.mentors {
        let mentor_id = mentor(&store, path, m, &hash, actor).await?;
        let cohort: Vec<(NewStudent, Invitation)> = (0..seed.students)
            .map(|k| {
                let new = NewStudent {
                    name: format!("Bench Student {m}.{k}"),
                    email: format!("bench.student{m}.{k}@example.com"),
                    path_id: path,
                    project_id: project,
                    rhythm,
                };
                let invitation = Invitation {
                    token_hash: Uuid::now_v7().as_bytes().to_vec(),
                    link: String::new(),
                    expires_at: Utc::now(),
                };
                (new, invitation)
            })
            .collect();
        let enrolled = students::enroll_batch(&store, &cohort, actor)
            .await
            .map_err(text)?;
        let mut ids = Vec::new();
        for student in enrolled {
            let student = student.map_err(text)?;
            assignments::assign(
                &store,
                student.id,
                Choice::Mentor(mentor_id),
                actor,
                Utc::now(),
            )
            .await
            .map_err(text)?;
            ids.push(student.id);
        }
        students_of.push(ids);
    }
    let first = first_monday();
    let half = seed.weeks / 2;
    let lines = |weeks: std::ops::Range<usize>| {
        let mut lines = String::new();
        // Week by week, student by student across mentors: consecutive bookings touch
        // different mentors, as real ones would.
        for week in weeks {
            for k in 0..seed.students {
                for ids in &students_of {
                    let body = serde_json::json!({
                        "student_id": ids[k], "start": start(first, week, k), "project_id": project,
                    });
                    lines.push_str(&body.to_string());
                    lines.push('\n');
                }
            }
        }
        lines
    };
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    write("bookings.api.jsonl", lines(0..half))?;
    write("bookings.storage.jsonl", lines(half..seed.weeks))?;
    write(
        "mentor.env",
        format!("MENTOR_EMAIL=bench.mentor0@example.com\nMENTOR_PASSWORD='{MENTOR_PASSWORD}'\n"),
    )?;
    store.close().await;
    Ok(())
}

/// A path (complexity 1) titled `title` with one project (difficulty 1), made by `actor`: the
/// catalog of a bench scenario. Their ids.
pub(crate) async fn bench_catalog(
    store: &Store,
    title: &str,
    actor: Uuid,
) -> Result<(Uuid, Uuid), String> {
    let text = |e: mentorship_store::StoreError| e.to_string();
    let level = Level::new(1).map_err(|e| e.to_string())?;
    let fields = catalog::PathFields {
        title: format!("{title} {}", Uuid::now_v7()),
        field: "bench".into(),
        complexity: level,
        description: String::new(),
    };
    let path = catalog::create_path(store, fields, actor)
        .await
        .map_err(text)?;
    let fields = catalog::ProjectFields {
        title: "Bench project".into(),
        position: None,
        difficulty: level,
        description: String::new(),
    };
    let project = catalog::create_project(store, path.id, fields, actor)
        .await
        .map_err(text)?;
    Ok((path.id, project.id))
}

/// The bootstrap admin, who books as staff would.
pub(crate) async fn admin_of(config: &Config, store: &Store) -> Result<Uuid, String> {
    let (email, _) = config
        .bootstrap_admin
        .as_ref()
        .ok_or("needs BOOTSTRAP_ADMIN_EMAIL")?;
    let (admin, _) = users::find_for_login(store, email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the bootstrap admin does not exist")?;
    Ok(admin.id)
}

/// A booking body, read back.
#[derive(serde::Deserialize)]
struct Body {
    student_id: Uuid,
    start: DateTime<Utc>,
    project_id: Uuid,
}

/// The booking ceiling: `connections` tasks booking the bodies of `bodies` (from line `from`)
/// with `sessions::book`, as staff book (with the student's mentor), for `duration`.
pub async fn book_loop(
    config: &Config,
    bodies: &Path,
    from: usize,
    connections: usize,
    duration: Duration,
) -> Result<Measurement, String> {
    let text = std::fs::read_to_string(bodies).map_err(|e| format!("{}: {e}", bodies.display()))?;
    let bodies: Vec<Body> = text
        .lines()
        .skip(from)
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let actor = admin_of(config, &store).await?;
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections.max(1) {
        let (store, bodies, next) = (store.clone(), Arc::clone(&bodies), Arc::clone(&next));
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    errors += 1;
                    break;
                };
                let booking = NewBooking {
                    student_id: body.student_id,
                    mentor_id: None,
                    project_id: body.project_id,
                    start: body.start,
                    by: actor,
                };
                let t = Instant::now();
                match sessions::book(&store, &booking, Utc::now()).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let measured = finish(tasks, started, cpu_before).await;
    store.close().await;
    measured
}

/// The "my sessions" ceiling: `connections` tasks listing the first page (50) of the mentor's
/// upcoming sessions with `sessions::list`, for `duration`.
pub async fn list_loop(
    config: &Config,
    mentor_email: &str,
    connections: usize,
    duration: Duration,
) -> Result<Measurement, String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let (mentor, _) = users::find_for_login(&store, mentor_email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no such mentor")?;
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections.max(1) {
        let store = store.clone();
        let mentor_id = mentor.id;
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let filter = SessionFilter {
                    mentor_id: Some(mentor_id),
                    from: Some(Utc::now()),
                    ..SessionFilter::default()
                };
                let page = PageRequest {
                    after: None,
                    limit: 50,
                };
                let t = Instant::now();
                match sessions::list(&store, filter, page).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let measured = finish(tasks, started, cpu_before).await;
    store.close().await;
    measured
}

async fn finish(
    tasks: JoinSet<(Vec<Duration>, u64)>,
    started: Instant,
    cpu_before: Option<f64>,
) -> Result<Measurement, String> {
    let (latencies, errors) = gather(tasks).await?;
    let elapsed = started.elapsed();
    Ok(Measurement {
        cpu_seconds: cpu_since(cpu_before),
        ..Measurement::from_latencies(latencies, elapsed, errors)
    })
}
