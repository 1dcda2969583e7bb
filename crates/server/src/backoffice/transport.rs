//! The back-office transports: XML-RPC on every `POST` path but `/jsonrpc`,
//! JSON-RPC 2.0 on `POST /jsonrpc`. HTTP rules of backend spec 2.2: 200 for
//! results, API errors and faults alike; `text/xml` without charset; 405
//! with `Allow: POST` for other methods; 413 above the body limit; 403 for
//! peers outside the allow-list; `deflate`/`gzip` bodies inflated under the
//! same limit.

use std::io::Read;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{ALLOW, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use bursar_rpc::jsonrpc::{self, Body, Entry, ErrorObject, Id};
use bursar_rpc::{args_from_params, xmlrpc as codec, ArgRules, Reply};

use super::{dispatch, Outcome};
use crate::metrics::MethodRecorded;
use crate::Ctx;

const DESERIALIZATION: &str = "Application failed during request deserialization: ";

fn plain(status: StatusCode) -> Response {
    let mut response = status.into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

fn with_type(
    ctx: &Ctx,
    version: Version,
    headers: &HeaderMap,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let client_closes = headers
        .get(CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    if !ctx.backoffice.keep_alive || version == Version::HTTP_10 || client_closes {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response.extensions_mut().insert(MethodRecorded);
    response
}

/// Inflates a `deflate` or `gzip` body, refusing more than `limit` bytes.
fn inflate(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, StatusCode> {
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let mut out = Vec::new();
    let read = match encoding.as_str() {
        "" | "identity" => return Ok(body),
        "deflate" => {
            // Some clients send raw deflate, others zlib-wrapped: try zlib first.
            let zlib = flate2::read::ZlibDecoder::new(&body[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut out);
            if zlib.is_err() {
                out.clear();
                flate2::read::DeflateDecoder::new(&body[..])
                    .take(limit as u64 + 1)
                    .read_to_end(&mut out)
            } else {
                zlib
            }
        }
        "gzip" | "x-gzip" => flate2::read::GzDecoder::new(&body[..])
            .take(limit as u64 + 1)
            .read_to_end(&mut out),
        _ => return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE),
    };
    match read {
        Ok(_) if out.len() > limit => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(_) => Ok(Bytes::from(out)),
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

/// Checks the peer, the HTTP method and the body size; inflates the body.
fn admit(
    ctx: &Ctx,
    peer: SocketAddr,
    method: &Method,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Bytes, Box<Response>> {
    if !ctx.backoffice.allows(peer.ip()) {
        return Err(Box::new(plain(StatusCode::FORBIDDEN)));
    }
    if ctx.backoffice.throttle().blocked(peer.ip()) {
        return Err(Box::new(plain(StatusCode::TOO_MANY_REQUESTS)));
    }
    if method != Method::POST {
        return Err(Box::new(plain(StatusCode::METHOD_NOT_ALLOWED)));
    }
    if body.len() > ctx.backoffice.max_body {
        return Err(Box::new(plain(StatusCode::PAYLOAD_TOO_LARGE)));
    }
    inflate(headers, body, ctx.backoffice.max_body).map_err(|status| Box::new(plain(status)))
}

/// XML-RPC: every path but `/jsonrpc`, `/healthz` and `/metrics`.
pub(crate) async fn xmlrpc(
    State(ctx): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match admit(&ctx, peer, &method, &headers, body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let fault = |code: &str, string: &str| {
        with_type(
            &ctx,
            version,
            &headers,
            "text/xml",
            codec::encode_fault(code, string),
        )
    };
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        let text = content_type.to_str().unwrap_or("");
        let media = text
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !matches!(media.as_str(), "text/xml" | "application/xml" | "") {
            return fault(
                "Client",
                &format!("Content-Type must be 'text/xml,' 'multipart/*,' or 'application/dime' instead of '{text}'"),
            );
        }
    }
    let call = match codec::decode_call(&body) {
        Ok(call) => call,
        Err(error) => return fault("Client", &format!("{DESERIALIZATION}{error}")),
    };
    let codec::MethodCall {
        method_name,
        params,
    } = call;
    let args = match args_from_params(params, &ArgRules::BACKOFFICE) {
        Ok(args) => args,
        Err(error) => return fault("Client", &format!("{DESERIALIZATION}{error}")),
    };
    match dispatch(&ctx, &method_name, args).await {
        Outcome::Reply(reply) => {
            note_denial(&ctx, peer, &reply);
            with_type(
                &ctx,
                version,
                &headers,
                "text/xml",
                codec::encode_response(&reply),
            )
        }
        Outcome::UnknownMethod(string) => fault("Client", &string),
        Outcome::Internal(ref_id) => fault(
            "Server",
            &format!("Application failed during method execution: internal error (ref {ref_id})"),
        ),
    }
}

/// Counts a wrong secret against the peer (for throttling).
fn note_denial(ctx: &Ctx, peer: SocketAddr, reply: &Reply) {
    if reply.len() == 1 && reply.str("error") == Some(super::INCORRECT_SECRET) {
        ctx.backoffice.throttle().record_failure(peer.ip());
    }
}

/// JSON-RPC 2.0 at `/jsonrpc`.
pub(crate) async fn jsonrpc(
    State(ctx): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match admit(&ctx, peer, &method, &headers, body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let respond = |bytes: Vec<u8>| with_type(&ctx, version, &headers, "application/json", bytes);
    let entries = match jsonrpc::parse_body(&body) {
        Ok(Body::Single(entry)) => {
            return match run_entry(&ctx, peer, entry).await {
                Some(bytes) => respond(bytes),
                None => {
                    let mut response = StatusCode::NO_CONTENT.into_response();
                    response.extensions_mut().insert(MethodRecorded);
                    response
                }
            }
        }
        Ok(Body::Batch(entries)) => entries,
        Err(error) => return respond(jsonrpc::encode_error(&Id::Null, &error)),
    };
    let mut answers = Vec::with_capacity(entries.len());
    for entry in entries {
        if let Some(bytes) = run_entry(&ctx, peer, entry).await {
            answers.push(bytes);
        }
    }
    if answers.is_empty() {
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.extensions_mut().insert(MethodRecorded);
        return response;
    }
    respond(jsonrpc::encode_batch(&answers))
}

/// Runs one JSON-RPC entry; `None` for a notification.
async fn run_entry(ctx: &Ctx, peer: SocketAddr, entry: Entry) -> Option<Vec<u8>> {
    let request = match entry {
        Entry::Invalid { id, error } => return Some(jsonrpc::encode_error(&id, &error)),
        Entry::Request(request) => request,
    };
    let id = request.id.clone();
    let answer: Result<Reply, ErrorObject> = match request.params.into_args(&ArgRules::BACKOFFICE) {
        Err(error) => Err(error),
        Ok(args) => match dispatch(ctx, &request.method, args).await {
            Outcome::Reply(reply) => {
                note_denial(ctx, peer, &reply);
                Ok(reply)
            }
            Outcome::UnknownMethod(_) => Err(ErrorObject::method_not_found(&request.method)),
            Outcome::Internal(ref_id) => Err(ErrorObject::internal_error(&ref_id.to_string())),
        },
    };
    let id = id?;
    Some(match answer {
        Ok(reply) => jsonrpc::encode_result(&id, &reply),
        Err(error) => jsonrpc::encode_error(&id, &error),
    })
}
