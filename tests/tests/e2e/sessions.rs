//! Weekly sessions: booking and every refusal, moving, cancelling, the outcome, the notes and
//! their lateness, absences, difficulty reports, the calendar feed and the reminders; weeks
//! across DST changes and year ends in the student's zone.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use mentorship_tests::{Pair, Reply, TestApp, on_both_databases};
use serde_json::{Value, json};

const PARIS: Tz = chrono_tz::Europe::Paris;

/// The instant of a local time in `zone` (the earlier one when the clocks go back).
fn local(zone: Tz, day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
    zone.from_local_datetime(&day.and_time(time))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The `weekday` of the week after next, in Paris: far enough to book and to cancel in time.
fn day_in_two_weeks(weekday: Weekday) -> NaiveDate {
    let today = Utc::now().with_timezone(&PARIS).date_naive();
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    monday + Days::new(14 + u64::from(weekday.num_days_from_monday()))
}

fn at(day: NaiveDate, hour: u32) -> String {
    local(PARIS, day, hour, 0).to_rfc3339()
}

async fn book(app: &TestApp, token: &str, student: &str, start: &str) -> Reply {
    let project = app.first_project(&app.harness_path().await).await;
    let body = json!({"student_id": student, "start": start, "project_id": project});
    app.post("/v1/sessions", token, body).await
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

fn codes(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn act(app: &TestApp, token: &str, session: &str, action: &str, body: Value) -> Reply {
    app.post(&format!("/v1/sessions/{session}/{action}"), token, body)
        .await
}

async fn status_of(app: &TestApp, token: &str, session: &str) -> String {
    let reply = app.get(&format!("/v1/sessions/{session}"), token).await;
    reply.ok(200)["status"].as_str().unwrap().to_owned()
}

async fn a_session_is_booked_with_every_rule_checked(app: TestApp) {
    let admin = app.admin().await;
    let Pair {
        mentor,
        mentor_id,
        student,
        student_id,
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let thursday = day_in_two_weeks(Weekday::Thu);
    let booked = book(&app, &mentor, &student_id, &at(thursday, 18)).await;
    let session = booked.ok(201).clone();
    let session_id = session["id"].as_str().unwrap().to_owned();
    assert_eq!(
        booked.header("location"),
        Some(format!("/v1/sessions/{session_id}"))
    );
    assert_eq!(session["length"], 45);
    assert_eq!(session["status"], "scheduled");
    assert_eq!(session["mentor_id"], json!(mentor_id));
    let week = thursday.iso_week();
    assert_eq!(
        session["week"],
        format!("{:04}-W{:02}", week.year(), week.week())
    );
    assert_eq!(
        session["student_start"].as_str().unwrap(),
        local(PARIS, thursday, 18, 0)
            .with_timezone(&PARIS)
            .to_rfc3339()
    );
    assert_eq!(session["student_time_zone"], "Europe/Paris");
    // Notes are due by the end of the day the session ends, in the mentor's zone.
    let due = local(PARIS, thursday + Days::new(1), 0, 0);
    assert_eq!(
        session["notes_due_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        due
    );
    assert!(
        app.notification_kinds(&student)
            .await
            .contains(&"session_booked".to_owned())
    );
    assert!(
        !app.notification_kinds(&mentor)
            .await
            .contains(&"session_booked".to_owned())
    );

    // The week is taken: another day of it is refused, naming the session that holds it.
    let friday = thursday + Days::new(1);
    let second = book(&app, &mentor, &student_id, &at(friday, 9)).await;
    let problem = second.problem(409);
    assert_eq!(problem["code"], "week_already_taken");
    assert!(
        problem["detail"].as_str().unwrap().contains(&session_id),
        "{problem}"
    );

    // Every broken rule at once: in the past, and on a day the funding does not allow.
    let etag = app
        .get(&format!("/v1/students/{student_id}"), &admin)
        .await
        .header("etag")
        .unwrap();
    app.patch(
        &format!("/v1/students/{student_id}"),
        &admin,
        &etag,
        json!({"allowed_weekdays": ["monday"]}),
    )
    .await
    .ok(200);
    // A past Tuesday at 10:00 in Paris: in the past, and never the one weekday allowed,
    // whatever day the test runs on.
    let today = Utc::now().with_timezone(&PARIS).date_naive();
    let back = u64::from(today.weekday().days_since(Weekday::Tue)) + 7;
    let past_tuesday = at(today - Days::new(back), 10);
    let refused = book(&app, &mentor, &student_id, &past_tuesday).await;
    let problem = refused.problem(409).clone();
    let mut all = codes(&problem);
    all.sort();
    assert!(
        all.contains(&"in_the_past".to_owned()) && all.contains(&"weekday_not_allowed".to_owned()),
        "{problem}"
    );
    // The change of weekdays does not touch the session already booked on a Thursday.
    let kept = app
        .get(&format!("/v1/sessions/{session_id}"), &mentor)
        .await;
    assert_eq!(kept.ok(200)["status"], "scheduled");
    let next_monday = day_in_two_weeks(Weekday::Mon) + Days::new(7);
    book(&app, &mentor, &student_id, &at(next_monday, 10))
        .await
        .ok(201);

    // Another student of the same mentor, at an overlapping time.
    let (_, other_id) = app.student(&admin, "other@example.com").await;
    app.assign(&admin, &other_id, &mentor_id).await;
    let overlapping = local(PARIS, thursday, 18, 30).to_rfc3339();
    let clash = book(&app, &mentor, &other_id, &overlapping).await;
    assert_eq!(clash.problem(409)["code"], "overlaps_other_session");
    // Back to back is fine.
    let after = local(PARIS, thursday, 18, 45).to_rfc3339();
    book(&app, &mentor, &other_id, &after).await.ok(201);

    // Another mentor's student, a student booking, staff booking with the current mentor.
    let (stranger, _) = app.mentor("ann@example.com").await;
    let not_theirs = book(
        &app,
        &stranger,
        &student_id,
        &at(day_in_two_weeks(Weekday::Mon) + Days::new(14), 10),
    )
    .await;
    assert_eq!(not_theirs.problem(409)["code"], "not_assigned");
    book(
        &app,
        &student,
        &student_id,
        &at(next_monday + Days::new(7), 10),
    )
    .await
    .problem(403);
    let by_staff = book(
        &app,
        &admin,
        &student_id,
        &at(next_monday + Days::new(7), 10),
    )
    .await;
    assert_eq!(by_staff.ok(201)["mentor_id"], json!(mentor_id));
    assert!(
        app.notification_kinds(&mentor)
            .await
            .contains(&"session_booked".to_owned())
    );
    // A project of another path.
    let path = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Other", "field": "f", "complexity": 1}),
        )
        .await;
    let path_id = id(&path.body);
    let project = app
        .post(
            &format!("/v1/paths/{path_id}/projects"),
            &admin,
            json!({"title": "P", "difficulty": 1}),
        )
        .await;
    let body = json!({"student_id": student_id, "start": at(next_monday + Days::new(14), 10), "project_id": id(&project.body)});
    let off_path = app.post("/v1/sessions", &mentor, body).await;
    assert_eq!(
        off_path.problem(422)["errors"][0]["code"],
        "project_not_on_path"
    );
    // A session of someone else's reads as missing.
    app.get(&format!("/v1/sessions/{session_id}"), &stranger)
        .await
        .problem(404);
}

async fn sessions_move_and_are_cancelled(app: TestApp) {
    let admin = app.admin().await;
    let Pair {
        mentor,
        student,
        student_id,
        ..
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let tuesday = day_in_two_weeks(Weekday::Tue);
    let first = id(book(&app, &mentor, &student_id, &at(tuesday, 17))
        .await
        .ok(201));

    // Moved within its own week: the old session frees the week for the new one.
    let moved = act(
        &app,
        &mentor,
        &first,
        "reschedule",
        json!({"start": at(tuesday + Days::new(2), 9)}),
    )
    .await;
    let second = moved.ok(201).clone();
    assert_eq!(second["replaces"], json!(first));
    let old = app
        .get(&format!("/v1/sessions/{first}"), &student)
        .await
        .ok(200)
        .clone();
    assert_eq!(old["status"], "rescheduled");
    assert_eq!(old["replaced_by"], second["id"]);
    assert!(
        app.notification_kinds(&student)
            .await
            .contains(&"session_rescheduled".to_owned())
    );
    act(
        &app,
        &mentor,
        &first,
        "reschedule",
        json!({"start": at(tuesday, 11)}),
    )
    .await
    .problem(409);
    let second = second["id"].as_str().unwrap().to_owned();
    // A student does not move sessions; nor into the past.
    act(
        &app,
        &student,
        &second,
        "reschedule",
        json!({"start": at(tuesday, 12)}),
    )
    .await
    .problem(403);
    let past = act(
        &app,
        &mentor,
        &second,
        "reschedule",
        json!({"start": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339()}),
    )
    .await;
    assert_eq!(codes(past.problem(422)), ["in_the_past"]);
    assert_eq!(
        status_of(&app, &mentor, &second).await,
        "scheduled",
        "a refused move changes nothing"
    );

    // The student cancels in time: the week is free again.
    let cancelled = act(&app, &student, &second, "cancel", json!({})).await;
    assert_eq!(cancelled.ok(200)["status"], "cancelled");
    assert!(
        app.notification_kinds(&mentor)
            .await
            .contains(&"session_cancelled".to_owned())
    );
    act(&app, &student, &second, "cancel", json!({}))
        .await
        .problem(409);
    let third = id(book(&app, &mentor, &student_id, &at(tuesday, 17))
        .await
        .ok(201));

    // Staff say on whose behalf; others cannot.
    let missing = act(&app, &admin, &third, "cancel", json!({})).await;
    assert_eq!(codes(missing.problem(422)), ["required"]);
    let not_theirs = act(
        &app,
        &student,
        &third,
        "cancel",
        json!({"on_behalf_of": "mentor"}),
    )
    .await;
    assert_eq!(codes(not_theirs.problem(422)), ["not_for_you"]);

    // Late cancellations: less than 24 hours before the start.
    app.move_session_to(&third, Utc::now() + chrono::Duration::hours(3))
        .await;
    let late = act(
        &app,
        &admin,
        &third,
        "cancel",
        json!({"on_behalf_of": "student"}),
    )
    .await;
    assert_eq!(late.ok(200)["status"], "late_cancelled_by_student");
    // A late cancellation by the student keeps the week taken (and gives the time back).
    let same_time = book(
        &app,
        &mentor,
        &student_id,
        &(Utc::now() + chrono::Duration::hours(3)).to_rfc3339(),
    )
    .await;
    assert_eq!(same_time.problem(409)["code"], "week_already_taken");
    // A late cancellation by the mentor frees the week (another student of theirs).
    let (_, other) = app.student(&admin, "other@example.com").await;
    let mentor_id = app.get("/v1/me", &mentor).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.assign(&admin, &other, &mentor_id).await;
    let fourth = id(book(&app, &mentor, &other, &at(tuesday, 19)).await.ok(201));
    let soon = Utc::now() + chrono::Duration::hours(20);
    app.move_session_to(&fourth, soon).await;
    let by_mentor = act(&app, &mentor, &fourth, "cancel", json!({})).await;
    assert_eq!(by_mentor.ok(200)["status"], "late_cancelled_by_mentor");
    book(&app, &mentor, &other, &soon.to_rfc3339())
        .await
        .ok(201);
}

async fn outcomes_and_notes(app: TestApp) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let Pair {
        mentor,
        mentor_id,
        student,
        student_id,
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let url = format!("/v1/mentors/{mentor_id}");
    let etag = app.get(&url, &admin).await.header("etag").unwrap();
    app.patch(&url, &admin, &etag, json!({"manager_id": manager_id}))
        .await
        .ok(200);
    let day = day_in_two_weeks(Weekday::Wed);
    let session = id(book(&app, &mentor, &student_id, &at(day, 10)).await.ok(201));
    assert_eq!(
        act(
            &app,
            &mentor,
            &session,
            "outcome",
            json!({"outcome": "completed"})
        )
        .await
        .problem(409)["code"],
        "session_not_started"
    );
    let notes = |token: &str, body: Value| {
        let url = format!("/v1/sessions/{session}/notes");
        let token = token.to_owned();
        let app = &app;
        async move { app.call("PUT", &url, Some(&token), Some(body), &[]).await }
    };
    let early = notes(&mentor, json!({"summary": "Good"})).await;
    assert_eq!(early.problem(409)["code"], "notes_need_an_outcome");

    // Started 5 minutes ago: too early for a no-show (the first third is 15 minutes).
    app.move_session_to(&session, Utc::now() - chrono::Duration::minutes(5))
        .await;
    assert_eq!(
        act(
            &app,
            &mentor,
            &session,
            "outcome",
            json!({"outcome": "student_no_show"})
        )
        .await
        .problem(409)["code"],
        "no_show_too_early"
    );
    act(
        &app,
        &student,
        &session,
        "outcome",
        json!({"outcome": "completed"}),
    )
    .await
    .problem(403);
    assert_eq!(
        act(
            &app,
            &mentor,
            &session,
            "outcome",
            json!({"outcome": "completed"})
        )
        .await
        .ok(200)["status"],
        "completed"
    );
    assert_eq!(
        act(
            &app,
            &mentor,
            &session,
            "outcome",
            json!({"outcome": "completed"})
        )
        .await
        .problem(409)["code"],
        "session_not_scheduled"
    );
    // Notes in time.
    let blank = notes(&mentor, json!({"summary": "   "})).await;
    assert_eq!(codes(blank.problem(422)), ["summary_required"]);
    let written = notes(
        &mentor,
        json!({"summary": "Worked on the API.", "private_note": "Tired."}),
    )
    .await;
    let written = written.ok(200).clone();
    assert_eq!(written["notes_late"], false);
    assert_eq!(written["private_note"], "Tired.");
    let seen = app
        .get(&format!("/v1/sessions/{session}"), &student)
        .await
        .ok(200)
        .clone();
    assert_eq!(seen["summary"], "Worked on the API.");
    assert_eq!(
        seen["private_note"],
        Value::Null,
        "students never read the private note"
    );

    // Late notes: a session of three days ago.
    let old = id(
        book(&app, &mentor, &student_id, &at(day + Days::new(7), 10))
            .await
            .ok(201),
    );
    app.move_session_to(&old, Utc::now() - chrono::Duration::days(3))
        .await;
    act(
        &app,
        &mentor,
        &old,
        "outcome",
        json!({"outcome": "completed"}),
    )
    .await
    .ok(200);
    let url = format!("/v1/sessions/{old}/notes");
    let late = app
        .call(
            "PUT",
            &url,
            Some(&mentor),
            Some(json!({"summary": "Late."})),
            &[],
        )
        .await;
    assert_eq!(late.ok(200)["notes_late"], true);
    assert!(
        app.notification_kinds(&manager)
            .await
            .contains(&"notes_late".to_owned())
    );
    // Rewriting keeps the first writing's verdict.
    let again = app
        .call(
            "PUT",
            &url,
            Some(&mentor),
            Some(json!({"summary": "Late, edited."})),
            &[],
        )
        .await;
    assert_eq!(again.ok(200)["notes_late"], true);
}

/// Makes `manager_id` the manager of `mentor_id`.
async fn manage(app: &TestApp, admin: &str, mentor_id: &str, manager_id: &str) {
    let url = format!("/v1/mentors/{mentor_id}");
    let etag = app.get(&url, admin).await.header("etag").unwrap();
    app.patch(&url, admin, &etag, json!({"manager_id": manager_id}))
        .await
        .ok(200);
}

async fn absences_block_bookings_and_flag_sessions(app: TestApp) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let Pair {
        mentor,
        mentor_id,
        student,
        student_id,
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    manage(&app, &admin, &mentor_id, &manager_id).await;
    let wednesday = day_in_two_weeks(Weekday::Wed);
    let inside = id(book(&app, &mentor, &student_id, &at(wednesday, 10))
        .await
        .ok(201));
    let absences = format!("/v1/mentors/{mentor_id}/absences");
    let today = Utc::now().with_timezone(&PARIS).date_naive();
    let not_ahead = app
        .post(
            &absences,
            &mentor,
            json!({"first_day": today, "last_day": today + Days::new(1)}),
        )
        .await;
    assert_eq!(codes(not_ahead.problem(422)), ["absence_not_in_advance"]);
    let backwards = app
        .post(
            &absences,
            &mentor,
            json!({"first_day": wednesday, "last_day": wednesday - Days::new(1)}),
        )
        .await;
    assert_eq!(
        codes(backwards.problem(422)),
        ["absence_last_day_before_first_day"]
    );
    let declared = app
        .post(&absences, &mentor, json!({"first_day": wednesday, "last_day": wednesday + Days::new(1), "reason": "Conference"}))
        .await;
    let absence = id(declared.ok(201));
    assert!(
        app.notification_kinds(&student)
            .await
            .contains(&"absence_declared".to_owned())
    );
    assert!(
        app.notification_kinds(&manager)
            .await
            .contains(&"absence_declared".to_owned())
    );
    for token in [&mentor, &admin] {
        let needing = app.get("/v1/sessions/needing-new-date", token).await;
        let ids: Vec<&str> = needing.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [inside.as_str()]);
    }
    app.get("/v1/sessions/needing-new-date", &student)
        .await
        .problem(403);
    // No booking inside it: another of the mentor's students on its second day.
    let (_, other) = app.student(&admin, "other@example.com").await;
    app.assign(&admin, &other, &mentor_id).await;
    let refused = book(&app, &mentor, &other, &at(wednesday + Days::new(1), 15)).await;
    assert_eq!(refused.problem(409)["code"], "mentor_absent");
    // The student sees none of it.
    app.get(&absences, &student).await.problem(404);
    let listed = app.get("/v1/absences", &manager).await;
    assert_eq!(listed.ok(200)["items"][0]["id"], json!(absence));
    // Day ranges keep the absences that overlap them, both ends included.
    let count = |reply: &Reply| reply.body["items"].as_array().unwrap().len();
    let thursday = wednesday + Days::new(1);
    for (range, expected) in [
        (format!("from={thursday}"), 1),
        (format!("to={wednesday}"), 1),
        (format!("from={}", thursday + Days::new(1)), 0),
        (format!("to={}", wednesday - Days::new(1)), 0),
    ] {
        let staff = app.get(&format!("/v1/absences?{range}"), &manager).await;
        staff.ok(200);
        assert_eq!(count(&staff), expected, "{range}");
        let own = app.get(&format!("{absences}?{range}"), &mentor).await;
        own.ok(200);
        assert_eq!(count(&own), expected, "{range}");
    }
    // Withdrawn, bookings in it are possible again; once.
    let withdraw = format!("{absences}/{absence}/withdraw");
    assert!(app.post(&withdraw, &mentor, json!({})).await.ok(200)["withdrawn_at"].is_string());
    assert_eq!(
        app.post(&withdraw, &mentor, json!({})).await.problem(409)["code"],
        "absence_withdrawn"
    );
    book(&app, &mentor, &other, &at(wednesday + Days::new(1), 15))
        .await
        .ok(201);
    let none = app.get("/v1/sessions/needing-new-date", &mentor).await;
    assert!(none.ok(200)["items"].as_array().unwrap().is_empty());
    // A started absence stays.
    let next = app
        .post(
            &absences,
            &mentor,
            json!({"first_day": wednesday + Days::new(7), "last_day": wednesday + Days::new(8)}),
        )
        .await;
    let next = id(next.ok(201));
    const STARTED: &str = "UPDATE absences SET first_day = $2 WHERE id = $1";
    let started = mentorship_store::db::query(STARTED)
        .bind(next.parse::<uuid::Uuid>().unwrap())
        .bind(today);
    app.store.execute(started).await.unwrap();
    let too_late = app
        .post(&format!("{absences}/{next}/withdraw"), &mentor, json!({}))
        .await;
    assert_eq!(too_late.problem(409)["code"], "absence_already_started");
    // Absent today: the automatic rule passes the mentor by.
    let (_, newcomer) = app.student(&admin, "new@example.com").await;
    let automatic = app
        .call(
            "POST",
            &format!("/v1/students/{newcomer}/assignments/automatic"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(automatic.problem(409)["code"], "no_mentor_available");
}

async fn difficulty_reports(app: TestApp) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let Pair {
        mentor,
        mentor_id,
        student,
        student_id,
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    manage(&app, &admin, &mentor_id, &manager_id).await;
    let (other_mentor, _) = app.mentor("ann@example.com").await;
    let report = json!({"student_id": student_id, "category": "motivation", "severity": "high", "text": "Stopped answering."});
    app.post("/v1/reports", &other_mentor, report.clone())
        .await
        .problem(404);
    app.post("/v1/reports", &student, report.clone())
        .await
        .problem(403);
    let bad =
        json!({"student_id": student_id, "category": "boredom", "severity": "high", "text": "x"});
    app.post("/v1/reports", &mentor, bad).await.problem(422);
    let filed = app.post("/v1/reports", &mentor, report).await;
    let filed = filed.ok(201).clone();
    assert_eq!(filed["status"], "open");
    let report_id = filed["id"].as_str().unwrap().to_owned();
    assert!(
        app.notification_kinds(&manager)
            .await
            .contains(&"report_filed".to_owned())
    );
    let high = app
        .get("/v1/reports?severity=high&status=open", &manager)
        .await;
    assert_eq!(high.ok(200)["items"].as_array().unwrap().len(), 1);
    let low = app.get("/v1/reports?severity=low", &manager).await;
    assert!(low.ok(200)["items"].as_array().unwrap().is_empty());
    // Filed-at ranges: from is included, to is not.
    let filed_at = filed["created_at"].as_str().unwrap().replace('+', "%2B");
    let since = app
        .get(&format!("/v1/reports?from={filed_at}"), &manager)
        .await;
    assert_eq!(since.ok(200)["items"].as_array().unwrap().len(), 1);
    let until = app
        .get(&format!("/v1/reports?to={filed_at}"), &manager)
        .await;
    assert!(until.ok(200)["items"].as_array().unwrap().is_empty());
    let theirs = app.get("/v1/reports", &other_mentor).await;
    assert!(
        theirs.ok(200)["items"].as_array().unwrap().is_empty(),
        "a mentor reads their own"
    );
    app.get(&format!("/v1/reports/{report_id}"), &other_mentor)
        .await
        .problem(404);
    let step = |token: &str, action: &str| {
        let url = format!("/v1/reports/{report_id}/{action}");
        let token = token.to_owned();
        let app = &app;
        async move {
            app.post(&url, &token, json!({"comment": "Calling the student."}))
                .await
        }
    };
    assert_eq!(
        step(&mentor, "acknowledge").await.problem(403)["code"],
        "only_staff"
    );
    assert_eq!(
        step(&manager, "resolve").await.problem(409)["code"],
        "transition_not_allowed"
    );
    assert_eq!(
        step(&manager, "acknowledge").await.ok(200)["status"],
        "acknowledged"
    );
    assert!(
        app.notification_kinds(&mentor)
            .await
            .contains(&"report_moved".to_owned())
    );
    let resolved = step(&manager, "resolve").await;
    assert_eq!(resolved.ok(200)["status"], "resolved");
    assert_eq!(resolved.body["comment"], "Calling the student.");
}

async fn the_calendar_feed_lists_ones_sessions(app: TestApp) {
    let admin = app.admin().await;
    let Pair {
        mentor,
        student,
        student_id,
        ..
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let day = day_in_two_weeks(Weekday::Thu);
    let kept = id(book(&app, &mentor, &student_id, &at(day, 18)).await.ok(201));
    let dropped = id(
        book(&app, &mentor, &student_id, &at(day + Days::new(7), 18))
            .await
            .ok(201),
    );
    act(&app, &student, &dropped, "cancel", json!({}))
        .await
        .ok(200);
    app.post("/v1/me/calendar-feed", &admin, json!({}))
        .await
        .problem(403);
    let made = app.post("/v1/me/calendar-feed", &student, json!({})).await;
    let url = made.ok(201)["url"].as_str().unwrap().to_owned();
    let path = &url[url.find("/v1/").unwrap()..];
    let feed = app.raw("GET", path, &[], Vec::new()).await;
    assert_eq!(feed.status, 200);
    assert!(
        feed.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = feed.body.as_str().unwrap().to_owned();
    let calendar: icalendar::Calendar = text.parse().unwrap();
    use icalendar::Component;
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    let first = events
        .iter()
        .find(|e| e.get_uid() == Some(&format!("{kept}@mentorship")))
        .unwrap();
    assert_eq!(
        first.get_summary(),
        Some("Mentoring session with meg@example.com")
    );
    assert_eq!(first.property_value("DURATION"), Some("PT45M"));
    let start = match first.get_start() {
        Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(start))) => {
            start
        }
        other => panic!("not a UTC start: {other:?}"),
    };
    assert_eq!(start, local(PARIS, day, 18, 0));
    let cancelled = events
        .iter()
        .find(|e| e.get_uid() == Some(&format!("{dropped}@mentorship")))
        .unwrap();
    assert_eq!(
        cancelled.get_status(),
        Some(icalendar::EventStatus::Cancelled)
    );
    // The mentor's feed names the student.
    let theirs = app.post("/v1/me/calendar-feed", &mentor, json!({})).await;
    let theirs = theirs.ok(201)["url"].as_str().unwrap().to_owned();
    let mentor_feed = app
        .raw(
            "GET",
            &theirs[theirs.find("/v1/").unwrap()..],
            &[],
            Vec::new(),
        )
        .await;
    assert!(
        mentor_feed
            .body
            .as_str()
            .unwrap()
            .contains("Mentoring session with stu@example.com")
    );
    // Rotated, the old URL stops working; removed, the new one too.
    let again = app.post("/v1/me/calendar-feed", &student, json!({})).await;
    let new_url = again.ok(201)["url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, url);
    app.raw("GET", path, &[], Vec::new()).await.problem(404);
    app.call("DELETE", "/v1/me/calendar-feed", Some(&student), None, &[])
        .await
        .ok(204);
    let new_path = &new_url[new_url.find("/v1/").unwrap()..];
    app.raw("GET", new_path, &[], Vec::new()).await.problem(404);
    app.call("DELETE", "/v1/me/calendar-feed", Some(&student), None, &[])
        .await
        .problem(404);
}

async fn both_people_are_reminded_the_day_before_once(app: TestApp) {
    let admin = app.admin().await;
    let Pair {
        mentor,
        student,
        student_id,
        ..
    } = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let day = day_in_two_weeks(Weekday::Fri);
    let soon = id(book(&app, &mentor, &student_id, &at(day, 9)).await.ok(201));
    book(&app, &mentor, &student_id, &at(day + Days::new(7), 9))
        .await
        .ok(201);
    app.move_session_to(&soon, Utc::now() + chrono::Duration::hours(20))
        .await;
    let count = |kinds: Vec<String>| kinds.iter().filter(|k| *k == "session_reminder").count();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(app.notification_kinds(&student).await) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no reminder within 10 s"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // Several more polls: still one each, and none for the session a week later.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(app.notification_kinds(&student).await), 1);
    assert_eq!(count(app.notification_kinds(&mentor).await), 1);
}

/// The ISO week key of a local date.
fn week_of(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// Enrolls a student in `zone`, assigned to the mentor; returns their id.
async fn student_in(
    app: &TestApp,
    admin: &str,
    mentor_id: &str,
    email: &str,
    zone: &str,
) -> String {
    let path = app.harness_path().await;
    let project = app.first_project(&path).await;
    let body = json!({"name": email, "email": email, "path_id": path, "project_id": project,
        "time_zone": zone, "session_length": 60});
    let student = id(app.post("/v1/students", admin, body).await.ok(201));
    app.post(
        &format!("/v1/students/{student}/assignments"),
        admin,
        json!({"mentor_id": mentor_id}),
    )
    .await
    .ok(201);
    student
}

/// The `n`-th `weekday` of a month (1-based).
fn nth(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).unwrap()
}

async fn weeks_are_the_students_across_dst_and_year_ends(app: TestApp) {
    let admin = app.admin().await;
    let (mentor, mentor_id) = app.mentor("meg@example.com").await;
    app.open_places(&mentor, &mentor_id, 10).await;
    let year = Utc::now().year() + 1;
    let new_york: Tz = chrono_tz::America::New_York;
    let auckland: Tz = chrono_tz::Pacific::Auckland;

    // New York springs forward on the second Sunday of March at 02:00: 01:30 is EST, 03:30 EDT.
    let nyc = student_in(
        &app,
        &admin,
        &mentor_id,
        "nyc@example.com",
        "America/New_York",
    )
    .await;
    let spring = nth(year, 3, Weekday::Sun, 2);
    let before = book(
        &app,
        &mentor,
        &nyc,
        &local(new_york, spring, 1, 0).to_rfc3339(),
    )
    .await;
    let before = before.ok(201).clone();
    assert!(
        before["student_start"]
            .as_str()
            .unwrap()
            .ends_with("-05:00"),
        "{before}"
    );
    assert_eq!(before["week"], week_of(spring));
    // The same Sunday after the change is the same week; the Monday after is the next.
    let after = book(
        &app,
        &mentor,
        &nyc,
        &local(new_york, spring, 4, 0).to_rfc3339(),
    )
    .await;
    assert_eq!(after.problem(409)["code"], "week_already_taken");
    let monday = book(
        &app,
        &mentor,
        &nyc,
        &local(new_york, spring + Days::new(1), 0, 30).to_rfc3339(),
    )
    .await;
    let monday = monday.ok(201).clone();
    assert!(
        monday["student_start"]
            .as_str()
            .unwrap()
            .ends_with("-04:00"),
        "{monday}"
    );
    assert_eq!(monday["week"], week_of(spring + Days::new(1)));
    // Falling back on the first Sunday of November: 01:30 happens twice; both are that Sunday.
    let autumn = nth(year, 11, Weekday::Sun, 1);
    let twice = new_york
        .from_local_datetime(&autumn.and_hms_opt(1, 30, 0).unwrap())
        .latest()
        .unwrap()
        .with_timezone(&Utc);
    let late_one = book(&app, &mentor, &nyc, &twice.to_rfc3339()).await;
    assert_eq!(late_one.ok(201)["week"], week_of(autumn));

    // Auckland: Sunday 23:30 and Monday 00:30 local are one UTC day but two ISO weeks.
    let akl = student_in(
        &app,
        &admin,
        &mentor_id,
        "akl@example.com",
        "Pacific/Auckland",
    )
    .await;
    let last_sunday = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let last_sunday =
        last_sunday - Days::new(u64::from(last_sunday.weekday().num_days_from_sunday()));
    let sunday = book(
        &app,
        &mentor,
        &akl,
        &local(auckland, last_sunday, 22, 0).to_rfc3339(),
    )
    .await;
    assert_eq!(sunday.ok(201)["week"], week_of(last_sunday));
    let next_day = last_sunday + Days::new(1);
    let monday = book(
        &app,
        &mentor,
        &akl,
        &local(auckland, next_day, 0, 30).to_rfc3339(),
    )
    .await;
    let monday = monday.ok(201).clone();
    assert_eq!(monday["week"], week_of(next_day));
    assert_ne!(week_of(last_sunday), week_of(next_day));
    // Auckland's clocks go back on the first Sunday of April at 03:00: 02:30 happens twice.
    let april = nth(year, 4, Weekday::Sun, 1);
    let first_0230 = auckland
        .from_local_datetime(&april.and_hms_opt(2, 30, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let booked = book(&app, &mentor, &akl, &first_0230.to_rfc3339()).await;
    let booked = booked.ok(201).clone();
    assert_eq!(booked["week"], week_of(april));
    assert!(
        booked["student_start"]
            .as_str()
            .unwrap()
            .ends_with("+13:00"),
        "{booked}"
    );
    let second_0230 = first_0230 + chrono::Duration::hours(1);
    let again = book(&app, &mentor, &akl, &second_0230.to_rfc3339()).await;
    assert_eq!(again.problem(409)["code"], "week_already_taken");
}

on_both_databases!(
    a_session_is_booked_with_every_rule_checked,
    sessions_move_and_are_cancelled,
    outcomes_and_notes,
    absences_block_bookings_and_flag_sessions,
    difficulty_reports,
    the_calendar_feed_lists_ones_sessions,
    weeks_are_the_students_across_dst_and_year_ends,
    both_people_are_reminded_the_day_before_once with [("OUTBOX_POLL_MS", "100")],
);
