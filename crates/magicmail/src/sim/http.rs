//! The emulator's HTTP faces: the MagicMail API under `/api/v2` (one
//! fallback handler: route, authenticate, check `client_type`, decode
//! parameters, consult the faults, apply the rules, reply) and the
//! `/_sim/` control API (JSON).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode, Version};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::Engine as _;

use super::fault::{reshape, CallFacts, FaultEffect};
use super::server::ConnControl;
use super::state::{op_name, ApiError, Call, Outcome};
use super::{FaultId, LoggedRequest, PurgeBody, Shared, SimClient, Snapshot};
use crate::xml::Element;

const RESOURCES: &[&str] = &["account", "user", "user_package", "emailaddress", "domain"];

/// The emulator's router.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new();
    if shared.config.control_api {
        router = router
            .route("/_sim/state", get(get_state).put(put_state))
            .route("/_sim/log", get(get_log))
            .route("/_sim/reset", post(post_reset))
            .route("/_sim/faults", post(post_fault).delete(delete_faults));
    }
    router.fallback(api).with_state(shared)
}

/// What the connection does after a call.
enum Action {
    Respond(Response),
    Hang,
    Drop { reset: bool },
}

async fn api(
    State(shared): State<Arc<Shared>>,
    control: Option<Extension<Arc<ConnControl>>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    };
    // The call runs on its own task, so a client that gives up cannot
    // cancel a change half-way: what a call does is decided by the server.
    let task = tokio::spawn(async move { process(&shared, &parts, &body).await });
    match task.await {
        Ok(Action::Respond(response)) => response,
        Ok(Action::Hang) => std::future::pending().await,
        Ok(Action::Drop { reset }) => {
            if let Some(Extension(control)) = control {
                control.drop_connection(reset);
            }
            std::future::pending().await
        }
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "emulator task failed"),
    }
}

/// The log entry of the call being processed.
struct Entry {
    logged: LoggedRequest,
}

impl Entry {
    fn finish(mut self, shared: &Shared, status: Option<u16>, fault: Option<FaultId>) {
        self.logged.status = status;
        self.logged.fault = fault;
        tracing::debug!(
            op = %self.logged.op,
            id = ?self.logged.id,
            status = ?status,
            fault = ?fault,
            "magicmail-sim call"
        );
        shared.lock().log.push(self.logged);
    }
}

async fn process(shared: &Shared, parts: &http::request::Parts, body: &Bytes) -> Action {
    let method = parts.method.as_str().to_string();
    let mut entry = Entry {
        logged: LoggedRequest {
            method: method.clone(),
            resource: String::new(),
            op: String::new(),
            id: None,
            params: BTreeMap::new(),
            auth_ok: false,
            status: None,
            fault: None,
        },
    };

    // Route.
    let path = parts.uri.path();
    let Some((resource, raw_id)) = split_route(path) else {
        return respond(shared, entry, None, unknown_route());
    };
    entry.logged.resource = resource.to_string();
    let id = match raw_id {
        None => None,
        Some(raw) => match percent_encoding::percent_decode_str(raw).decode_utf8() {
            Ok(id) => Some(id.into_owned()),
            Err(_) => return respond(shared, entry, None, unknown_route()),
        },
    };
    entry.logged.id = id.clone();
    if method != "GET" && method != "POST" {
        return respond(shared, entry, None, unknown_route());
    }

    // Authenticate.
    let client = authenticate(&parts.headers, &shared.config.clients);
    entry.logged.auth_ok = client.is_some();

    // Parameters: the query string for GET, the form body for POST.
    let params = match decode_params(&method, parts, body) {
        Ok(params) => params,
        Err(message) => {
            let response = error_response(400, "error.invalid_parameter", &message);
            return respond(shared, entry, None, response);
        }
    };
    entry.logged.params = params
        .iter()
        .map(|(k, v)| {
            let shown = if k == "password" { "***" } else { v.as_str() };
            (k.clone(), shown.to_string())
        })
        .collect();
    let Some(client) = client else {
        let response = error_response(401, "error.authentication_failed", "Authentication failed");
        return respond(shared, entry, None, response);
    };
    let mut params = params;
    match params.remove("client_type") {
        Some(client_type) if client_type == client.client_type => {}
        _ => {
            let response = error_response(
                400,
                "error.invalid_client_type",
                "Missing or invalid client_type",
            );
            return respond(shared, entry, None, response);
        }
    }
    let op = match op_name(&method, resource, id.is_some(), &params) {
        None => return respond(shared, entry, None, unknown_route()),
        Some(Err(e)) => {
            let response = api_error(shared, &e);
            return respond(shared, entry, None, response);
        }
        Some(Ok(op)) => op,
    };
    entry.logged.op = op.to_string();

    // Faults.
    let facts = CallFacts {
        op,
        method: &method,
        resource,
        id: id.as_deref(),
        params: &params,
    };
    let fired = {
        let mut inner = shared.lock();
        let mut fired = None;
        for active in &mut inner.faults {
            if active.fault.matcher.matches(&facts) {
                active.matched += 1;
                if fired.is_none() && active.fault.matcher.fires(active.matched) {
                    fired = Some((active.id, active.fault.effect.clone()));
                }
            }
        }
        fired
    };
    let fault_id = fired.as_ref().map(|(id, _)| *id);
    let effect = fired.map(|(_, effect)| effect);

    if let Some(effect) = &effect {
        if !effect.applies() {
            return fail(shared, entry, fault_id, effect);
        }
        if let FaultEffect::Delay { ms } = effect {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
        }
    }

    // Apply.
    let call = Call {
        op,
        id: id.as_deref(),
        params: &params,
        client: &client,
    };
    let result = {
        let mut inner = shared.lock();
        let result = inner.state.apply(&shared.rules, &call);
        if matches!(result, Ok((true, _))) {
            shared.persist(&inner.state);
        }
        result
    };
    let mut response = match result {
        Ok((_, Outcome::Reply(mut root))) => {
            if let Some(effect) = &effect {
                reshape(&mut root, effect);
            }
            xml_response(200, &root)
        }
        Ok((_, Outcome::Purged)) => match shared.config.purge_body {
            PurgeBody::Empty => body_response(200, "text/xml; charset=utf-8", String::new()),
            PurgeBody::Xml => xml_response(
                200,
                &Element::new("response").with(Element::text("result", "ok")),
            ),
        },
        Err(e) => api_error(shared, &e),
    };
    match &effect {
        Some(FaultEffect::ApplyThenFail { then }) if !then.applies() => {
            return fail(shared, entry, fault_id, then);
        }
        Some(FaultEffect::Chunked) => response = chunked(response).await,
        Some(FaultEffect::Http10) => *response.version_mut() = Version::HTTP_10,
        _ => {}
    }
    respond(shared, entry, fault_id, response)
}

fn respond(shared: &Shared, entry: Entry, fault: Option<FaultId>, response: Response) -> Action {
    entry.finish(shared, Some(response.status().as_u16()), fault);
    Action::Respond(response)
}

/// The reply of an effect that does not apply the call.
fn fail(shared: &Shared, entry: Entry, fault: Option<FaultId>, effect: &FaultEffect) -> Action {
    let response = match effect {
        FaultEffect::ApiError {
            code,
            message,
            status,
        } => error_response(*status, code, message),
        FaultEffect::Status { status, body } => {
            body_response(*status, "text/html; charset=utf-8", body.clone())
        }
        FaultEffect::Body {
            status,
            body,
            content_type,
        } => body_response(*status, content_type, body.clone()),
        FaultEffect::Hang => {
            entry.finish(shared, None, fault);
            return Action::Hang;
        }
        FaultEffect::Close | FaultEffect::Reset => {
            entry.finish(shared, None, fault);
            return Action::Drop {
                reset: matches!(effect, FaultEffect::Reset),
            };
        }
        _ => unreachable!("only effects that do not apply get here"),
    };
    respond(shared, entry, fault, response)
}

/// `/api/v2/{resource}[/{id}]`, with an empty id read as none.
fn split_route(path: &str) -> Option<(&'static str, Option<&str>)> {
    let rest = path.strip_prefix("/api/v2/")?;
    let (resource, id) = match rest.split_once('/') {
        Some((resource, id)) => (resource, Some(id).filter(|id| !id.is_empty())),
        None => (rest, None),
    };
    if id.is_some_and(|id| id.contains('/')) {
        return None;
    }
    let resource = RESOURCES.iter().find(|r| **r == resource)?;
    Some((resource, id))
}

fn authenticate(headers: &HeaderMap, clients: &[SimClient]) -> Option<SimClient> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, password) = decoded.split_once(':')?;
    clients
        .iter()
        .find(|c| c.id == id && c.password == password)
        .cloned()
}

fn decode_params(
    method: &str,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<BTreeMap<String, String>, String> {
    let query = parts.uri.query().unwrap_or_default();
    let encoded: &[u8] = if method == "GET" {
        query.as_bytes()
    } else {
        if !query.is_empty() {
            return Err("POST parameters belong in the body, not the query string".into());
        }
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
        {
            return Err(format!(
                "POST body must be application/x-www-form-urlencoded, not {content_type:?}"
            ));
        }
        body
    };
    let mut params = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(encoded) {
        if params
            .insert(name.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(format!("parameter {name} given twice"));
        }
    }
    Ok(params)
}

fn xml_response(status: u16, root: &Element) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        root.to_xml()
    );
    body_response(status, "text/xml; charset=utf-8", body)
}

fn error_response(status: u16, code: &str, message: &str) -> Response {
    let error = Element::new("error")
        .with(Element::text("code", code))
        .with(Element::text("message", message));
    xml_response(status, &Element::new("response").with(error))
}

fn api_error(shared: &Shared, error: &ApiError) -> Response {
    error_response(shared.config.error_status, &error.code, &error.message)
}

fn unknown_route() -> Response {
    error_response(404, "error.unknown_route", "No such route")
}

fn body_response(status: u16, content_type: &str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = body_response(status.as_u16(), "text/plain; charset=utf-8", text.into());
    *response.status_mut() = status;
    response
}

/// The same reply with a body of unknown length, so HTTP/1.1 sends it
/// chunked.
async fn chunked(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let middle = bytes.len() / 2;
    let pieces = vec![
        Ok::<_, Infallible>(bytes.slice(..middle)),
        Ok(bytes.slice(middle..)),
    ];
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(pieces)))
}

// The /_sim/ control API.

fn json_response<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string_pretty(value) {
        Ok(text) => body_response(200, "application/json", text),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn get_state(State(shared): State<Arc<Shared>>) -> Response {
    let state = shared.lock().state.clone();
    json_response(&state)
}

async fn put_state(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Snapshot>(&body) {
        Ok(state) => {
            shared.set_state(state);
            json_response(&serde_json::json!({"ok": true}))
        }
        Err(e) => plain(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

async fn get_log(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.lock().log.clone();
    json_response(&log)
}

async fn post_reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    json_response(&serde_json::json!({"ok": true}))
}

async fn post_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<super::Fault>(&body) {
        Ok(fault) => {
            let id = shared.add_fault(fault);
            json_response(&serde_json::json!({"id": id}))
        }
        Err(e) => plain(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

async fn delete_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().faults.clear();
    json_response(&serde_json::json!({"ok": true}))
}
