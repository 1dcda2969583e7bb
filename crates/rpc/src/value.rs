//! Decoded request values: what a client sent, as text, with the wire type it
//! arrived in.
//!
//! Both codecs produce these types: XML-RPC `<value>`s and JSON-RPC `params`
//! become the same [`Value`] tree. A scalar keeps its literal text exactly as
//! sent (never parsed into a machine number), plus its [`ScalarType`], so a
//! caller can still tell that a zip code came in as an integer. Nothing here
//! knows what a key means; that is the server's business.

use std::collections::HashMap;

/// Deepest nesting of structs and arrays accepted in one request.
///
/// A struct or array given as a parameter is at depth 1; a struct inside it
/// at depth 2, and so on.
pub const MAX_DEPTH: usize = 32;

/// Most values (scalars, structs and arrays, nested ones included) accepted
/// in one request.
pub const MAX_VALUES: usize = 10_000;

/// One decoded request value: a scalar, a struct or an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A scalar of any wire type, kept as text.
    Scalar(Scalar),
    /// A struct (XML-RPC `<struct>`, JSON object).
    Struct(Struct),
    /// An array (XML-RPC `<array>`, JSON array).
    Array(Vec<Value>),
}

/// The wire type a scalar arrived in.
///
/// JSON values map onto the XML-RPC type that means the same: a JSON string
/// is [`ScalarType::String`], an integer number [`ScalarType::Int`], any other
/// number [`ScalarType::Double`], `true`/`false` [`ScalarType::Boolean`] and
/// `null` [`ScalarType::Nil`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `<string>`, or a JSON string.
    String,
    /// A `<value>` holding text and no type element.
    Untyped,
    /// `<int>`, or a JSON number without fraction or exponent.
    Int,
    /// `<i4>`.
    I4,
    /// `<i8>` or `<ex:i8>`.
    I8,
    /// `<double>`, or a JSON number with a fraction or an exponent.
    Double,
    /// `<boolean>` or JSON `true`/`false`; the text is `1` or `0`.
    Boolean,
    /// `<dateTime.iso8601>`.
    DateTime,
    /// `<base64>`; the text is the decoded bytes (always valid UTF-8).
    Base64,
    /// `<nil/>`, `<ex:nil/>` or JSON `null`; the text is empty.
    Nil,
}

/// A scalar: its literal text and the type it arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    ty: ScalarType,
    text: String,
}

/// A struct: named members in wire order, each name at most once.
///
/// A name sent twice keeps the later value (Perl hash assignment), at the
/// later member's position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Struct {
    members: Vec<(String, Value)>,
}

/// Below this many members, duplicate names are found by a linear scan;
/// above it a hash map is cheaper.
const LINEAR_DEDUP_LIMIT: usize = 16;

impl Value {
    /// Builds a `<string>` scalar.
    pub fn string(text: impl Into<String>) -> Value {
        Value::Scalar(Scalar::new(ScalarType::String, text))
    }

    /// Builds a scalar of the given type.
    pub fn scalar(ty: ScalarType, text: impl Into<String>) -> Value {
        Value::Scalar(Scalar::new(ty, text))
    }

    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The scalar's text, if this is a scalar; `None` for structs and arrays.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(Scalar::text)
    }

    /// The struct, if this is one.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(members) => Some(members),
            _ => None,
        }
    }

    /// The array's elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is a struct or an array.
    pub fn is_composite(&self) -> bool {
        !matches!(self, Value::Scalar(_))
    }

    /// Perl truthiness, as Freeside tests flags: a scalar is false when its
    /// text is empty or exactly `0`; composites are true.
    pub fn is_perl_true(&self) -> bool {
        match self {
            Value::Scalar(scalar) => !matches!(scalar.text(), "" | "0"),
            _ => true,
        }
    }
}

impl Scalar {
    /// Builds a scalar from its type and text.
    pub fn new(ty: ScalarType, text: impl Into<String>) -> Scalar {
        Scalar {
            ty,
            text: text.into(),
        }
    }

    /// The wire type the scalar arrived in.
    pub fn ty(&self) -> ScalarType {
        self.ty
    }

    /// The literal text as sent (booleans normalised to `1`/`0`, base64
    /// decoded, nil empty).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Consumes the scalar, returning its text.
    pub fn into_text(self) -> String {
        self.text
    }

    /// Whether the scalar arrived as an integer type (`<int>`, `<i4>`,
    /// `<i8>`, or a JSON number without fraction or exponent).
    ///
    /// The server uses this to restore leading zeros a client dropped, e.g.
    /// from a US zip code sent as `<int>1234</int>`.
    pub fn is_integer_typed(&self) -> bool {
        matches!(self.ty, ScalarType::Int | ScalarType::I4 | ScalarType::I8)
    }

    /// Whether the scalar arrived as a number type (integer or double).
    pub fn is_number_typed(&self) -> bool {
        self.is_integer_typed() || self.ty == ScalarType::Double
    }

    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }
}

impl Struct {
    /// An empty struct.
    pub fn new() -> Struct {
        Struct::default()
    }

    /// Builds a struct from members in wire order; a name given twice keeps
    /// its later value.
    pub fn from_members(mut members: Vec<(String, Value)>) -> Struct {
        dedup_keep_last(&mut members);
        Struct { members }
    }

    /// Sets `name` to `value`; an existing member of that name is removed
    /// first, so the new one comes last (as if it had been sent later).
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        self.members.retain(|(member, _)| *member != name);
        self.members.push((name, value));
    }

    /// Removes the member `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let idx = self.members.iter().position(|(member, _)| member == name)?;
        Some(self.members.remove(idx).1)
    }

    /// The value of member `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, value)| value)
    }

    /// The text of member `name` when it is a scalar; `None` when it is
    /// absent or a struct or array.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// The scalar of member `name`, when it is one.
    pub fn scalar(&self, name: &str) -> Option<&Scalar> {
        self.get(name).and_then(Value::as_scalar)
    }

    /// Whether a member `name` was sent.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The member names in wire order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(name, _)| name.as_str())
    }

    /// The member values in wire order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.members.iter().map(|(_, value)| value)
    }

    /// Consumes the struct, returning its members in wire order.
    pub fn into_members(self) -> Vec<(String, Value)> {
        self.members
    }

    pub(crate) fn members_mut(&mut self) -> &mut Vec<(String, Value)> {
        &mut self.members
    }
}

impl<'a> IntoIterator for &'a Struct {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a str, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.members
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }
}

/// Removes every member whose name occurs again later, in linear time.
fn dedup_keep_last(members: &mut Vec<(String, Value)>) {
    if members.len() <= LINEAR_DEDUP_LIMIT {
        let mut idx = 0;
        while idx < members.len() {
            let is_repeated = members[idx + 1..]
                .iter()
                .any(|(later, _)| *later == members[idx].0);
            if is_repeated {
                members.remove(idx);
            } else {
                idx += 1;
            }
        }
        return;
    }
    let keep: Vec<bool> = {
        let mut last_idx: HashMap<&str, usize> = HashMap::with_capacity(members.len());
        for (idx, (name, _)) in members.iter().enumerate() {
            last_idx.insert(name, idx);
        }
        members
            .iter()
            .enumerate()
            .map(|(idx, (name, _))| last_idx[name.as_str()] == idx)
            .collect()
    };
    let mut keep = keep.into_iter();
    members.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(members: &Struct) -> Vec<&str> {
        members.keys().collect()
    }

    #[test]
    fn duplicate_member_keeps_the_later_value_small_and_large() {
        for n_filler in [0, 40] {
            let mut members = vec![("a".to_owned(), Value::string("1"))];
            for filler_idx in 0..n_filler {
                members.push((format!("f{filler_idx}"), Value::string("")));
            }
            members.push(("b".to_owned(), Value::string("2")));
            members.push(("a".to_owned(), Value::string("3")));
            let result = Struct::from_members(members);
            assert_eq!(result.len(), n_filler + 2);
            assert_eq!(result.str("a"), Some("3"));
            assert_eq!(names(&result).last(), Some(&"a"));
        }
    }

    #[test]
    fn insert_replaces_and_moves_to_the_end() {
        let mut members = Struct::new();
        members.insert("a", Value::string("1"));
        members.insert("b", Value::string("2"));
        members.insert("a", Value::string("3"));
        assert_eq!(names(&members), ["b", "a"]);
        assert_eq!(members.str("a"), Some("3"));
        assert_eq!(members.remove("b"), Some(Value::string("2")));
        assert!(!members.contains_key("b"));
    }

    #[test]
    fn perl_truthiness() {
        assert!(!Value::string("").is_perl_true());
        assert!(!Value::string("0").is_perl_true());
        assert!(Value::string("0.0").is_perl_true());
        assert!(Value::string("false").is_perl_true());
        assert!(Value::Array(vec![]).is_perl_true());
    }
}
