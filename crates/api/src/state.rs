//! What every handler can reach: the store, the token keys, the password hasher, the throttles,
//! the file store. Built once at start and shared by every worker.

use std::sync::Arc;

use mentorship_domain::policy::{MAX_DOCUMENT_BYTES_LIMIT, Policies};
use mentorship_store::Store;

use crate::app::openapi;
use crate::auth::Tokens;
use crate::config::Config;
use crate::error::ApiError;
use crate::extract::largest_body;
use crate::files::FileStore;
use crate::middleware::Metrics;
use crate::operations::Operations;
use crate::passwords::Passwords;
use crate::secrets::file_key;
use crate::sessions::SessionGates;
use crate::throttle::{Limits, Throttle};

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub tokens: Tokens,
    /// Whether an access token's session still holds, from memory (`sessions.rs`).
    pub sessions: Arc<SessionGates>,
    pub passwords: Passwords,
    /// Logins, applications and password resets, counted in the database.
    pub throttle: Throttle,
    /// Encrypted onboarding files.
    pub files: FileStore,
    pub metrics: Arc<Metrics>,
    /// What the contract says of each operation (methods, query parameters, API key scopes).
    pub operations: Operations,
    /// Where the links in emails lead.
    pub app_url: String,
    /// Whether webhooks may deliver over plain HTTP to this machine (outside production only:
    /// a development or test receiver).
    pub webhooks_to_loopback: bool,
    /// The largest body any operation takes (a cohort, a document): what a request with an
    /// `Idempotency-Key` may send before it is read for its fingerprint.
    pub max_request_bytes: usize,
}

impl AppState {
    /// The policies in force, as the database holds them now: a change made through any
    /// instance holds on this one at its next request.
    pub async fn policies(&self) -> Result<Policies, ApiError> {
        Ok(mentorship_store::policies::current(&self.store)
            .await?
            .policies)
    }

    pub fn new(config: &Config, store: Store, jwt_secret: &[u8]) -> Result<Self, ApiError> {
        // A document's form: the file (as large as any policy may allow) and a few small fields.
        let document_form = usize::try_from(MAX_DOCUMENT_BYTES_LIMIT)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024);
        let max_request_bytes = largest_body(config.max_body_bytes).max(document_form);
        Ok(AppState {
            store,
            tokens: Tokens::new(
                jwt_secret,
                &config.jwt_issuer,
                &config.jwt_audience,
                config.access_token_ttl,
                config.refresh_token_ttl,
            )?,
            sessions: Arc::default(),
            passwords: Passwords::new(config.password_hash_concurrency)?,
            throttle: Throttle::new(Limits {
                per_account: config.login_attempts_per_account,
                per_client: config.login_attempts_per_client,
                window: config.throttle_window,
            }),
            files: match &config.files_bucket {
                Some(bucket) => {
                    FileStore::in_bucket(bucket, &file_key(config).map_err(ApiError::Internal)?)?
                }
                None => FileStore::new(
                    config.files_dir.clone(),
                    &file_key(config).map_err(ApiError::Internal)?,
                )?,
            },
            metrics: Arc::default(),
            operations: Operations::of(&openapi()),
            app_url: config.app_url.clone(),
            webhooks_to_loopback: config.app_env != crate::config::AppEnv::Production,
            max_request_bytes,
        })
    }
}
