//! The export types Bursar knows, their options and what each accepts, so
//! that a catalog naming a missing or malformed option, or a password
//! encoding the export cannot send, is refused when it is applied.

use std::collections::BTreeMap;

use crate::model::PasswordEncoding;

/// The export types this build carries.
pub const KNOWN_TYPES: &[&str] = &["magicmail"];

/// The kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionKind {
    Text,
    NonEmptyText,
    Port,
    Bool,
    Seconds,
    Scheme,
}

/// (name, kind, required) of MagicMail's options (magicmail spec 4.1).
const MAGICMAIL_OPTIONS: &[(&str, OptionKind, bool)] = &[
    ("host", OptionKind::NonEmptyText, true),
    ("client_id", OptionKind::NonEmptyText, true),
    ("client_password", OptionKind::NonEmptyText, true),
    ("account_prefix", OptionKind::Text, false),
    ("package", OptionKind::NonEmptyText, false),
    ("port", OptionKind::Port, false),
    ("autopurge", OptionKind::Bool, false),
    ("use_agent_custid", OptionKind::Bool, false),
    ("debug", OptionKind::Bool, false),
    ("timeout_secs", OptionKind::Seconds, false),
    ("connect_timeout_secs", OptionKind::Seconds, false),
    ("ca_file", OptionKind::Text, false),
    ("tls_insecure", OptionKind::Bool, false),
    ("scheme", OptionKind::Scheme, false),
];

fn check_value(name: &str, kind: OptionKind, value: &str) -> Result<(), String> {
    let ok = match kind {
        OptionKind::Text => true,
        OptionKind::NonEmptyText => !value.trim().is_empty(),
        OptionKind::Port => value.is_empty() || value.parse::<u16>().is_ok_and(|p| p > 0),
        OptionKind::Bool => matches!(
            value,
            "" | "0" | "1" | "true" | "false" | "Y" | "N" | "yes" | "no"
        ),
        OptionKind::Seconds => value.parse::<u32>().is_ok_and(|s| s > 0),
        OptionKind::Scheme => matches!(value, "http" | "https"),
    };
    if ok {
        Ok(())
    } else {
        let expected = match kind {
            OptionKind::Text => "text",
            OptionKind::NonEmptyText => "a non-empty text",
            OptionKind::Port => "a port number 1-65535",
            OptionKind::Bool => "true or false",
            OptionKind::Seconds => "a whole number of seconds above 0",
            OptionKind::Scheme => "\"https\" or \"http\"",
        };
        Err(format!("option {name} must be {expected}, not {value:?}"))
    }
}

/// Checks an export's type and options.
///
/// # Errors
/// A message naming the unknown type, the missing or malformed option, or
/// the unknown option name.
pub fn validate_options(
    export_type: &str,
    options: &BTreeMap<String, String>,
) -> Result<(), String> {
    let schema = match export_type {
        "magicmail" => MAGICMAIL_OPTIONS,
        other => {
            return Err(format!(
                "unknown export type {other:?} (known: {})",
                KNOWN_TYPES.join(", ")
            ))
        }
    };
    for (name, kind, required) in schema {
        match options.get(*name) {
            Some(value) => check_value(name, *kind, value)?,
            None if *required => return Err(format!("missing required option {name}")),
            None => {}
        }
    }
    if let Some(unknown) = options
        .keys()
        .find(|k| !schema.iter().any(|(name, _, _)| name == k))
    {
        return Err(format!("unknown option {unknown}"));
    }
    Ok(())
}

/// Whether an export of this type can send passwords kept in `encoding`.
///
/// # Errors
/// The message the export gives, e.g. `password encoding crypt-sha512 not
/// supported by MagicMail`.
pub fn check_password_encoding(
    export_type: &str,
    encoding: PasswordEncoding,
) -> Result<(), String> {
    match (export_type, encoding) {
        ("magicmail", PasswordEncoding::CryptSha512 | PasswordEncoding::LdapSsha) => Err(format!(
            "password encoding {} not supported by MagicMail",
            encoding.as_str()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn magicmail_needs_host_and_credentials() {
        let good = options(&[
            ("host", "mm.example"),
            ("client_id", "id"),
            ("client_password", "pw"),
            ("port", "8443"),
        ]);
        assert_eq!(validate_options("magicmail", &good), Ok(()));
        let missing = options(&[("host", "mm.example"), ("client_id", "id")]);
        assert_eq!(
            validate_options("magicmail", &missing),
            Err("missing required option client_password".into())
        );
        let mut bad_port = good.clone();
        bad_port.insert("port".into(), "http".into());
        assert!(validate_options("magicmail", &bad_port)
            .unwrap_err()
            .contains("option port"));
        let mut unknown = good.clone();
        unknown.insert("hots".into(), "x".into());
        assert_eq!(
            validate_options("magicmail", &unknown),
            Err("unknown option hots".into())
        );
        assert!(validate_options("ldap", &good)
            .unwrap_err()
            .contains("unknown export type"));
    }

    #[test]
    fn magicmail_refuses_encodings_it_cannot_send() {
        assert!(check_password_encoding("magicmail", PasswordEncoding::CryptMd5).is_ok());
        assert_eq!(
            check_password_encoding("magicmail", PasswordEncoding::CryptSha512),
            Err("password encoding crypt-sha512 not supported by MagicMail".into())
        );
    }
}
