//! Settings, read from the environment (and `.env`), validated at start with one clear line per
//! bad setting. `.env.example` lists every one with its default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use mentorship_store::Backend;

/// Development gives a demo that runs with no settings; production refuses to start without secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Every setting of the server.
#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub bind_addr: SocketAddr,
    pub database_url: String,
    pub database_max_connections: Option<u32>,
    pub data_dir: PathBuf,
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub bootstrap_admin: Option<(String, String)>,
    pub cors_allowed_origins: Vec<String>,
    pub log_format: LogFormat,
    pub password_hash_concurrency: usize,
    pub login_attempts_per_account: u32,
    pub login_attempts_per_client: u32,
    pub max_body_bytes: usize,
    pub http_workers: usize,
}

/// A setting that cannot be used, named so the operator knows what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn bad(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

/// Where settings come from; the environment in production, a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<S: std::hash::BuildHasher> Source for std::collections::HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// The shortest HS256 secret accepted: 32 bytes, the size of the hash.
pub const MIN_JWT_SECRET_LEN: usize = 32;

fn parsed<T: std::str::FromStr>(
    source: &dyn Source,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match source.get(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|e| bad(name, format!("`{text}` is not valid: {e}"))),
    }
}

fn positive(name: &'static str, value: u64) -> Result<u64, ConfigError> {
    if value == 0 {
        Err(bad(name, "must be greater than 0"))
    } else {
        Ok(value)
    }
}

impl Config {
    /// Reads and checks every setting.
    pub fn from_source(source: &dyn Source) -> Result<Self, ConfigError> {
        let app_env = match source.get("APP_ENV").as_deref().map(str::trim) {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => {
                return Err(bad(
                    "APP_ENV",
                    format!("`{other}` is not development or production"),
                ));
            }
        };
        let database_url = source
            .get("DATABASE_URL")
            .unwrap_or_else(|| "sqlite://data/mentorship.db".into());
        Backend::of_url(&database_url).map_err(|e| bad("DATABASE_URL", e.to_string()))?;
        let jwt_secret = source.get("JWT_SECRET");
        if let Some(secret) = &jwt_secret {
            if secret.len() < MIN_JWT_SECRET_LEN {
                return Err(bad(
                    "JWT_SECRET",
                    format!("must be at least {MIN_JWT_SECRET_LEN} bytes long"),
                ));
            }
        } else if app_env == AppEnv::Production {
            return Err(bad("JWT_SECRET", "is required when APP_ENV=production"));
        }
        let bootstrap_admin = bootstrap_admin(source, app_env)?;
        let log_format = match source.get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(bad(
                    "LOG_FORMAT",
                    format!("`{other}` is not json or pretty"),
                ));
            }
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Config {
            app_env,
            bind_addr: parsed(
                source,
                "BIND_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            database_url,
            database_max_connections: source
                .get("DATABASE_MAX_CONNECTIONS")
                .map(|_| parsed(source, "DATABASE_MAX_CONNECTIONS", 0u32))
                .transpose()?,
            data_dir: PathBuf::from(source.get("DATA_DIR").unwrap_or_else(|| "data".into())),
            jwt_secret,
            jwt_issuer: source
                .get("JWT_ISSUER")
                .unwrap_or_else(|| "mentorship-api".into()),
            jwt_audience: source
                .get("JWT_AUDIENCE")
                .unwrap_or_else(|| "mentorship-clients".into()),
            access_token_ttl: Duration::from_secs(positive(
                "ACCESS_TOKEN_TTL_SECONDS",
                parsed(source, "ACCESS_TOKEN_TTL_SECONDS", 900u64)?,
            )?),
            refresh_token_ttl: Duration::from_secs(
                86_400
                    * positive(
                        "REFRESH_TOKEN_TTL_DAYS",
                        parsed(source, "REFRESH_TOKEN_TTL_DAYS", 30u64)?,
                    )?,
            ),
            bootstrap_admin,
            cors_allowed_origins: cors_origins(source, app_env),
            log_format,
            password_hash_concurrency: parsed(source, "PASSWORD_HASH_CONCURRENCY", cores)?.max(1),
            login_attempts_per_account: parsed(source, "LOGIN_ATTEMPTS_PER_ACCOUNT", 10u32)?.max(1),
            login_attempts_per_client: parsed(source, "LOGIN_ATTEMPTS_PER_CLIENT", 30u32)?.max(1),
            max_body_bytes: parsed(source, "MAX_BODY_BYTES", 64 * 1024usize)?,
            http_workers: parsed(source, "HTTP_WORKERS", cores)?.max(1),
        })
    }
}

/// Development defaults to a demo admin (and says so in the log); production has no default.
fn bootstrap_admin(
    source: &dyn Source,
    app_env: AppEnv,
) -> Result<Option<(String, String)>, ConfigError> {
    match (
        source.get("BOOTSTRAP_ADMIN_EMAIL"),
        source.get("BOOTSTRAP_ADMIN_PASSWORD"),
    ) {
        (Some(email), Some(password)) => {
            if password.len() < 12 {
                return Err(bad(
                    "BOOTSTRAP_ADMIN_PASSWORD",
                    "must be at least 12 characters long",
                ));
            }
            Ok(Some((email, password)))
        }
        (Some(_), None) => Err(bad(
            "BOOTSTRAP_ADMIN_PASSWORD",
            "is required with BOOTSTRAP_ADMIN_EMAIL",
        )),
        (None, Some(_)) => Err(bad(
            "BOOTSTRAP_ADMIN_EMAIL",
            "is required with BOOTSTRAP_ADMIN_PASSWORD",
        )),
        (None, None) if app_env == AppEnv::Development => {
            Ok(Some(("admin@example.com".into(), "change-me-now".into())))
        }
        (None, None) => Ok(None),
    }
}

/// Browsers' origins allowed to call the API: localhost during development, none in production
/// unless listed.
fn cors_origins(source: &dyn Source, app_env: AppEnv) -> Vec<String> {
    match source.get("CORS_ALLOWED_ORIGINS") {
        Some(list) => list
            .split(',')
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect(),
        None if app_env == AppEnv::Development => [
            "http://localhost:3000",
            "http://localhost:5173",
            "http://127.0.0.1:3000",
            "http://127.0.0.1:5173",
        ]
        .map(String::from)
        .to_vec(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Config::from_source(&map)
    }

    #[test]
    fn development_runs_with_no_settings() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/mentorship.db");
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.bootstrap_admin.unwrap().0, "admin@example.com");
    }

    #[test]
    fn production_needs_a_secret() {
        let e = config(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(e.name, "JWT_SECRET");
    }

    #[test]
    fn each_bad_setting_is_named() {
        assert_eq!(
            config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().name,
            "DATABASE_URL"
        );
        assert_eq!(
            config(&[("DATABASE_URL", "not a url")]).unwrap_err().name,
            "DATABASE_URL"
        );
        assert_eq!(
            config(&[("JWT_SECRET", "short")]).unwrap_err().name,
            "JWT_SECRET"
        );
        assert_eq!(
            config(&[("BIND_ADDR", "nowhere")]).unwrap_err().name,
            "BIND_ADDR"
        );
        assert_eq!(
            config(&[("APP_ENV", "staging")]).unwrap_err().name,
            "APP_ENV"
        );
    }
}
