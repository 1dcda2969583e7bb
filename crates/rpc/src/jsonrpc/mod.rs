//! The JSON-RPC 2.0 wire format (backend-api.md 2.7, selfservice-api.md
//! 3.6): request bodies into [`Request`]s, results and error objects into
//! bytes.
//!
//! A body is one request or a batch ([`parse_body`]). Each request's `params`
//! become the same [`Args`] map XML-RPC produces: strings as given, numbers
//! as their literal in plain decimal notation, `true`/`false` as `1`/`0`,
//! `null` as nil, objects and arrays as composite values. A result is
//! written with exactly the struct XML-RPC would send ([`encode_result`]).
//! Which method exists, and what to do with notifications' answers, is the
//! server's business: it runs every request, and sends back only the
//! responses of requests that have an `id`.

mod encode;
mod json;

use std::borrow::Cow;

use crate::args::{args_from_params, args_from_struct, ArgRules, Args};
use crate::reply::{Reply, ReplyValue};
use crate::value::{ScalarType, Struct, Value, MAX_DEPTH, MAX_VALUES};

use json::Json;

pub use encode::{encode_batch, encode_error, encode_reply, encode_result};

/// `-32700`: the body is not valid JSON.
pub const PARSE_ERROR: i32 = -32700;
/// `-32600`: not a request object (or an empty batch).
pub const INVALID_REQUEST: i32 = -32600;
/// `-32601`: no such method.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// `-32602`: `params` is neither an object nor an acceptable array.
pub const INVALID_PARAMS: i32 = -32602;
/// `-32603`: an unexpected failure inside the server.
pub const INTERNAL_ERROR: i32 = -32603;

/// A request body: one entry, or a non-empty batch of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A single request object (or a single invalid value).
    Single(Entry),
    /// A JSON array of entries; answer with an array of responses.
    Batch(Vec<Entry>),
}

/// One element of a body: a request to run, or an invalid element to answer
/// with its error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A well-formed request (possibly a notification).
    Request(Request),
    /// Not a request object: answer `error` under `id` (always answered,
    /// even without an `id` member, as JSON-RPC 2.0 requires).
    Invalid {
        /// The request's `id` when it had a valid one, else `null`.
        id: Id,
        /// The `Invalid Request` error object.
        error: ErrorObject,
    },
}

/// A request object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The `method` member as sent (prefixes are the server's to strip).
    pub method: String,
    /// The `id` member; `None` makes the request a notification, run but
    /// never answered.
    pub id: Option<Id>,
    /// The `params` member, converted to values.
    pub params: Params,
}

/// A request's `params`, ready to become an argument map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params(ParamsInner);

#[derive(Debug, Clone, PartialEq, Eq)]
enum ParamsInner {
    Absent,
    Object(Struct),
    Array(Vec<Value>),
    /// Not an object or array, or beyond the value limits.
    Invalid,
}

/// A request `id`, echoed back in its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    /// `null`, also the id of answers to unreadable requests.
    Null,
    /// A number, kept as its literal so it is echoed byte for byte.
    Number(String),
    /// A string.
    String(String),
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorObject {
    /// The error code (one of this module's constants, or the server's).
    pub code: i32,
    /// The message, exactly as the spec words it.
    pub message: Cow<'static, str>,
    /// Optional `data` member.
    pub data: Option<ReplyValue>,
}

impl ErrorObject {
    /// An error object with any code, message and data.
    pub fn new(code: i32, message: impl Into<Cow<'static, str>>, data: Option<ReplyValue>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data,
        }
    }

    /// `-32700 Parse error`.
    pub fn parse_error() -> Self {
        ErrorObject::new(PARSE_ERROR, "Parse error", None)
    }

    /// `-32600 Invalid Request`.
    pub fn invalid_request() -> Self {
        ErrorObject::new(INVALID_REQUEST, "Invalid Request", None)
    }

    /// `-32601 Method not found`, `data` the name as sent (back office).
    pub fn method_not_found(method: &str) -> Self {
        ErrorObject::new(
            METHOD_NOT_FOUND,
            "Method not found",
            Some(ReplyValue::String(method.to_owned())),
        )
    }

    /// `-32602 Invalid params`.
    pub fn invalid_params() -> Self {
        ErrorObject::new(INVALID_PARAMS, "Invalid params", None)
    }

    /// `-32603 Internal error`, `data` `{"ref": ref_id}` naming the log
    /// entry that holds the details.
    pub fn internal_error(ref_id: &str) -> Self {
        ErrorObject::new(
            INTERNAL_ERROR,
            "Internal error",
            Some(ReplyValue::Struct(Reply::new().with("ref", ref_id))),
        )
    }
}

impl Request {
    /// Whether the request has no `id`: run it, send nothing back.
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }
}

impl Params {
    /// The argument map under `rules`: an object is the map; an array holding
    /// exactly one object is that object; another array is a flat key/value
    /// list when `rules.flat_json_arrays` allows it; no `params` is an empty
    /// map.
    ///
    /// # Errors
    ///
    /// [`ErrorObject::invalid_params`] for any other `params`, for values
    /// beyond the limits (nesting [`MAX_DEPTH`], [`MAX_VALUES`] values, a
    /// number too long to write out), and for a flat list the rules refuse.
    pub fn into_args(self, rules: &ArgRules) -> Result<Args, ErrorObject> {
        match self.0 {
            ParamsInner::Absent => Ok(Args::new()),
            ParamsInner::Object(members) => Ok(args_from_struct(members, rules)),
            ParamsInner::Array(items) => {
                let is_one_struct = items.len() == 1 && matches!(items[0], Value::Struct(_));
                if !rules.flat_json_arrays && !is_one_struct && !items.is_empty() {
                    return Err(ErrorObject::invalid_params());
                }
                args_from_params(items, rules).map_err(|_| ErrorObject::invalid_params())
            }
            ParamsInner::Invalid => Err(ErrorObject::invalid_params()),
        }
    }
}

/// Parses a JSON-RPC body.
///
/// # Errors
///
/// The error object to send alone, with `id` `null`: `Parse error` when the
/// body is not JSON, `Invalid Request` for an empty batch.
pub fn parse_body(body: &[u8]) -> Result<Body, ErrorObject> {
    let document = json::parse(body).map_err(|_| ErrorObject::parse_error())?;
    match document {
        Json::Array(items) if items.is_empty() => Err(ErrorObject::invalid_request()),
        Json::Array(items) => Ok(Body::Batch(items.into_iter().map(entry).collect())),
        other => Ok(Body::Single(entry(other))),
    }
}

fn entry(json: Json) -> Entry {
    let invalid = |id: Id| Entry::Invalid {
        id,
        error: ErrorObject::invalid_request(),
    };
    let Json::Object(members) = json else {
        return invalid(Id::Null);
    };
    let (mut version, mut method, mut params, mut id) = (None, None, None, None);
    // A repeated member keeps its later value, as everywhere else.
    for (name, value) in members {
        match name.as_str() {
            "jsonrpc" => version = Some(value),
            "method" => method = Some(value),
            "params" => params = Some(value),
            "id" => id = Some(value),
            _ => {}
        }
    }
    let id = match id {
        None => None,
        Some(Json::Null) => Some(Id::Null),
        Some(Json::Number(literal)) => Some(Id::Number(literal)),
        Some(Json::String(text)) => Some(Id::String(text)),
        Some(_) => return invalid(Id::Null),
    };
    let echo_id = || id.clone().unwrap_or(Id::Null);
    if !matches!(&version, Some(Json::String(text)) if text == "2.0") {
        return invalid(echo_id());
    }
    let Some(Json::String(method)) = method else {
        return invalid(echo_id());
    };
    Entry::Request(Request {
        method,
        id,
        params: Params(convert_params(params)),
    })
}

fn convert_params(params: Option<Json>) -> ParamsInner {
    let mut n_values = 0;
    let converted = match params {
        None => return ParamsInner::Absent,
        Some(Json::Object(members)) => {
            convert_members(members, 0, &mut n_values).map(ParamsInner::Object)
        }
        Some(Json::Array(items)) => convert_items(items, 0, &mut n_values).map(ParamsInner::Array),
        Some(_) => None,
    };
    converted.unwrap_or(ParamsInner::Invalid)
}

/// Converts a JSON value at composite depth `depth` (0 for a parameter that
/// is a scalar, 1 for a top-level struct or array); `None` beyond a limit.
fn convert(json: Json, depth: usize, n_values: &mut usize) -> Option<Value> {
    *n_values += 1;
    if *n_values > MAX_VALUES {
        return None;
    }
    let value = match json {
        Json::Null => Value::scalar(ScalarType::Nil, ""),
        Json::Bool(flag) => Value::scalar(ScalarType::Boolean, if flag { "1" } else { "0" }),
        Json::Number(literal) => {
            let ty = if literal
                .bytes()
                .all(|byte| byte == b'-' || byte.is_ascii_digit())
            {
                ScalarType::Int
            } else {
                ScalarType::Double
            };
            Value::scalar(ty, json::plain_decimal(&literal)?)
        }
        Json::String(text) => Value::string(text),
        Json::Array(items) if depth < MAX_DEPTH => {
            Value::Array(convert_items(items, depth + 1, n_values)?)
        }
        Json::Object(members) if depth < MAX_DEPTH => {
            Value::Struct(convert_members(members, depth + 1, n_values)?)
        }
        Json::Array(_) | Json::Object(_) => return None,
    };
    Some(value)
}

fn convert_items(items: Vec<Json>, depth: usize, n_values: &mut usize) -> Option<Vec<Value>> {
    items
        .into_iter()
        .map(|item| convert(item, depth, n_values))
        .collect()
}

fn convert_members(
    members: Vec<(String, Json)>,
    depth: usize,
    n_values: &mut usize,
) -> Option<Struct> {
    let members = members
        .into_iter()
        .map(|(name, value)| Some((name, convert(value, depth, n_values)?)))
        .collect::<Option<Vec<_>>>()?;
    Some(Struct::from_members(members))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_request(body: &str) -> Request {
        match parse_body(body.as_bytes()) {
            Ok(Body::Single(Entry::Request(request))) => request,
            other => panic!("not a single request: {other:?}"),
        }
    }

    #[test]
    fn numbers_get_types_and_plain_text() {
        let request = single_request(
            r#"{"jsonrpc":"2.0","method":"m","id":1,"params":{"a":181318,"b":54.30,"c":1e3,"d":true,"e":null}}"#,
        );
        let args = request.params.into_args(&ArgRules::BACKOFFICE).unwrap();
        let scalar = |key| args.scalar(key).unwrap().clone();
        assert_eq!(scalar("a").text(), "181318");
        assert!(scalar("a").is_integer_typed());
        assert_eq!(scalar("b").text(), "54.30");
        assert_eq!(scalar("b").ty(), ScalarType::Double);
        assert_eq!(scalar("c").text(), "1000");
        assert_eq!(scalar("d").text(), "1");
        assert_eq!(scalar("e").text(), "");
    }

    #[test]
    fn composite_depth_limit_applies_inside_params() {
        let nested = |depth: usize| {
            format!(
                r#"{{"jsonrpc":"2.0","method":"m","id":1,"params":{{"k":{}1{}}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        let ok = single_request(&nested(MAX_DEPTH));
        assert!(ok.params.into_args(&ArgRules::BACKOFFICE).is_ok());
        let too_deep = single_request(&nested(MAX_DEPTH + 1));
        assert_eq!(
            too_deep.params.into_args(&ArgRules::BACKOFFICE),
            Err(ErrorObject::invalid_params())
        );
    }
}
