//! What every handler can reach: the store, the token keys, the password hasher, the throttles,
//! the file store and the policies. Built once at start and shared by every worker.

use std::collections::HashMap;
use std::sync::Arc;

use mentorship_domain::policy::Policies;
use mentorship_store::Store;

use crate::app::openapi;
use crate::auth::Tokens;
use crate::config::Config;
use crate::error::ApiError;
use crate::files::FileStore;
use crate::middleware::Metrics;
use crate::openapi::methods_by_path;
use crate::passwords::Passwords;
use crate::secrets::file_key;
use crate::throttle::{Buckets, LoginThrottle};

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub throttle: LoginThrottle,
    /// Applications per client address and minute (a public endpoint that hashes a password).
    pub applications: Buckets,
    /// Encrypted onboarding files.
    pub files: FileStore,
    /// The program's policies (RULES.md *(policy)* values); defaults until admins can edit them.
    pub policies: Policies,
    pub metrics: Arc<Metrics>,
    /// The methods of each path of the contract, for 405 answers.
    pub methods_by_path: HashMap<String, Vec<String>>,
}

impl AppState {
    pub fn new(config: &Config, store: Store, jwt_secret: &[u8]) -> Result<Self, ApiError> {
        Ok(AppState {
            store,
            tokens: Tokens::new(
                jwt_secret,
                &config.jwt_issuer,
                &config.jwt_audience,
                config.access_token_ttl,
                config.refresh_token_ttl,
            )?,
            passwords: Passwords::new(config.password_hash_concurrency)?,
            throttle: LoginThrottle::new(
                config.login_attempts_per_account,
                config.login_attempts_per_client,
            ),
            applications: Buckets::new(config.login_attempts_per_client),
            files: FileStore::new(
                config.files_dir.clone(),
                &file_key(config).map_err(ApiError::Internal)?,
            )?,
            policies: Policies::default(),
            metrics: Arc::default(),
            methods_by_path: methods_by_path(&openapi()),
        })
    }
}
