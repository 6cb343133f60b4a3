//! The worker that prepares requested exports of people's data (`POST /v1/me/exports`) and
//! deletes expired ones. Every instance runs one; an export is claimed by one instance for a
//! lease, so two never prepare the same, and one whose instance died is taken up again once its
//! lease runs out. The archive is kept encrypted in the files store, like documents.

use std::time::Duration;

use actix_web::web;
use mentorship_store::exports::{self, Export};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::ApiError;
use crate::routes::exports::archive_of;
use crate::state::AppState;

/// How long an instance holds an export it prepares: far longer than gathering a person's data.
const LEASE_SECS: i64 = 600;

/// How often expired archives are looked for.
const EXPIRE_EVERY: Duration = Duration::from_secs(3600);

/// A running export worker.
pub struct ExportWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ExportWorker {
    /// Starts preparing requested exports every `poll`; needs a running tokio runtime.
    pub fn start(state: web::Data<AppState>, poll: Duration) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(state, poll, stopped));
        ExportWorker { stop, task }
    }

    /// Lets the export in hand finish, then stops.
    pub async fn stop(self) {
        // The worker may already be gone; then there is nothing to tell it.
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the export worker ended abnormally");
        }
    }
}

async fn run(state: web::Data<AppState>, poll: Duration, mut stopped: watch::Receiver<bool>) {
    let mut expired: Option<std::time::Instant> = None;
    loop {
        prepare_due(&state, &stopped).await;
        if expired.is_none_or(|at| at.elapsed() >= EXPIRE_EVERY) {
            expired = Some(std::time::Instant::now());
            expire(&state).await;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() || stopped.has_changed().is_err() {
            return;
        }
    }
}

/// Prepares every export waiting, one after another, until none is left or the worker stops.
async fn prepare_due(state: &AppState, stopped: &watch::Receiver<bool>) {
    let lease = chrono::Duration::seconds(LEASE_SECS);
    while !*stopped.borrow() {
        let claimed = exports::claim_next(&state.store, mentorship_store::now(), lease).await;
        let export = match claimed {
            Ok(Some(export)) => export,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "exports could not be claimed; trying again at the next poll");
                return;
            }
        };
        if let Err(e) = prepare(state, &export).await {
            tracing::warn!(error = %e, export = %export.id, "an export could not be prepared");
            if let Err(e) = exports::failed_attempt(&state.store, &export).await {
                tracing::warn!(error = %e, export = %export.id, "a failed export could not be recorded");
            }
        }
    }
}

/// Builds one export's archive, keeps it, and marks the export ready (which tells its
/// requester). An export erased meanwhile leaves no file behind.
async fn prepare(state: &AppState, export: &Export) -> Result<(), ApiError> {
    let zipped = archive_of(state, export.user_id).await?;
    let size = i64::try_from(zipped.len()).unwrap_or(i64::MAX);
    let key = state.files.put(zipped).await?;
    match exports::finish(&state.store, export, &key, size).await {
        Ok(true) => Ok(()),
        Ok(false) => state.files.delete(&key).await,
        Err(e) => {
            state.files.delete(&key).await?;
            Err(e.into())
        }
    }
}

/// Deletes the archives of exports past their expiry.
async fn expire(state: &AppState) {
    let keys = match exports::expire_due(&state.store, mentorship_store::now()).await {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(error = %e, "expired exports could not be looked for");
            return;
        }
    };
    for key in keys {
        if let Err(e) = state.files.delete(&key).await {
            tracing::warn!(error = %e, "an expired export's archive could not be deleted");
        }
    }
}
