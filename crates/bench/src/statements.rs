//! Issuing a month: its data (mentors with payable sessions in last month, written straight into
//! the database: how they got there is not what is measured) and its storage ceiling, the same
//! `statements::issue_month` call without HTTP.

use std::time::Instant;

use chrono::{Datelike, Months, TimeZone, Utc};
use mentorship_api::app::open_store;
use mentorship_api::config::Config;
use mentorship_domain::policy::Policies;
use mentorship_domain::statements::StatementMonth;
use mentorship_domain::weeks::WeekKey;
use mentorship_store::Store;
use mentorship_store::db::query;
use mentorship_store::statements::{self, MonthIssue};
use uuid::Uuid;

use crate::sessions::{admin_of, bench_catalog};

/// Last month in the platform zone (RULES.md's, which the bench's databases keep): the month
/// the bench issues.
pub fn last_month() -> Result<StatementMonth, String> {
    let today = Utc::now()
        .with_timezone(&Policies::default().platform_zone)
        .date_naive();
    let first = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(1)))
        .ok_or("no last month")?;
    StatementMonth::new(first.year(), first.month()).ok_or_else(|| "no last month".into())
}

fn text(e: mentorship_store::StoreError) -> String {
    e.to_string()
}

/// Seeds `mentors` active mentors, each with a student and `sessions` completed sessions with
/// notes in last month (45 minutes at the rate of complexity 1, difficulty 1), in one
/// transaction.
pub async fn seed(config: &Config, mentors: usize, sessions: usize) -> Result<(), String> {
    let store = open_store(config).await.map_err(text)?;
    let actor = admin_of(config, &store).await?;
    let (path, project) = bench_catalog(&store, "Bench statements", actor).await?;
    let month = last_month()?;
    let first = Policies::default()
        .platform_zone
        .with_ymd_and_hms(month.year(), month.month(), 2, 10, 0, 0)
        .earliest()
        .ok_or("no first day")?
        .with_timezone(&Utc);
    let mut tx = store.begin().await.map_err(text)?;
    let now = mentorship_store::now();
    const USER: &str = "INSERT INTO users (id, email, name, role, password_hash, active, version, \
                        created_at, updated_at) VALUES ($1, $2, $3, $4, 'x', TRUE, 1, $5, $5)";
    const MENTOR: &str = "INSERT INTO mentors (user_id, status, path_id, experience_years, \
         field_years, legal_status, country, right_to_work, unmet_rules, time_zone, \
         requested_students, activated_at, version, created_at, updated_at) \
         VALUES ($1, 'active', $2, 6, 3, 'freelancer', 'FR', TRUE, '[]', 'Europe/Paris', 1, $3, 1, $3, $3)";
    const STUDENT: &str = "INSERT INTO students (user_id, path_id, project_id, time_zone, \
         session_minutes, allowed_weekdays, version, created_at, updated_at) \
         VALUES ($1, $2, $3, 'Europe/Paris', 45, 127, 1, $4, $4)";
    const SESSION: &str = "INSERT INTO sessions (id, student_id, mentor_id, project_id, start_at, \
         end_at, minutes, week, status, status_at, summary, notes_at, notes_due_at, notes_late, \
         rate_cents, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 45, $7, \
         'completed', $8, 'Bench', $8, $6, FALSE, 2500, 1, $8, $8)";
    for m in 0..mentors {
        let (mentor, student) = (Uuid::now_v7(), Uuid::now_v7());
        for (id, role, who) in [
            (mentor, "mentor", "mentor"),
            (student, "student", "student"),
        ] {
            let q = query(USER)
                .bind(id)
                .bind(format!("bench.{who}{m}.{id}@example.com"))
                .bind(format!("Bench {who} {m}"))
                .bind(role)
                .bind(now);
            tx.execute(q).await.map_err(text)?;
        }
        tx.execute(query(MENTOR).bind(mentor).bind(path).bind(now))
            .await
            .map_err(text)?;
        let q = query(STUDENT)
            .bind(student)
            .bind(path)
            .bind(project)
            .bind(now);
        tx.execute(q).await.map_err(text)?;
        for s in 0..sessions {
            let start = first + chrono::Duration::weeks(i64::try_from(s).unwrap_or(0));
            let q = query(SESSION)
                .bind(Uuid::now_v7())
                .bind(student)
                .bind(mentor)
                .bind(project)
                .bind(start)
                .bind(start + chrono::Duration::minutes(45))
                .bind(WeekKey::of(start, Policies::default().platform_zone).to_string())
                .bind(now);
            tx.execute(q).await.map_err(text)?;
        }
    }
    tx.commit().await.map_err(text)?;
    store.close().await;
    Ok(())
}

/// What the storage ceiling did: the seconds `issue_month` took and the statements it issued.
#[derive(Debug, serde::Serialize)]
pub struct Issued {
    pub seconds: f64,
    pub issued: usize,
}

/// The storage ceiling: issues last month with `statements::issue_month`, as the API's handler
/// does, and times it.
pub async fn issue_month(config: &Config) -> Result<Issued, String> {
    let store: Store = open_store(config).await.map_err(text)?;
    let actor = admin_of(config, &store).await?;
    let month = last_month()?;
    let started = Instant::now();
    let outcomes = statements::issue_month(&store, month, actor, Utc::now())
        .await
        .map_err(text)?;
    let seconds = started.elapsed().as_secs_f64();
    let issued = outcomes
        .iter()
        .filter(|o| matches!(o, MonthIssue::Issued(_)))
        .count();
    store.close().await;
    Ok(Issued { seconds, issued })
}
