//! The typed requests and replies of the MagicMail API (spec 3): what the
//! client sends and what it reads back. Replies keep every field the
//! server may omit as an `Option`, because the server's shapes are
//! inferred, not documented.

use std::fmt;

use crate::error::Result;
use crate::xml::Record;

/// The status of an account or a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// `active`.
    Active,
    /// `suspended`.
    Suspended,
    /// `deleted` (kept until purged).
    Deleted,
}

impl Status {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Deleted => "deleted",
        }
    }

    /// Parses the wire spelling (exactly, as the server sends it).
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "active" => Some(Status::Active),
            "suspended" => Some(Status::Suspended),
            "deleted" => Some(Status::Deleted),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a password is sent: clear text or a crypt string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordType {
    /// `plain`: the clear text.
    Plain,
    /// `encrypted`: a DES or MD5 crypt string.
    Encrypted,
}

impl PasswordType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordType::Plain => "plain",
            PasswordType::Encrypted => "encrypted",
        }
    }

    /// Parses the wire spelling, exactly (B-5).
    pub fn parse(text: &str) -> Option<PasswordType> {
        match text {
            "plain" => Some(PasswordType::Plain),
            "encrypted" => Some(PasswordType::Encrypted),
            _ => None,
        }
    }
}

/// A secret (a mailbox or API client password): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Password {
        Password(secret.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl From<&str> for Password {
    fn from(secret: &str) -> Password {
        Password::new(secret)
    }
}

/// The optional fields of `add_account` and `update_account`. `None` is not
/// sent; `Some("")` is sent and clears the field (B-10).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFields {
    /// `first_name`.
    pub first_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `memo`.
    pub memo: Option<String>,
}

impl AccountFields {
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (name, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("phone", &self.phone),
            ("memo", &self.memo),
        ] {
            if let Some(value) = value {
                out.push((name, value.clone()));
            }
        }
        out
    }
}

/// The fields of `add_user` and `update_user` besides the account. `None`
/// is not sent; `Some("")` is sent and clears the field (B-10).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFields {
    /// `first_name`.
    pub first_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `memo`.
    pub memo: Option<String>,
    /// `password` and `password_type`, sent together.
    pub password: Option<(Password, PasswordType)>,
}

impl UserFields {
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (name, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("memo", &self.memo),
        ] {
            if let Some(value) = value {
                out.push((name, value.clone()));
            }
        }
        if let Some((password, password_type)) = &self.password {
            out.push(("password", password.expose().to_string()));
            out.push(("password_type", password_type.as_str().to_string()));
        }
        out
    }
}

/// A MagicMail account (one per customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account id (`account_prefix` + customer number).
    pub id: String,
    /// `status` as sent; `None` when the server left it out.
    pub status: Option<String>,
    /// `first_name`.
    pub first_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `memo`.
    pub memo: Option<String>,
}

impl Account {
    pub(crate) fn from_record(id: Option<String>, record: &Record) -> Result<Account> {
        let id = match id {
            Some(id) => id,
            None => record.required("account", "id")?,
        };
        Ok(Account {
            id,
            status: record.optional("status"),
            first_name: record.optional("first_name"),
            last_name: record.optional("last_name"),
            phone: record.optional("phone"),
            memo: record.optional("memo"),
        })
    }

    /// The parsed status, if it is one of the three known.
    pub fn status(&self) -> Option<Status> {
        self.status.as_deref().and_then(Status::parse)
    }
}

/// A mailbox user. Usernames are one namespace for the whole server and
/// come back upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The username as the server reports it.
    pub id: String,
    /// The account it belongs to.
    pub account: Option<String>,
    /// `status` as sent.
    pub status: Option<String>,
    /// `master_user` as sent (`Y` or `N`).
    pub master_user: Option<String>,
    /// `first_name`.
    pub first_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `memo`.
    pub memo: Option<String>,
}

impl User {
    pub(crate) fn from_record(id: Option<String>, record: &Record) -> Result<User> {
        let id = match id {
            Some(id) => id,
            None => record.required("user", "id")?,
        };
        let account = match record.get("account") {
            Some(account) => Some(account.to_string()),
            None if record.nested.iter().any(|n| n == "account") => {
                Some(record.required("user", "account")?)
            }
            None => None,
        };
        Ok(User {
            id,
            account,
            status: record.optional("status"),
            master_user: record.optional("master_user"),
            first_name: record.optional("first_name"),
            last_name: record.optional("last_name"),
            memo: record.optional("memo"),
        })
    }

    /// True when `master_user` is `Y` (B-1: `N` is not master).
    pub fn is_master(&self) -> bool {
        self.master_user
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("Y"))
    }

    /// The parsed status, if it is one of the three known.
    pub fn status(&self) -> Option<Status> {
        self.status.as_deref().and_then(Status::parse)
    }

    /// True when the user belongs to `account` (ignoring ASCII case, B-9).
    pub fn belongs_to(&self, account: &str) -> bool {
        self.account
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(account))
    }
}

/// A package held by a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package name, e.g. `EMAIL`.
    pub name: String,
    /// Its description, when the server sends one.
    pub description: Option<String>,
}

impl Package {
    pub(crate) fn from_record(name: String, record: &Record) -> Package {
        Package {
            name,
            description: record.optional("description"),
        }
    }
}

/// An e-mail address of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    /// The address, `local@domain`.
    pub id: String,
    /// The user it delivers to.
    pub user: Option<String>,
}

impl EmailAddress {
    pub(crate) fn from_record(id: Option<String>, record: &Record) -> Result<EmailAddress> {
        let id = match id {
            Some(id) => id,
            None => record.required("emailaddress", "id")?,
        };
        Ok(EmailAddress {
            id,
            user: record.optional("user"),
        })
    }
}

/// A mail domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain name.
    pub id: String,
    /// The account it is hosted for, if any.
    pub account: Option<String>,
    /// `system` or `hosted`, when the server says.
    pub kind: Option<String>,
}

impl Domain {
    pub(crate) fn from_record(id: Option<String>, record: &Record) -> Result<Domain> {
        let id = match id {
            Some(id) => id,
            None => record.required("domain", "id")?,
        };
        Ok(Domain {
            id,
            account: record.optional("account"),
            kind: record.optional("type"),
        })
    }
}

/// Whether `list` holds `name`, ignoring ASCII case (spec 4.10).
pub(crate) fn contains_ci<'a>(mut list: impl Iterator<Item = &'a String>, name: &str) -> bool {
    list.any(|n| n.eq_ignore_ascii_case(name))
}
