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
    let made = made.header("x-request-id").expect("a made request id");
    let made = uuid::Uuid::parse_str(&made).expect("a made request id is a UUID");
    assert_eq!(made.get_version_num(), 7, "made ids sort by time: {made}");
    let oversized = "x".repeat(129);
    let replaced = app
        .raw(
            "GET",
            "/health",
            &[("x-request-id", oversized.as_str())],
            vec![],
        )
        .await;
    assert_ne!(replaced.header("x-request-id"), Some(oversized));
    let error = app
        .raw("GET", "/nowhere", &[("x-request-id", "err-1")], vec![])
        .await;
    assert_eq!(error.header("x-request-id").as_deref(), Some("err-1"));
}

/// Browsers get CORS and compression on `/v1`, errors included; probes get neither.
async fn cors_and_compression_serve_v1(app: TestApp) {
    let origin = ("origin", "http://localhost:3000");
    let gzip = ("accept-encoding", "gzip");
    let preflight = app
        .raw(
            "OPTIONS",
            "/v1/paths",
            &[origin, ("access-control-request-method", "GET")],
            vec![],
        )
        .await;
    assert_eq!(preflight.status, 200, "{:?}", preflight.headers);
    let allowed = |reply: &mentorship_tests::Reply| reply.header("access-control-allow-origin");
    assert_eq!(allowed(&preflight).as_deref(), Some(origin.1));
    let admin = app.admin().await;
    let listed = app
        .call("GET", "/v1/paths", Some(&admin), None, &[origin, gzip])
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(allowed(&listed).as_deref(), Some(origin.1));
    assert_eq!(listed.header("content-encoding").as_deref(), Some("gzip"));
    // actix-cors refuses a foreign origin with a plain-text 400: it still reaches the client as
    // a problem, with the request id.
    let foreign = app
        .raw(
            "OPTIONS",
            "/v1/paths",
            &[
                ("origin", "https://elsewhere.example"),
                ("access-control-request-method", "GET"),
                ("x-request-id", "cors-1"),
            ],
            vec![],
        )
        .await;
    foreign.problem(400);
    assert_eq!(foreign.header("x-request-id").as_deref(), Some("cors-1"));
    assert_eq!(allowed(&foreign), None);
    let missing = app.raw("GET", "/v1/nowhere", &[origin], vec![]).await;
    missing.problem(404);
    assert_eq!(allowed(&missing).as_deref(), Some(origin.1));
    let health = app.raw("GET", "/health", &[origin, gzip], vec![]).await;
    assert_eq!(health.ok(200)["status"], "ok");
    assert_eq!(allowed(&health), None);
    assert_eq!(health.header("content-encoding"), None);
}

/// `/docs` leads to the Swagger UI at `/docs/` (the test client follows the redirect, as a
/// browser does).
async fn docs_without_a_slash_lead_to_the_docs(app: TestApp) {
    for url in ["/docs", "/docs/"] {
        let docs = app.raw("GET", url, &[], vec![]).await;
        assert_eq!(docs.status, 200, "{url}");
        let page = docs.body.as_str().unwrap_or_default().to_owned();
        assert!(page.contains("swagger-ui"), "{url}: {page}");
    }
}

on_both_databases!(
    docs_without_a_slash_lead_to_the_docs,
    operations_endpoints_answer,
    request_ids_are_echoed_or_made,
    cors_and_compression_serve_v1
);
