//! `bursar-rpc`: the wire codecs of Bursar's RPC faces, XML-RPC and
//! JSON-RPC 2.0. Formats only: no business rules, no HTTP, no database.
//!
//! Code map:
//!
//! - `value`: [`Value`], the decoded request tree. Scalars keep their literal
//!   text and the [`ScalarType`] they arrived in; [`Struct`] keeps members in
//!   wire order, a repeated name keeping its later value. Limits
//!   [`MAX_DEPTH`] and [`MAX_VALUES`].
//! - `args`: [`Args`], the argument map a service function reads, built from
//!   a call's parameters by [`args_from_params`] under [`ArgRules`]
//!   (`BACKOFFICE` or `SELFSERVICE`: flat key/value list or one struct).
//! - `reply`: [`Reply`] and [`ReplyValue`], what a method returns: strings,
//!   structs, arrays (and base64 for binary content), in a fixed order.
//! - `xmlrpc`: `decode_call` (body → [`xmlrpc::MethodCall`]),
//!   `encode_response`, `encode_fault`.
//! - `jsonrpc`: `parse_body` (body → one request or a batch), request
//!   arguments under the same [`ArgRules`], response and error encoding.
//! - `error`: [`DecodeError`] (XML-RPC body refused; its `Display` is the
//!   fault detail), [`ArgsError`], and [`Error`] wrapping both. JSON-RPC
//!   protocol errors are wire objects, `jsonrpc::ErrorObject`.
//!
//! **Architecture Invariant:** both codecs decode into the same [`Value`] /
//! [`Args`] and encode the same [`Reply`], so a service function never knows
//! which wire format called it, and a JSON-RPC `result` is exactly the
//! XML-RPC struct.
//!
//! **Architecture Invariant:** decoding never panics, whatever the bytes;
//! a hostile body ends in an error value. Nesting is bounded before anything
//! recurses on it (the XML decoder does not recurse at all).
//!
//! **Architecture Invariant:** nothing here knows a method, a key or a
//! business rule; the server maps errors to wire faults and fault strings
//! (`Application failed during request deserialization: ` + the
//! `DecodeError`'s `Display`).

mod args;
mod error;
pub mod jsonrpc;
mod reply;
mod value;
pub mod xmlrpc;

pub use args::{args_from_params, args_from_struct, ArgRules, Args, NilRule, OddCount};
pub use error::{ArgsError, DecodeError, Error, Position, Result};
pub use reply::{Reply, ReplyValue};
pub use value::{Scalar, ScalarType, Struct, Value, MAX_DEPTH, MAX_VALUES};
