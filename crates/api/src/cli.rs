//! The command line of `mentorship`: serve the API, migrate the database, print the contract, or
//! seed demo data. A function of the library, so that the concurrency tests run the very same
//! program as several processes.

use std::process::ExitCode;

use crate::app::{open_store, openapi_json, serve};
use crate::config::{AppEnv, Config, Env, LogFormat};
use crate::demo::{self, SeedError};
use crate::secrets::jwt_secret;
use crate::state::AppState;

const USAGE: &str = "usage: mentorship <serve | migrate | openapi | seed-demo>
  serve      run the API (BIND_ADDR, DATABASE_URL, ... see .env.example)
  migrate    apply the database migrations and exit
  openapi    print the OpenAPI contract to stdout
  seed-demo  migrate DATABASE_URL, then build the demo program on it (an empty one): three
             paths, fifteen mentors, forty students, eight weeks of sessions, statements;
             published passwords, so refused in production";

/// What is logged when `RUST_LOG` is unset. actix-http reports a malformed request (a bad
/// `Content-Length`, a head too large) as an error of its own: it is the client's, and a stranger
/// could fill the error log with it, so those reports are left out (`RUST_LOG` with
/// `actix_http=debug` shows them).
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,actix_http::h1=off";

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// Runs the command named by the first argument; the process exits with what it returns.
pub fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    if command == "openapi" {
        return match openapi_json() {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        };
    }
    if !matches!(command.as_str(), "serve" | "migrate" | "seed-demo") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    // A missing .env is normal; settings then come from the environment alone.
    let _ = dotenvy::dotenv();
    let config = match Config::from_source(&Env) {
        Ok(config) => config,
        Err(e) => return fail(&format!("bad setting {e}")),
    };
    init_logs(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&e.to_string()),
    };
    let result = runtime.block_on(async {
        match command.as_str() {
            "migrate" => migrate(&config).await,
            "seed-demo" => seed_demo(&config).await,
            _ => serve(&config, |_| {}).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("mentorship: {message}");
    ExitCode::FAILURE
}

async fn migrate(config: &Config) -> Result<(), String> {
    let store = open_store(config)
        .await
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    store.close().await;
    tracing::info!("migrations applied");
    Ok(())
}

async fn seed_demo(config: &Config) -> Result<(), String> {
    if config.app_env == AppEnv::Production {
        return Err(SeedError::Production.to_string());
    }
    let secret = jwt_secret(config)?;
    let store = open_store(config)
        .await
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let state = AppState::new(config, store.clone(), &secret).map_err(|e| e.to_string())?;
    let outcome = demo::seed(&state).await;
    store.close().await;
    for line in outcome.map_err(|e| format!("seed-demo: {e}"))? {
        println!("{line}");
    }
    Ok(())
}
