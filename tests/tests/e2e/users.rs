//! Accounts: who creates whom, who sees whom, optimistic updates, pagination.

use mentorship_tests::{TestApp, on_both_databases};
use serde_json::json;

async fn roles_decide_who_opens_which_account(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    app.person(&admin, "admin", "ada@example.com").await;
    let (student, _) = app.student(&manager, "stu@example.com").await;
    let body = |role: &str, email: &str| json!({"email": email, "name": "N", "role": role, "password": "a long passphrase"});
    // Mentors come from applications only.
    app.post("/v1/users", &admin, body("mentor", "m@example.com"))
        .await
        .problem(403);
    app.post("/v1/users", &manager, body("manager", "m2@example.com"))
        .await
        .problem(403);
    app.post("/v1/users", &student, body("student", "s2@example.com"))
        .await
        .problem(403);
    // Students are enrolled, with their path and rhythm, not opened as bare accounts.
    let bare = app
        .post("/v1/users", &manager, body("student", "s3@example.com"))
        .await;
    assert_eq!(
        bare.problem(422)["errors"][0]["code"],
        "students_are_enrolled"
    );
    app.post("/v1/users", &admin, body("root", "r@example.com"))
        .await
        .problem(422);
    // One account per email, whatever its case.
    let reply = app
        .post("/v1/users", &admin, body("manager", "STU@example.com"))
        .await;
    assert_eq!(reply.problem(409)["code"], "already_exists");
    // A body can never set its own id or flags.
    let mut sneaky = body("manager", "x@example.com");
    sneaky["active"] = json!(false);
    app.post("/v1/users", &admin, sneaky).await.problem(422);
}

async fn people_see_only_what_is_theirs(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let (student, student_id) = app.student(&admin, "stu@example.com").await;
    let (_, other_id) = app.student(&admin, "sue@example.com").await;
    let (mentor, _) = app.mentor("meg@example.com").await;
    app.get(&format!("/v1/users/{student_id}"), &student)
        .await
        .ok(200);
    // Another's account looks exactly like a missing one.
    app.get(&format!("/v1/users/{other_id}"), &student)
        .await
        .problem(404);
    app.get(&format!("/v1/users/{other_id}"), &mentor)
        .await
        .problem(404);
    app.get(&format!("/v1/users/{}", uuid::Uuid::now_v7()), &student)
        .await
        .problem(404);
    app.get(&format!("/v1/users/{other_id}"), &manager)
        .await
        .ok(200);
    app.get("/v1/users", &student).await.problem(403);
    app.get("/v1/users", &mentor).await.problem(403);
    let students = app
        .get("/v1/users?role=student", &manager)
        .await
        .ok(200)
        .clone();
    assert_eq!(students["items"].as_array().unwrap().len(), 2);
    assert!(
        students["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["role"] == "student")
    );
}

async fn lists_page_through_every_account_once(app: TestApp) {
    let admin = app.admin().await;
    for i in 0..7 {
        app.student(&admin, &format!("s{i}@example.com")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=3&cursor={c}"),
            None => "/v1/users?limit=3".into(),
        };
        let page = app.get(&path, &admin).await.ok(200).clone();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "an account appeared twice: {seen:?}");
    assert_eq!(seen[0], "admin@example.com", "creation order");
}

async fn updates_need_the_current_etag(app: TestApp) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let (student, student_id) = app.student(&admin, "stu@example.com").await;
    let url = format!("/v1/users/{student_id}");
    let etag = app.get(&url, &admin).await.header("etag").unwrap();
    assert_eq!(etag, "\"1\"");
    let no_precondition = app
        .call("PATCH", &url, Some(&admin), Some(json!({"name": "S"})), &[])
        .await;
    no_precondition.problem(428);
    app.patch(&url, &admin, "\"7\"", json!({"name": "S"}))
        .await
        .problem(412);
    let audited_before =
        mentorship_store::audit::count_for(&app.store, student_id.parse().unwrap())
            .await
            .unwrap();
    let updated = app
        .patch(&url, &student, &etag, json!({"name": "Stu Dent"}))
        .await;
    assert_eq!(updated.ok(200)["name"], "Stu Dent");
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    let audited_after = mentorship_store::audit::count_for(&app.store, student_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(audited_after, audited_before + 1, "the change is audited");
    // The old ETag is stale now; nothing changes.
    app.patch(&url, &admin, &etag, json!({"name": "Other"}))
        .await
        .problem(412);
    assert_eq!(app.get(&url, &admin).await.body["name"], "Stu Dent");
    // A student cannot switch themselves off, nor set a role.
    app.patch(&url, &student, "\"2\"", json!({"active": false}))
        .await
        .problem(403);
    app.patch(&url, &student, "\"2\"", json!({"role": "admin"}))
        .await
        .problem(422);
    // A manager edits students but not admins; nobody switches themselves off.
    let admin_id = app.get("/v1/me", &admin).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/v1/users/{admin_id}"),
        &manager,
        "\"1\"",
        json!({"name": "X"}),
    )
    .await
    .problem(403);
    app.patch(
        &format!("/v1/users/{admin_id}"),
        &admin,
        "\"1\"",
        json!({"active": false}),
    )
    .await
    .problem(403);
    // An admin sets another person's password; one's own needs the current one (accounts.rs).
    app.patch(
        &format!("/v1/users/{manager_id}"),
        &admin,
        "\"1\"",
        json!({"password": "a new long passphrase"}),
    )
    .await
    .ok(200);
    app.login("mia@example.com", "a new long passphrase").await;
}

on_both_databases!(
    roles_decide_who_opens_which_account,
    people_see_only_what_is_theirs,
    lists_page_through_every_account_once,
    updates_need_the_current_etag,
);
