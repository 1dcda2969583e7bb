//! Character encodings of XML-RPC request bodies: reads the encoding
//! declaration and turns the body into UTF-8 text before any XML parsing.
//!
//! Accepted: UTF-8 (the default, with or without byte order mark), US-ASCII,
//! and ISO-8859-1 / windows-1252. Like web browsers (and the WHATWG encoding
//! standard), an `iso-8859-1` label is read as windows-1252: the two differ
//! only in bytes 0x80–0x9F, which are control characters in ISO-8859-1 and
//! which real "Latin-1" senders mean as windows-1252 punctuation (`€`, `’`).
//! Anything else, UTF-16 included, is refused.

use std::borrow::Cow;

use crate::error::{DecodeError, Position};

/// An encoding Bursar reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Ascii,
    Windows1252,
}

/// The body as UTF-8 text, the byte order mark removed.
///
/// # Errors
///
/// An unknown or UTF-16 encoding, a malformed declaration, or bytes invalid
/// in the declared encoding.
pub(crate) fn decode_text(body: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    if body.starts_with(&[0xFE, 0xFF]) || body.starts_with(&[0xFF, 0xFE]) {
        return Err(DecodeError::UnsupportedEncoding("UTF-16".to_owned()));
    }
    let (body, has_bom) = match body.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    let charset = match declared_encoding(body)? {
        _ if has_bom => Charset::Utf8,
        Some(label) => charset_of_label(label)?,
        None => Charset::Utf8,
    };
    match charset {
        Charset::Utf8 => {
            std::str::from_utf8(body)
                .map(Cow::Borrowed)
                .map_err(|err| DecodeError::InvalidBytes {
                    encoding: "UTF-8",
                    offset: err.valid_up_to(),
                })
        }
        Charset::Ascii => match body.iter().position(|byte| !byte.is_ascii()) {
            Some(offset) => Err(DecodeError::InvalidBytes {
                encoding: "US-ASCII",
                offset,
            }),
            None => Ok(Cow::Borrowed(ascii_str(body))),
        },
        Charset::Windows1252 => {
            if body.is_ascii() {
                return Ok(Cow::Borrowed(ascii_str(body)));
            }
            Ok(Cow::Owned(
                body.iter().map(|&byte| windows_1252_char(byte)).collect(),
            ))
        }
    }
}

fn ascii_str(body: &[u8]) -> &str {
    // ASCII is valid UTF-8; the fallback is never taken.
    std::str::from_utf8(body).unwrap_or_default()
}

fn charset_of_label(label: &[u8]) -> Result<Charset, DecodeError> {
    let label = String::from_utf8_lossy(label).trim().to_ascii_lowercase();
    match label.as_str() {
        "utf-8" | "utf8" => Ok(Charset::Utf8),
        "us-ascii" | "ascii" | "ansi_x3.4-1968" | "iso646-us" => Ok(Charset::Ascii),
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "latin1" | "latin-1"
        | "l1" | "windows-1252" | "cp1252" | "x-cp1252" => Ok(Charset::Windows1252),
        _ => Err(DecodeError::UnsupportedEncoding(label)),
    }
}

/// The value of the `encoding` pseudo-attribute of a leading XML
/// declaration, if there is one. All accepted encodings are ASCII-compatible,
/// so the declaration can be read from the raw bytes.
fn declared_encoding(body: &[u8]) -> Result<Option<&[u8]>, DecodeError> {
    let Some(rest) = body.strip_prefix(b"<?xml") else {
        return Ok(None);
    };
    if !rest.first().is_some_and(|byte| byte.is_ascii_whitespace()) {
        // `<?xml-stylesheet …?>` and the like, or `<?xml?>`: not a
        // declaration; the XML parser judges it.
        return Ok(None);
    }
    let Some(end) = rest.windows(2).position(|pair| pair == b"?>") else {
        // Unterminated: the XML parser reports it with a position.
        return Ok(None);
    };
    let malformed = || DecodeError::Malformed {
        detail: "malformed XML declaration".to_owned(),
        at: Position { line: 1, column: 1 },
    };
    let mut attrs = &rest[..end];
    let mut encoding = None;
    loop {
        attrs = trim_start(attrs);
        if attrs.is_empty() {
            return Ok(encoding);
        }
        let name_len = attrs
            .iter()
            .position(|byte| !(byte.is_ascii_alphanumeric() || b"_.:-".contains(byte)))
            .unwrap_or(attrs.len());
        let (name, after_name) = attrs.split_at(name_len);
        let after_eq = trim_start(after_name)
            .strip_prefix(b"=")
            .ok_or_else(malformed)?;
        let after_eq = trim_start(after_eq);
        let (&quote, quoted) = after_eq.split_first().ok_or_else(malformed)?;
        if name.is_empty() || (quote != b'"' && quote != b'\'') {
            return Err(malformed());
        }
        let value_len = quoted
            .iter()
            .position(|&byte| byte == quote)
            .ok_or_else(malformed)?;
        if name == b"encoding" {
            encoding = Some(&quoted[..value_len]);
        }
        attrs = &quoted[value_len + 1..];
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n_blank = bytes
        .iter()
        .take_while(|byte| byte.is_ascii_whitespace())
        .count();
    &bytes[n_blank..]
}

/// Windows-1252 byte to character; the five bytes it leaves undefined map to
/// the C1 control of the same number, as in the WHATWG encoding standard.
fn windows_1252_char(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}',
        '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &[u8], expected: Result<&str, &str>) {
        let got = decode_text(body).map_err(|err| err.to_string());
        assert_eq!(got.as_deref().map_err(String::as_str), expected);
    }

    #[test]
    fn utf8_is_the_default_and_the_bom_is_dropped() {
        check("<a>é</a>".as_bytes(), Ok("<a>é</a>"));
        check(b"\xEF\xBB\xBF<a/>", Ok("<a/>"));
        check(
            b"<a>\xE9</a>",
            Err("not well-formed (invalid UTF-8 data) at byte 3"),
        );
    }

    #[test]
    fn latin1_and_windows_1252_are_read_as_windows_1252() {
        check(
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9\x80</a>",
            Ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>é€</a>"),
        );
        check(
            b"<?xml version='1.0' encoding='windows-1252' ?><a>\x92\x81</a>",
            Ok("<?xml version='1.0' encoding='windows-1252' ?><a>\u{2019}\u{81}</a>"),
        );
    }

    #[test]
    fn ascii_refuses_high_bytes() {
        check(
            b"<?xml version=\"1.0\" encoding=\"us-ascii\"?><a>\xE9</a>",
            Err("not well-formed (invalid US-ASCII data) at byte 44"),
        );
    }

    #[test]
    fn unknown_and_utf16_encodings_are_refused() {
        check(
            b"<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>",
            Err("unsupported encoding 'ebcdic'"),
        );
        check(b"\xFF\xFE<\0a\0", Err("unsupported encoding 'UTF-16'"));
    }

    #[test]
    fn malformed_declaration_is_refused() {
        check(
            b"<?xml version=\"1.0\" encoding=utf-8?><a/>",
            Err("not well-formed (malformed XML declaration) at line 1, column 1"),
        );
    }
}
