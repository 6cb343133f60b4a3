//! Settings, read from the environment (and `.env`), validated at start with one clear line per
//! bad setting. `.env.example` lists every one with its default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
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

/// A setting that must never reach a log or a panic message: its `Debug` says only that it is
/// there. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Every setting of the server. Its `Debug` shows no secret: not the JWT secret, the file key,
/// the bootstrap password, nor the database URL (which may hold a password).
#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub bind_addr: SocketAddr,
    pub database_url: Secret<String>,
    pub database_max_connections: Option<u32>,
    pub data_dir: PathBuf,
    pub jwt_secret: Option<Secret<String>>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// The first admin's email and password.
    pub bootstrap_admin: Option<(String, Secret<String>)>,
    pub cors_allowed_origins: Vec<String>,
    pub log_format: LogFormat,
    pub password_hash_concurrency: usize,
    pub login_attempts_per_account: u32,
    pub login_attempts_per_client: u32,
    /// The window the login, application and password-reset limits count in.
    pub throttle_window: Duration,
    /// Where people open the links the program emails them (`{APP_URL}/reset-password?token=`).
    pub app_url: String,
    pub max_body_bytes: usize,
    pub http_workers: usize,
    /// The relay the outbox sends email through; `None` writes each email to the log instead.
    pub smtp: Option<SmtpServer>,
    /// The sender of every email.
    pub smtp_from: Mailbox,
    /// How often the outbox worker looks for due emails.
    pub outbox_poll: Duration,
    pub files_dir: PathBuf,
    /// Where files go instead of `files_dir`: an S3-compatible bucket (`FILES_STORE=s3`).
    pub files_bucket: Option<crate::files::Bucket>,
    pub file_encryption_key: Option<Secret<[u8; 32]>>,
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
            database_url: Secret::new(database_url),
            database_max_connections: source
                .get("DATABASE_MAX_CONNECTIONS")
                .map(|_| parsed(source, "DATABASE_MAX_CONNECTIONS", 0u32))
                .transpose()?,
            data_dir: PathBuf::from(source.get("DATA_DIR").unwrap_or_else(|| "data".into())),
            jwt_secret: jwt_secret.map(Secret::new),
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
            throttle_window: Duration::from_secs(positive(
                "THROTTLE_WINDOW_SECONDS",
                parsed(source, "THROTTLE_WINDOW_SECONDS", 60u64)?,
            )?),
            app_url: app_url(source, app_env)?,
            max_body_bytes: parsed(source, "MAX_BODY_BYTES", 64 * 1024usize)?,
            http_workers: parsed(source, "HTTP_WORKERS", cores)?.max(1),
            smtp: smtp_server(source)?,
            smtp_from: smtp_from(source, app_env)?,
            outbox_poll: Duration::from_millis(positive(
                "OUTBOX_POLL_MS",
                parsed(source, "OUTBOX_POLL_MS", 1000u64)?,
            )?),
            files_dir: PathBuf::from(
                source
                    .get("FILES_DIR")
                    .unwrap_or_else(|| "data/files".into()),
            ),
            files_bucket: files_bucket(source)?,
            file_encryption_key: file_key(source, app_env)?.map(Secret::new),
        })
    }
}

/// `FILES_STORE`: `folder` (the default: `FILES_DIR`) or `s3`, with the bucket's settings.
fn files_bucket(source: &dyn Source) -> Result<Option<crate::files::Bucket>, ConfigError> {
    match source.get("FILES_STORE").as_deref() {
        None | Some("folder") => return Ok(None),
        Some("s3") => {}
        Some(other) => {
            return Err(bad("FILES_STORE", format!("`{other}` is not folder or s3")));
        }
    }
    let required = |name: &'static str| {
        source
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| bad(name, "is required when FILES_STORE=s3"))
    };
    Ok(Some(crate::files::Bucket {
        name: required("S3_BUCKET")?,
        prefix: source.get("S3_PREFIX").unwrap_or_default(),
        endpoint: source.get("S3_ENDPOINT").filter(|v| !v.trim().is_empty()),
        region: source
            .get("S3_REGION")
            .unwrap_or_else(|| "us-east-1".into()),
        access_key_id: required("S3_ACCESS_KEY_ID")?,
        secret_access_key: required("S3_SECRET_ACCESS_KEY")?,
        allow_http: parsed(source, "S3_ALLOW_HTTP", false)?,
    }))
}

/// The key that encrypts onboarding files at rest: 32 bytes, base64. Required in production; in
/// development one is generated into the data folder when unset.
fn file_key(source: &dyn Source, app_env: AppEnv) -> Result<Option<[u8; 32]>, ConfigError> {
    use base64::Engine;
    let Some(text) = source.get("FILE_ENCRYPTION_KEY") else {
        return match app_env {
            AppEnv::Production => Err(bad(
                "FILE_ENCRYPTION_KEY",
                "is required when APP_ENV=production",
            )),
            AppEnv::Development => Ok(None),
        };
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| bad("FILE_ENCRYPTION_KEY", "is not base64"))?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| {
        bad(
            "FILE_ENCRYPTION_KEY",
            "must be 32 bytes (44 base64 characters)",
        )
    })?;
    Ok(Some(key))
}

/// An SMTP relay reached without TLS: on loopback or a private network, as a local MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
}

/// `SMTP_URL`: `smtp://host[:port]` (port 25 by default), or unset to log emails.
fn smtp_server(source: &dyn Source) -> Result<Option<SmtpServer>, ConfigError> {
    const NAME: &str = "SMTP_URL";
    let Some(url) = source.get(NAME) else {
        return Ok(None);
    };
    let url = url.trim();
    let authority = url
        .strip_prefix("smtp://")
        .ok_or_else(|| bad(NAME, format!("`{url}` does not start with smtp://")))?
        .trim_end_matches('/');
    if authority.contains(['@', '/', '?']) {
        return Err(bad(
            NAME,
            "give only smtp://host[:port] (no credentials, path or options: the relay is reached without TLS)",
        ));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad(NAME, format!("`{port}` is not a port")))?;
            (host, port)
        }
        _ => (authority, 25),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad(NAME, "names no host"));
    }
    Ok(Some(SmtpServer {
        host: host.to_owned(),
        port,
    }))
}

/// `SMTP_FROM`: the sender, `Name <address>` or an address. Production names its own sender.
fn smtp_from(source: &dyn Source, app_env: AppEnv) -> Result<Mailbox, ConfigError> {
    const NAME: &str = "SMTP_FROM";
    let text = match source.get(NAME) {
        Some(text) => text,
        None if app_env == AppEnv::Production && source.get("SMTP_URL").is_some() => {
            return Err(bad(
                NAME,
                "is required with SMTP_URL when APP_ENV=production",
            ));
        }
        None => "Mentorship program <no-reply@localhost>".into(),
    };
    text.trim()
        .parse()
        .map_err(|e| bad(NAME, format!("`{text}` is not an email sender: {e}")))
}

/// `APP_URL`: the frontend's address, where the links in emails lead. Development defaults to
/// the API's own address; production must say it.
fn app_url(source: &dyn Source, app_env: AppEnv) -> Result<String, ConfigError> {
    const NAME: &str = "APP_URL";
    match source.get(NAME) {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        Some(url) => Err(bad(NAME, format!("`{url}` is not an http(s) URL"))),
        None if app_env == AppEnv::Production => {
            Err(bad(NAME, "is required when APP_ENV=production"))
        }
        None => Ok("http://127.0.0.1:8080".into()),
    }
}

/// Development defaults to a demo admin (and says so in the log); production has no default.
fn bootstrap_admin(
    source: &dyn Source,
    app_env: AppEnv,
) -> Result<Option<(String, Secret<String>)>, ConfigError> {
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
            Ok(Some((email, Secret::new(password))))
        }
        (Some(_), None) => Err(bad(
            "BOOTSTRAP_ADMIN_PASSWORD",
            "is required with BOOTSTRAP_ADMIN_EMAIL",
        )),
        (None, Some(_)) => Err(bad(
            "BOOTSTRAP_ADMIN_EMAIL",
            "is required with BOOTSTRAP_ADMIN_PASSWORD",
        )),
        (None, None) if app_env == AppEnv::Development => Ok(Some((
            "admin@example.com".into(),
            Secret::new("change-me-now".into()),
        ))),
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
        assert_eq!(c.database_url.expose(), "sqlite://data/mentorship.db");
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.bootstrap_admin.unwrap().0, "admin@example.com");
    }

    #[test]
    fn email_settings_are_checked() {
        let c = config(&[]).unwrap();
        assert_eq!(c.smtp, None);
        assert_eq!(c.outbox_poll, Duration::from_secs(1));
        assert_eq!(
            c.files_bucket, None,
            "files go to the folder unless told otherwise"
        );
        let c = config(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("SMTP_FROM", "Team <team@example.com>"),
        ])
        .unwrap();
        let server = c.smtp.unwrap();
        assert_eq!((server.host.as_str(), server.port), ("127.0.0.1", 2525));
        assert_eq!(c.smtp_from.email.to_string(), "team@example.com");
        let ipv6 = config(&[("SMTP_URL", "smtp://[::1]")])
            .unwrap()
            .smtp
            .unwrap();
        assert_eq!((ipv6.host.as_str(), ipv6.port), ("::1", 25));
        for url in [
            "http://x",
            "smtp://",
            "smtp://h:0",
            "smtp://u:p@h:25",
            "smtp://h:x",
        ] {
            let e = config(&[("SMTP_URL", url)]).unwrap_err();
            assert_eq!(e.name, "SMTP_URL", "{url}");
        }
        let e = config(&[("SMTP_FROM", "not an address")]).unwrap_err();
        assert_eq!(e.name, "SMTP_FROM");
        let e = config(&[("OUTBOX_POLL_MS", "0")]).unwrap_err();
        assert_eq!(e.name, "OUTBOX_POLL_MS");
        let e = config(&[("FILES_STORE", "ftp")]).unwrap_err();
        assert_eq!(e.name, "FILES_STORE");
        let e = config(&[("FILES_STORE", "s3"), ("S3_BUCKET", "b")]).unwrap_err();
        assert_eq!(e.name, "S3_ACCESS_KEY_ID", "a bucket needs its credentials");
        let relay: HashMap<String, String> = [("SMTP_URL".into(), "smtp://relay".into())].into();
        let e = smtp_from(&relay, AppEnv::Production).unwrap_err();
        assert_eq!(e.name, "SMTP_FROM", "production names its own sender");
    }

    #[test]
    fn production_needs_a_secret() {
        let e = config(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(e.name, "JWT_SECRET");
        let secret = "s".repeat(40);
        let e = config(&[("APP_ENV", "production"), ("JWT_SECRET", &secret)]).unwrap_err();
        assert_eq!(e.name, "APP_URL");
        let app = ("APP_URL", "https://mentors.example.org");
        let e = config(&[("APP_ENV", "production"), ("JWT_SECRET", &secret), app]).unwrap_err();
        assert_eq!(e.name, "FILE_ENCRYPTION_KEY");
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

    #[test]
    fn debug_shows_no_secret() {
        let env: std::collections::HashMap<String, String> = [
            ("DATABASE_URL", "postgres://app:hunter2-db@db/mentorship"),
            ("JWT_SECRET", "a-signing-secret-that-is-long-enough!!"),
            ("BOOTSTRAP_ADMIN_EMAIL", "root@example.com"),
            ("BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-password-1"),
            (
                "FILE_ENCRYPTION_KEY",
                "dGVzdC1maWxlLWtleS10aGF0LWlzLTMyLWJ5dGVzISE=",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let shown = format!("{:?}", Config::from_source(&env).unwrap());
        // The file key decodes to bytes starting "test-": as numbers, 116, 101, 115, 116.
        for secret in [
            "hunter2-db",
            "a-signing-secret",
            "bootstrap-password-1",
            "116, 101, 115",
        ] {
            assert!(!shown.contains(secret), "Debug shows {secret}: {shown}");
        }
        assert!(shown.contains("root@example.com"));
    }
}
