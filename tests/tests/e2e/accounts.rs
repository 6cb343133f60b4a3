//! Accounts that really lock: sessions that end at once (deactivation, a new password, "log out
//! everywhere") on every instance, password resets by email, credentials that only a person's
//! login changes, and login throttling shared by instances.

use mentorship_api::throttle::Door;
use std::time::{Duration, Instant};

use mentorship_tests::cluster::Cluster;
use mentorship_tests::smtp::SmtpRelay;
use mentorship_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Http, PERSON_PASSWORD, TestApp, on_both_databases, token_of,
};
use serde_json::json;

/// Polls `check` until it holds, for at most `within`; how long it took.
async fn within<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() <= within {
        if check().await {
            return Some(start.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn deactivate(http: &Http, admin: &str, id: &str) {
    let etag = http
        .get(&format!("/v1/users/{id}"), admin)
        .await
        .header("etag")
        .unwrap();
    http.patch(
        &format!("/v1/users/{id}"),
        admin,
        &etag,
        json!({"active": false}),
    )
    .await
    .ok(200);
}

async fn a_deactivated_account_loses_its_access_at_once(app: TestApp) {
    let admin = app.admin().await;
    let (token, id) = app.person(&admin, "manager", "mia@example.com").await;
    app.get("/v1/me", &token).await.ok(200);
    deactivate(&app, &admin, &id).await;
    let me = app.get("/v1/me", &token).await;
    me.problem(401);
    assert_eq!(
        me.header("www-authenticate").as_deref(),
        Some("Bearer error=\"invalid_token\"")
    );
    let edit = app
        .patch(
            &format!("/v1/users/{id}"),
            &token,
            "*",
            json!({"name": "Me again"}),
        )
        .await;
    edit.problem(401);
    let key = app
        .post(
            "/v1/api-keys",
            &token,
            json!({"name": "k", "scopes": ["paths:read"]}),
        )
        .await;
    key.problem(401);
}

async fn log_out_everywhere_ends_every_session(app: TestApp) {
    let phone = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let laptop = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.call(
        "POST",
        "/v1/auth/logout-all",
        Some(&token_of(&phone)),
        None,
        &[],
    )
    .await
    .ok(204);
    for session in [&phone, &laptop] {
        app.get("/v1/me", &token_of(session)).await.problem(401);
        let body = json!({"refresh_token": session["refresh_token"]});
        app.call("POST", "/v1/auth/refresh", None, Some(body), &[])
            .await
            .problem(401);
    }
    // A new login works.
    let again = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.get("/v1/me", &token_of(&again)).await.ok(200);
}

async fn a_token_of_an_account_that_does_not_exist_is_401(app: TestApp) {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": mentorship_tests::JWT_ISSUER, "aud": mentorship_tests::JWT_AUDIENCE,
        "sub": uuid::Uuid::now_v7(), "exp": now + 600, "nbf": now - 10, "iat": now - 10,
        "typ": "access", "role": "admin", "ver": 1
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(mentorship_tests::JWT_SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    let me = app.get("/v1/me", &token).await;
    me.problem(401);
    app.get("/v1/users", &token).await.problem(401);
}

async fn changing_ones_password_needs_the_current_one_and_ends_other_sessions(app: TestApp) {
    let admin = app.admin().await;
    let (_, id) = app.person(&admin, "manager", "mia@example.com").await;
    let other_device = app.login("mia@example.com", PERSON_PASSWORD).await;
    let this_device = app.login("mia@example.com", PERSON_PASSWORD).await;
    let token = token_of(&this_device);
    let wrong = app
        .post(
            "/v1/auth/password",
            &token,
            json!({"current_password": "not it", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(wrong.problem(422)["errors"][0]["code"], "wrong_password");
    // PATCH does not change one's own password: it does not ask for the current one.
    let etag = app.get("/v1/me", &token).await.header("etag").unwrap();
    let patched = app
        .patch(
            &format!("/v1/users/{id}"),
            &token,
            &etag,
            json!({"password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(
        patched.problem(422)["errors"][0]["code"],
        "current_password_required"
    );
    let changed = app
        .post(
            "/v1/auth/password",
            &token,
            json!({"current_password": PERSON_PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    let fresh = changed.ok(200).clone();
    app.get("/v1/me", &token_of(&fresh)).await.ok(200);
    app.get("/v1/me", &token_of(&other_device))
        .await
        .problem(401);
    let body = json!({"refresh_token": other_device["refresh_token"]});
    app.call("POST", "/v1/auth/refresh", None, Some(body), &[])
        .await
        .problem(401);
    app.login("mia@example.com", "a brand new passphrase").await;
}

async fn a_password_is_reset_by_a_one_time_link(app: TestApp, relay: SmtpRelay) {
    let admin = app.admin().await;
    app.person(&admin, "manager", "mia@example.com").await;
    let session = app.login("mia@example.com", PERSON_PASSWORD).await;
    let ask = |email: &str| {
        app.call(
            "POST",
            "/v1/auth/password-reset",
            None,
            Some(json!({"email": email})),
            &[],
        )
    };
    ask("nobody@example.com").await.ok(202);
    ask("MIA@example.com").await.ok(202);
    let mails = relay
        .wait_for("mia@example.com", 1, Duration::from_secs(10))
        .await;
    let mail = mails[0].text();
    assert!(mail.contains("/reset-password?token=ml_"), "{mail}");
    assert!(
        relay
            .received()
            .iter()
            .all(|m| !m.to.iter().any(|t| t.contains("nobody"))),
        "no email for an unknown address"
    );
    let token = mentorship_tests::link_token(&relay.last_to("mia@example.com")).unwrap();
    let confirm = |token: &str| {
        app.call(
            "POST",
            "/v1/auth/password-reset/confirm",
            None,
            Some(json!({"token": token, "new_password": "a reset passphrase!"})),
            &[],
        )
    };
    let fresh = confirm(&token).await.ok(200).clone();
    app.get("/v1/me", &token_of(&fresh)).await.ok(200);
    assert_eq!(
        confirm(&token).await.problem(422)["errors"][0]["code"],
        "link_invalid",
        "a link works once"
    );
    app.get("/v1/me", &token_of(&session)).await.problem(401);
    let old = app
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": "mia@example.com", "password": PERSON_PASSWORD})),
            &[],
        )
        .await;
    old.problem(401);
    app.login("mia@example.com", "a reset passphrase!").await;
    // The reset link is never listed among the person's notifications.
    let listed = app.get("/v1/me/notifications", &token_of(&fresh)).await;
    assert!(!listed.ok(200).to_string().contains("ml_"));
}

async fn password_resets_are_throttled_per_email(app: TestApp) {
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let reply = app
            .call(
                "POST",
                "/v1/auth/password-reset",
                None,
                Some(json!({"email": ADMIN_EMAIL})),
                &[],
            )
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [202, 202, 202, 429]);
}

async fn api_keys_never_change_credentials(app: TestApp) {
    let admin = app.admin().await;
    let me = app.get("/v1/me", &admin).await.ok(200).clone();
    let id = me["id"].as_str().unwrap();
    let key = app
        .post(
            "/v1/api-keys",
            &admin,
            json!({"name": "script", "scopes": ["users:read", "users:write"]}),
        )
        .await;
    let key = key.ok(201)["key_secret"].as_str().unwrap().to_owned();
    let etag = app
        .get(&format!("/v1/users/{id}"), &key)
        .await
        .header("etag")
        .unwrap();
    for change in [
        json!({"password": "a key-made passphrase"}),
        json!({"email": "taken-over@example.com"}),
    ] {
        let reply = app
            .patch(&format!("/v1/users/{id}"), &key, &etag, change)
            .await;
        assert_eq!(reply.problem(403)["code"], "api_key_not_accepted");
    }
    let renamed = app
        .patch(
            &format!("/v1/users/{id}"),
            &key,
            &etag,
            json!({"name": "Ops"}),
        )
        .await;
    renamed.ok(200);
    for (method, path, body) in [
        (
            "POST",
            "/v1/api-keys",
            Some(json!({"name": "k2", "scopes": ["users:read"]})),
        ),
        (
            "POST",
            "/v1/auth/password",
            Some(
                json!({"current_password": ADMIN_PASSWORD, "new_password": "a key-made passphrase"}),
            ),
        ),
        ("POST", "/v1/auth/logout-all", None),
    ] {
        let reply = app.call(method, path, Some(&key), body, &[]).await;
        assert_eq!(
            reply.problem(403)["code"],
            "api_key_not_accepted",
            "{method} {path}"
        );
    }
    let narrow = app
        .post(
            "/v1/api-keys",
            &admin,
            json!({"name": "read", "scopes": ["paths:read"]}),
        )
        .await;
    let narrow = narrow.ok(201)["key_secret"].as_str().unwrap().to_owned();
    let refused = app.get("/v1/users", &narrow).await;
    let problem = refused.problem(403);
    assert_eq!(problem["code"], "insufficient_scope");
    assert!(problem["detail"].as_str().unwrap().contains("users:read"));
}

on_both_databases!(
    a_deactivated_account_loses_its_access_at_once,
    log_out_everywhere_ends_every_session,
    a_token_of_an_account_that_does_not_exist_is_401,
    changing_ones_password_needs_the_current_one_and_ends_other_sessions,
    api_keys_never_change_credentials,
    password_resets_are_throttled_per_email with [("LOGIN_ATTEMPTS_PER_ACCOUNT", "3")],
);

mentorship_tests::with_relay!(a_password_is_reset_by_a_one_time_link);

/// On two instances: an account deactivated through one is refused by the other within a
/// second, and a "log out everywhere" too.
async fn sessions_end_on_every_instance(cluster: Cluster) {
    let (a, b) = (
        &cluster.servers[0],
        &cluster.servers[1 % cluster.servers.len()],
    );
    let admin = a.admin().await;
    let (token, id) = a.person(&admin, "manager", "mia@example.com").await;
    b.get("/v1/me", &token).await.ok(200);
    deactivate(a, &admin, &id).await;
    let took = within(Duration::from_secs(1), || async {
        b.get("/v1/me", &token).await.status == 401
    })
    .await;
    assert!(
        took.is_some(),
        "the other instance still accepts the token after 1 s"
    );
    let session = a.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.get("/v1/me", &token_of(&session)).await.ok(200);
    a.call(
        "POST",
        "/v1/auth/logout-all",
        Some(&token_of(&session)),
        None,
        &[],
    )
    .await
    .ok(204);
    let took = within(Duration::from_secs(1), || async {
        b.get("/v1/me", &token_of(&session)).await.status == 401
    })
    .await;
    assert!(
        took.is_some(),
        "the other instance still accepts a logged-out token"
    );
}

/// Sleeps until just after the start of the next fixed window of `seconds` (the throttle's
/// windows are aligned to the clock), so that a burst of attempts falls in one window.
async fn next_window(seconds: u64) {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into =
        Duration::from_millis(u64::try_from(since_epoch.as_millis()).unwrap() % (seconds * 1000));
    actix_web::rt::time::sleep(Duration::from_secs(seconds) - into + Duration::from_millis(50))
        .await;
}

/// On two instances: twenty wrong passwords at once against an account limited to ten get ten
/// 401s and ten 429s; after the window the owner's password works again.
async fn login_throttling_holds_across_instances(cluster: Cluster) {
    let wrong = json!({"email": ADMIN_EMAIL, "password": "a wrong guess"});
    next_window(5).await;
    let attempts = (0..20).map(|i| {
        let body = wrong.clone();
        let server = cluster.server(i);
        async move {
            server
                .call("POST", "/v1/auth/login", None, Some(body), &[])
                .await
                .status
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let wrong_password = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!((wrong_password, refused), (10, 10), "{statuses:?}");
    next_window(5).await;
    cluster.servers[0].login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

/// The client's limit is counted first: attempts it refuses do not count against the account,
/// so a stranger over their own limit does not use up the owner's.
async fn the_client_limit_comes_before_the_account_limit(cluster: Cluster) {
    let http = &cluster.servers[0];
    let wrong = json!({"email": ADMIN_EMAIL, "password": "a wrong guess"});
    next_window(5).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = http
            .call("POST", "/v1/auth/login", None, Some(wrong.clone()), &[])
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429, 429, 429]);
    const COUNTED: &str = "SELECT COALESCE(MAX(attempts), 0) FROM throttle_counts WHERE key = $1";
    let account = mentorship_api::throttle::account_key(Door::Login, ADMIN_EMAIL);
    let counted: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(COUNTED).bind(account))
        .await
        .unwrap();
    assert_eq!(
        counted, 3,
        "only the attempts the client limit let through count"
    );
}

/// Runs each on PostgreSQL with two server processes and on SQLite with one.
macro_rules! on_instances {
    (@settings) => { &[] };
    (@settings $settings:expr) => { &$settings };
    ($($name:ident $(with $settings:expr)?),* $(,)?) => {$(
        mod $name {
            use mentorship_store::Backend;
            use mentorship_tests::cluster::Cluster;

            const SETTINGS: &[(&str, &str)] = on_instances!(@settings $($settings)?);

            #[actix_web::test]
            async fn postgres_two_processes() {
                let program = env!("CARGO_BIN_EXE_mentorship-server");
                if let Some(cluster) = Cluster::start_with(program, Backend::Postgres, 2, SETTINGS).await {
                    super::$name(cluster).await;
                }
            }

            #[actix_web::test]
            async fn sqlite_one_process() {
                let program = env!("CARGO_BIN_EXE_mentorship-server");
                if let Some(cluster) = Cluster::start_with(program, Backend::Sqlite, 1, SETTINGS).await {
                    super::$name(cluster).await;
                }
            }
        }
    )*};
}

on_instances!(
    sessions_end_on_every_instance,
    login_throttling_holds_across_instances with [
        ("LOGIN_ATTEMPTS_PER_ACCOUNT", "10"),
        ("LOGIN_ATTEMPTS_PER_CLIENT", "1000"),
        ("THROTTLE_WINDOW_SECONDS", "5")
    ],
    the_client_limit_comes_before_the_account_limit with [
        ("LOGIN_ATTEMPTS_PER_ACCOUNT", "10"),
        ("LOGIN_ATTEMPTS_PER_CLIENT", "3"),
        ("THROTTLE_WINDOW_SECONDS", "5")
    ],
);
