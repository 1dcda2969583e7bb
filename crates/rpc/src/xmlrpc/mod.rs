//! The XML-RPC wire format: request decoding and response encoding.
//!
//! [`decode_call`] reads a `<methodCall>` body into a [`MethodCall`];
//! [`encode_response`] and [`encode_fault`] write `<methodResponse>` bodies.
//! HTTP (content types, compression, status) and fault wording belong to the
//! server; this module only knows the XML.

mod charset;
mod decode;
mod encode;

pub use decode::{decode_call, MethodCall};
pub use encode::{encode_fault, encode_response};
