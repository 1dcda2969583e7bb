//! Reading a method's arguments the way Freeside does: every scalar as its
//! literal text, absent and empty told apart where a method cares, and a
//! composite value where a scalar is expected read as an (invalid) empty
//! value.

use bursar_rpc::Args;

/// Typed reads over the argument map.
pub trait ArgsExt {
    /// The text of `key`: empty when absent or composite.
    fn text(&self, key: &str) -> &str;
    /// The text of `key` when it was sent (a composite reads as empty).
    fn sent(&self, key: &str) -> Option<&str>;
    /// True when `key` was sent as an integer type (so a zip lost its zeros).
    fn integer_typed(&self, key: &str) -> bool;
}

impl ArgsExt for Args {
    fn text(&self, key: &str) -> &str {
        self.sent(key).unwrap_or("")
    }

    fn sent(&self, key: &str) -> Option<&str> {
        self.get(key)
            .map(|value| value.as_scalar().map(|s| s.text()).unwrap_or(""))
    }

    fn integer_typed(&self, key: &str) -> bool {
        self.scalar(key).is_some_and(|s| s.is_integer_typed())
    }
}

/// Parses a custnum-like identifier: digits only (blanks trimmed).
pub fn id(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
