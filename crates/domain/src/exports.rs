//! A person's data exported in the background (GDPR articles 15 and 20): an export is prepared,
//! then ready to download for a while, then expired (its archive deleted). One export of a
//! person is prepared at a time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a prepared export can be downloaded: a week, then its archive is deleted.
pub const EXPORT_KEPT: Duration = Duration::days(7);

/// How many times preparing an export is tried before it is given up as failed.
pub const MAX_PREPARATION_ATTEMPTS: i64 = 5;

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Preparing,
    Ready,
    Expired,
    Failed,
}

impl ExportStatus {
    pub const ALL: [ExportStatus; 4] = [
        ExportStatus::Preparing,
        ExportStatus::Ready,
        ExportStatus::Expired,
        ExportStatus::Failed,
    ];
}

/// Why an export's archive cannot be downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExportRefusal {
    #[error("the export is still being prepared; a notification tells when it is ready")]
    NotReady,
    #[error("the export expired and its archive was deleted; ask for a new one")]
    Expired,
    #[error("the export could not be prepared; ask for a new one")]
    Failed,
}

crate::refusal_codes!(ExportRefusal {
    NotReady => "export_not_ready", Conflict;
    Expired => "export_expired", Conflict;
    Failed => "export_failed", Conflict;
});

/// Whether the archive of an export in `status`, expiring at `expires_at`, can be downloaded
/// at `now`. An export past its expiry is expired even before the hourly purge deletes it.
pub fn check_download(
    status: ExportStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ExportRefusal> {
    match status {
        ExportStatus::Preparing => Err(ExportRefusal::NotReady),
        ExportStatus::Failed => Err(ExportRefusal::Failed),
        ExportStatus::Expired => Err(ExportRefusal::Expired),
        ExportStatus::Ready if expires_at.is_none_or(|at| at <= now) => Err(ExportRefusal::Expired),
        ExportStatus::Ready => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_is_downloaded_while_ready_and_not_past_its_expiry() {
        let now = Utc::now();
        let later = Some(now + EXPORT_KEPT);
        assert_eq!(check_download(ExportStatus::Ready, later, now), Ok(()));
        let past = Some(now - Duration::seconds(1));
        assert_eq!(
            check_download(ExportStatus::Ready, past, now),
            Err(ExportRefusal::Expired)
        );
        assert_eq!(
            check_download(ExportStatus::Preparing, None, now),
            Err(ExportRefusal::NotReady)
        );
        assert_eq!(
            check_download(ExportStatus::Expired, None, now),
            Err(ExportRefusal::Expired)
        );
        assert_eq!(
            check_download(ExportStatus::Failed, None, now),
            Err(ExportRefusal::Failed)
        );
    }
}
