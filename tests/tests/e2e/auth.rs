//! Login, refresh rotation and reuse, logout, throttling and forged tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mentorship_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, TestApp, on_both_databases,
    token_of,
};
use serde_json::{Value, json};

async fn login_gives_tokens_that_open_me(app: TestApp) {
    let pair = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert!(pair["refresh_token"].as_str().unwrap().starts_with("mr_"));
    let me = app.get("/v1/me", &token_of(&pair)).await;
    assert_eq!(me.ok(200)["email"], ADMIN_EMAIL);
    assert_eq!(me.body["role"], "admin");
    assert!(me.body.get("password_hash").is_none());
    // The email is matched whatever its case.
    app.login("  Admin@Example.COM ", ADMIN_PASSWORD).await;
    for (email, password) in [
        (ADMIN_EMAIL, "wrong password"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ] {
        let reply = app
            .call(
                "POST",
                "/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
                &[],
            )
            .await;
        reply.problem(401);
    }
}

async fn refresh(app: &TestApp, token: &Value) -> mentorship_tests::Reply {
    app.call(
        "POST",
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
        &[],
    )
    .await
}

async fn refresh_rotates_and_reuse_revokes_the_family(app: TestApp) {
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let second = refresh(&app, &first["refresh_token"]).await.ok(200).clone();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    app.get("/v1/me", &token_of(&second)).await.ok(200);
    let third = refresh(&app, &second["refresh_token"])
        .await
        .ok(200)
        .clone();
    // The spent first token comes back: the whole family is revoked, including the newest.
    refresh(&app, &first["refresh_token"]).await.problem(401);
    refresh(&app, &third["refresh_token"]).await.problem(401);
    // Another login is another family, untouched.
    let other = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    refresh(&app, &other["refresh_token"]).await.ok(200);
    refresh(&app, &json!("mr_made-up")).await.problem(401);
}

async fn two_concurrent_refreshes_of_one_token_yield_one_pair(app: TestApp) {
    let pair = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (a, b) = futures_util::future::join(
        refresh(&app, &pair["refresh_token"]),
        refresh(&app, &pair["refresh_token"]),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401]);
    // The loser's attempt was a reuse: the winner's new token is revoked with the family.
    let winner = if a.status == 200 { a } else { b };
    refresh(&app, &winner.body["refresh_token"])
        .await
        .problem(401);
}

async fn logout_ends_the_login(app: TestApp) {
    let pair = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let reply = app
        .call(
            "POST",
            "/v1/auth/logout",
            None,
            Some(json!({"refresh_token": pair["refresh_token"]})),
            &[],
        )
        .await;
    assert_eq!(reply.status, 204);
    refresh(&app, &pair["refresh_token"]).await.problem(401);
    // Logging out again is harmless.
    let again = app
        .call(
            "POST",
            "/v1/auth/logout",
            None,
            Some(json!({"refresh_token": pair["refresh_token"]})),
            &[],
        )
        .await;
    assert_eq!(again.status, 204);
}

async fn deactivated_people_cannot_log_in_or_refresh(app: TestApp) {
    let admin = app.admin().await;
    let (_, id) = app.student(&admin, "sam@example.com").await;
    let pair = app.login("sam@example.com", "a long passphrase").await;
    let etag = app
        .get(&format!("/v1/users/{id}"), &admin)
        .await
        .header("etag")
        .unwrap();
    app.patch(
        &format!("/v1/users/{id}"),
        &admin,
        &etag,
        json!({"active": false}),
    )
    .await
    .ok(200);
    let reply = app
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": "sam@example.com", "password": "a long passphrase"})),
            &[],
        )
        .await;
    reply.problem(401);
    refresh(&app, &pair["refresh_token"]).await.problem(401);
}

async fn login_is_throttled_per_account(app: TestApp) {
    let attempt = || {
        app.call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": ADMIN_EMAIL, "password": "guess"})),
            &[],
        )
    };
    let first = attempt().await;
    first.problem(401);
    // The IETF draft's headers tell a client what it has left before a 429.
    let state = first.header("ratelimit").expect("RateLimit");
    assert!(state.starts_with("\"account\";r=2;t="), "{state}");
    let policies = first.header("ratelimit-policy").expect("RateLimit-Policy");
    assert!(policies.contains("\"account\";q=3;w="), "{policies}");
    assert!(policies.starts_with("\"client\";q="), "{policies}");
    for _ in 0..2 {
        attempt().await.problem(401);
    }
    let reply = attempt().await;
    reply.problem(429);
    let state = reply.header("ratelimit").expect("RateLimit on a 429");
    assert!(state.starts_with("\"account\";r=0;t="), "{state}");
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
    // Even the right password waits: the throttle is checked before any hashing.
    let right = app
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
            &[],
        )
        .await;
    right.problem(429);
}

fn claims(overrides: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "sub": uuid::Uuid::now_v7(), "exp": now + 600,
        "nbf": now - 10, "iat": now - 10, "typ": "access", "role": "admin", "ver": 1
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn forged_and_stale_tokens_are_refused(app: TestApp) {
    // The real admin's token, to prove the forging itself is sound.
    let me = app.get("/v1/me", &app.admin().await).await.ok(200).clone();
    let sub = me["id"].clone();
    let good = claims(json!({"sub": sub}));
    app.get("/v1/me", &sign(&good, JWT_SECRET)).await.ok(200);
    let now = Utc::now().timestamp();
    let forged = [
        (
            "wrong key",
            sign(&good, "another-secret-that-is-long-enough-for-hs256"),
        ),
        (
            "expired",
            sign(&claims(json!({"sub": sub, "exp": now - 120})), JWT_SECRET),
        ),
        (
            "not yet valid",
            sign(&claims(json!({"sub": sub, "nbf": now + 3600})), JWT_SECRET),
        ),
        (
            "no exp",
            sign(&claims(json!({"sub": sub, "exp": null})), JWT_SECRET),
        ),
        (
            "exp as a string",
            sign(
                &claims(json!({"sub": sub, "exp": (now + 600).to_string()})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong aud",
            sign(
                &claims(json!({"sub": sub, "aud": "someone-else"})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong iss",
            sign(
                &claims(json!({"sub": sub, "iss": "someone-else"})),
                JWT_SECRET,
            ),
        ),
        (
            "not an access token",
            sign(&claims(json!({"sub": sub, "typ": "refresh"})), JWT_SECRET),
        ),
    ];
    for (what, token) in forged {
        let reply = app.get("/v1/me", &token).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    }
    // alg: none, and a truncated signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    app.get("/v1/me", &format!("{header}.{payload}."))
        .await
        .problem(401);
    let real = sign(&good, JWT_SECRET);
    app.get("/v1/me", &real[..real.len() - 4])
        .await
        .problem(401);
    // A refresh token is not an access token.
    let pair = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.get("/v1/me", pair["refresh_token"].as_str().unwrap())
        .await
        .problem(401);
}

on_both_databases!(
    login_gives_tokens_that_open_me,
    refresh_rotates_and_reuse_revokes_the_family,
    two_concurrent_refreshes_of_one_token_yield_one_pair,
    logout_ends_the_login,
    deactivated_people_cannot_log_in_or_refresh,
    forged_and_stale_tokens_are_refused,
    login_is_throttled_per_account with [("LOGIN_ATTEMPTS_PER_ACCOUNT", "3")],
);
