//! The application: its routes, and a server that tests and the binary start alike.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::Compress;
use actix_web::{App, HttpResponse, HttpServer, http::header, web};
use mentorship_domain::people::{Role, normalize_email};
use mentorship_store::{Store, StoreError, StoreOptions, users};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
/// What `Application::build_with` hands its extra routes to.
pub use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::background_exports::ExportWorker;
use crate::config::Config;
use crate::error::ApiError;
use crate::extract::{BodyLimit, largest_body, path_config, query_config};
use crate::idempotency::{IDEMPOTENCY_KEY, Idempotency, REPLAYED};
use crate::middleware::{Envelope, REQUEST_ID, no_route};
use crate::notices::Templates;
use crate::openapi::{ApiDoc, add_shared_responses};
use crate::outbox::OutboxWorker;
use crate::routes::notifications;
use crate::routes::{
    absences, api_keys, applications, audit, auth, calendars, catalog, documents, erasure, exports,
    mentors, ops, path_requests, pay, policies, problems, reports, sessions, students,
    users as user_routes, webhooks,
};
use crate::secrets::jwt_secret;
use crate::spans::Spans;
use crate::state::AppState;
use crate::webhook_sender::WebhookSender;

/// Registers the operations endpoints (`/health`, `/ready`, `/metrics`): for load balancers and
/// monitoring, so without the browser-facing layers of `/v1`.
fn ops_routes(cfg: &mut ServiceConfig) {
    cfg.service(ops::health)
        .service(ops::ready)
        .service(ops::metrics)
        .service(problems::problem_page);
}

/// Registers every route under `/v1`.
fn v1_routes(cfg: &mut ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::logout_all)
        .service(auth::change_password)
        .service(auth::request_password_reset)
        .service(auth::confirm_password_reset)
        .service(auth::accept_invitation)
        .service(auth::me)
        .service(notifications::list_notifications)
        .service(notifications::mark_notification_read)
        .service(user_routes::create_user)
        .service(user_routes::list_users)
        .service(user_routes::get_user)
        .service(user_routes::update_user)
        .service(audit::list_audit)
        .service(exports::export_mine)
        .service(exports::export_person)
        .service(erasure::erase_person)
        .service(exports::request_mine)
        .service(exports::request_for_person)
        .service(exports::get_export)
        .service(exports::download_export)
        .service(webhooks::create_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::get_webhook)
        .service(webhooks::update_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::rotate_webhook_secret)
        .service(webhooks::list_deliveries)
        .service(webhooks::replay_delivery)
        .service(api_keys::create_api_key)
        .service(api_keys::list_api_keys)
        .service(api_keys::delete_api_key)
        .service(catalog::create_path)
        .service(catalog::list_paths)
        .service(catalog::get_path)
        .service(catalog::update_path)
        .service(catalog::create_project)
        .service(catalog::list_projects)
        .service(catalog::get_project)
        .service(catalog::update_project)
        .service(applications::apply)
        .service(applications::list_applications)
        .service(applications::get_application)
        .service(applications::accept)
        .service(applications::reject)
        .service(mentors::list_mentors)
        .service(mentors::get_mentor)
        .service(mentors::update_mentor)
        .service(mentors::suspend)
        .service(mentors::reinstate)
        .service(mentors::offboard)
        .service(mentors::get_contract)
        .service(mentors::sign_contract)
        .service(documents::list_documents)
        .service(documents::upload_document)
        .service(documents::download_document)
        .service(documents::verify_document)
        .service(documents::reject_document)
        .service(students::enroll)
        .service(students::enroll_cohort)
        .service(students::list_students)
        .service(students::my_students)
        .service(students::get_student)
        .service(students::update_student)
        .service(students::get_progress)
        .service(students::set_progress)
        .service(students::assign_automatically)
        .service(students::assign_student)
        .service(students::list_assignments)
        .service(path_requests::ask_for_path)
        .service(path_requests::list_mentor_path_requests)
        .service(path_requests::list_path_requests)
        .service(path_requests::approve)
        .service(path_requests::decline)
        .service(sessions::book)
        .service(sessions::list_sessions)
        .service(sessions::my_sessions)
        // Before `/sessions/{id}`, which would take its last segment for an id.
        .service(sessions::needing_new_date)
        .service(sessions::get_session)
        .service(sessions::reschedule)
        .service(sessions::cancel)
        .service(sessions::record_outcome)
        .service(sessions::write_notes)
        .service(absences::declare)
        .service(absences::list_mentor_absences)
        .service(absences::list_absences)
        .service(absences::withdraw)
        .service(reports::file)
        .service(reports::list_reports)
        .service(reports::get_report)
        .service(reports::acknowledge)
        .service(reports::resolve)
        .service(calendars::rotate)
        .service(calendars::remove)
        .service(calendars::feed)
        .service(pay::list_rate_cards)
        .service(pay::current_rate_card)
        .service(pay::publish_rate_card)
        .service(pay::list_referrals)
        .service(pay::statement_draft)
        .service(pay::issue_statement)
        .service(pay::issue_month)
        .service(pay::list_statements)
        // Before `/statements/{id}`, which would take its last segment for an id.
        .service(pay::payout)
        .service(pay::get_statement)
        .service(pay::approve_statement)
        .service(pay::dispute_statement)
        .service(pay::pay_statement)
        .service(policies::get_policies)
        .service(policies::policy_history)
        .service(policies::put_policies);
}

/// `/docs` leads to the Swagger UI at `/docs/`, whose pages load their parts relative to it.
async fn to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// The contract, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(ops_routes)
        .service(scope("/v1").configure(v1_routes))
        .split_for_parts();
    add_shared_responses(&mut doc);
    doc
}

/// The contract as the server serves it and `make openapi` writes it.
pub fn openapi_json() -> Result<String, ApiError> {
    let failed = |e: serde_json::Error| ApiError::Internal(e.to_string());
    let mut doc = serde_json::to_value(openapi()).map_err(failed)?;
    extensions_in_order(&mut doc);
    serde_json::to_string_pretty(&doc).map_err(failed)
}

/// utoipa keeps an object's `x-` extensions in a hash map, so two of them (an operation's
/// `x-problem-codes` and `x-notifications`) came out in either order from one run to the next:
/// they go last, by name, so that the committed contract is the same on every regeneration.
fn extensions_in_order(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let entries: Vec<(String, serde_json::Value)> =
                std::mem::take(map).into_iter().collect();
            let (mut extensions, fields): (Vec<_>, Vec<_>) = entries
                .into_iter()
                .partition(|(key, _)| key.starts_with("x-"));
            extensions.sort_by(|a, b| a.0.cmp(&b.0));
            map.extend(fields);
            map.extend(extensions);
            map.values_mut().for_each(extensions_in_order);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(extensions_in_order),
        _ => {}
    }
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT,
            REQUEST_ID,
            IDEMPOTENCY_KEY,
        ])
        .expose_headers([
            REPLAYED,
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID,
        ])
        .max_age(3600)
}

/// A running server and the port it listens on (port 0 in tests picks a free one), with the
/// outbox worker that delivers its emails.
pub struct Application {
    pub port: u16,
    pub server: Server,
    pub outbox: OutboxWorker,
    pub exports: ExportWorker,
    pub webhooks: WebhookSender,
}

impl Application {
    /// Binds `listener`, builds the server over `state` (it runs once awaited, best with `run`)
    /// and starts the outbox worker; call it inside the tokio runtime.
    pub fn build(
        listener: TcpListener,
        state: AppState,
        config: &Config,
    ) -> Result<Self, std::io::Error> {
        Self::build_with(listener, state, config, |_| {})
    }

    /// The same, with `extra` routes tried before `/v1`'s own. The API adds none; the benchmark
    /// adds an unauthenticated copy of a read, to measure what authentication costs in this very
    /// server (BENCHMARKS.md).
    pub fn build_with(
        listener: TcpListener,
        state: AppState,
        config: &Config,
        extra: fn(&mut ServiceConfig),
    ) -> Result<Self, std::io::Error> {
        let port = listener.local_addr()?.port();
        let store = state.store.clone();
        // Other instances' announcements of ended sessions (PostgreSQL; returns at once on SQLite).
        tokio::spawn(crate::sessions::listen(
            store.clone(),
            Arc::clone(&state.sessions),
        ));
        let state = web::Data::new(state);
        let exports = ExportWorker::start(state.clone(), config.outbox_poll);
        let webhooks = WebhookSender::start(store.clone(), state.files.clone(), config.outbox_poll);
        let doc = openapi();
        let origins = config.cors_allowed_origins.clone();
        let max_body = config.max_body_bytes;
        let metrics = Arc::clone(&state.metrics);
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .configure(ops_routes)
                // Compression and CORS serve the API's clients (browsers, mobile networks),
                // not load balancers and monitoring, so they wrap `/v1` only.
                .service(
                    scope("/v1")
                        .configure(extra)
                        .configure(v1_routes)
                        // Inside compression: a kept answer is kept as the handler gave it.
                        .wrap(Idempotency)
                        .wrap(Compress::default())
                        .wrap(cors(&origins))
                        // The root span of each request (spans.rs), inside the envelope
                        // that makes its id; probes and docs need none.
                        .wrap(TracingLogger::<Spans>::new()),
                )
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(BodyLimit(max_body))
                .app_data(query_config())
                .app_data(path_config())
                .app_data(web::PayloadConfig::new(largest_body(max_body)))
                .route("/docs", web::get().to(to_docs))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                .default_service(web::to(no_route))
                .wrap(Envelope::new(Arc::clone(&metrics)))
        })
        .workers(config.http_workers)
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        let outbox = OutboxWorker::start(store, config);
        Ok(Application {
            port,
            server,
            outbox,
            exports,
            webhooks,
        })
    }

    /// Serves until the server stops (SIGTERM, SIGINT), then stops the outbox worker.
    pub async fn run(self) -> Result<(), std::io::Error> {
        let outcome = self.server.await;
        self.outbox.stop().await;
        self.exports.stop().await;
        self.webhooks.stop().await;
        outcome
    }
}

/// `mentorship serve`: opens and migrates the store, makes the bootstrap admin if needed, listens
/// on `BIND_ADDR` and serves until SIGTERM or SIGINT. `extra` routes go in front of `/v1`'s own
/// (see `Application::build_with`): none for the API, an open read for the benchmark.
pub async fn serve(config: &Config, extra: fn(&mut ServiceConfig)) -> Result<(), String> {
    let secret = jwt_secret(config)?;
    let store = open_store(config)
        .await
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let state = AppState::new(config, store.clone(), &secret).map_err(|e| e.to_string())?;
    bootstrap_admin(&state, config)
        .await
        .map_err(|e| format!("bootstrap admin: {e}"))?;
    let listener = TcpListener::bind(config.bind_addr).map_err(|e| format!("BIND_ADDR: {e}"))?;
    let app = Application::build_with(listener, state, config, extra).map_err(|e| e.to_string())?;
    tracing::info!(
        "listening on http://{addr}; docs at http://{addr}/docs/ and the contract at http://{addr}/openapi.json",
        addr = config.bind_addr
    );
    // actix answers SIGTERM/SIGINT by finishing in-flight requests before it stops.
    let outcome = app.run().await.map_err(|e| e.to_string());
    store.close().await;
    outcome
}

/// Connects the store and migrates it, as `serve` and `migrate` need.
pub async fn open_store(config: &Config) -> Result<Store, mentorship_store::StoreError> {
    let mut options = StoreOptions::default();
    if let Some(n) = config.database_max_connections {
        options.max_connections = n;
    }
    let store = Store::connect(config.database_url.expose(), &options, Arc::new(Templates)).await?;
    store.migrate().await?;
    Ok(store)
}

/// Creates the first admin from the configuration, if there is no admin yet.
pub async fn bootstrap_admin(state: &AppState, config: &Config) -> Result<(), ApiError> {
    let Some((email, password)) = &config.bootstrap_admin else {
        return Ok(());
    };
    if users::admin_exists(&state.store).await? {
        return Ok(());
    }
    let password_hash = state.passwords.hash(password.expose().clone()).await?;
    let new = users::NewUser {
        email: normalize_email(email),
        name: "Administrator".into(),
        role: Role::Admin,
        password_hash,
    };
    match users::create(&state.store, new, None).await {
        Ok(_) => tracing::warn!(email = %email, "created the bootstrap admin; change its password"),
        // Another instance starting at the same moment made it first.
        Err(StoreError::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
