//! The request's root span, built for `tracing-actix-web`'s `TracingLogger`: standard HTTP server
//! fields (OpenTelemetry's names: `http.method`, `http.route`, `http.target`,
//! `http.status_code`, `otel.kind`), the request id the envelope made or kept, and the caller's
//! account id once authenticated. The line "answered" is logged in it when the request ends.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage, HttpRequest};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use uuid::Uuid;

/// What the envelope knows of a request before any handler: its id and when it arrived.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub id: actix_web::http::header::HeaderValue,
    pub arrived: Instant,
}

/// The matched route, recorded once when the request ends (the metrics read it too).
#[derive(Debug, Clone)]
pub struct Route(pub String);

/// The authenticated caller's account id, set by the `Principal` extractor.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Uuid);

/// The API's root span.
pub struct Spans;

impl RootSpanBuilder for Spans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let extensions = request.extensions();
        let id = extensions
            .get::<RequestFacts>()
            .and_then(|f| f.id.to_str().ok().map(str::to_owned))
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            otel.kind = "server",
            otel.name = tracing::field::Empty,
            http.method = %request.method(),
            http.target = %request.uri(),
            http.route = tracing::field::Empty,
            http.status_code = tracing::field::Empty,
            request_id = %id,
            user_id = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let Ok(response) = outcome else {
            // Errors are turned into responses inside; an error here is actix's own.
            span.in_scope(|| tracing::warn!("the request ended without a response"));
            return;
        };
        let request = response.request();
        let route = route_of(request);
        let status = response.status().as_u16();
        span.record("http.route", route.as_str());
        span.record(
            "otel.name",
            format!("{} {route}", request.method()).as_str(),
        );
        span.record("http.status_code", status);
        if let Some(Caller(id)) = request.extensions().get::<Caller>() {
            span.record("user_id", tracing::field::display(id));
        }
        let micros = request.extensions().get::<RequestFacts>().map_or(0, |f| {
            u64::try_from(f.arrived.elapsed().as_micros()).unwrap_or(u64::MAX)
        });
        span.in_scope(|| tracing::info!(status, micros, "answered"));
        request.extensions_mut().insert(Route(route));
    }
}

/// The route that answered, as its pattern (`/v1/paths/{id}`), or `unmatched`.
fn route_of(request: &HttpRequest) -> String {
    request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned())
}
