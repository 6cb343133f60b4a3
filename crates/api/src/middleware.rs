//! What wraps every request, in one layer: its id, its log span, its metrics, and a problem body
//! for every error, even the ones actix answers by itself. One layer rather than one per concern,
//! because each layer costs a boxed future and a pass over the response on every request,
//! `/health` included (BENCHMARKS.md measures it against a bare handler).

use std::collections::BTreeMap;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use rand::Rng;

use crate::error::{PROBLEM_JSON, Problem};
use crate::extract::check_url;
use crate::operations::Operations;
use crate::spans::{RequestFacts, Route};
use crate::state::AppState;
use crate::throttle::Quota;
use mentorship_store::audit;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The client's `x-request-id` if it is sane (1 to 128 visible ASCII characters), otherwise a
/// new UUIDv7, so ids sort by time in the logs.
fn request_id_of(req: &ServiceRequest) -> HeaderValue {
    let sent = req.headers().get(REQUEST_ID).filter(|v| {
        let bytes = v.as_bytes();
        !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(u8::is_ascii_graphic)
    });
    match sent {
        Some(value) => value.clone(),
        None => new_request_id(),
    }
}

/// A UUIDv7 from the thread's random generator: `Uuid::now_v7` would ask the kernel for its
/// random bits on every request.
fn new_request_id() -> HeaderValue {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut random = [0u8; 10];
    rand::rng().fill_bytes(&mut random);
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = id.hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The layer: `App::wrap(Envelope::new(metrics))`, outermost, so it sees every answer last.
pub struct Envelope {
    metrics: Arc<Metrics>,
}

impl Envelope {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Envelope { metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Envelope
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Transform = EnvelopeService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EnvelopeService {
            service,
            metrics: Arc::clone(&self.metrics),
        }))
    }
}

pub struct EnvelopeService<S> {
    service: S,
    metrics: Arc<Metrics>,
}

/// The inner answer's own body, or the problem body that replaced it.
type Answer<B> = Result<ServiceResponse<EitherBody<B, BoxBody>>, actix_web::Error>;

impl<S, B> Service<ServiceRequest> for EnvelopeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<B>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let arrived = Instant::now();
        let id = request_id_of(&req);
        // Only `/v1` is traced (spans.rs): probes and the docs need no span of their own.
        let traced = req.path().starts_with("/v1/");
        if traced {
            req.extensions_mut().insert(RequestFacts {
                id: id.clone(),
                arrived,
            });
        }
        let method = req.method().clone();
        let metrics = Arc::clone(&self.metrics);
        let wrong_method = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| misrouted(req.request(), &state.operations));
        if let Some(methods) = wrong_method {
            let response = req
                .into_response(method_not_allowed(&method, &methods))
                .map_into_right_body();
            return Box::pin(ready(Ok(finish(response, &method, id, arrived, &metrics))));
        }
        let refused = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| check_url(req.request(), &state.operations).err());
        if let Some(e) = refused {
            let response = req.error_response(e).map_into_right_body();
            return Box::pin(ready(Ok(finish(response, &method, id, arrived, &metrics))));
        }
        // The audit rows a `/v1` request writes name it (probes and the docs write none).
        let request_id = traced.then(|| id.to_str().unwrap_or_default().to_owned());
        let answer = self.service.call(req);
        Box::pin(async move {
            let answered = match request_id {
                Some(request_id) => audit::within_request(request_id, answer).await,
                None => answer.await,
            };
            let response = match not_modified(answered?) {
                Ok(unchanged) => unchanged,
                Err(response) => with_problem_body(response),
            };
            Ok(finish(response, &method, id, arrived, &metrics))
        })
    }
}

/// What every answer gets on its way out: its metrics, its request id, and the headers that
/// keep browsers from misusing it (RFC 9110 and the OWASP secure headers): `nosniff` always;
/// for JSON, a content security policy that forbids everything (an API answer is never a page);
/// on `/v1`, where every answer is for a caller or about one, `Cache-Control: no-store`.
fn finish<B>(
    mut response: ServiceResponse<B>,
    method: &Method,
    id: HeaderValue,
    arrived: Instant,
    metrics: &Metrics,
) -> ServiceResponse<B> {
    let elapsed = arrived.elapsed();
    {
        // The span recorded the route of a traced request; the others are matched here.
        let request = response.request();
        let extensions = request.extensions();
        match extensions.get::<Route>() {
            Some(route) => metrics.record(method, &route.0, response.status(), elapsed),
            None => {
                let route = request.match_pattern();
                let route = route.as_deref().unwrap_or("unmatched");
                metrics.record(method, route, response.status(), elapsed);
            }
        }
    }
    let is_api = response.request().path().starts_with("/v1/");
    let quota = response.request().extensions().get::<Quota>().copied();
    let headers = response.headers_mut();
    for (name, value) in quota.iter().flat_map(Quota::headers) {
        headers.insert(name, value);
    }
    headers.insert(REQUEST_ID, id);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let is_json = headers.get(header::CONTENT_TYPE).is_some_and(|t| {
        let t = t.as_bytes();
        t.starts_with(b"application/json") || t.starts_with(PROBLEM_JSON.as_bytes())
    });
    if is_json {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A conditional read (RFC 9110, 13.1.2): a `GET` answered 200 with an `ETag` that the
/// request's `If-None-Match` lists (weak comparison, or `*`) becomes 304 Not Modified, with the
/// same `ETag` and no body: a client polling an object learns it has not changed without
/// receiving it again.
/// Gives the answer back untouched (`Err`) when it is not such a read.
fn not_modified<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, ServiceResponse<B>> {
    let request = response.request();
    let wanted = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let etag = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok());
    let matches = match (wanted, etag) {
        (Some(wanted), Some(etag)) => {
            let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
            let etag = opaque(etag);
            wanted.trim() == "*" || wanted.split(',').any(|tag| opaque(tag) == etag)
        }
        _ => false,
    };
    if !matches || request.method() != Method::GET || response.status() != StatusCode::OK {
        return Err(response);
    }
    let (request, old) = response.into_parts();
    let mut new = HttpResponse::NotModified().finish();
    for (name, value) in old.headers() {
        let body_header = [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
        ]
        .contains(name);
        if !body_header {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, new).map_into_right_body())
}

/// Gives an error answer without a problem body (405, 413, actix's own 400s) one, so a client
/// handles one error shape, whatever produced it. Headers other than the body's own (CORS,
/// `Allow`, `Retry-After`, `WWW-Authenticate`) are kept.
fn with_problem_body<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B, BoxBody>> {
    let status = response.status();
    let is_problem = || {
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
    };
    if status.as_u16() < 400 || is_problem() {
        return response.map_into_left_body();
    }
    let (request, old) = response.into_parts();
    let mut new = Problem::for_status(status).response();
    let body_headers = [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::CACHE_CONTROL,
    ];
    for (name, value) in old.headers() {
        if !body_headers.contains(name) {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, new).map_into_right_body()
}

/// 405 with `Allow`: the path exists, with other methods.
fn method_not_allowed(method: &Method, methods: &[String]) -> HttpResponse {
    let mut response = Problem::generic(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{method} is not allowed here; use one of: {}",
            methods.join(", ")
        ),
    )
    .response();
    if let Ok(value) = HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The methods of a path the contract names literally (`/v1/statements/issue-month`) when the
/// request's method is not one of them. Such a request would otherwise reach the route of a
/// pattern that also matches it (`GET /v1/statements/{id}`, with `issue-month` for an id) and
/// get a 400 for a bad id instead of the 405 the contract implies.
/// A CORS preflight (`OPTIONS`) is the CORS layer's to answer, on any path.
fn misrouted(req: &HttpRequest, operations: &Operations) -> Option<Vec<String>> {
    if req.method() == Method::OPTIONS {
        return None;
    }
    match operations.serves(req.path(), req.method())? {
        true => None,
        false => operations.methods(req.path()),
    }
}

/// Answers a request no route took: 405 with `Allow` when the path exists with other methods,
/// 404 otherwise.
pub async fn no_route(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let allowed = req
        .match_pattern()
        .and_then(|pattern| state.operations.methods(&pattern));
    match allowed {
        Some(methods) => method_not_allowed(req.method(), &methods),
        None => Problem::generic(
            StatusCode::NOT_FOUND,
            format!("there is no route {} {}", req.method(), req.path()),
        )
        .response(),
    }
}

/// Request counts and latencies by method, route and status, in Prometheus' text format.
///
/// A series is created once, under the write lock; every later request for it takes the read
/// lock and adds with atomics, so recording allocates nothing and workers do not queue.
#[derive(Default)]
pub struct Metrics {
    /// By route (looked up by `&str`: a few string comparisons, cheaper than hashing it), then a
    /// handful of (method, status) series each.
    routes: RwLock<BTreeMap<String, Vec<Series>>>,
}

/// Upper bounds of the latency histogram, in microseconds (rendered in seconds).
const BUCKETS_MICROS: [u64; 10] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
];

struct Series {
    method: Method,
    status: u16,
    count: AtomicU64,
    sum_micros: AtomicU64,
    /// Cumulative, as Prometheus expects: each counts the requests at or under its bound.
    buckets: [AtomicU64; BUCKETS_MICROS.len()],
}

impl Series {
    fn new(method: Method, status: u16) -> Self {
        Series {
            method,
            status,
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            buckets: Default::default(),
        }
    }

    fn is(&self, method: &Method, status: u16) -> bool {
        self.status == status && self.method == method
    }

    fn add(&self, micros: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        for (bound, n) in BUCKETS_MICROS.iter().zip(&self.buckets) {
            if micros <= *bound {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Metrics {
    fn record(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let status = status.as_u16();
        {
            let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
            let known = routes
                .get(route)
                .and_then(|all| all.iter().find(|s| s.is(method, status)));
            if let Some(series) = known {
                series.add(micros);
                return;
            }
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        let all = routes.entry(route.to_owned()).or_default();
        // Another worker may have added it between the two locks.
        match all.iter().find(|s| s.is(method, status)) {
            Some(series) => series.add(micros),
            None => {
                let series = Series::new(method.clone(), status);
                series.add(micros);
                all.push(series);
            }
        }
    }

    /// The Prometheus exposition text, series sorted by method, route and status.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        let mut series: Vec<(&str, &Series)> = routes
            .iter()
            .flat_map(|(route, all)| all.iter().map(move |s| (route.as_str(), s)))
            .collect();
        series.sort_by(|(ra, a), (rb, b)| {
            (a.method.as_str(), *ra, a.status).cmp(&(b.method.as_str(), *rb, b.status))
        });
        let labels = |route: &str, s: &Series| {
            format!(
                "method=\"{}\",route=\"{route}\",status=\"{}\"",
                s.method, s.status
            )
        };
        let mut out = String::from(
            "# HELP http_requests_total Requests answered, by method, route and status.\n\
             # TYPE http_requests_total counter\n",
        );
        for (route, s) in &series {
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "http_requests_total{{{}}} {count}", labels(route, s));
        }
        out.push_str(
            "# HELP http_request_duration_seconds Time to answer, by method, route and status.\n\
             # TYPE http_request_duration_seconds histogram\n",
        );
        for (route, s) in &series {
            let labels = labels(route, s);
            for (bound, n) in BUCKETS_MICROS.iter().zip(&s.buckets) {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{}\"}} {}",
                    seconds(*bound),
                    n.load(Ordering::Relaxed)
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let sum = seconds(s.sum_micros.load(Ordering::Relaxed));
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        out
    }
}

/// Microseconds as the seconds Prometheus expects (exact below 2^53 µs, 285 years).
fn seconds(micros: u64) -> f64 {
    micros as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_count_by_method_route_and_status_with_cumulative_buckets() {
        let metrics = Metrics::default();
        let route = "/v1/paths/{id}";
        metrics.record(
            &Method::GET,
            route,
            StatusCode::OK,
            Duration::from_micros(800),
        );
        metrics.record(
            &Method::GET,
            route,
            StatusCode::OK,
            Duration::from_millis(30),
        );
        metrics.record(
            &Method::GET,
            route,
            StatusCode::NOT_FOUND,
            Duration::from_millis(2),
        );
        let text = metrics.render();
        let ok = r#"method="GET",route="/v1/paths/{id}",status="200""#;
        for line in [
            format!("http_requests_total{{{ok}}} 2"),
            format!("http_request_duration_seconds_bucket{{{ok},le=\"0.001\"}} 1"),
            format!("http_request_duration_seconds_bucket{{{ok},le=\"0.025\"}} 1"),
            format!("http_request_duration_seconds_bucket{{{ok},le=\"0.05\"}} 2"),
            format!("http_request_duration_seconds_bucket{{{ok},le=\"+Inf\"}} 2"),
            format!("http_request_duration_seconds_sum{{{ok}}} 0.0308"),
            r#"http_requests_total{method="GET",route="/v1/paths/{id}",status="404"} 1"#.into(),
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
    }

    #[test]
    fn workers_adding_the_same_new_series_at_once_lose_no_count() {
        let metrics = Arc::new(Metrics::default());
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let metrics = Arc::clone(&metrics);
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        metrics.record(&Method::GET, "/health", StatusCode::OK, Duration::ZERO);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        let text = metrics.render();
        let line = r#"http_requests_total{method="GET",route="/health",status="200"} 2000"#;
        assert!(text.lines().any(|l| l == line), "{text}");
        assert_eq!(
            text.matches("http_requests_total{").count(),
            1,
            "one series"
        );
    }

    #[test]
    fn made_request_ids_are_uuid_v7() {
        let id = new_request_id();
        let id = uuid::Uuid::parse_str(id.to_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 7);
    }
}
