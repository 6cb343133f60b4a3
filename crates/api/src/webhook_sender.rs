//! The worker that sends webhook deliveries (Standard Webhooks): every instance runs one; a due
//! delivery is claimed by one instance for a lease, POSTed signed, and its attempt recorded, so
//! each event reaches each subscription once however many instances run (a receiver still
//! deduplicates on `webhook-id`, as the specification asks: an instance that dies between the
//! receiver's answer and the record leaves the delivery to be sent again).

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use mentorship_store::Store;
use mentorship_store::webhooks::{self, AttemptOutcome, DueDelivery};

use crate::files::FileStore;
use sha2::Sha256;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long an instance holds the deliveries it sends: longer than a batch of timeouts.
const LEASE_SECS: i64 = 60;
/// Deliveries sent at once per poll.
const BATCH: i64 = 20;

/// The signature header's value for `id`, `timestamp` and `body` under each secret
/// (`whsec_` and base64), space-separated: `v1,<base64 of HMAC-SHA256(id.timestamp.body)>`.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|secret| {
            let key = STANDARD
                .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
                .ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
            Some(format!(
                "v1,{}",
                STANDARD.encode(mac.finalize().into_bytes())
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A running webhook sender.
pub struct WebhookSender {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WebhookSender {
    /// Starts sending due deliveries every `poll`, opening the webhooks' secrets with `files`'
    /// key; needs a running tokio runtime.
    pub fn start(store: Store, files: FileStore, poll: Duration) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(store, files, poll, stopped));
        WebhookSender { stop, task }
    }

    /// Lets the deliveries in hand finish, then stops.
    pub async fn stop(self) {
        // The worker may already be gone; then there is nothing to tell it.
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the webhook sender ended abnormally");
        }
    }
}

/// The HTTPS client: rustls on ring with the Mozilla roots (awc's own configuration), a timeout
/// per delivery, no redirects followed (a delivery goes where it was subscribed, or fails).
fn client() -> awc::Client {
    // rustls needs one crypto provider for the process; ring is the one this build has. Another
    // part of the process may have installed it already: then there is nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let connector = awc::Connector::new().timeout(TIMEOUT);
    awc::Client::builder()
        .connector(connector)
        .timeout(TIMEOUT)
        .disable_redirects()
        .finish()
}

async fn run(store: Store, files: FileStore, poll: Duration, mut stopped: watch::Receiver<bool>) {
    loop {
        send_due(&store, &files, &stopped).await;
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() || stopped.has_changed().is_err() {
            return;
        }
    }
}

/// Sends every due delivery, batch after batch, until none is left or the worker stops.
async fn send_due(store: &Store, files: &FileStore, stopped: &watch::Receiver<bool>) {
    let lease = chrono::Duration::seconds(LEASE_SECS);
    while !*stopped.borrow() {
        let batch = match webhooks::claim_due(store, mentorship_store::now(), BATCH, lease).await {
            Ok(batch) if batch.is_empty() => return,
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "webhook deliveries could not be claimed; trying again at the next poll");
                return;
            }
        };
        let signed: Vec<Signed> = batch.iter().map(|d| signed(files, d)).collect();
        let outcomes = match send_batch(signed).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::error!(error = %e, "a batch of webhook deliveries could not be sent");
                return;
            }
        };
        for (delivery, outcome) in batch.iter().zip(outcomes) {
            if let Err(e) = webhooks::record_attempt(store, delivery, &outcome).await {
                tracing::warn!(error = %e, delivery = %delivery.id, "a webhook attempt could not be recorded");
            }
        }
    }
}

/// Sends a batch at once, so that a slow receiver does not hold up the others. awc's client
/// stays on the thread that made it, so the batch is sent from a thread of the blocking pool
/// with its own small runtime; the database work stays on the server's.
async fn send_batch(batch: Vec<Signed>) -> Result<Vec<AttemptOutcome>, String> {
    tokio::task::spawn_blocking(move || {
        actix_web::rt::System::new().block_on(async move {
            let client = client();
            join_all(batch.iter().map(|delivery| send(&client, delivery))).await
        })
    })
    .await
    .map_err(|e| e.to_string())
}

/// A delivery ready to go: where, what, and its headers, signed.
struct Signed {
    url: String,
    id: String,
    timestamp: i64,
    /// The signature header, or why the delivery cannot be signed (a secret that does not
    /// open: its attempt fails and says so).
    signature: Result<String, String>,
    body: String,
}

/// Signs a delivery with its webhook's secrets, opened with the server's key.
fn signed(files: &FileStore, delivery: &DueDelivery) -> Signed {
    let now = mentorship_store::now();
    let id = delivery.id.to_string();
    let timestamp = now.timestamp();
    let secrets: Result<Vec<String>, String> = delivery
        .secrets(now)
        .into_iter()
        .map(|sealed| files.open_secret(sealed).map_err(|e| e.to_string()))
        .collect();
    let signature = secrets.map(|secrets| {
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        signature(&secrets, &id, timestamp, &delivery.payload)
    });
    Signed {
        url: delivery.url.clone(),
        id,
        timestamp,
        signature,
        body: delivery.payload.clone(),
    }
}

/// One signed POST of a delivery.
async fn send(client: &awc::Client, delivery: &Signed) -> AttemptOutcome {
    let signature = match &delivery.signature {
        Ok(signature) => signature.clone(),
        Err(e) => {
            return AttemptOutcome {
                status: None,
                error: Some(format!("the webhook's secret does not open: {e}")),
                duration_ms: 0,
            };
        }
    };
    let started = Instant::now();
    let sent = client
        .post(&delivery.url)
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", delivery.id.as_str()))
        .insert_header(("webhook-timestamp", delivery.timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .insert_header(("user-agent", "mentorship-api-webhooks"))
        .send_body(delivery.body.clone())
        .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let error = (!response.status().is_success())
                .then(|| format!("the receiver answered {status}"));
            AttemptOutcome {
                status: Some(status),
                error,
                duration_ms,
            }
        }
        Err(e) => AttemptOutcome {
            status: None,
            error: Some(format!("no answer: {e}")),
            duration_ms,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signatures_follow_standard_webhooks() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let signed = signature(&[secret], id, 1614265330, body);
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one() {
        let signed = signature(
            &[
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ],
            "id",
            1,
            "{}",
        );
        assert_eq!(signed.split(' ').count(), 2);
        assert!(signed.split(' ').all(|s| s.starts_with("v1,")));
    }
}
