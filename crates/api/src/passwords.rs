//! Password hashing with argon2id, off the async threads and bounded in how many run at once,
//! so a login flood queues for the hashing pool instead of starving every other request.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// argon2id with m = 19456 KiB, t = 2, p = 1: the floor DESIGN.md sets.
fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A random 16-byte salt.
fn new_salt() -> Result<SaltString, ApiError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The bounded hashing pool.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A real hash of nothing, verified when the email is unknown so that a login for an
    /// unknown account takes as long as one for a known account.
    decoy: Arc<String>,
}

impl Passwords {
    pub fn new(concurrency: usize) -> Result<Self, ApiError> {
        let salt = new_salt()?;
        let decoy = argon2()?
            .hash_password(b"decoy password", &salt)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .to_string();
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(concurrency)),
            decoy: Arc::new(decoy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || {
            let salt = new_salt()?;
            argon2()?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with no hash (unknown account), spends the same time
    /// on the decoy and answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.to_string());
        let matches = self
            .run(move || {
                let parsed =
                    PasswordHash::new(&hash).map_err(|e| ApiError::Internal(e.to_string()))?;
                Ok::<_, ApiError>(
                    argon2()?
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok(),
                )
            })
            .await??;
        Ok(known && matches)
    }
}
