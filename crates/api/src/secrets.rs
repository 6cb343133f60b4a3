//! The JWT signing secret: from the configuration, or in development one generated once into
//! the data folder so tokens survive restarts.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

use crate::config::{AppEnv, Config};

/// The secret to sign access tokens with.
pub fn jwt_secret(config: &Config) -> Result<Vec<u8>, String> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    if config.app_env == AppEnv::Production {
        return Err("JWT_SECRET: is required when APP_ENV=production".into());
    }
    let file = config.data_dir.join("jwt-secret");
    read_or_create(&file).map_err(|e| {
        format!(
            "JWT_SECRET: not set, and {} cannot be used: {e}",
            file.display()
        )
    })
}

/// The key that encrypts onboarding files: from the configuration, or in development one
/// generated once into the data folder (so files stay readable across restarts).
pub fn file_key(config: &Config) -> Result<[u8; 32], String> {
    if let Some(key) = &config.file_encryption_key {
        return Ok(*key.expose());
    }
    let file = config.data_dir.join("file-key");
    let secret = read_or_create(&file).map_err(|e| {
        format!(
            "FILE_ENCRYPTION_KEY: not set, and {} cannot be used: {e}",
            file.display()
        )
    })?;
    let bytes = URL_SAFE_NO_PAD
        .decode(&secret)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    // The generated secret holds 48 random bytes; the key is the first 32.
    let first: [u8; 32] = bytes
        .get(..32)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{}: too short", file.display()))?;
    Ok(first)
}

fn read_or_create(file: &Path) -> std::io::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(file)
        && existing.trim().len() >= crate::config::MIN_JWT_SECRET_LEN
    {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let mut out = std::fs::File::create(file)?;
    out.write_all(secret.as_bytes())?;
    tracing::warn!(file = %file.display(), "development: generated a secret; set it in the environment in production");
    Ok(secret.into_bytes())
}
