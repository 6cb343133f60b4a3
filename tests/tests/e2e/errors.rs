//! Every error is a problem, including the ones actix makes itself.

use mentorship_tests::{TestApp, on_both_databases};
use serde_json::json;

async fn malformed_requests_get_problems(app: TestApp) {
    let admin = app.admin().await;
    let auth = format!("Bearer {admin}");
    let json_headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    // Malformed JSON.
    app.raw("POST", "/v1/paths", &json_headers, b"{\"title\": ".to_vec())
        .await
        .problem(400);
    // Wrong content type.
    let text = [
        ("authorization", auth.as_str()),
        ("content-type", "text/plain"),
    ];
    app.raw("POST", "/v1/paths", &text, b"{}".to_vec())
        .await
        .problem(415);
    // Unknown field: no mass assignment.
    let body = json!({"title": "T", "field": "f", "complexity": 1, "id": "x"});
    let reply = app.post("/v1/paths", &admin, body).await;
    assert_eq!(reply.problem(422)["errors"][0]["field"], "id");
    // Field rules, one entry per field.
    let reply = app
        .post(
            "/v1/users",
            &admin,
            json!({"email": "nope", "name": "", "role": "student", "password": "short"}),
        )
        .await;
    let fields: Vec<&str> = reply.problem(422)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "name", "password"]);
    // Bad path and query parameters.
    app.get("/v1/paths/not-a-uuid", &admin).await.problem(400);
    app.get("/v1/paths?limit=many", &admin).await.problem(400);
    assert_eq!(
        app.get("/v1/paths?limit=500", &admin).await.problem(422)["errors"][0]["field"],
        "limit"
    );
    assert_eq!(
        app.get("/v1/paths?cursor=garbage", &admin)
            .await
            .problem(422)["errors"][0]["field"],
        "cursor"
    );
    // Unknown route and wrong method.
    app.get("/v1/nothing-here", &admin).await.problem(404);
    let reply = app.call("PUT", "/v1/paths", Some(&admin), None, &[]).await;
    reply.problem(405);
    assert_eq!(reply.header("allow").as_deref(), Some("GET, POST"));
    // A literal path is not taken for an id of a pattern beside it: 405, not a 400 for a bad id.
    let issue = app.get("/v1/statements/issue-month", &admin).await;
    issue.problem(405);
    assert_eq!(issue.header("allow").as_deref(), Some("POST"));
    let batch = app
        .patch("/v1/students/batch", &admin, "\"1\"", json!({}))
        .await;
    assert_eq!(batch.problem(405)["code"], "method_not_allowed");
    // Too large, with a Content-Length and without one (chunked).
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(100 * 1024)).into_bytes();
    app.raw("POST", "/v1/paths", &json_headers, big)
        .await
        .problem(413);
    // No credentials, and bad ones.
    app.call("GET", "/v1/paths", None, None, &[])
        .await
        .problem(401);
    app.call(
        "GET",
        "/v1/paths",
        None,
        None,
        &[("authorization", "Basic abc")],
    )
    .await
    .problem(401);
    app.get("/v1/paths", "not-a-token").await.problem(401);
    // Nothing was written by any of it.
    assert_eq!(
        app.get("/v1/paths", &admin).await.ok(200)["items"],
        json!([])
    );
}

async fn chunked_bodies_are_limited_too(app: TestApp) {
    let admin = app.admin().await;
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(100 * 1024));
    let chunks: Vec<Result<actix_web::web::Bytes, std::io::Error>> = big
        .as_bytes()
        .chunks(8192)
        .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
        .collect();
    let mut response = awc::Client::new()
        .post(format!("{}/v1/paths", app.base))
        .insert_header(("authorization", format!("Bearer {admin}")))
        .insert_header(("content-type", "application/json"))
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 413);
    let body: serde_json::Value =
        serde_json::from_slice(&response.body().await.expect("body")).expect("problem JSON");
    assert_eq!(body["status"], 413);
}

/// A problem's `type` is a page that explains its code and says where it comes from.
async fn problem_types_resolve(app: TestApp) {
    let admin = app.admin().await;
    let missing = app
        .get(&format!("/v1/paths/{}", uuid::Uuid::nil()), &admin)
        .await;
    let uri = missing.problem(404)["type"].as_str().unwrap().to_owned();
    assert_eq!(uri, "/problems/not_found");
    let page = app.raw("GET", &uri, &[], vec![]).await;
    assert_eq!(page.ok(200)["code"], "not_found");
    assert_eq!(page.body["title"], "Not found");
    let rule = app
        .raw("GET", "/problems/week_already_taken", &[], vec![])
        .await;
    let operations = rule.ok(200)["operations"].as_array().unwrap();
    assert!(
        operations.contains(&"POST /v1/sessions".into()),
        "{operations:?}"
    );
    app.raw("GET", "/problems/no_such_code", &[], vec![])
        .await
        .problem(404);
}

on_both_databases!(
    malformed_requests_get_problems,
    chunked_bodies_are_limited_too,
    problem_types_resolve
);
