//! What a change causes: the domain's events, recorded in the transaction of the change. Each
//! person an event tells gets a notification and its email (RULES.md, "Notifications and audit").
//! The wording is not the store's: the API's templates write it, through [`Notices`].

pub use mentorship_domain::events::{Event, Step};
pub use mentorship_domain::people::LinkPurpose;
use mentorship_domain::policy::Policies;
use uuid::Uuid;

use crate::StoreError;
use crate::db::{Tx, query};
use crate::notifications::{self, NewNotification};

/// A person told of an event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recipient {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// What one person reads of an event: the notification's subject and body, also the email's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// The wording of every message the program sends; the API's templates implement it.
pub trait Notices: Send + Sync + 'static {
    /// What `to` reads of `event`, with the numbers of the program's `policies`.
    fn message(&self, event: &Event, to: &Recipient, policies: &Policies) -> Message;

    /// The email that carries a one-time `link` of `purpose`, usable until `expires_at`.
    fn link_message(
        &self,
        purpose: LinkPurpose,
        to: &Recipient,
        link: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Message;
}

/// Records the events of a change inside its transaction: for each person an event tells, a
/// notification and its queued email, and for each webhook subscribed to it, a delivery. A
/// change whose transaction rolls back tells no one.
pub(crate) async fn record(tx: &mut Tx, events: &[Event]) -> Result<(), StoreError> {
    const RECIPIENT: &str = "SELECT id, name, email FROM users WHERE id = $1";
    if events.is_empty() {
        return Ok(());
    }
    // The wording quotes the policies in force (a notice, a deadline).
    let policies = crate::policies::in_force(tx).await?;
    for event in events {
        for person in event.told() {
            let to: Recipient = tx
                .fetch_optional(query(RECIPIENT).bind(person))
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            let message = tx.notices.message(event, &to, &policies);
            let notice = NewNotification {
                user_id: to.id,
                email: to.email,
                kind: event.kind(),
                subject: message.subject,
                body: message.body,
            };
            notifications::write(tx, &notice).await?;
        }
    }
    crate::webhooks::enqueue(tx, events).await
}
