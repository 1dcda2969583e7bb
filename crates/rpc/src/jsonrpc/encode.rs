//! JSON-RPC response encoding: result and error objects, batches, and the
//! JSON form of a [`Reply`].
//!
//! Output is compact UTF-8 JSON: `{"jsonrpc":"2.0","result":…,"id":…}`.
//! Every reply scalar is a JSON string, binary content a base64 string, so a
//! `result` is exactly the struct XML-RPC sends.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::reply::{Reply, ReplyValue};

use super::{ErrorObject, Id};

/// Encodes a success response: `{"jsonrpc":"2.0","result":R,"id":I}`.
pub fn encode_result(id: &Id, result: &Reply) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + reply_len(result));
    out.extend_from_slice(br#"{"jsonrpc":"2.0","result":"#);
    write_reply(&mut out, result);
    write_id(&mut out, id);
    out
}

/// Encodes an error response: `{"jsonrpc":"2.0","error":{…},"id":I}`.
pub fn encode_error(id: &Id, error: &ErrorObject) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + error.message.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","error":{"code":"#);
    out.extend_from_slice(error.code.to_string().as_bytes());
    out.extend_from_slice(br#","message":"#);
    write_string(&mut out, &error.message);
    if let Some(data) = &error.data {
        out.extend_from_slice(br#","data":"#);
        write_value(&mut out, data);
    }
    out.push(b'}');
    write_id(&mut out, id);
    out
}

/// Joins encoded responses into a batch answer `[r1,r2,…]`. The caller sends
/// nothing (HTTP 204) instead when there is no response at all.
pub fn encode_batch(responses: &[Vec<u8>]) -> Vec<u8> {
    let capacity = 2 + responses.iter().map(|item| item.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(capacity);
    out.push(b'[');
    for (idx, response) in responses.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        out.extend_from_slice(response);
    }
    out.push(b']');
    out
}

/// Encodes a reply alone as a JSON object.
pub fn encode_reply(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::with_capacity(reply_len(reply));
    write_reply(&mut out, reply);
    out
}

fn write_id(out: &mut Vec<u8>, id: &Id) {
    out.extend_from_slice(br#","id":"#);
    match id {
        Id::Null => out.extend_from_slice(b"null"),
        // The literal passed the JSON number grammar when it was read.
        Id::Number(literal) => out.extend_from_slice(literal.as_bytes()),
        Id::String(text) => write_string(out, text),
    }
    out.push(b'}');
}

fn write_reply(out: &mut Vec<u8>, reply: &Reply) {
    out.push(b'{');
    for (idx, (name, value)) in reply.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        write_string(out, name);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

fn write_value(out: &mut Vec<u8>, value: &ReplyValue) {
    match value {
        ReplyValue::String(text) => write_string(out, text),
        ReplyValue::Struct(members) => write_reply(out, members),
        ReplyValue::Array(items) => {
            out.push(b'[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        ReplyValue::Base64(bytes) => {
            out.push(b'"');
            out.extend_from_slice(BASE64.encode(bytes).as_bytes());
            out.push(b'"');
        }
    }
}

/// Writes a JSON string literal: `"` and `\` escaped, control characters as
/// short escapes or `\u00XX`, everything else as UTF-8.
fn write_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut clean_from = 0;
    for (idx, &byte) in bytes.iter().enumerate() {
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[clean_from..idx]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xF)]);
        } else {
            out.extend_from_slice(short);
        }
        clean_from = idx + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
    out.push(b'"');
}

/// Bytes of a reply's JSON before escaping (a capacity hint).
fn reply_len(reply: &Reply) -> usize {
    2 + reply
        .iter()
        .map(|(name, value)| name.len() + 4 + value_len(value))
        .sum::<usize>()
}

fn value_len(value: &ReplyValue) -> usize {
    match value {
        ReplyValue::String(text) => text.len() + 3,
        ReplyValue::Struct(members) => reply_len(members) + 1,
        ReplyValue::Array(items) => 2 + items.iter().map(value_len).sum::<usize>(),
        ReplyValue::Base64(bytes) => bytes.len().div_ceil(3) * 4 + 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_controls() {
        let mut out = Vec::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}é\u{7f}");
        assert_eq!(text(out), "\"a\\\"b\\\\c\\nd\\u0001é\u{7f}\"");
    }

    #[test]
    fn result_error_and_batch_shapes() {
        let result = encode_result(
            &Id::Number("7".into()),
            &Reply::new().with("error", "").with("paynum", "17"),
        );
        assert_eq!(
            text(result.clone()),
            r#"{"jsonrpc":"2.0","result":{"error":"","paynum":"17"},"id":7}"#
        );
        let error = encode_error(
            &Id::String("x".into()),
            &ErrorObject::method_not_found("foo"),
        );
        assert_eq!(
            text(error.clone()),
            r#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":"foo"},"id":"x"}"#
        );
        assert_eq!(
            text(encode_batch(&[result, error]))
                .matches("jsonrpc")
                .count(),
            2
        );
        assert_eq!(
            text(encode_error(
                &Id::Null,
                &ErrorObject::internal_error("ab12")
            )),
            r#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":{"ref":"ab12"}},"id":null}"#
        );
    }
}
