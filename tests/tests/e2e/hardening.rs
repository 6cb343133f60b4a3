//! Input that cannot hurt, answers that browsers cannot misuse, and logs a stranger cannot fill.

use std::io::{Read, Write};
use std::time::Duration;

use mentorship_tests::cluster::Cluster;
use mentorship_tests::forms::{PDF, days_ago, upload};
use mentorship_tests::{ADMIN_EMAIL, TestApp, on_both_databases};
use serde_json::json;

async fn nul_characters_are_refused_everywhere(app: TestApp) {
    let login = br#"{"email":"a\u0000@example.com","password":"whatever-password"}"#;
    let reply = app
        .raw(
            "POST",
            "/v1/auth/login",
            &[("content-type", "application/json")],
            login.to_vec(),
        )
        .await;
    let problem = reply.problem(422);
    assert_eq!(problem["errors"][0]["field"], "email");
    assert_eq!(problem["errors"][0]["code"], "nul_character");
    let admin = app.admin().await;
    let query = app.get("/v1/paths?field=web%00dev", &admin).await;
    assert_eq!(query.problem(422)["errors"][0]["field"], "field");
    let path = app.get("/v1/paths/%00", &admin).await;
    assert_eq!(path.problem(422)["errors"][0]["field"], "id");
    let nested = app
        .post(
            "/v1/api-keys",
            &admin,
            json!({"name": "k", "scopes": ["paths:read", "a\u{0}b"]}),
        )
        .await;
    assert_eq!(nested.problem(422)["errors"][0]["field"], "scopes[1]");
}

async fn duplicate_keys_and_unknown_parameters_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let auth = format!("Bearer {admin}");
    let twice = br#"{"title":"A","field":"f","complexity":1,"title":"B"}"#;
    let reply = app
        .raw(
            "POST",
            "/v1/paths",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            twice.to_vec(),
        )
        .await;
    assert!(
        reply.problem(400)["detail"]
            .as_str()
            .unwrap()
            .contains("`title` appears twice")
    );
    let sorted = app.get("/v1/paths?sort=title", &admin).await;
    assert!(
        sorted.problem(400)["detail"]
            .as_str()
            .unwrap()
            .contains("`sort`")
    );
    app.get("/v1/paths?limit=10&field=web", &admin)
        .await
        .ok(200);
    app.get("/v1/me?x=1", &admin).await.problem(400);
}

async fn a_422_lists_every_invalid_field_in_words(app: TestApp) {
    let admin = app.admin().await;
    let reply = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "", "field": "", "complexity": 9}),
        )
        .await;
    let errors = reply.problem(422)["errors"].as_array().unwrap().clone();
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["complexity", "field", "title"]);
    for error in &errors {
        let message = error["message"].as_str().unwrap();
        assert!(message.starts_with("must"), "{message}");
    }
    // Fields of the wrong type are all listed too.
    let reply = app
        .post(
            "/v1/users",
            &admin,
            json!({"email": 7, "name": "N", "role": "wizard", "password": "a long passphrase"}),
        )
        .await;
    let errors = reply.problem(422)["errors"].as_array().unwrap().clone();
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "role"]);
}

async fn answers_carry_the_headers_that_protect_them(app: TestApp) {
    let login = app
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": ADMIN_EMAIL, "password": mentorship_tests::ADMIN_PASSWORD})),
            &[],
        )
        .await;
    assert_eq!(login.header("cache-control").as_deref(), Some("no-store"));
    let admin = mentorship_tests::token_of(&login.body);
    let me = app.get("/v1/me", &admin).await;
    assert_eq!(me.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        me.header("content-security-policy").as_deref(),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    for reply in [
        &login,
        &me,
        &app.call("GET", "/health", None, None, &[]).await,
    ] {
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
    let anonymous = app.call("GET", "/v1/me", None, None, &[]).await;
    anonymous.problem(401);
    assert_eq!(
        anonymous.header("www-authenticate").as_deref(),
        Some("Bearer")
    );
    let bad = app.get("/v1/me", "not-a-token").await;
    assert_eq!(
        bad.header("www-authenticate").as_deref(),
        Some("Bearer error=\"invalid_token\"")
    );
    // A browser may send and read the request id across origins.
    let preflight = app
        .call(
            "OPTIONS",
            "/v1/paths",
            None,
            None,
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "GET"),
                (
                    "access-control-request-headers",
                    "authorization, x-request-id",
                ),
            ],
        )
        .await;
    assert_eq!(preflight.status, 200, "{:?}", preflight.body);
    let listed = app
        .call(
            "GET",
            "/v1/me",
            Some(&admin),
            None,
            &[("origin", "http://localhost:3000")],
        )
        .await;
    let exposed = listed
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

async fn documents_download_as_attachments_and_old_extracts_go(app: TestApp) {
    let admin = app.admin().await;
    let (token, id) = app.applicant("ada@example.com").await;
    app.call(
        "POST",
        &format!("/v1/mentor-applications/{id}/accept"),
        Some(&admin),
        None,
        &[],
    )
    .await
    .ok(200);
    let issued = days_ago(5);
    let extract = || {
        upload(
            &app,
            &token,
            &id,
            "criminal_record",
            "cr.pdf",
            PDF,
            Some(&issued),
        )
    };
    extract().await.ok(201);
    let reject = format!("/v1/mentors/{id}/documents/criminal_record/reject");
    app.post(&reject, &admin, json!({"reason": "Unreadable"}))
        .await
        .ok(200);
    extract().await.ok(201);
    let file = app
        .get(
            &format!("/v1/mentors/{id}/documents/criminal_record/file"),
            &admin,
        )
        .await;
    assert_eq!(
        file.header("content-disposition").as_deref(),
        Some("attachment; filename=\"criminal_record.pdf\"")
    );
    let files_dir = || {
        std::fs::read_dir(&app.files_dir)
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(
        files_dir(),
        2,
        "the rejected extract and the new one are on disk"
    );
    let verify = format!("/v1/mentors/{id}/documents/criminal_record/verify");
    app.call("POST", &verify, Some(&admin), None, &[])
        .await
        .ok(200);
    assert_eq!(files_dir(), 0, "no extract is kept once one is verified");
}

on_both_databases!(
    nul_characters_are_refused_everywhere,
    duplicate_keys_and_unknown_parameters_are_refused,
    a_422_lists_every_invalid_field_in_words,
    answers_carry_the_headers_that_protect_them,
    documents_download_as_attachments_and_old_extracts_go,
);

/// Sends raw bytes to the server and reads what it answers, if anything.
fn send_raw(base: &str, bytes: &[u8]) -> String {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Malformed HTTP from a stranger is answered 400 and logged below warning level: it must not
/// fill the error log.
async fn malformed_http_is_not_an_error_in_the_log(cluster: Cluster) {
    let base = cluster.servers[0].base.clone();
    let big_header = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let probes: [Vec<u8>; 3] = [
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n".to_vec(),
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
        big_header.into_bytes(),
    ];
    for probe in &probes {
        let answer = send_raw(&base, probe);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{}",
            answer.lines().next().unwrap_or_default()
        );
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log = cluster.log_of(0);
    let loud: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"level\":\"ERROR\"") || l.contains("\"target\":\"actix_http"))
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
}

/// The request's span carries the standard HTTP fields, the request id and the caller.
async fn each_request_has_a_standard_http_span(cluster: Cluster) {
    let http = &cluster.servers[0];
    let admin = http.admin().await;
    let me = http
        .call(
            "GET",
            "/v1/me",
            Some(&admin),
            None,
            &[("x-request-id", "span-probe-1")],
        )
        .await;
    let id = me.ok(200)["id"].as_str().unwrap().to_owned();
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let log = cluster.log_of(0);
    let line = log
        .lines()
        .find(|l| l.contains("span-probe-1") && l.contains("answered"))
        .unwrap_or_else(|| panic!("no answered line for the request:\n{log}"));
    for field in [
        "\"http.route\":\"/v1/me\"",
        "\"http.method\":\"GET\"",
        "\"http.status_code\":200",
        "\"otel.kind\":\"server\"",
        &format!("\"user_id\":\"{id}\""),
    ] {
        assert!(line.contains(field), "{field} not in {line}");
    }
}

macro_rules! on_a_server_process {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let program = env!("CARGO_BIN_EXE_mentorship-server");
                if let Some(cluster) = mentorship_tests::cluster::Cluster::start(
                    program, mentorship_store::Backend::Sqlite, 1).await {
                    super::$name(cluster).await;
                }
            }

            #[actix_web::test]
            async fn postgres() {
                let program = env!("CARGO_BIN_EXE_mentorship-server");
                if let Some(cluster) = mentorship_tests::cluster::Cluster::start(
                    program, mentorship_store::Backend::Postgres, 1).await {
                    super::$name(cluster).await;
                }
            }
        }
    )*};
}

on_a_server_process!(
    malformed_http_is_not_an_error_in_the_log,
    each_request_has_a_standard_http_span,
);
