//! Webhooks end to end: a receiver on loopback gets each subscribed event, signed as Standard
//! Webhooks says (checked here with an HMAC of our own), retried after it failed, replayed by
//! hand, signed with both secrets after a rotation, and the webhook disabled after a day of
//! failures with its owner told.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use mentorship_store::db::query;
use mentorship_tests::{TestApp, on_both_databases};
use serde_json::{Value, json};
use sha2::Sha256;

use super::exports::named_pair;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A webhook receiver on loopback: records every request, answers the statuses it is told to
/// (then 200).
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

fn header(req: &HttpRequest, name: &str) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn receive(req: HttpRequest, body: String, receiver: web::Data<Receiver>) -> HttpResponse {
    receiver.got.lock().unwrap().push(Received {
        id: header(&req, "webhook-id"),
        timestamp: header(&req, "webhook-timestamp"),
        signature: header(&req, "webhook-signature"),
        body,
    });
    let status = receiver.answers.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    /// Starts listening; returns the receiver and its URL.
    pub fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let data = web::Data::new(receiver.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        (receiver, format!("http://127.0.0.1:{port}/hook"))
    }

    /// Answers these statuses to the next requests, in order.
    pub fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came (at most 20 s), and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.received().len() >= n {
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver got {} requests, not {n}",
            self.received().len()
        );
    }
}

/// Whether `got` carries a signature by `secret`, computed here from the specification.
pub fn signed_by(got: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", got.id, got.timestamp, got.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    got.signature.split(' ').any(|s| s == expected)
}

async fn webhooks_deliver_signed_events_retry_and_replay(app: TestApp) {
    let admin = app.admin().await;
    let (receiver, url) = Receiver::start();
    // Refusals first: not HTTPS, no events, not an admin.
    let refused = json!({"url": "http://hooks.example.com/in", "events": ["session.booked"]});
    let refused = app.post("/v1/webhooks", &admin, refused).await;
    assert_eq!(
        refused.problem(422)["errors"][0]["code"],
        "webhook_url_not_https"
    );
    let empty = json!({"url": url, "events": []});
    let empty = app.post("/v1/webhooks", &admin, empty).await;
    assert_eq!(
        empty.problem(422)["errors"][0]["code"],
        "webhook_without_events"
    );
    let unknown = json!({"url": url, "events": ["session.exploded"]});
    assert!(matches!(
        app.post("/v1/webhooks", &admin, unknown).await.status,
        400 | 422
    ));

    let body = json!({"url": url, "description": "Loopback",
                      "events": ["student.assigned", "session.booked"]});
    let created = app.post("/v1/webhooks", &admin, body).await;
    let created = created.ok(201).clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let hook = format!("/v1/webhooks/{}", created["id"].as_str().unwrap());
    // The secret is kept sealed with the server's key, not as it was shown.
    const STORED: &str = "SELECT secret FROM webhooks";
    let stored: Vec<String> = app.store.scalars(query(STORED)).await.unwrap();
    assert!(
        !stored[0].contains(&secret[6..]),
        "the secret is stored in clear"
    );
    assert_eq!(app.get(&hook, &admin).await.ok(200)["secret"], Value::Null);
    let (manager, _) = app
        .person(&admin, "manager", "hooks.manager@example.com")
        .await;
    app.get(&hook, &manager).await.problem(403);

    // The receiver fails the first attempt: the delivery is tried again 5 s later.
    receiver.answer(&[503]);
    let pair = named_pair(&app, &admin).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[0].id, got[1].id, "a retry is the same message");
    for attempt in &got {
        assert!(signed_by(attempt, &secret), "{attempt:?}");
        assert!(!signed_by(
            attempt,
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ));
    }
    let payload: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(payload["type"], "student.assigned");
    assert_eq!(payload["data"]["student_id"], pair.student_id.as_str());
    assert_eq!(payload["data"]["mentor_id"], pair.mentor_id.as_str());
    assert!(
        !got[1].body.contains("Sam Student"),
        "names stay in the API"
    );

    // The delivery log shows both attempts.
    let log = app.get(&format!("{hook}/deliveries"), &admin).await;
    let delivery = log.ok(200)["items"][0].clone();
    assert_eq!(delivery["id"], got[0].id.as_str());
    assert_eq!(delivery["attempts"], 2);
    assert!(delivery["delivered_at"].is_string());
    let statuses: Vec<&Value> = delivery["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200)]);

    // Replayed by hand: the same message again.
    let replay = format!("{hook}/deliveries/{}/replay", got[0].id);
    assert_eq!(app.post(&replay, &admin, json!({})).await.status, 202);
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].id, got[0].id);
    let missing = format!("{hook}/deliveries/{}/replay", uuid::Uuid::now_v7());
    app.post(&missing, &admin, json!({})).await.problem(404);

    // A rotation: for a day, both secrets sign.
    let rotated = app
        .post(&format!("{hook}/rotate-secret"), &admin, json!({}))
        .await;
    let new_secret = rotated.ok(200)["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(app.post(&replay, &admin, json!({})).await.status, 202);
    let got = receiver.wait_for(4).await;
    assert!(signed_by(&got[3], &new_secret) && signed_by(&got[3], &secret));

    // A day of failures: disabled, its owner told, nothing replayed until it is enabled again.
    let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let day_ago = chrono::Utc::now() - chrono::Duration::hours(25);
    const FAILING: &str = "UPDATE webhooks SET failing_since = $2 WHERE id = $1";
    let q = query(FAILING).bind(id).bind(day_ago);
    app.store.execute(q).await.unwrap();
    receiver.answer(&[500]);
    let project = app.first_project(&app.harness_path().await).await;
    let start = super::pay::at_ten(chrono::Utc::now().date_naive() + chrono::Days::new(14));
    let booking = json!({"student_id": pair.student_id, "start": start, "project_id": project});
    app.post("/v1/sessions", &pair.mentor, booking)
        .await
        .ok(201);
    let got = receiver.wait_for(5).await;
    assert_eq!(
        serde_json::from_str::<Value>(&got[4].body).unwrap()["type"],
        "session.booked"
    );
    let mut disabled = Value::Null;
    for _ in 0..50 {
        disabled = app.get(&hook, &admin).await.ok(200).clone();
        if disabled["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(disabled["enabled"], false, "{disabled}");
    assert!(disabled["disabled_at"].is_string());
    assert!(
        app.notification_kinds(&admin)
            .await
            .contains(&"webhook_disabled".to_owned())
    );
    let refused = app.post(&replay, &admin, json!({})).await;
    assert_eq!(refused.problem(409)["code"], "webhook_disabled");
    let etag = app.get(&hook, &admin).await.header("etag").unwrap();
    let enabled = app
        .patch(&hook, &admin, &etag, json!({"enabled": true}))
        .await;
    let enabled = enabled.ok(200);
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["failing_since"], Value::Null);

    // Deleted, with its log.
    let deleted = app.call("DELETE", &hook, Some(&admin), None, &[]).await;
    assert_eq!(deleted.status, 204);
    app.get(&hook, &admin).await.problem(404);
}

on_both_databases!(webhooks_deliver_signed_events_retry_and_replay);
