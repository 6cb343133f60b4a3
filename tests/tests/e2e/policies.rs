//! The policies: RULES.md's defaults at first, changed by admins with `If-Match` into a new
//! version (audited, the old kept), refused when absurd, and in force at once.

use chrono::{Duration, Utc};
use mentorship_tests::{TestApp, on_both_databases};
use serde_json::{Value, json};

fn defaults() -> Value {
    json!({
        "min_professional_experience_years": 4, "min_field_experience_years": 2,
        "max_document_bytes": 10_485_760, "cancellation_notice_hours": 24,
        "outcome_factors": {"completed": 100, "student_no_show": 50,
            "late_cancelled_by_student": 50, "cancelled": 0, "late_cancelled_by_mentor": 0},
        "platform_zone": "Europe/Paris", "max_requested_students": 50, "notes_grace_days": 0,
    })
}

async fn put(app: &TestApp, token: &str, etag: &str, body: Value) -> mentorship_tests::Reply {
    app.call(
        "PUT",
        "/v1/policies",
        Some(token),
        Some(body),
        &[("if-match", etag)],
    )
    .await
}

/// The codes of a 422's `errors`, in order.
fn codes(refused: &mentorship_tests::Reply) -> Vec<String> {
    refused.problem(422)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn policies_are_versioned_and_hold_at_once(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let read = app.get("/v1/policies", &manager).await;
    assert_eq!(read.ok(200)["policies"], defaults());
    assert_eq!(read.ok(200)["version"], 1);
    let etag = read.header("etag").unwrap();
    assert_eq!(etag, "\"1\"");

    // Refused: without If-Match, by a manager, absurd values (each named), a stale version.
    let mut longer = defaults();
    longer["cancellation_notice_hours"] = json!(48);
    let missing = app
        .call(
            "PUT",
            "/v1/policies",
            Some(&admin),
            Some(longer.clone()),
            &[],
        )
        .await;
    missing.problem(428);
    put(&app, &manager, &etag, longer.clone())
        .await
        .problem(403);
    let mut absurd = defaults();
    absurd["notes_grace_days"] = json!(9);
    absurd["max_requested_students"] = json!(0);
    absurd["outcome_factors"]["completed"] = json!(101);
    let refused = codes(&put(&app, &admin, &etag, absurd).await);
    assert!(
        refused.contains(&"percent_out_of_range".to_owned()),
        "{refused:?}"
    );
    let mut absurd = defaults();
    absurd["notes_grace_days"] = json!(9);
    absurd["max_requested_students"] = json!(0);
    assert_eq!(
        codes(&put(&app, &admin, &etag, absurd).await),
        ["requested_students_out_of_range", "notes_grace_too_long"]
    );
    // The same set changes nothing.
    let same = put(&app, &admin, &etag, defaults()).await;
    assert_eq!(same.ok(200)["version"], 1);

    // A longer notice: version 2, audited, and a cancellation 30 hours ahead is late now.
    let changed = put(&app, &admin, &etag, longer.clone()).await;
    assert_eq!(changed.ok(200)["version"], 2);
    assert_eq!(changed.header("etag").unwrap(), "\"2\"");
    put(&app, &admin, &etag, longer).await.problem(412);
    let history = app.get("/v1/policies/history", &manager).await;
    let versions: Vec<i64> = history.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let audited = mentorship_store::audit::actions_for(&app.store, uuid::Uuid::nil())
        .await
        .unwrap();
    assert_eq!(audited, ["policies.changed"]);

    let pair = app.pair(&admin, "meg@example.com", "stu@example.com").await;
    let project = app.first_project(&app.harness_path().await).await;
    let start = Utc::now() + Duration::hours(30);
    let body = json!({"student_id": pair.student_id, "start": start, "project_id": project});
    let booked = app.post("/v1/sessions", &pair.mentor, body).await;
    let id = booked.ok(201)["id"].as_str().unwrap().to_owned();
    let cancelled = app
        .post(
            &format!("/v1/sessions/{id}/cancel"),
            &pair.student,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.ok(200)["status"], "late_cancelled_by_student");

    // A stricter eligibility: an applicant with 6 years now misses it.
    let mut strict = defaults();
    strict["cancellation_notice_hours"] = json!(48);
    strict["min_professional_experience_years"] = json!(10);
    put(&app, &admin, "\"2\"", strict).await.ok(200);
    let path_id = app.harness_path().await;
    let body = json!({
        "name": "Ann", "email": "ann@example.com", "password": "a long passphrase",
        "path_id": path_id, "experience_years": 6, "field_years": 3,
        "legal_status": "freelancer", "country": "FR", "right_to_work_attested": true,
    });
    let applied = app
        .call("POST", "/v1/mentor-applications", None, Some(body), &[])
        .await;
    let unmet = applied.ok(201)["unmet_rules"].to_string();
    assert!(unmet.contains("experience"), "{unmet}");
}

on_both_databases!(policies_are_versioned_and_hold_at_once);
