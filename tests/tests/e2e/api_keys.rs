//! API keys: shown once, narrowed by scopes, revocable, never able to mint keys.

use mentorship_tests::{TestApp, on_both_databases};
use serde_json::json;

async fn keys_work_within_their_scopes(app: TestApp) {
    let admin = app.admin().await;
    let created = app
        .post(
            "/v1/api-keys",
            &admin,
            json!({"name": "export", "scopes": ["paths:read"]}),
        )
        .await;
    let body = created.ok(201).clone();
    let secret = body["key_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("mk_"));
    assert!(secret.starts_with(body["key_prefix"].as_str().unwrap()));
    app.get("/v1/paths", &secret).await.ok(200);
    app.get("/v1/me", &secret).await.ok(200);
    let reply = app
        .post(
            "/v1/paths",
            &secret,
            json!({"title": "T", "field": "f", "complexity": 1}),
        )
        .await;
    assert!(
        reply.problem(403)["detail"]
            .as_str()
            .unwrap()
            .contains("paths:write")
    );
    app.get("/v1/users", &secret).await.problem(403);
    // A key cannot make or list keys.
    app.post(
        "/v1/api-keys",
        &secret,
        json!({"name": "child", "scopes": ["paths:read"]}),
    )
    .await
    .problem(403);
    // The list never shows the secret again.
    let list = app.get("/v1/api-keys", &admin).await.ok(200).clone();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("key_secret").is_none());
    assert!(!list.to_string().contains(&secret));
    // Revoked: it stops at once.
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/v1/api-keys/{id}"),
            Some(&admin),
            None,
            &[]
        )
        .await
        .status,
        204
    );
    app.get("/v1/paths", &secret).await.problem(401);
    app.call(
        "DELETE",
        &format!("/v1/api-keys/{id}"),
        Some(&admin),
        None,
        &[],
    )
    .await
    .problem(404);
}

async fn a_key_is_never_more_than_its_owner(app: TestApp) {
    let admin = app.admin().await;
    let (student, _) = app.student(&admin, "stu@example.com").await;
    let created = app
        .post(
            "/v1/api-keys",
            &student,
            json!({"name": "s", "scopes": ["paths:read", "paths:write", "users:read"]}),
        )
        .await;
    let secret = created.ok(201)["key_secret"].as_str().unwrap().to_owned();
    app.get("/v1/paths", &secret).await.ok(200);
    app.post(
        "/v1/paths",
        &secret,
        json!({"title": "T", "field": "f", "complexity": 1}),
    )
    .await
    .problem(403);
    app.get("/v1/users", &secret).await.problem(403);
    // Another person's key is not found, for its owner's peers.
    let (other, _) = app.student(&admin, "sue@example.com").await;
    let id = created.body["id"].as_str().unwrap();
    app.call(
        "DELETE",
        &format!("/v1/api-keys/{id}"),
        Some(&other),
        None,
        &[],
    )
    .await
    .problem(404);
    assert_eq!(
        app.get("/v1/api-keys", &other).await.ok(200)["items"],
        json!([])
    );
    // The owner switched off: the key stops too.
    let sid = app.get("/v1/me", &student).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/v1/users/{sid}"),
        &admin,
        "\"1\"",
        json!({"active": false}),
    )
    .await
    .ok(200);
    app.get("/v1/paths", &secret).await.problem(401);
}

async fn bad_key_requests_are_refused(app: TestApp) {
    let admin = app.admin().await;
    for (body, field) in [
        (json!({"name": "k", "scopes": []}), "scopes"),
        (
            json!({"name": "k", "scopes": ["paths:read", "paths:read"]}),
            "scopes",
        ),
        (json!({"name": "k", "scopes": ["everything"]}), "scopes"),
        (json!({"name": "", "scopes": ["paths:read"]}), "name"),
        (
            json!({"name": "k", "scopes": ["paths:read"], "expires_at": "2000-01-01T00:00:00Z"}),
            "expires_at",
        ),
    ] {
        let reply = app.post("/v1/api-keys", &admin, body.clone()).await;
        let problem = reply.problem(422);
        assert!(problem.to_string().contains(field), "{body}: {problem}");
    }
    let expiring = app
        .post(
            "/v1/api-keys",
            &admin,
            json!({"name": "k", "scopes": ["paths:read"], "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    app.get(
        "/v1/paths",
        expiring.ok(201)["key_secret"].as_str().unwrap(),
    )
    .await
    .ok(200);
    app.get("/v1/paths", "mk_unknown").await.problem(401);
}

on_both_databases!(
    keys_work_within_their_scopes,
    a_key_is_never_more_than_its_owner,
    bad_key_requests_are_refused
);
