//! Notifications and their emails: each person reads only their own, and the outbox worker
//! delivers every email to a real SMTP relay on loopback, retrying while the relay is away.

use std::time::Duration;

use mentorship_store::notifications::{self, NewNotification, OutboxEmail};
use mentorship_store::{Backend, Store};
use mentorship_tests::smtp::SmtpRelay;
use mentorship_tests::{TestApp, on_both_databases};
use serde_json::json;
use uuid::Uuid;

/// Polls faster than the default second, so the scenarios wait less.
const POLL_MS: &str = "100";
const WITHIN: Duration = Duration::from_secs(30);

async fn tell(
    store: &Store,
    user_id: &str,
    email: &str,
    kind: &'static str,
    subject: &str,
) -> Uuid {
    notifications::notify_now(
        store,
        NewNotification {
            user_id: user_id.parse().unwrap(),
            email: email.into(),
            kind,
            subject: subject.into(),
            body: format!("Dear {email},\n\n{subject}.\n.\nThe mentorship team"),
        },
    )
    .await
    .unwrap()
}

/// The outbox rows for `to`, once `done` holds for all of them; panics after `WITHIN`.
async fn outbox_until(
    store: &Store,
    to: &str,
    done: impl Fn(&OutboxEmail) -> bool,
) -> Vec<OutboxEmail> {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let emails = notifications::emails_to(store, to).await.unwrap();
        if !emails.is_empty() && emails.iter().all(&done) {
            return emails;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "outbox for {to} never reached the expected state: {emails:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn each_person_reads_and_marks_only_their_own(app: TestApp) {
    let admin = app.admin().await;
    let store = &app.store;
    let (ann, ann_id) = app.person(&admin, "manager", "ann@example.com").await;
    let (bob, bob_id) = app.person(&admin, "manager", "bob@example.com").await;
    let (ann_mail, bob_mail) = ("ann@example.com", "bob@example.com");
    let received = tell(store, &ann_id, ann_mail, "application_received", "Received").await;
    let ready = tell(store, &ann_id, ann_mail, "contract_ready", "Ready").await;
    tell(store, &bob_id, bob_mail, "application_rejected", "Rejected").await;

    // Newest first, and only one's own.
    let list = app.get("/v1/me/notifications", &ann).await;
    assert_eq!(list.header("cache-control").as_deref(), Some("no-store"));
    let items = list.ok(200)["items"].as_array().unwrap().clone();
    let ids: Vec<&str> = items.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ready.to_string(), received.to_string()]);
    assert_eq!(items[0]["kind"], json!("contract_ready"));
    assert_eq!(items[0]["subject"], json!("Ready"));
    assert_eq!(items[0]["read_at"], json!(null));
    let bobs = app.get("/v1/me/notifications", &bob).await;
    assert_eq!(bobs.ok(200)["items"].as_array().unwrap().len(), 1);

    // Marking read: one's own only, and twice keeps the first instant.
    let path = format!("/v1/me/notifications/{received}/read");
    app.call("POST", &path, Some(&bob), None, &[])
        .await
        .problem(404);
    app.call("POST", &path, Some(&ann), None, &[]).await.ok(204);
    let read_at = |reply: &mentorship_tests::Reply| reply.body["items"][1]["read_at"].clone();
    let first_read = read_at(&app.get("/v1/me/notifications?unread=false", &ann).await);
    assert!(first_read.is_string(), "{first_read}");
    app.call("POST", &path, Some(&ann), None, &[]).await.ok(204);
    assert_eq!(
        read_at(&app.get("/v1/me/notifications", &ann).await),
        first_read
    );
    let unread = app.get("/v1/me/notifications?unread=true", &ann).await;
    let unread = unread.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0]["id"], json!(ready.to_string()));
    let missing = format!("/v1/me/notifications/{}/read", Uuid::now_v7());
    app.call("POST", &missing, Some(&ann), None, &[])
        .await
        .problem(404);
    app.get("/v1/me/notifications?unread=maybe", &ann)
        .await
        .problem(400);

    // Keyset pages.
    let first = app.get("/v1/me/notifications?limit=1", &ann).await;
    let cursor = first.ok(200)["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(first.body["items"][0]["id"], json!(ready.to_string()));
    let next = format!("/v1/me/notifications?limit=1&cursor={cursor}");
    let second = app.get(&next, &ann).await;
    assert_eq!(
        second.ok(200)["items"][0]["id"],
        json!(received.to_string())
    );
    assert_eq!(second.body["next_cursor"], json!(null));
}

async fn the_worker_delivers_each_email_once(app: TestApp, relay: SmtpRelay) {
    let admin = app.admin().await;
    let store = &app.store;
    let (_, ann_id) = app.person(&admin, "manager", "ann@example.com").await;
    let (_, bob_id) = app.person(&admin, "manager", "bob@example.com").await;
    let (ann_mail, bob_mail) = ("ann@example.com", "bob@example.com");
    let received = tell(store, &ann_id, ann_mail, "application_received", "Received").await;
    tell(store, &ann_id, ann_mail, "contract_ready", "Ready").await;
    tell(store, &bob_id, bob_mail, "application_rejected", "Rejected").await;

    let to_ann = relay.wait_for(ann_mail, 2, WITHIN).await;
    relay.wait_for(bob_mail, 1, WITHIN).await;
    let data: Vec<&str> = to_ann.iter().map(|m| m.data.as_str()).collect();
    for subject in ["Received", "Ready"] {
        let found = data
            .iter()
            .any(|d| d.contains(&format!("Subject: {subject}\n")));
        assert!(found, "{subject}: {data:?}");
    }
    for d in &data {
        assert!(
            d.contains("From: \"Mentorship tests\" <noreply@mentorship.test>"),
            "{d}"
        );
        // The lone "." line of the body survives SMTP's dot-stuffing.
        assert!(d.contains(".\n.\nThe mentorship team"), "{d}");
    }
    assert!(to_ann.iter().all(|m| m.from == "noreply@mentorship.test"));
    let sent = outbox_until(store, ann_mail, |e| e.sent_at.is_some()).await;
    assert!(
        sent.iter()
            .all(|e| e.attempts == 1 && e.next_attempt_at.is_none())
    );
    assert!(sent.iter().all(|e| e.last_error.is_none()));
    assert_eq!(sent[0].notification_id, Some(received));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(relay.received().len(), 3, "an email was sent twice");
}

async fn an_email_is_retried_until_the_relay_answers(backend: Backend) {
    // A port with nothing listening: the relay is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("smtp://127.0.0.1:{port}");
    let Some(app) = TestApp::spawn_with(
        backend,
        &[("SMTP_URL", url.as_str()), ("OUTBOX_POLL_MS", POLL_MS)],
    )
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    let store = &app.store;
    let (_, cy_id) = app.person(&admin, "manager", "cy@example.com").await;
    tell(
        store,
        &cy_id,
        "cy@example.com",
        "application_accepted",
        "You are accepted",
    )
    .await;

    let failed = outbox_until(store, "cy@example.com", |e| e.attempts >= 1).await;
    let email = &failed[0];
    assert!(email.sent_at.is_none());
    assert!(email.last_error.is_some());
    assert!(
        email.next_attempt_at.unwrap() > email.created_at,
        "{email:?}"
    );

    // The relay comes back on the same port; the next attempt (2 s after the first) gets through.
    let relay = SmtpRelay::on_port(port).await.unwrap();
    let received = relay.wait_for("cy@example.com", 1, WITHIN).await;
    assert!(received[0].data.contains("Subject: You are accepted"));
    let sent = outbox_until(store, "cy@example.com", |e| e.sent_at.is_some()).await;
    assert!(sent[0].attempts >= 2, "{sent:?}");
    assert!(
        sent[0].last_error.is_some(),
        "the last failure is kept: {sent:?}"
    );
}

async fn a_refused_recipient_is_given_up_at_once(app: TestApp, relay: SmtpRelay) {
    let admin = app.admin().await;
    let store = &app.store;
    let (_, id) = app.person(&admin, "manager", "bounce@example.com").await;
    let (_, dee_id) = app.person(&admin, "manager", "dee@example.com").await;
    tell(
        store,
        &id,
        "bounce@example.com",
        "document_rejected",
        "A document was rejected",
    )
    .await;
    tell(
        store,
        &dee_id,
        "dee@example.com",
        "mentor_activated",
        "Welcome",
    )
    .await;

    relay.wait_for("dee@example.com", 1, WITHIN).await;
    let given_up = outbox_until(store, "bounce@example.com", |e| {
        e.attempts >= 1 && e.next_attempt_at.is_none()
    })
    .await;
    let email = &given_up[0];
    assert_eq!(email.attempts, 1, "a permanent refusal is not retried");
    assert!(email.sent_at.is_none());
    assert!(
        email.last_error.as_deref().unwrap().contains("550"),
        "{email:?}"
    );
}

on_both_databases!(each_person_reads_and_marks_only_their_own);

mentorship_tests::with_relay!(
    the_worker_delivers_each_email_once,
    a_refused_recipient_is_given_up_at_once,
);

mod an_email_is_retried_until_the_relay_answers {
    #[actix_web::test]
    async fn sqlite() {
        super::an_email_is_retried_until_the_relay_answers(mentorship_store::Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        super::an_email_is_retried_until_the_relay_answers(mentorship_store::Backend::Postgres)
            .await;
    }
}
