//! Health, readiness, metrics, docs and request ids.

use mentorship_tests::{TestApp, on_both_databases};

async fn operations_endpoints_answer(app: TestApp) {
    assert_eq!(
        app.raw("GET", "/health", &[], vec![]).await.ok(200)["status"],
        "ok"
    );
    assert_eq!(
        app.raw("GET", "/ready", &[], vec![]).await.ok(200)["status"],
        "ready"
    );
    let docs = app.raw("GET", "/docs/", &[], vec![]).await;
    assert_eq!(docs.status, 200);
    assert!(
        docs.body.as_str().unwrap_or_default().contains("swagger"),
        "Swagger UI page"
    );
    let admin = app.admin().await;
    app.get("/v1/paths", &admin).await.ok(200);
    let metrics = app.raw("GET", "/metrics", &[], vec![]).await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/v1/paths",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let given = app
        .raw("GET", "/health", &[("x-request-id", "trace-me-42")], vec![])
        .await;
    assert_eq!(given.header("x-request-id").as_deref(), Some("trace-me-42"));
    let made = app.raw("GET", "/health", &[], vec![]).await;
    assert!(made.header("x-request-id").is_some_and(|id| id.len() >= 16));
    let error = app
        .raw("GET", "/nowhere", &[("x-request-id", "err-1")], vec![])
        .await;
    assert_eq!(error.header("x-request-id").as_deref(), Some("err-1"));
}

on_both_databases!(operations_endpoints_answer, request_ids_are_echoed_or_made);
