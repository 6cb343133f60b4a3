//! The outbox worker: delivers the emails that `notify!` queued, by SMTP when `SMTP_URL` is set,
//! otherwise to the log. It claims emails in the database (DESIGN.md, "Background work"), so any
//! number of API instances run it side by side without sending an email twice, and a failed
//! email is tried again later with a growing delay. At each poll it also claims the sessions
//! starting within a day and reminds their people (once each, whatever the instances); once an
//! hour it purges what no longer counts (kept answers of `Idempotency-Key`s, expired links,
//! ended throttle windows).

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mentorship_store::notifications::{self, OutboxEmail};
use mentorship_store::{Store, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Config, SmtpServer};

/// Emails claimed at once.
const BATCH: u32 = 10;
/// The longest one email may take to hand to the relay, all SMTP commands included.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a claim holds its emails: longer than a batch of sends that all time out, so only a
/// dead worker's emails are ever claimed again.
const LEASE_SECS: i64 = 15 * 60;
/// Attempts before an email is given up: the delays double from 2 s and stop growing at an hour,
/// so the relay may be away for about three hours.
pub const MAX_ATTEMPTS: i64 = 14;
const MAX_DELAY_SECS: i64 = 3600;
/// The longest error kept on an email; a relay's answer can be long.
const MAX_ERROR_CHARS: usize = 1000;

/// Why an email could not be handed to the relay.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the recipient `{address}` is not an email address: {cause}")]
    BadAddress {
        address: String,
        cause: lettre::address::AddressError,
    },
    #[error("the email cannot be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the relay did not take the email within {} s", SEND_TIMEOUT.as_secs())]
    Timeout,
}

impl SendError {
    /// A refused address or a relay's 5xx answer fails the same way every time: no retry.
    pub fn is_permanent(&self) -> bool {
        match self {
            SendError::Smtp(e) => e.is_permanent(),
            SendError::Timeout => false,
            SendError::BadAddress { .. } | SendError::Build(_) => true,
        }
    }
}

/// When a failed email is tried again after its `attempts`-th failure: 2^attempts seconds later,
/// at most an hour; never once `MAX_ATTEMPTS` have failed or the failure is permanent.
pub fn retry_at(attempts: i64, permanent: bool, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if permanent || attempts >= MAX_ATTEMPTS {
        return None;
    }
    let delay = u32::try_from(attempts)
        .ok()
        .and_then(|n| 2i64.checked_pow(n))
        .map_or(MAX_DELAY_SECS, |d| d.min(MAX_DELAY_SECS));
    Some(now + chrono::Duration::seconds(delay))
}

/// How emails leave: through an SMTP relay, or into the log when none is configured.
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Log,
}

impl Mailer {
    pub fn from_config(config: &Config) -> Self {
        match &config.smtp {
            Some(server) => Mailer::Smtp {
                transport: transport(server, &config.smtp_from),
                from: config.smtp_from.clone(),
            },
            None => Mailer::Log,
        }
    }

    /// Hands one email to the relay, or writes it to the log.
    pub async fn send(&self, email: &OutboxEmail) -> Result<(), SendError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let message = message(from, email)?;
                tokio::time::timeout(SEND_TIMEOUT, transport.send(message))
                    .await
                    .map_err(|_| SendError::Timeout)??;
                Ok(())
            }
            Mailer::Log => {
                tracing::info!(
                    to = %email.to_email,
                    subject = %email.subject,
                    "email logged, not sent: SMTP_URL is not set"
                );
                Ok(())
            }
        }
    }
}

/// Plain SMTP without TLS: the relay is on loopback or a private network.
fn transport(server: &SmtpServer, from: &Mailbox) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.as_str())
        .port(server.port)
        .hello_name(ClientId::Domain(from.email.domain().to_owned()))
        .timeout(Some(SEND_TIMEOUT))
        .build()
}

/// The message of an outbox email, in plain text.
pub fn message(from: &Mailbox, email: &OutboxEmail) -> Result<Message, SendError> {
    let to: Mailbox = email
        .to_email
        .parse()
        .map_err(|cause| SendError::BadAddress {
            address: email.to_email.clone(),
            cause,
        })?;
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.as_str())
        // The outbox id: a receiver can drop the second copy if a worker died after sending.
        .message_id(Some(format!("<{}@{}>", email.id, from.email.domain())))
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())?)
}

/// The running worker. It stops when asked with `stop`, or when this handle is dropped.
pub struct OutboxWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl OutboxWorker {
    /// Starts delivering due emails every `OUTBOX_POLL_MS`; needs a running tokio runtime.
    pub fn start(store: Store, config: &Config) -> Self {
        let (stop, stopped) = watch::channel(false);
        let worker = Worker {
            store,
            mailer: Mailer::from_config(config),
            poll: config.outbox_poll,
            throttle_window: config.throttle_window,
        };
        let task = tokio::spawn(worker.run(stopped));
        OutboxWorker { stop, task }
    }

    /// Lets the email in hand finish, then stops; emails claimed but not sent come due again.
    pub async fn stop(self) {
        // The worker may already be gone; then there is nothing to tell it.
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the outbox worker ended abnormally");
        }
    }
}

struct Worker {
    store: Store,
    mailer: Mailer,
    poll: Duration,
    /// The login throttle's window: counts of ended windows are purged.
    throttle_window: Duration,
}

/// True once the worker is asked to stop, or its handle is gone.
fn stopping(stopped: &watch::Receiver<bool>) -> bool {
    *stopped.borrow() || stopped.has_changed().is_err()
}

/// How often what no longer counts is forgotten.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Forgets what no longer counts: kept answers of `Idempotency-Key`s older than a day, used or
/// expired one-time links, ended throttle windows. Any instance may do it; doing it twice
/// deletes nothing more.
async fn purge_expired(store: &Store, throttle_window: Duration) {
    let now = mentorship_store::now();
    if let Err(e) = mentorship_store::idempotency::purge(store, now).await {
        tracing::warn!(error = %e, "the kept answers of old Idempotency-Keys could not be purged");
    }
    let window = chrono::Duration::from_std(throttle_window).unwrap_or(chrono::Duration::MAX);
    if let Err(e) = mentorship_store::accounts::purge_expired(store, now, window).await {
        tracing::warn!(error = %e, "expired links and throttle windows could not be purged");
    }
}

/// The most sessions one reminder pass claims at a time.
const REMINDERS_PER_PASS: i64 = 100;

/// Reminds the people of every session starting within a day, once each (any instance may
/// claim a session; only one does). The messages go out with the next emails.
async fn remind(store: &Store) {
    loop {
        match mentorship_store::sessions::remind_due(
            store,
            mentorship_store::now(),
            REMINDERS_PER_PASS,
        )
        .await
        {
            Ok(n) if i64::try_from(n).unwrap_or(0) == REMINDERS_PER_PASS => {}
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "session reminders could not be claimed; trying again at the next poll");
                return;
            }
        }
    }
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let mut purged: Option<std::time::Instant> = None;
        loop {
            if let Err(e) = self.deliver_due(&stopped).await {
                tracing::error!(error = %e, "outbox: the database failed; trying again at the next poll");
            }
            remind(&self.store).await;
            if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                purged = Some(std::time::Instant::now());
                purge_expired(&self.store, self.throttle_window).await;
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll) => {}
                // A stop, or the handle dropped.
                _ = stopped.changed() => {}
            }
            if stopping(&stopped) {
                return;
            }
        }
    }

    /// Sends every email due now, batch after batch, until none is left or the worker stops.
    async fn deliver_due(&self, stopped: &watch::Receiver<bool>) -> Result<(), StoreError> {
        let lease = chrono::Duration::seconds(LEASE_SECS);
        loop {
            let batch =
                notifications::claim_due(&self.store, mentorship_store::now(), BATCH, lease)
                    .await?;
            if batch.is_empty() {
                return Ok(());
            }
            for (i, email) in batch.iter().enumerate() {
                if stopping(stopped) {
                    let rest: Vec<_> = batch[i..].iter().map(|e| e.id).collect();
                    return notifications::release(&self.store, &rest).await;
                }
                self.deliver(email).await?;
            }
        }
    }

    /// Sends one email and records how it went.
    async fn deliver(&self, email: &OutboxEmail) -> Result<(), StoreError> {
        let error = match self.mailer.send(email).await {
            Ok(()) => {
                return notifications::mark_sent(&self.store, email.id, mentorship_store::now())
                    .await;
            }
            Err(e) => e,
        };
        let attempts = email.attempts + 1;
        let retry = retry_at(attempts, error.is_permanent(), mentorship_store::now());
        match retry {
            Some(at) => tracing::warn!(
                to = %email.to_email, attempts, retry_at = %at, error = %error,
                "email not sent; it will be tried again"
            ),
            None => tracing::error!(
                to = %email.to_email, attempts, error = %error,
                "email given up; it stays in the outbox with its last error"
            ),
        }
        let reason: String = error.to_string().chars().take(MAX_ERROR_CHARS).collect();
        notifications::mark_failed(&self.store, email.id, &reason, retry).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let now = at(1_000_000);
        assert_eq!(retry_at(1, false, now), Some(at(1_000_002)));
        assert_eq!(retry_at(2, false, now), Some(at(1_000_004)));
        assert_eq!(retry_at(11, false, now), Some(at(1_002_048)));
        assert_eq!(retry_at(12, false, now), Some(at(1_003_600)));
        assert_eq!(retry_at(MAX_ATTEMPTS - 1, false, now), Some(at(1_003_600)));
        assert_eq!(retry_at(MAX_ATTEMPTS, false, now), None);
        assert_eq!(retry_at(1, true, now), None);
    }

    fn email(to: &str) -> OutboxEmail {
        OutboxEmail {
            id: uuid::Uuid::now_v7(),
            notification_id: None,
            to_email: to.into(),
            subject: "Your application".into(),
            body: "We received it.".into(),
            created_at: at(0),
            attempts: 0,
            next_attempt_at: Some(at(0)),
            claimed_until: None,
            sent_at: None,
            last_error: None,
        }
    }

    #[test]
    fn messages_carry_the_outbox_id_and_refuse_bad_addresses() {
        let from: Mailbox = "Team <team@example.org>".parse().unwrap();
        let e = email("ada@example.com");
        let text = String::from_utf8(message(&from, &e).unwrap().formatted()).unwrap();
        assert!(text.contains("To: ada@example.com"), "{text}");
        assert!(text.contains("From: Team <team@example.org>"), "{text}");
        assert!(text.contains("Subject: Your application"), "{text}");
        assert!(
            text.contains(&format!("Message-ID: <{}@example.org>", e.id)),
            "{text}"
        );
        let refused = message(&from, &email("not an address")).unwrap_err();
        assert!(refused.is_permanent());
    }
}
