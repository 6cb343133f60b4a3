//! Health, readiness and metrics, for load balancers and monitoring.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, http::StatusCode, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Problem;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// `/health`'s body: `Health { status: "ok" }` serialized once, not on every probe.
pub const HEALTH_OK: &str = r#"{"status":"ok"}"#;

/// Whether the process is alive. Touches nothing else.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(HEALTH_OK)
}

/// Whether the server can take traffic: the database answers and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready: the database is unreachable or not migrated",
         body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.store.is_ready().await {
        Ok(true) => HttpResponse::Ok().json(Health {
            status: "ready".into(),
        }),
        Ok(false) => not_ready("migrations are not all applied"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            not_ready("the database does not answer")
        }
    }
}

fn not_ready(detail: &str) -> HttpResponse {
    Problem::generic(StatusCode::SERVICE_UNAVAILABLE, detail).response()
}

/// Request counts and latency histograms by method, route and status (Prometheus text format).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String,
               content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_answers_what_its_schema_says() {
        let serialized = serde_json::to_string(&Health {
            status: "ok".into(),
        })
        .unwrap();
        assert_eq!(HEALTH_OK, serialized);
    }
}
