//! Response values: what a method returns, in the shape both wire formats
//! can carry.
//!
//! Freeside's responses hold only strings, structs and arrays (backend-api.md
//! section 1, fact 4), so [`ReplyValue`] has no numbers, booleans or nil:
//! callers format numbers themselves and the encoders write every scalar as
//! `<string>` (JSON string). The one exception is binary content
//! (self-service PDFs and images), sent as `<base64>`. A [`Reply`] keeps its
//! members in the order they were pushed; each method fixes that order.

use std::borrow::Cow;

/// A struct to send: named members in the order they were pushed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    members: Vec<(Cow<'static, str>, ReplyValue)>,
}

/// One value in a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyValue {
    /// A scalar; every number, date and flag goes out as a string.
    String(String),
    /// A nested struct.
    Struct(Reply),
    /// An array.
    Array(Vec<ReplyValue>),
    /// Binary content: XML-RPC `<base64>`, a base64 string in JSON.
    Base64(Vec<u8>),
}

impl Reply {
    /// An empty struct.
    pub fn new() -> Reply {
        Reply::default()
    }

    /// An empty struct with room for `n_members` members.
    pub fn with_capacity(n_members: usize) -> Reply {
        Reply {
            members: Vec::with_capacity(n_members),
        }
    }

    /// `{error: message}`, the whole answer of most failed calls.
    pub fn error(message: impl Into<String>) -> Reply {
        Reply::with_capacity(1).with("error", message.into())
    }

    /// Appends a member and returns the struct, for chained building.
    pub fn with(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<ReplyValue>,
    ) -> Reply {
        self.push(name, value);
        self
    }

    /// Appends a member.
    ///
    /// Names are not checked for duplicates (a method's member list is fixed
    /// in code); use [`Reply::set`] to replace a member.
    pub fn push(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<ReplyValue>) {
        self.members.push((name.into(), value.into()));
    }

    /// Sets member `name`: replaces its value in place when present, else
    /// appends it.
    pub fn set(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<ReplyValue>) {
        let name = name.into();
        let value = value.into();
        match self.members.iter_mut().find(|(member, _)| *member == name) {
            Some((_, slot)) => *slot = value,
            None => self.members.push((name, value)),
        }
    }

    /// The value of member `name`.
    pub fn get(&self, name: &str) -> Option<&ReplyValue> {
        self.members
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, value)| value)
    }

    /// The text of member `name` when it is a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            ReplyValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ReplyValue)> {
        self.members
            .iter()
            .map(|(name, value)| (name.as_ref(), value))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl From<String> for ReplyValue {
    fn from(text: String) -> ReplyValue {
        ReplyValue::String(text)
    }
}

impl From<&str> for ReplyValue {
    fn from(text: &str) -> ReplyValue {
        ReplyValue::String(text.to_owned())
    }
}

impl From<Cow<'_, str>> for ReplyValue {
    fn from(text: Cow<'_, str>) -> ReplyValue {
        ReplyValue::String(text.into_owned())
    }
}

impl From<Reply> for ReplyValue {
    fn from(members: Reply) -> ReplyValue {
        ReplyValue::Struct(members)
    }
}

impl From<Vec<Reply>> for ReplyValue {
    fn from(items: Vec<Reply>) -> ReplyValue {
        ReplyValue::Array(items.into_iter().map(ReplyValue::Struct).collect())
    }
}

impl From<Vec<ReplyValue>> for ReplyValue {
    fn from(items: Vec<ReplyValue>) -> ReplyValue {
        ReplyValue::Array(items)
    }
}

impl From<Vec<String>> for ReplyValue {
    fn from(items: Vec<String>) -> ReplyValue {
        ReplyValue::Array(items.into_iter().map(ReplyValue::String).collect())
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<ReplyValue>> FromIterator<(K, V)> for Reply {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Reply {
        Reply {
            members: iter
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_push_order_and_set_replaces_in_place() {
        let mut reply = Reply::new().with("error", "").with("paynum", "17");
        reply.set("error", "oops");
        reply.set("extra", String::from("x"));
        let names: Vec<&str> = reply.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["error", "paynum", "extra"]);
        assert_eq!(reply.str("error"), Some("oops"));
        assert_eq!(
            Reply::error("Unknown custnum").str("error"),
            Some("Unknown custnum")
        );
    }
}
