//! The ceilings the API's numbers are divided by. Each does the same work as an endpoint minus
//! one layer: the framework ceiling answers `/health`'s bytes with nothing around them; the
//! no-auth ceiling is the API itself with an unauthenticated copy of the catalog read; the bare
//! read does that read with no middleware at all; the storage ceiling runs the endpoint's store
//! call in a loop; and the login ceiling verifies a password hashed by the API, and nothing else.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, get, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use mentorship_api::app::{ServiceConfig, open_store};
use mentorship_api::config::Config;
use mentorship_api::error::ApiError;
use mentorship_api::passwords::Passwords;
use mentorship_api::routes::catalog::PathView;
use mentorship_api::state::AppState;
// The body the API's `/health` answers, byte for byte (`bench/run.sh` checks that they agree).
use mentorship_api::routes::ok_with_etag;
use mentorship_api::routes::ops::HEALTH_OK;
use mentorship_store::{PageRequest, Store, catalog};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::measurement::{Measurement, process_cpu_seconds};

/// The framework ceiling: actix-web returning `/health`'s bytes, nothing else.
#[get("/health")]
async fn bare_health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(HEALTH_OK)
}

/// The read of `GET /v1/paths/{id}` with the same store call and the same view, but no
/// credentials and none of the API's middleware.
#[get("/v1/paths/{id}")]
async fn path_without_auth(
    store: web::Data<Store>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let path = catalog::get_path(&store, *id).await?;
    Ok(ok_with_etag(path.version).json(PathView::from(path)))
}

/// `GET /v1/paths/{id}` as the API answers it, minus the credentials: the same store call and
/// view, registered in the API's own application, in front of its routes.
async fn path_read_in_the_api(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let path = catalog::get_path(&state.store, *id).await?;
    Ok(ok_with_etag(path.version).json(PathView::from(path)))
}

fn open_path_read(cfg: &mut ServiceConfig) {
    cfg.route("/paths/{id}", web::get().to(path_read_in_the_api));
}

/// The no-auth ceiling: the API, configured and started as `mentorship serve` starts it (same
/// settings, middleware, routes and state), whose `GET /v1/paths/{id}` skips authentication.
/// Nothing else differs, so a read on it against the same read on the API costs exactly the
/// authentication.
pub async fn serve_api_without_auth(config: Config) -> Result<(), String> {
    mentorship_api::app::serve(&config, open_path_read).await
}

/// Serves the HTTP ceilings on `BIND_ADDR` over `DATABASE_URL`, with `HTTP_WORKERS` workers:
/// the settings the API reads, read the same way.
pub async fn serve(config: Config) -> Result<(), String> {
    let store = open_store(&config)
        .await
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let listener = TcpListener::bind(config.bind_addr).map_err(|e| format!("BIND_ADDR: {e}"))?;
    let data = web::Data::new(store.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(bare_health)
            .service(path_without_auth)
    })
    .workers(config.http_workers)
    .listen(listener)
    .map_err(|e| e.to_string())?
    .run();
    let outcome = server.await.map_err(|e| e.to_string());
    store.close().await;
    outcome
}

/// A store read an endpoint makes.
#[derive(Debug, Clone, Copy)]
pub enum Read {
    /// `catalog::get_path`, as `GET /v1/paths/{id}` calls it.
    GetPath(Uuid),
    /// `catalog::list_paths` without a filter, as `GET /v1/paths?limit=&cursor=` calls it.
    ListPaths { after: Option<Uuid>, limit: u32 },
}

impl Read {
    async fn run(self, store: &Store) -> Result<(), String> {
        let outcome = match self {
            Read::GetPath(id) => catalog::get_path(store, id).await.map(drop),
            Read::ListPaths { after, limit } => {
                catalog::list_paths(store, None, PageRequest { after, limit })
                    .await
                    .map(drop)
            }
        };
        outcome.map_err(|e| e.to_string())
    }
}

/// The storage ceiling: `connections` tasks each repeating `read` for `duration`, as a closed
/// loop like the load generator's connections, on the pool the API would open.
pub async fn storage(
    config: &Config,
    read: Read,
    connections: usize,
    duration: Duration,
) -> Result<Measurement, String> {
    let store = open_store(config)
        .await
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    // One read first: a read that fails here would fail every time.
    read.run(&store).await?;
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections.max(1) {
        let store = store.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match read.run(&store).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let (latencies, errors) = gather(tasks).await?;
    let elapsed = started.elapsed();
    let cpu = cpu_since(cpu_before);
    store.close().await;
    Ok(Measurement {
        cpu_seconds: cpu,
        ..Measurement::from_latencies(latencies, elapsed, errors)
    })
}

/// The login ceiling: password verifications one after another for `duration`, on this thread,
/// with nothing around them. The hash comes from the API's own hasher, and a verification
/// re-hashes with the algorithm and parameters written in the hash (argon2id m=19456 KiB, t=2,
/// p=1), so this is the work of a login's verification, never a copy of the API's settings.
pub async fn argon2(duration: Duration) -> Result<Measurement, String> {
    const PASSWORD: &str = "a bench password";
    let phc = Passwords::new(1)
        .map_err(|e| e.to_string())?
        .hash(PASSWORD.into())
        .await
        .map_err(|e| e.to_string())?;
    let hash = PasswordHash::new(&phc).map_err(|e| e.to_string())?;
    let hasher = Argon2::default();
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    while started.elapsed() < duration {
        let t = Instant::now();
        match hasher.verify_password(PASSWORD.as_bytes(), &hash) {
            Ok(()) => latencies.push(t.elapsed()),
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed();
    Ok(Measurement {
        cpu_seconds: cpu_since(cpu_before),
        ..Measurement::from_latencies(latencies, elapsed, errors)
    })
}

pub(crate) fn cpu_since(before: Option<f64>) -> Option<f64> {
    Some(process_cpu_seconds()? - before?)
}

pub(crate) async fn gather(
    mut tasks: JoinSet<(Vec<Duration>, u64)>,
) -> Result<(Vec<Duration>, u64), String> {
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        let (mut some, failed) = done.map_err(|e| e.to_string())?;
        latencies.append(&mut some);
        errors += failed;
    }
    Ok((latencies, errors))
}
