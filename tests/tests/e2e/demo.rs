//! `mentorship seed-demo`: the demo program a frontend team builds against, on an empty
//! database. Checked as that team would see it through the API: every published login works,
//! every screen has its states (mentors in each onboarding state, sessions in each status,
//! reports and statements in each state), the history is dated as it would have happened, and
//! seeding again changes nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use mentorship_tests::{Reply, TestApp, on_both_databases, token_of};
use serde_json::{Value, json};

/// Every item of a list, page after page.
async fn all(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let join = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => format!("{path}{join}limit=200&cursor={c}"),
            None => format!("{path}{join}limit=200"),
        };
        let reply = app.get(&page, token).await;
        let body = reply.ok(200);
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

fn statuses(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_owned())
        .collect()
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// Logs in with each published login printed by `seed-demo`; returns their tokens by role.
async fn logins(app: &TestApp, printed: &[String]) -> Vec<(String, String)> {
    let mut tokens = Vec::new();
    for line in printed.iter().filter(|l| l.contains(" password: ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (role, email, password) = (words[1], words[2], words[4]);
        tokens.push((role.to_owned(), token_of(&app.login(email, password).await)));
    }
    tokens
}

async fn the_demo_program_fills_every_screen(app: TestApp) {
    let printed = app.seed_demo().await.unwrap();
    let tokens = logins(&app, &printed).await;
    let roles: Vec<&str> = tokens.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["admin", "manager", "mentor", "student"]);
    let token = |role: &str| tokens.iter().find(|(r, _)| r == role).unwrap().1.clone();
    let (manager, mentor, student) = (token("manager"), token("mentor"), token("student"));
    let today = Utc::now();

    // Three paths, each with projects.
    let paths = all(&app, "/v1/paths", &student).await;
    assert_eq!(paths.len(), 3);
    for path in &paths {
        let projects = all(
            &app,
            &format!("/v1/paths/{}/projects", path["id"].as_str().unwrap()),
            &student,
        )
        .await;
        assert_eq!(projects.len(), 3, "{}", path["title"]);
    }

    // Mentors in every state of onboarding and after; an ineligible application among them.
    let mentors = all(&app, "/v1/mentors", &manager).await;
    assert_eq!(
        statuses(&mentors),
        set(&[
            "applied",
            "accepted",
            "rejected",
            "contract_ready",
            "active",
            "suspended",
            "offboarded"
        ])
    );
    let applications = all(&app, "/v1/mentor-applications?status=applied", &manager).await;
    assert!(
        applications
            .iter()
            .any(|a| !a["unmet_rules"].as_array().unwrap().is_empty())
    );
    assert!(
        applications
            .iter()
            .any(|a| a["unmet_rules"].as_array().unwrap().is_empty())
    );
    let me = app.get("/v1/me", &mentor).await.ok(200).clone();
    let demo_mentor = me["id"].as_str().unwrap().to_owned();
    let profile = app
        .get(&format!("/v1/mentors/{demo_mentor}"), &mentor)
        .await
        .ok(200)
        .clone();
    assert_eq!(profile["status"], "active");
    assert!(
        instant(&profile["activated_at"]) < today - Duration::days(150),
        "onboarded months ago"
    );
    let documents = app
        .get(
            &format!("/v1/mentors/{}/documents", id_of(&mentors, "accepted")),
            &manager,
        )
        .await;
    let kinds: BTreeSet<String> = documents.ok(200)["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, set(&["missing", "submitted", "rejected"]));

    // Forty students, three waiting for a mentor; the demo student has progress.
    assert_eq!(all(&app, "/v1/students", &manager).await.len(), 40);
    let waiting = all(&app, "/v1/students?unassigned=true", &manager).await;
    assert_eq!(waiting.len(), 3);
    // The last enrolled (yesterday) has an invitation to accept, and no password until then.
    let (email, enrolled) = invited_student(&app, &manager).await;
    assert!(enrolled > today - Duration::days(2));
    let refused = app
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": "demo-password"})),
            &[],
        )
        .await;
    assert_eq!(refused.status, 401);
    let accepted = accept_invitation(&app, &email).await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    let student_id = app.get("/v1/me", &student).await.ok(200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let progress = app
        .get(&format!("/v1/students/{student_id}/progress"), &student)
        .await;
    assert!(!progress.ok(200)["items"].as_array().unwrap().is_empty());

    // Eight weeks of sessions in every status, notes on time and late, next week booked.
    let sessions = all(&app, "/v1/sessions", &manager).await;
    assert!(sessions.len() > 250, "{} sessions", sessions.len());
    assert_eq!(
        statuses(&sessions),
        set(&[
            "scheduled",
            "completed",
            "student_no_show",
            "cancelled",
            "late_cancelled_by_student",
            "late_cancelled_by_mentor",
            "rescheduled"
        ])
    );
    let earliest = sessions.iter().map(|s| instant(&s["start"])).min().unwrap();
    assert!(
        earliest < today - Duration::weeks(7),
        "history from {earliest}"
    );
    assert!(
        sessions
            .iter()
            .any(|s| s["status"] == "scheduled" && instant(&s["start"]) > today)
    );
    assert!(sessions.iter().any(|s| s["notes_late"] == true));
    // Some of the last week's wait for their outcome: held, not recorded yet.
    let awaiting: Vec<_> = sessions
        .iter()
        .filter(|s| s["status"] == "scheduled" && instant(&s["end"]) < today)
        .collect();
    assert!(!awaiting.is_empty(), "no session waits for its outcome");
    assert!(
        awaiting
            .iter()
            .all(|s| instant(&s["end"]) > today - Duration::days(7)),
        "{awaiting:?}"
    );
    for session in sessions.iter().filter(|s| !s["notes_at"].is_null()) {
        // Dated as it happened: notes after the session, before today.
        let written = instant(&session["notes_at"]);
        assert!(
            written > instant(&session["end"]) && written < today,
            "{session}"
        );
        assert_eq!(
            written > instant(&session["notes_due_at"]),
            session["notes_late"] == true
        );
    }
    let since = (today - Duration::weeks(9)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mine = all(&app, &format!("/v1/me/sessions?from={since}"), &student).await;
    assert!(
        mine.len() >= 8,
        "the demo student has {} sessions",
        mine.len()
    );
    let moved = app.get("/v1/sessions/needing-new-date", &mentor).await;
    assert_eq!(
        moved.ok(200)["items"].as_array().unwrap().len(),
        1,
        "the session inside the coming absence"
    );

    // Absences: past, coming, withdrawn. Reports in each state.
    let absences = all(&app, "/v1/absences", &manager).await;
    assert_eq!(absences.len(), 3);
    assert_eq!(
        absences
            .iter()
            .filter(|a| !a["withdrawn_at"].is_null())
            .count(),
        1
    );
    let reports = all(&app, "/v1/reports", &manager).await;
    assert_eq!(
        statuses(&reports),
        set(&["open", "acknowledged", "resolved"])
    );
    let requests = all(&app, "/v1/path-requests", &manager).await;
    assert_eq!(
        statuses(&requests),
        set(&["approved", "declined", "pending"])
    );
    let pending = requests.iter().filter(|r| r["status"] == "pending").count();
    assert_eq!(pending, 2, "two requests wait for a manager");

    // Statements in each state, and the demo mentor's two referral bonuses.
    let statements = all(&app, "/v1/statements", &manager).await;
    assert_eq!(
        statuses(&statements),
        set(&["issued", "approved", "disputed", "paid"])
    );
    let referrals = app
        .get(&format!("/v1/mentors/{demo_mentor}/referrals"), &mentor)
        .await;
    let qualified: Vec<&Value> = referrals.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["qualified_at"].is_null())
        .collect();
    assert_eq!(qualified.len(), 2);

    // The accounting system's webhook, a delivery queued for each issued and paid statement.
    let admin = token("admin");
    let webhooks = all(&app, "/v1/webhooks", &admin).await;
    assert_eq!(webhooks.len(), 1);
    let hook = &webhooks[0];
    assert_eq!(
        hook["events"],
        serde_json::json!(["statement.issued", "statement.paid"])
    );
    let deliveries = all(
        &app,
        &format!("/v1/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
        &admin,
    )
    .await;
    let paid = statements.iter().filter(|s| s["status"] == "paid").count();
    assert_eq!(deliveries.len(), statements.len() + paid);

    // One mentor's statement of the last month over waits to be issued, and can be.
    let held = mentors
        .iter()
        .find(|m| m["email"] == "amelie.martin@example.com")
        .unwrap();
    let held_id = held["id"].as_str().unwrap();
    let months: BTreeSet<&str> = statements
        .iter()
        .filter(|s| s["mentor_id"] == held["id"])
        .map(|s| s["month"].as_str().unwrap())
        .collect();
    let newest = statements
        .iter()
        .map(|s| s["month"].as_str().unwrap())
        .max()
        .unwrap();
    assert!(
        !months.contains(newest),
        "{months:?}, the others' up to {newest}"
    );
    let issued = app
        .post(
            &format!("/v1/mentors/{held_id}/statements"),
            &manager,
            json!({ "month": newest }),
        )
        .await;
    assert_eq!(issued.status, 201, "{:?}", issued.body);
    // Again: nothing changes.
    let again = app.seed_demo().await.unwrap();
    assert!(
        again.iter().any(|l| l.contains("already there")),
        "{again:?}"
    );
    assert_eq!(
        all(&app, "/v1/sessions", &manager).await.len(),
        sessions.len()
    );
    assert_eq!(
        all(&app, "/v1/mentors", &manager).await.len(),
        mentors.len()
    );
}

/// The student waiting for a mentor who was enrolled last (yesterday, invited): their email
/// and when they were enrolled.
async fn invited_student(app: &TestApp, manager: &str) -> (String, DateTime<Utc>) {
    let waiting = all(app, "/v1/students?unassigned=true", manager).await;
    let invited = waiting
        .iter()
        .max_by_key(|s| instant(&s["created_at"]))
        .unwrap();
    let email = invited["email"].as_str().unwrap().to_owned();
    (email, instant(&invited["created_at"]))
}

/// Accepts the invitation emailed to `email`, setting a password.
async fn accept_invitation(app: &TestApp, email: &str) -> Reply {
    let link = app.last_link_token(email).await;
    let body = json!({"token": link, "new_password": "a long passphrase"});
    app.call("POST", "/v1/auth/invitation", None, Some(body), &[])
        .await
}

fn id_of(mentors: &[Value], status: &str) -> String {
    mentors.iter().find(|m| m["status"] == status).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn the_demo_program_is_not_mixed_into_another(app: TestApp) {
    let admin = app.admin().await;
    let path = json!({"title": "Cyber Security", "field": "security", "complexity": 2,
        "description": "Defending systems."});
    app.post("/v1/paths", &admin, path).await.ok(201);
    let refused = app.seed_demo().await.unwrap_err();
    assert!(
        refused.contains("no paths, mentors or students"),
        "{refused}"
    );
    assert_eq!(
        all(&app, "/v1/paths", &admin).await.len(),
        1,
        "nothing added"
    );
}

/// Seeded on the days a calendar makes awkward (a month of 28 days, the clocks changing in
/// Europe and in America on different weekends, a year's end, just after midnight on the
/// first of a month), the program is whole: no rule refused a step, and the statements are
/// in every state. The history is then in the past of those days, so only what does not
/// depend on the real clock is checked.
async fn the_demo_program_holds_on_awkward_days(app: TestApp) {
    let days = [
        "2026-03-01T10:00:00Z",
        "2026-03-30T08:00:00Z",
        "2026-11-03T12:00:00Z",
        "2026-12-31T22:30:00Z",
        "2027-01-01T00:10:00Z",
        "2026-07-31T22:00:00Z",
    ];
    for (n, day) in days.iter().enumerate() {
        let fresh;
        let app = if n == 0 {
            &app
        } else {
            fresh = TestApp::spawn(app.backend).await.unwrap();
            &fresh
        };
        let today: DateTime<Utc> = day.parse().unwrap();
        app.seed_demo_as_of(today)
            .await
            .unwrap_or_else(|e| panic!("{day}: {e}"));
        let admin = app.admin().await;
        let statements = all(app, "/v1/statements", &admin).await;
        assert_eq!(
            statuses(&statements),
            set(&["issued", "approved", "disputed", "paid"]),
            "{day}"
        );
        let sessions = all(app, "/v1/sessions", &admin).await;
        assert!(
            sessions.iter().all(|s| instant(&s["created_at"]) < today),
            "{day}"
        );
        // The invitation expires 72 hours after the enrollment, by the program's clock: the
        // day's, not the machine's.
        let (email, enrolled) = invited_student(app, &admin).await;
        let valid = enrolled + Duration::hours(72) > Utc::now();
        let reply = accept_invitation(app, &email).await;
        if valid {
            assert_eq!(reply.status, 200, "{day}: {:?}", reply.body);
        } else {
            assert_eq!(
                reply.problem(422)["errors"][0]["code"],
                "link_invalid",
                "{day}"
            );
        }
    }
}

/// The demo logins' passwords are published: the command refuses a production server, and
/// leaves its database as it was.
async fn the_demo_program_is_refused_in_production(app: TestApp) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mentorship-server"))
        .arg("seed-demo")
        .env_clear()
        .env("DATABASE_URL", app.config.database_url.expose())
        .env("APP_ENV", "production")
        .env("APP_URL", "https://mentoring.example.com")
        .env("JWT_SECRET", mentorship_tests::JWT_SECRET)
        .env("FILE_ENCRYPTION_KEY", mentorship_tests::FILE_KEY)
        .env("FILES_DIR", app.files_dir.to_str().unwrap())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains("refusing to seed with APP_ENV=production"),
        "{said}"
    );
    let admin = app.admin().await;
    assert!(all(&app, "/v1/paths", &admin).await.is_empty());
    assert!(all(&app, "/v1/mentors", &admin).await.is_empty());
}

on_both_databases!(
    the_demo_program_is_refused_in_production,
    the_demo_program_holds_on_awkward_days,
    the_demo_program_fills_every_screen,
    the_demo_program_is_not_mixed_into_another,
);
