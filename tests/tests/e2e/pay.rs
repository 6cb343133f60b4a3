//! Pay: rate cards, frozen rates, the referral ledger, monthly statements from the live draft
//! to paid, their CSV exports and the month's payout; statements frozen in the database.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use mentorship_tests::{Pair, TestApp, on_both_databases};
use serde_json::{Value, json};

const PARIS: Tz = chrono_tz::Europe::Paris;

/// The first day of the month `back` months before this one, in Paris.
pub(crate) fn month_start(back: u32) -> NaiveDate {
    let today = Utc::now().with_timezone(&PARIS).date_naive();
    let first = today.with_day(1).unwrap();
    first.checked_sub_months(chrono::Months::new(back)).unwrap()
}

fn month_key(back: u32) -> String {
    month_start(back).format("%Y-%m").to_string()
}

/// 10:00 in Paris on the `nth` Tuesday (0-based) of the month starting `first`: distinct
/// weeks for distinct `nth`.
pub(crate) fn tuesday_of(first: NaiveDate, nth: u64) -> DateTime<Utc> {
    let to_tuesday =
        (7 + Weekday::Tue.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
    at_ten(first + Days::new(u64::from(to_tuesday) + 7 * nth))
}

/// 10:00 in Paris on `day`.
pub(crate) fn at_ten(day: NaiveDate) -> DateTime<Utc> {
    let time = chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap();
    PARIS
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The `nth` Tuesday of the month `back` months ago.
fn tuesday(back: u32, nth: u64) -> DateTime<Utc> {
    tuesday_of(month_start(back), nth)
}

/// A session of the pair booked ahead, then moved to `start` in the past, as time would pass.
async fn past_session(
    app: &TestApp,
    pair: &Pair,
    start: DateTime<Utc>,
    weeks_ahead: u64,
) -> String {
    let today = Utc::now().with_timezone(&PARIS).date_naive();
    let ahead = at_ten(today + Days::new(14 + 7 * weeks_ahead));
    let project = app.first_project(&app.harness_path().await).await;
    let body = json!({"student_id": pair.student_id, "start": ahead, "project_id": project});
    let booked = app.post("/v1/sessions", &pair.mentor, body).await;
    let id = booked.ok(201)["id"].as_str().unwrap().to_owned();
    app.move_session_to(&id, start).await;
    id
}

async fn outcome(app: &TestApp, token: &str, session: &str, outcome: &str) {
    let url = format!("/v1/sessions/{session}/outcome");
    app.post(&url, token, json!({"outcome": outcome}))
        .await
        .ok(200);
}

async fn notes(app: &TestApp, token: &str, session: &str) {
    let url = format!("/v1/sessions/{session}/notes");
    app.call(
        "PUT",
        &url,
        Some(token),
        Some(json!({"summary": "Worked on tests"})),
        &[],
    )
    .await
    .ok(200);
}

fn amounts(statement: &Value) -> Vec<String> {
    statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_str().unwrap().to_owned())
        .collect()
}

async fn issue(app: &TestApp, token: &str, mentor: &str, month: &str) -> mentorship_tests::Reply {
    app.post(
        &format!("/v1/mentors/{mentor}/statements"),
        token,
        json!({"month": month}),
    )
    .await
}

async fn statements_from_draft_to_paid(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let pair = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let (older, last) = (month_key(2), month_key(1));
    // Harness path complexity 1, project difficulty 1: 25.00 an hour; 45-minute sessions.
    let a = past_session(&app, &pair, tuesday(2, 1), 0).await;
    outcome(&app, &pair.mentor, &a, "completed").await;
    notes(&app, &pair.mentor, &a).await;
    let b = past_session(&app, &pair, tuesday(1, 0), 1).await;
    outcome(&app, &pair.mentor, &b, "student_no_show").await;
    let c = past_session(&app, &pair, tuesday(1, 2), 2).await;
    outcome(&app, &pair.mentor, &c, "completed").await;
    let session = app.get(&format!("/v1/sessions/{a}"), &pair.mentor).await;
    assert_eq!(
        session.ok(200)["rate"],
        "25.00",
        "the rate is frozen with the outcome"
    );

    // The live draft of last month: the no-show, and the older month's session as late; the
    // completed session without notes is not payable yet.
    let url = format!(
        "/v1/mentors/{}/statements/draft?month={last}",
        pair.mentor_id
    );
    let draft = app.get(&url, &pair.mentor).await;
    let draft = draft.ok(200);
    assert_eq!(draft["status"], "draft");
    assert_eq!(amounts(draft), ["18.75", "9.38"]);
    assert_eq!(draft["total"], "28.13");
    assert_eq!(draft["lines"][0]["late"], true);
    let (other, _) = app.mentor("otto@example.com").await;
    app.get(&url, &other).await.problem(404);
    let not_a_month = format!(
        "/v1/mentors/{}/statements/draft?month=2026-13",
        pair.mentor_id
    );
    let refused = app.get(&not_a_month, &pair.mentor).await;
    assert_eq!(refused.problem(422)["errors"][0]["code"], "invalid_month");

    // Months in order, once over.
    let refused = issue(&app, &manager, &pair.mentor_id, &last).await;
    assert_eq!(refused.problem(409)["code"], "earlier_month_not_issued");
    let now = month_key(0);
    let refused = issue(&app, &manager, &pair.mentor_id, &now).await;
    assert_eq!(refused.problem(409)["code"], "month_not_over");
    issue(&app, &pair.mentor, &pair.mentor_id, &older)
        .await
        .problem(403);
    let first = issue(&app, &manager, &pair.mentor_id, &older).await;
    let first = first.ok(201).clone();
    assert_eq!(first["number"], format!("{older}-000001"));
    assert_eq!(first["status"], "issued");
    assert_eq!(amounts(&first), ["18.75"]);
    assert_eq!(first["total"], "18.75");
    let again = issue(&app, &manager, &pair.mentor_id, &older).await;
    assert_eq!(again.problem(409)["code"], "statement_already_issued");
    assert!(
        app.notification_kinds(&pair.mentor)
            .await
            .contains(&"statement_issued".to_owned())
    );

    // The notes make the completed session payable: it goes on last month's statement.
    notes(&app, &pair.mentor, &c).await;
    // A month whose numbers are all given refuses, and gives nothing away.
    let counter = |n: i64| {
        mentorship_store::db::query(
            "INSERT INTO statement_counters (month, last_sequence) VALUES ($1, $2) \
             ON CONFLICT (month) DO UPDATE SET last_sequence = $2",
        )
        .bind(last.clone())
        .bind(n)
    };
    app.store.execute(counter(999_999)).await.unwrap();
    let full = issue(&app, &manager, &pair.mentor_id, &last).await;
    assert_eq!(full.problem(409)["code"], "statement_numbers_exhausted");
    app.store.execute(counter(0)).await.unwrap();
    let second = issue(&app, &manager, &pair.mentor_id, &last).await;
    let second = second.ok(201).clone();
    assert_eq!(second["number"], format!("{last}-000001"));
    assert_eq!(amounts(&second), ["9.38", "18.75"]);
    assert_eq!(second["total"], "28.13");

    // A new card changes no issued statement.
    let tomorrow = Utc::now().with_timezone(&PARIS).date_naive() + Days::new(1);
    let cells = [["40.00"; 3]; 3];
    app.post(
        "/v1/rate-cards",
        &admin,
        json!({"effective_on": tomorrow, "cells": cells}),
    )
    .await
    .ok(201);
    let first_id = first["id"].as_str().unwrap();
    let read = app
        .get(&format!("/v1/statements/{first_id}"), &pair.mentor)
        .await;
    assert_eq!(read.ok(200)["total"], "18.75");
    assert_eq!(amounts(read.ok(200)), ["18.75"]);

    // CSV: one row per line, summing to the total.
    let csv = app
        .call(
            "GET",
            &format!("/v1/statements/{}", second["id"].as_str().unwrap()),
            Some(&pair.mentor),
            None,
            &[("accept", "text/csv")],
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.body.as_str().unwrap().to_owned();
    let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows.len(), 3, "a header and two lines: {text}");
    let cents: i64 = rows[1..]
        .iter()
        .map(|r| {
            r.rsplit(',')
                .next()
                .unwrap()
                .replace('.', "")
                .parse::<i64>()
                .unwrap()
        })
        .sum();
    assert_eq!(cents, 2813);

    // The lifecycle: approve or dispute (the mentor), then paid (staff).
    let act = |id: &str, action: &str| format!("/v1/statements/{id}/{action}");
    let second_id = second["id"].as_str().unwrap();
    let by_manager = app
        .post(&act(first_id, "approve"), &manager, json!({}))
        .await;
    assert_eq!(by_manager.problem(403)["code"], "only_the_mentor");
    app.post(&act(first_id, "approve"), &other, json!({}))
        .await
        .problem(404);
    let pay = json!({"payment_reference": "SEPA-42", "paid_on": "2026-11-05"});
    let early = app.post(&act(first_id, "pay"), &manager, pay.clone()).await;
    assert_eq!(early.problem(409)["code"], "transition_not_allowed");
    let approved = app
        .post(&act(first_id, "approve"), &pair.mentor, json!({}))
        .await;
    assert_eq!(approved.ok(200)["status"], "approved");
    let audited = mentorship_store::audit::actions_for(&app.store, first_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(audited, ["statement.issued", "statement.approved"]);
    let blank = app
        .post(
            &act(second_id, "dispute"),
            &pair.mentor,
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(blank.problem(422)["errors"][0]["code"], "reason_required");
    let disputed = app
        .post(
            &act(second_id, "dispute"),
            &pair.mentor,
            json!({"reason": "A session is missing"}),
        )
        .await;
    assert_eq!(disputed.ok(200)["dispute_reason"], "A session is missing");
    let paid = app
        .post(&act(second_id, "pay"), &manager, pay.clone())
        .await;
    assert_eq!(paid.ok(200)["status"], "paid");
    assert_eq!(paid.ok(200)["payment_reference"], "SEPA-42");
    let twice = app.post(&act(second_id, "pay"), &manager, pay).await;
    assert_eq!(twice.problem(409)["code"], "transition_not_allowed");
    assert!(
        app.notification_kinds(&pair.mentor)
            .await
            .contains(&"statement_paid".to_owned())
    );

    // Lists with totals per status, and the month's payout.
    let list = app.get("/v1/statements", &manager).await;
    let list = list.ok(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let totals: Vec<(String, i64, String)> = list["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["status"].as_str().unwrap().to_owned(),
                t["count"].as_i64().unwrap(),
                t["total"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            ("approved".to_owned(), 1, "18.75".to_owned()),
            ("paid".to_owned(), 1, "28.13".to_owned())
        ]
    );
    let mine = app.get("/v1/statements?status=paid", &pair.mentor).await;
    assert_eq!(mine.ok(200)["items"].as_array().unwrap().len(), 1);
    let theirs = app.get("/v1/statements", &other).await;
    assert_eq!(theirs.ok(200)["items"].as_array().unwrap().len(), 0);
    let payout = app
        .get(&format!("/v1/statements/payout?month={last}"), &manager)
        .await;
    assert_eq!(payout.status, 200);
    let payout = payout.body.as_str().unwrap().to_owned();
    assert!(
        payout.contains(&format!("{last}-000001,{},", pair.mentor_id)),
        "{payout}"
    );
    assert!(
        payout.contains(",28.13,paid,2026-11-05,SEPA-42"),
        "{payout}"
    );
    app.get(&format!("/v1/statements/payout?month={last}"), &pair.mentor)
        .await
        .problem(403);

    // The database itself refuses to change an issued statement or its lines.
    let id: uuid::Uuid = first_id.parse().unwrap();
    for sql in [
        "UPDATE statements SET total_cents = 1 WHERE id = $1",
        "DELETE FROM statements WHERE id = $1",
        "UPDATE statement_lines SET amount_cents = 1 WHERE statement_id = $1",
        "DELETE FROM statement_lines WHERE statement_id = $1",
        "UPDATE statements SET status = 'issued' WHERE id = $1",
    ] {
        let refused = app
            .store
            .execute(mentorship_store::db::query(sql).bind(id))
            .await;
        assert!(refused.is_err(), "{sql} was allowed");
    }

    // Staff screens take a period: statements by when they were issued, mentors and
    // applications by when they applied, a person's notifications by when they were made.
    app.check_range("/v1/statements", &manager, "issued_at")
        .await;
    app.check_range("/v1/mentors", &manager, "created_at").await;
    app.check_range("/v1/mentor-applications", &manager, "created_at")
        .await;
    app.check_range("/v1/me/notifications", &pair.mentor, "created_at")
        .await;
}

async fn rate_cards(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let current = app.get("/v1/rate-cards/current", &manager).await;
    let current = current.ok(200);
    assert_eq!(current["cells"][0], json!(["25.00", "30.00", "35.00"]));
    assert_eq!(current["cells"][2][2], "40.00");
    let today = Utc::now().with_timezone(&PARIS).date_naive();
    let mut cells = [["30.00"; 3]; 3];
    cells[0][0] = "24.99";
    cells[2][1] = "40.01";
    let out = app
        .post(
            "/v1/rate-cards",
            &admin,
            json!({"effective_on": today, "cells": cells}),
        )
        .await;
    let errors = out.problem(422)["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|e| e["code"] == "rate_out_of_bounds"));
    let mut cells = [["30.00"; 3]; 3];
    cells[1][1] = "thirty";
    let garbled = app
        .post(
            "/v1/rate-cards",
            &admin,
            json!({"effective_on": today, "cells": cells}),
        )
        .await;
    assert_eq!(garbled.problem(422)["errors"][0]["code"], "invalid_amount");
    let cells = [["30.00"; 3]; 3];
    let past = app
        .post(
            "/v1/rate-cards",
            &admin,
            json!({"effective_on": today - Days::new(1), "cells": cells}),
        )
        .await;
    assert_eq!(
        past.problem(422)["errors"][0]["code"],
        "effective_date_in_past"
    );
    let body = json!({"effective_on": today, "cells": cells});
    app.post("/v1/rate-cards", &manager, body.clone())
        .await
        .problem(403);
    let published = app.post("/v1/rate-cards", &admin, body.clone()).await;
    assert_eq!(published.ok(201)["in_force"], true);
    let taken = app.post("/v1/rate-cards", &admin, body).await;
    assert_eq!(taken.problem(409)["code"], "rate_card_date_taken");
    let current = app.get("/v1/rate-cards/current", &manager).await;
    assert_eq!(current.ok(200)["cells"][0][0], "30.00");
    let history = app.get("/v1/rate-cards", &manager).await;
    let items = history.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["in_force"], true);
    assert_eq!(items[1]["in_force"], false);
}

async fn referral_ledger(app: TestApp) {
    let admin = app.admin().await;
    let (referrer, referrer_id) = app.mentor("rita@example.com").await;
    let profile = app
        .get(&format!("/v1/mentors/{referrer_id}"), &referrer)
        .await;
    let code = profile.ok(200)["referral_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let referred = app.referred_mentor("ben@example.com", &code).await;
    app.open_places(&referred.0, &referred.1, 5).await;
    let (_, student_id) = app.student(&admin, "stu@example.com").await;
    app.assign(&admin, &student_id, &referred.1).await;
    let pair = Pair {
        mentor: referred.0.clone(),
        mentor_id: referred.1.clone(),
        student: String::new(),
        student_id,
    };
    let ledger_url = format!("/v1/mentors/{referrer_id}/referrals");
    let ledger = app.get(&ledger_url, &referrer).await;
    let ledger = ledger.ok(200).clone();
    assert_eq!(ledger["items"][0]["referred_id"], json!(referred.1));
    assert_eq!(ledger["items"][0]["qualified_at"], Value::Null);
    assert_eq!(ledger["total_bonus"], "0.00");
    // An outcome without notes does not qualify; the notes do, once (rewriting them changes
    // nothing).
    let start = Utc::now() - chrono::Duration::hours(2);
    let s = past_session(&app, &pair, start, 0).await;
    outcome(&app, &pair.mentor, &s, "completed").await;
    let ledger = app.get(&ledger_url, &referrer).await;
    assert_eq!(ledger.ok(200)["items"][0]["qualified_at"], Value::Null);
    notes(&app, &pair.mentor, &s).await;
    notes(&app, &pair.mentor, &s).await;
    let ledger = app.get(&ledger_url, &referrer).await;
    let item = &ledger.ok(200)["items"][0];
    assert_eq!(item["nth"], 1);
    assert_eq!(item["bonus"], "30.00");
    assert!(item["qualified_at"].is_string());
    assert_eq!(ledger.ok(200)["total_bonus"], "30.00");
    // The bonus is on the referrer's draft of this month.
    let month = month_key(0);
    let draft = app
        .get(
            &format!("/v1/mentors/{referrer_id}/statements/draft?month={month}"),
            &referrer,
        )
        .await;
    let draft = draft.ok(200);
    assert_eq!(draft["lines"][0]["kind"], "referral_bonus");
    assert_eq!(draft["total"], "30.00");
    // Others cannot read the ledger.
    app.get(&ledger_url, &referred.0).await.problem(404);
}

on_both_databases!(statements_from_draft_to_paid, rate_cards, referral_ledger);
