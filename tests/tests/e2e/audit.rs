//! The audit log: admins read who changed what, when, from which request, field by field; and
//! the database keeps it append-only.

use mentorship_store::db::query;
use mentorship_tests::{TestApp, on_both_databases};
use serde_json::{Value, json};

fn actions(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect()
}

async fn admins_read_who_changed_what(app: TestApp) {
    let admin = app.admin().await;
    let me = app.get("/v1/me", &admin).await.ok(200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let made = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Data", "field": "data", "complexity": 1}),
        )
        .await;
    let path = made.ok(201)["id"].as_str().unwrap().to_owned();
    let edit = app
        .patch(
            &format!("/v1/paths/{path}"),
            &admin,
            "\"1\"",
            json!({"complexity": 3}),
        )
        .await;
    edit.ok(200);
    let request_id = edit.header("x-request-id").unwrap();

    let log = app
        .get(&format!("/v1/audit?subject_id={path}"), &admin)
        .await;
    assert_eq!(actions(log.ok(200)), ["path.updated", "path.created"]);
    let update = &log.body["items"][0];
    assert_eq!(update["actor_id"], me.as_str());
    assert_eq!(update["subject_type"], "path");
    assert_eq!(update["request_id"], request_id.as_str());
    let changed: Vec<&str> = update["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"complexity"), "{changed:?}");
    let complexity = update["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "complexity")
        .unwrap();
    assert_eq!(
        (&complexity["before"], &complexity["after"]),
        (&json!(1), &json!(3))
    );
    let created = &log.body["items"][1];
    assert_eq!(
        created["request_id"],
        made.header("x-request-id").unwrap().as_str()
    );

    // Filters combine; pages follow each other.
    let mine = app
        .get(
            &format!("/v1/audit?actor_id={me}&action=path.created&subject_id={path}"),
            &admin,
        )
        .await;
    assert_eq!(actions(mine.ok(200)), ["path.created"]);
    let later = app.get("/v1/audit?from=2999-01-01T00:00:00Z", &admin).await;
    assert_eq!(later.ok(200)["items"], json!([]));
    let before = app.get("/v1/audit?to=2000-01-01T00:00:00Z", &admin).await;
    assert_eq!(before.ok(200)["items"], json!([]));
    let first = app
        .get(&format!("/v1/audit?subject_id={path}&limit=1"), &admin)
        .await;
    assert_eq!(actions(first.ok(200)), ["path.updated"]);
    assert_eq!(first.body["has_more"], true);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/v1/audit?subject_id={path}&limit=1&cursor={cursor}"),
            &admin,
        )
        .await;
    assert_eq!(actions(second.ok(200)), ["path.created"]);
    assert_eq!(second.body["has_more"], false);

    // Managers steer the program but do not read everyone's history.
    let (manager, _) = app.person(&admin, "manager", "auditor@example.com").await;
    app.get("/v1/audit", &manager).await.problem(403);
    app.get("/v1/audit?action=", &admin).await.problem(422);
}

async fn the_log_is_append_only(app: TestApp) {
    let admin = app.admin().await;
    app.post(
        "/v1/paths",
        &admin,
        json!({"title": "Kept", "field": "data", "complexity": 1}),
    )
    .await
    .ok(201);
    let rows = || query("SELECT COUNT(*) FROM audit_log");
    let count: i64 = app.store.scalar(rows()).await.unwrap();
    assert!(count > 0);
    let rewrite = app
        .store
        .execute(query("UPDATE audit_log SET action = 'nothing'"))
        .await;
    assert!(rewrite.is_err(), "an audit row was rewritten");
    let erase = app.store.execute(query("DELETE FROM audit_log")).await;
    assert!(erase.is_err(), "audit rows were deleted");
    if app.backend == mentorship_store::Backend::Postgres {
        let emptied = app.store.execute(query("TRUNCATE audit_log")).await;
        assert!(emptied.is_err(), "the audit log was truncated");
    }
    assert_eq!(app.store.scalar::<i64>(rows()).await.unwrap(), count);
}

/// A row written outside a request (a background step) names no request.
async fn background_rows_name_no_request(app: TestApp) {
    let admin = app.admin().await;
    let me = app.get("/v1/me", &admin).await.ok(200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let subject = uuid::Uuid::now_v7();
    let actor: uuid::Uuid = me.parse().unwrap();
    mentorship_store::audit::accessed(&app.store, "user.data_exported", actor, "user", subject)
        .await
        .unwrap();
    let log = app
        .get(&format!("/v1/audit?subject_id={subject}"), &admin)
        .await;
    let row = &log.ok(200)["items"][0];
    assert_eq!(row["action"], "user.data_exported");
    assert_eq!(row["request_id"], Value::Null);
    assert_eq!(row["changes"], json!([]));
}

on_both_databases!(
    admins_read_who_changed_what,
    the_log_is_append_only,
    background_rows_name_no_request
);
