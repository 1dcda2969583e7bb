//! The argument map: how a call's parameters become one struct of named
//! arguments.
//!
//! Clients send arguments either as one flat list (`key, value, key, value…`,
//! what Perl clients do) or as one struct. [`args_from_params`] turns either
//! into an [`Args`] map following [`ArgRules`], whose two presets encode the
//! two faces' specs: back office (backend-api.md 2.3) and self-service
//! (selfservice-api.md 3.3). It knows no method and no key.

use crate::error::ArgsError;
use crate::value::{ScalarType, Struct, Value};

/// The argument map handed to a service function: named values in wire
/// order, each name once.
pub type Args = Struct;

/// How parameters become an argument map; the faces differ in details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgRules {
    /// What an odd number of flat-list parameters means.
    pub odd_count: OddCount,
    /// What a `<nil/>` (JSON `null`) value means.
    pub nil: NilRule,
    /// Whether the text of number-typed scalars (`<int>`, `<i4>`, `<i8>`,
    /// `<double>`) loses its surrounding whitespace.
    pub trim_numbers: bool,
    /// Whether a JSON-RPC `params` array other than `[{…}]` is read as a flat
    /// list; when not, it is invalid params.
    pub flat_json_arrays: bool,
}

/// What an odd number of flat-list parameters means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OddCount {
    /// The last key gets an empty (nil) value, as Perl hash assignment does.
    EmptyValue,
    /// The call is refused with [`ArgsError::OddCount`].
    Reject,
}

/// What a nil value (`<nil/>`, `<ex:nil/>`, JSON `null`) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NilRule {
    /// The key is present with an empty value.
    Empty,
    /// The key is treated as absent (struct members too).
    Absent,
}

impl ArgRules {
    /// Back-office API (`FS.API.*`), backend-api.md 2.3 and 2.7: odd count
    /// leaves the last key empty, nil is an empty string, text kept as sent,
    /// flat JSON arrays accepted.
    pub const BACKOFFICE: ArgRules = ArgRules {
        odd_count: OddCount::EmptyValue,
        nil: NilRule::Empty,
        trim_numbers: false,
        flat_json_arrays: true,
    };

    /// Self-service API, selfservice-api.md 3.3 and 3.6: odd count refused,
    /// nil means absent, numbers trimmed, JSON params only as an object or a
    /// one-object array.
    pub const SELFSERVICE: ArgRules = ArgRules {
        odd_count: OddCount::Reject,
        nil: NilRule::Absent,
        trim_numbers: true,
        flat_json_arrays: false,
    };
}

/// Builds the argument map from a call's parameters.
///
/// - No parameters: an empty map.
/// - Exactly one parameter that is a struct: its members.
/// - Otherwise a flat list read as pairs `(p1 → p2), (p3 → p4), …`; a key is
///   a scalar's text, a pair whose key is a struct or array is dropped, and a
///   later duplicate key replaces an earlier one.
///
/// # Errors
///
/// [`ArgsError::OddCount`] for an odd flat list when `rules.odd_count` is
/// [`OddCount::Reject`].
pub fn args_from_params(params: Vec<Value>, rules: &ArgRules) -> Result<Args, ArgsError> {
    if params.len() == 1 && matches!(params[0], Value::Struct(_)) {
        let Some(Value::Struct(members)) = params.into_iter().next() else {
            unreachable!("checked just above");
        };
        return Ok(args_from_struct(members, rules));
    }
    if params.len() % 2 == 1 && rules.odd_count == OddCount::Reject {
        return Err(ArgsError::OddCount);
    }
    let mut pairs = Vec::with_capacity(params.len() / 2 + 1);
    let mut params = params.into_iter();
    while let Some(key) = params.next() {
        let value = params
            .next()
            .unwrap_or_else(|| Value::scalar(ScalarType::Nil, ""));
        let Value::Scalar(key) = key else {
            // Freeside would stringify the reference into a key nobody asks
            // for; dropping the pair has the same effect.
            continue;
        };
        let mut key = key;
        if rules.trim_numbers && key.is_number_typed() {
            trim_in_place(key.text_mut());
        }
        pairs.push((key.into_text(), value));
    }
    Ok(args_from_struct(Struct::from_members(pairs), rules))
}

/// Applies `rules` to an argument struct sent as such (a single struct param
/// or a JSON `params` object).
pub fn args_from_struct(members: Struct, rules: &ArgRules) -> Args {
    let mut members = members;
    apply_rules_to_struct(&mut members, rules);
    members
}

fn apply_rules_to_struct(members: &mut Struct, rules: &ArgRules) {
    if rules.nil == NilRule::Absent {
        members.members_mut().retain(|(_, value)| !is_nil(value));
    }
    for (_, value) in members.members_mut().iter_mut() {
        apply_rules(value, rules);
    }
}

fn apply_rules(value: &mut Value, rules: &ArgRules) {
    match value {
        Value::Scalar(scalar) => {
            if rules.trim_numbers && scalar.is_number_typed() {
                trim_in_place(scalar.text_mut());
            }
        }
        Value::Struct(members) => apply_rules_to_struct(members, rules),
        Value::Array(items) => {
            for item in items {
                apply_rules(item, rules);
            }
        }
    }
}

fn is_nil(value: &Value) -> bool {
    matches!(value, Value::Scalar(scalar) if scalar.ty() == ScalarType::Nil)
}

fn trim_in_place(text: &mut String) {
    let trimmed = text.trim();
    if trimmed.len() != text.len() {
        *text = trimmed.to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn check(params: Vec<Value>, rules: &ArgRules, expected: &[(&str, &str)]) {
        let args = args_from_params(params, rules).unwrap();
        let got: Vec<(&str, &str)> = args
            .iter()
            .map(|(key, value)| (key, value.as_str().unwrap_or("<composite>")))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn flat_list_pairs_later_duplicate_wins() {
        check(
            vec![
                s("secret"),
                s("a"),
                s("custnum"),
                s("4"),
                s("secret"),
                s("b"),
            ],
            &ArgRules::BACKOFFICE,
            &[("custnum", "4"), ("secret", "b")],
        );
    }

    #[test]
    fn odd_count_backoffice_leaves_last_key_empty() {
        check(
            vec![s("secret"), s("x"), s("custnum")],
            &ArgRules::BACKOFFICE,
            &[("secret", "x"), ("custnum", "")],
        );
    }

    #[test]
    fn odd_count_selfservice_is_refused() {
        let err = args_from_params(vec![s("a")], &ArgRules::SELFSERVICE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Odd number of parameters (expected one struct or key/value pairs)"
        );
    }

    #[test]
    fn single_struct_is_the_map() {
        let members = Struct::from_members(vec![("secret".into(), s("x"))]);
        check(
            vec![Value::Struct(members)],
            &ArgRules::BACKOFFICE,
            &[("secret", "x")],
        );
    }

    #[test]
    fn two_structs_are_a_flat_list_with_an_unusable_key() {
        let members = Struct::from_members(vec![("secret".into(), s("x"))]);
        check(
            vec![Value::Struct(members.clone()), Value::Struct(members)],
            &ArgRules::BACKOFFICE,
            &[],
        );
    }

    #[test]
    fn nil_is_empty_in_backoffice_and_absent_in_selfservice() {
        let params = vec![s("a"), Value::scalar(ScalarType::Nil, ""), s("b"), s("2")];
        check(
            params.clone(),
            &ArgRules::BACKOFFICE,
            &[("a", ""), ("b", "2")],
        );
        check(params, &ArgRules::SELFSERVICE, &[("b", "2")]);
    }

    #[test]
    fn selfservice_trims_numbers_only() {
        let params = vec![
            s("n"),
            Value::scalar(ScalarType::I4, " 42\n"),
            s("t"),
            s(" x "),
        ];
        check(params, &ArgRules::SELFSERVICE, &[("n", "42"), ("t", " x ")]);
    }
}
