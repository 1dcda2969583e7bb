//! XML-RPC response encoding: a [`Reply`] or a fault into the exact bytes
//! Bursar sends (backend-api.md 2.5, selfservice-api.md 3.4 and 3.5).
//!
//! Layout: the declaration `<?xml version="1.0" encoding="UTF-8"?>`, no
//! whitespace between elements, every scalar as `<string>` (`<string/>` when
//! empty), members in the order the reply holds them. Text escapes `&`, `<`
//! and `>`, writes `\r` as `&#13;` so it survives the receiver's line-end
//! normalisation, and drops characters XML 1.0 cannot carry (most C0
//! controls, U+FFFE, U+FFFF), which would otherwise make the whole response
//! unreadable. Each response is written into one buffer sized up front.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::reply::{Reply, ReplyValue};

const DECLARATION: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>"#;
const RESPONSE_START: &[u8] = b"<methodResponse><params><param><value>";
const RESPONSE_END: &[u8] = b"</value></param></params></methodResponse>";
const FAULT_START: &[u8] = b"<methodResponse><fault><value>";
const FAULT_END: &[u8] = b"</value></fault></methodResponse>";

/// Encodes a successful result: one param holding the reply's struct.
pub fn encode_response(reply: &Reply) -> Vec<u8> {
    let capacity =
        DECLARATION.len() + RESPONSE_START.len() + struct_len(reply) + RESPONSE_END.len();
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(DECLARATION);
    out.extend_from_slice(RESPONSE_START);
    write_struct(&mut out, reply);
    out.extend_from_slice(RESPONSE_END);
    out
}

/// Encodes a fault with a string `faultCode` (`Client` or `Server`, as
/// SOAP::Lite sends it) and a `faultString`.
pub fn encode_fault(code: &str, string: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(260 + code.len() + string.len());
    out.extend_from_slice(DECLARATION);
    out.extend_from_slice(FAULT_START);
    out.extend_from_slice(b"<struct>");
    write_member(&mut out, "faultCode", |out| write_string(out, code));
    write_member(&mut out, "faultString", |out| write_string(out, string));
    out.extend_from_slice(b"</struct>");
    out.extend_from_slice(FAULT_END);
    out
}

fn write_struct(out: &mut Vec<u8>, reply: &Reply) {
    out.extend_from_slice(b"<struct>");
    for (name, value) in reply.iter() {
        write_member(out, name, |out| write_value_content(out, value));
    }
    out.extend_from_slice(b"</struct>");
}

fn write_member(out: &mut Vec<u8>, name: &str, write_content: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(b"<member><name>");
    write_text(out, name);
    out.extend_from_slice(b"</name><value>");
    write_content(out);
    out.extend_from_slice(b"</value></member>");
}

/// Writes what goes between `<value>` and `</value>`.
fn write_value_content(out: &mut Vec<u8>, value: &ReplyValue) {
    match value {
        ReplyValue::String(text) => write_string(out, text),
        ReplyValue::Struct(members) => write_struct(out, members),
        ReplyValue::Array(items) => {
            out.extend_from_slice(b"<array><data>");
            for item in items {
                out.extend_from_slice(b"<value>");
                write_value_content(out, item);
                out.extend_from_slice(b"</value>");
            }
            out.extend_from_slice(b"</data></array>");
        }
        ReplyValue::Base64(bytes) => {
            out.extend_from_slice(b"<base64>");
            let start = out.len();
            out.resize(start + base64_len(bytes.len()), 0);
            let written = BASE64
                .encode_slice(bytes, &mut out[start..])
                .unwrap_or_default();
            out.truncate(start + written);
            out.extend_from_slice(b"</base64>");
        }
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    if text.is_empty() {
        out.extend_from_slice(b"<string/>");
    } else {
        out.extend_from_slice(b"<string>");
        write_text(out, text);
        out.extend_from_slice(b"</string>");
    }
}

/// Writes escaped character data.
fn write_text(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|&byte| needs_care(byte)) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut clean_from = 0;
    for (idx, c) in text.char_indices() {
        let replacement: &[u8] = match c {
            '&' => b"&amp;",
            '<' => b"&lt;",
            '>' => b"&gt;",
            '\r' => b"&#13;",
            '\t' | '\n' => continue,
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[clean_from..idx]);
        out.extend_from_slice(replacement);
        clean_from = idx + c.len_utf8();
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

/// Whether a byte may start something [`write_text`] must change: markup
/// characters, C0 controls, and 0xEF, the lead byte of U+FFFE and U+FFFF.
fn needs_care(byte: u8) -> bool {
    matches!(byte, b'&' | b'<' | b'>' | 0x00..=0x1F | 0xEF)
}

fn base64_len(n_bytes: usize) -> usize {
    n_bytes.div_ceil(3) * 4
}

/// Bytes of a struct's encoding before escaping: exact for plain text, a
/// little short when text needs escapes.
fn struct_len(reply: &Reply) -> usize {
    const STRUCT_TAGS: usize = "<struct></struct>".len();
    const MEMBER_TAGS: usize = "<member><name></name><value></value></member>".len();
    STRUCT_TAGS
        + reply
            .iter()
            .map(|(name, value)| MEMBER_TAGS + name.len() + value_content_len(value))
            .sum::<usize>()
}

fn value_content_len(value: &ReplyValue) -> usize {
    match value {
        ReplyValue::String(text) if text.is_empty() => "<string/>".len(),
        ReplyValue::String(text) => "<string></string>".len() + text.len(),
        ReplyValue::Struct(members) => struct_len(members),
        ReplyValue::Array(items) => {
            "<array><data></data></array>".len()
                + items
                    .iter()
                    .map(|item| "<value></value>".len() + value_content_len(item))
                    .sum::<usize>()
        }
        ReplyValue::Base64(bytes) => "<base64></base64>".len() + base64_len(bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> String {
        let mut out = Vec::new();
        write_text(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_escapes_markup_and_carriage_return_and_drops_non_xml_characters() {
        assert_eq!(text("a&b<c>d"), "a&amp;b&lt;c&gt;d");
        assert_eq!(text("l1\r\nl2\tx"), "l1&#13;\nl2\tx");
        assert_eq!(text("bell\u{7}nul\u{0}end\u{FFFE}\u{FFFF}"), "bellnulend");
        assert_eq!(
            text("quotes \"' stay, é€ too\u{FFFD}"),
            "quotes \"' stay, é€ too\u{FFFD}"
        );
    }

    #[test]
    fn capacity_estimate_is_exact_for_plain_text() {
        let reply = Reply::new()
            .with("error", "")
            .with("paynum", "17")
            .with("list", vec![Reply::new().with("a", "b")])
            .with("pdf", ReplyValue::Base64(b"%PDF-1.4".to_vec()));
        let bytes = encode_response(&reply);
        let estimate =
            DECLARATION.len() + RESPONSE_START.len() + struct_len(&reply) + RESPONSE_END.len();
        assert_eq!(bytes.len(), estimate);
    }
}
