//! Errors of the codecs: why a request body could not be decoded, and why its
//! parameters do not make an argument map.
//!
//! The `Display` of [`DecodeError`] is the parser detail the server puts
//! after `Application failed during request deserialization: ` in a
//! `Client` fault; it never contains more than the client itself sent.
//! JSON-RPC protocol errors are wire objects, see `jsonrpc::ErrorObject`.

use std::fmt;

use crate::value::{MAX_DEPTH, MAX_VALUES};

/// A place in the request body: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters, starting at 1.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to its end).
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |idx| idx + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why an XML-RPC request body could not be decoded.
///
/// Every variant becomes a `Client` fault on the wire. Self-service answers
/// [`DecodeError::MissingMethodName`] with its own fault string
/// (selfservice-api.md 3.5), so that variant is kept apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The encoding declaration names an encoding Bursar does not read
    /// (anything but UTF-8, US-ASCII, ISO-8859-1 and windows-1252), or the
    /// body starts with a UTF-16 byte order mark.
    #[error("unsupported encoding '{0}'")]
    UnsupportedEncoding(String),
    /// A byte that is not valid in the body's encoding.
    #[error("not well-formed (invalid {encoding} data) at byte {offset}")]
    InvalidBytes {
        /// Name of the encoding in force.
        encoding: &'static str,
        /// Offset of the bad byte in the body.
        offset: usize,
    },
    /// A `<!DOCTYPE …>`: no DTDs, hence no entity definitions (XXE, entity
    /// bombs).
    #[error("DOCTYPE is not allowed at {at}")]
    Doctype {
        /// Where the DOCTYPE starts.
        at: Position,
    },
    /// The body is not well-formed XML.
    #[error("not well-formed ({detail}) at {at}")]
    Malformed {
        /// What the XML tokenizer reported.
        detail: String,
        /// Where it stopped.
        at: Position,
    },
    /// The body ended before the document did.
    #[error("no element found at {at}")]
    UnexpectedEnd {
        /// The end of the body.
        at: Position,
    },
    /// The root element is not `<methodCall>`.
    #[error("root element is <{name}>, not <methodCall>")]
    NotMethodCall {
        /// The root element's name.
        name: String,
    },
    /// No `<methodName>`, or an empty one.
    #[error("missing methodName")]
    MissingMethodName,
    /// An element where XML-RPC does not allow it.
    #[error("unexpected <{name}> in <{parent}> at {at}")]
    UnexpectedElement {
        /// The element found.
        name: String,
        /// The element it was found in.
        parent: &'static str,
        /// Where it starts.
        at: Position,
    },
    /// Text where XML-RPC allows only elements (or nothing).
    #[error("unexpected text in <{parent}> at {at}")]
    UnexpectedText {
        /// The element it was found in.
        parent: &'static str,
        /// Where the text starts.
        at: Position,
    },
    /// An element ended without a required child: `<member>` without
    /// `<name>` or `<value>`, `<param>` without `<value>`.
    #[error("<{element}> without <{missing}> at {at}")]
    MissingChild {
        /// The incomplete element.
        element: &'static str,
        /// The child it lacks.
        missing: &'static str,
        /// Where it ends.
        at: Position,
    },
    /// A `<boolean>` that is not `0`, `1`, `true` or `false`.
    #[error("invalid boolean '{text}' at {at}")]
    InvalidBoolean {
        /// The text sent.
        text: String,
        /// Where the value ends.
        at: Position,
    },
    /// A `<base64>` that does not decode.
    #[error("invalid base64 at {at}")]
    InvalidBase64 {
        /// Where the value ends.
        at: Position,
    },
    /// A `<base64>` whose bytes are not UTF-8 text.
    #[error("base64 value is not UTF-8 text at {at}")]
    Base64NotUtf8 {
        /// Where the value ends.
        at: Position,
    },
    /// An entity other than the five predefined ones, or a bad character
    /// reference.
    #[error("{detail} at {at}")]
    BadReference {
        /// What is wrong with it.
        detail: String,
        /// Where the text holding it starts.
        at: Position,
    },
    /// Structs and arrays nested deeper than [`MAX_DEPTH`].
    #[error("values nested deeper than {MAX_DEPTH} levels at {at}")]
    TooDeep {
        /// Where the level too many starts.
        at: Position,
    },
    /// More than [`MAX_VALUES`] values in the request.
    #[error("more than {MAX_VALUES} values at {at}")]
    TooManyValues {
        /// Where the value too many starts.
        at: Position,
    },
}

/// Any error of this crate, for callers that want one type (e.g. a
/// `#[from]` in the server's error enum). Functions return the precise type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An XML-RPC body could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Parameters do not make an argument map.
    #[error(transparent)]
    Args(#[from] ArgsError),
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call's parameters do not make an argument map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// An odd number of flat-list parameters where the face refuses it
    /// (self-service); the message is the fault string of
    /// selfservice-api.md 3.3.
    #[error("Odd number of parameters (expected one struct or key/value pairs)")]
    OddCount,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_characters() {
        let text = "ab\ncé\nx";
        assert_eq!(Position::of_offset(text, 0).to_string(), "line 1, column 1");
        assert_eq!(Position::of_offset(text, 3).to_string(), "line 2, column 1");
        // Offset 6 is just after 'é' (two bytes).
        assert_eq!(Position::of_offset(text, 6).to_string(), "line 2, column 3");
        assert_eq!(
            Position::of_offset(text, 99).to_string(),
            "line 3, column 2"
        );
    }
}
