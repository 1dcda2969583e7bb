//! Prometheus metrics: request counters and latency histograms labelled by
//! face, route (or RPC method) and outcome — never by customer — plus build
//! and process information, rendered in the text format at `GET /metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::Ctx;

/// Labels of one request series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `backoffice` or `public`.
    pub face: &'static str,
    /// The matched route, or the RPC method name.
    pub route: std::borrow::Cow<'static, str>,
    /// HTTP status class or API outcome (`ok`, `error`, `fault`).
    pub outcome: std::borrow::Cow<'static, str>,
}

/// The registry and the series the middleware and faces update.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    started: Instant,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with the request series and build information.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("bursar");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 18))
        });
        registry.register(
            "requests",
            "Requests answered, by face, route or method, and outcome",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request",
            latency.clone(),
        );
        let build = Family::<Vec<(String, String)>, Gauge>::default();
        build
            .get_or_create(&vec![(
                "version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            )])
            .set(1);
        registry.register("build_info", "Build information", build);
        Metrics {
            registry,
            requests,
            latency,
            started: Instant::now(),
        }
    }

    /// Counts one answered request and its latency.
    pub fn observe(&self, labels: RequestLabels, seconds: f64) {
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    /// The text exposition of every series plus process figures.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        if prometheus_client::encoding::text::encode_registry(&mut out, &self.registry).is_err() {
            out.clear();
        }
        let uptime = self.started.elapsed().as_secs_f64();
        out.push_str("# HELP process_uptime_seconds Seconds since the server started.\n");
        out.push_str("# TYPE process_uptime_seconds gauge\n");
        out.push_str(&format!("process_uptime_seconds {uptime:.3}\n"));
        if let Some(rss) = resident_bytes() {
            out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            out.push_str(&format!("process_resident_memory_bytes {rss}\n"));
        }
        out.push_str("# EOF\n");
        out
    }
}

/// Resident set size from `/proc/self/statm` (Linux), in bytes.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// `GET /metrics`.
pub(crate) async fn render(State(ctx): State<Ctx>) -> Response {
    let body = ctx.metrics.encode();
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

async fn track(face: &'static str, ctx: Ctx, request: Request, next: Next) -> Response {
    let route: std::borrow::Cow<'static, str> = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string().into())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(request).await;
    // RPC faces record per-method series themselves; plain routes are counted here.
    if response.extensions().get::<MethodRecorded>().is_none() {
        let outcome = format!("{}xx", response.status().as_u16() / 100).into();
        ctx.metrics.observe(
            RequestLabels {
                face,
                route,
                outcome,
            },
            started.elapsed().as_secs_f64(),
        );
    }
    response
}

/// Marks a response whose RPC method already recorded its own series.
#[derive(Clone, Copy, Debug)]
pub struct MethodRecorded;

pub(crate) async fn track_backoffice(
    State(ctx): State<Ctx>,
    request: Request,
    next: Next,
) -> Response {
    track("backoffice", ctx, request, next).await
}

pub(crate) async fn track_public(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    track("public", ctx, request, next).await
}
