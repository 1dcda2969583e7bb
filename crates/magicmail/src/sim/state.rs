//! The emulator's model (spec 5.1) and its rules (spec 5.2): one function
//! per operation, each checking its parameters strictly and returning the
//! reply's `<response>` element or an API error. No I/O here; the HTTP
//! layer decides statuses and faults.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::SimClient;
use crate::xml::Element;

/// Everything the emulated server holds. Keys are upper-cased account ids
/// and usernames, lower-cased addresses and domains, so lookups ignore case
/// while the records keep the case they were created with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    /// Accounts by upper-cased id.
    pub accounts: BTreeMap<String, SimAccount>,
    /// Users by upper-cased username.
    pub users: BTreeMap<String, SimUser>,
    /// E-mail addresses by lower-cased address.
    pub addresses: BTreeMap<String, SimAddress>,
    /// Hosted domains by lower-cased name (system domains come from the
    /// API clients' configuration).
    pub domains: BTreeMap<String, SimDomain>,
}

/// An account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimAccount {
    /// The id as created.
    pub id: String,
    /// `active`, `suspended` or `deleted`.
    pub status: String,
    /// `first_name`.
    pub first_name: String,
    /// `last_name`.
    pub last_name: String,
    /// `phone`.
    pub phone: String,
    /// `memo`.
    pub memo: String,
}

/// A user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimUser {
    /// The upper-cased username.
    pub id: String,
    /// The account id as created.
    pub account: String,
    /// `active`, `suspended` or `deleted`.
    pub status: String,
    /// The master flag (`master_user=Y`).
    pub master: bool,
    /// `first_name`.
    pub first_name: String,
    /// `last_name`.
    pub last_name: String,
    /// `memo`.
    pub memo: String,
    /// The password as sent (never returned by the API).
    pub password: String,
    /// `plain` or `encrypted`.
    pub password_type: String,
    /// The packages the user holds.
    pub packages: BTreeSet<String>,
}

/// An e-mail address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimAddress {
    /// The address as created.
    pub address: String,
    /// The upper-cased username it delivers to.
    pub user: String,
}

/// A hosted domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimDomain {
    /// The domain as created.
    pub name: String,
    /// The account it belongs to.
    pub account: String,
}

impl Snapshot {
    /// Adds an account (builder for test starting states).
    pub fn with_account(mut self, id: &str, status: &str) -> Snapshot {
        self.accounts.insert(
            id.to_ascii_uppercase(),
            SimAccount {
                id: id.to_string(),
                status: status.to_string(),
                ..SimAccount::default()
            },
        );
        self
    }

    /// Adds a user with a plain password `secret` (builder for tests).
    pub fn with_user(
        mut self,
        username: &str,
        account: &str,
        status: &str,
        master: bool,
        packages: &[&str],
    ) -> Snapshot {
        let id = username.to_ascii_uppercase();
        self.users.insert(
            id.clone(),
            SimUser {
                id,
                account: account.to_string(),
                status: status.to_string(),
                master,
                password: "secret".to_string(),
                password_type: "plain".to_string(),
                packages: packages.iter().map(|p| p.to_string()).collect(),
                ..SimUser::default()
            },
        );
        self
    }

    /// Adds an address for a user (builder for tests).
    pub fn with_address(mut self, address: &str, username: &str) -> Snapshot {
        self.addresses.insert(
            address.to_ascii_lowercase(),
            SimAddress {
                address: address.to_string(),
                user: username.to_ascii_uppercase(),
            },
        );
        self
    }

    /// The user `username` (any case).
    pub fn user(&self, username: &str) -> Option<&SimUser> {
        self.users.get(&username.to_ascii_uppercase())
    }

    /// The account `id` (any case).
    pub fn account(&self, id: &str) -> Option<&SimAccount> {
        self.accounts.get(&id.to_ascii_uppercase())
    }
}

/// An API error: code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: String,
    pub message: String,
}

fn err(code: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        code: code.to_string(),
        message: message.into(),
    }
}

/// The server-side settings the rules depend on.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub user_not_found_code: String,
    pub strict_passwords: bool,
    pub additional_user_package: String,
    pub packages: Vec<String>,
}

/// One decoded API call.
pub(crate) struct Call<'a> {
    pub op: &'static str,
    pub id: Option<&'a str>,
    pub params: &'a BTreeMap<String, String>,
    pub client: &'a SimClient,
}

/// What a call returns: a `<response>` element, or "purged" (an empty or
/// small body, as configured).
pub(crate) enum Outcome {
    Reply(Element),
    Purged,
}

/// The operation name of a request (spec 3), or an error for an unknown
/// `action`. `None` is an unknown route.
pub(crate) fn op_name(
    method: &str,
    resource: &str,
    has_id: bool,
    params: &BTreeMap<String, String>,
) -> Option<Result<&'static str, ApiError>> {
    let action = params.get("action").map(String::as_str);
    let update_kind = |status_op: &'static str, other: &'static str| {
        let only_status =
            params.contains_key("status") && params.keys().all(|k| k == "status" || k == "action");
        if only_status {
            status_op
        } else {
            other
        }
    };
    let op = match (method, resource, has_id, action) {
        ("GET", "account", true, _) => "get_account",
        ("GET", "account", false, _) => "list_accounts",
        ("POST", "account", true, None) => "add_account",
        ("POST", "account", true, Some("update")) => {
            update_kind("set_account_status", "update_account")
        }
        ("POST", "account", true, Some("purge")) => "purge_account",
        ("GET", "user", true, _) => "get_user",
        ("GET", "user", false, _) => "list_users",
        ("POST", "user", true, None) => "add_user",
        ("POST", "user", true, Some("update")) if params.contains_key("master_user") => {
            "make_master_user"
        }
        ("POST", "user", true, Some("update")) => update_kind("set_user_status", "update_user"),
        ("POST", "user", true, Some("purge")) => "purge_user",
        ("GET", "user_package", true, _) => "get_packages",
        ("POST", "user_package", true, None) => "assign_package",
        ("POST", "user_package", true, Some("purge")) => "remove_package",
        ("GET", "emailaddress", true, _) => "get_email_address",
        ("GET", "emailaddress", false, _) => "list_email_addresses",
        ("POST", "emailaddress", true, None) => "add_email_address",
        ("POST", "emailaddress", true, Some("purge")) => "remove_email_address",
        ("GET", "domain", true, _) => "get_domain",
        ("GET", "domain", false, _) => "list_domains",
        ("POST", "domain", true, None) => "add_domain",
        ("POST", "domain", true, Some("purge")) => "remove_domain",
        (
            "POST",
            "account" | "user" | "user_package" | "emailaddress" | "domain",
            true,
            Some(a),
        ) => {
            return Some(Err(err(
                "error.invalid_parameter",
                format!("unknown action {a:?}"),
            )))
        }
        _ => return None,
    };
    Some(Ok(op))
}

/// The parameters each operation accepts and requires (besides
/// `client_type`, checked before).
fn params_of(op: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match op {
        "get_account" | "list_accounts" | "get_user" | "get_packages" | "get_email_address"
        | "get_domain" => (&[], &[]),
        "add_account" => (&["first_name", "last_name", "phone", "memo"], &[]),
        "update_account" | "set_account_status" => (
            &[
                "first_name",
                "last_name",
                "phone",
                "memo",
                "status",
                "action",
            ],
            &[],
        ),
        "purge_account" | "purge_user" => (&["action", "force"], &[]),
        "list_users" | "list_domains" => (&["account"], &["account"]),
        "add_user" => (
            &[
                "account",
                "first_name",
                "last_name",
                "memo",
                "password",
                "password_type",
            ],
            &["account", "password", "password_type"],
        ),
        "update_user" | "set_user_status" | "make_master_user" => (
            &[
                "account",
                "first_name",
                "last_name",
                "memo",
                "password",
                "password_type",
                "status",
                "master_user",
                "action",
            ],
            &[],
        ),
        "assign_package" => (&["package"], &["package"]),
        "remove_package" => (&["package", "action"], &["package"]),
        "add_email_address" => (&["user"], &["user"]),
        "list_email_addresses" => (&["user"], &["user"]),
        "add_domain" => (&["account"], &["account"]),
        "remove_email_address" | "remove_domain" => (&["action"], &[]),
        _ => (&[], &[]),
    }
}

impl Snapshot {
    /// Applies one call under the rules. `Ok(true, …)` when state changed.
    pub(crate) fn apply(
        &mut self,
        rules: &Rules,
        call: &Call<'_>,
    ) -> Result<(bool, Outcome), ApiError> {
        let (allowed, required) = params_of(call.op);
        for name in call.params.keys() {
            if !allowed.contains(&name.as_str()) {
                return Err(err(
                    "error.invalid_parameter",
                    format!("parameter {name} not allowed in {}", call.op),
                ));
            }
        }
        for name in required {
            if !call.params.contains_key(*name) {
                return Err(err(
                    "error.missing_parameter",
                    format!("parameter {name} is required"),
                ));
            }
        }
        let id = call.id.unwrap_or_default();
        let param = |name: &str| call.params.get(name).map(String::as_str);
        let read = |outcome| Ok((false, outcome));
        let wrote = |outcome| Ok((true, outcome));
        match call.op {
            "get_account" => read(reply(account_element(self.find_account(id)?))),
            "list_accounts" => read(reply(list(
                "accounts",
                self.accounts.values().map(account_element),
            ))),
            "add_account" => {
                if id.is_empty() {
                    return Err(err("error.invalid_parameter", "empty account id"));
                }
                if self.accounts.contains_key(&id.to_ascii_uppercase()) {
                    return Err(err(
                        "account.error.exists",
                        format!("Account {id} already exists"),
                    ));
                }
                let account = SimAccount {
                    id: id.to_string(),
                    status: "active".into(),
                    first_name: param("first_name").unwrap_or_default().into(),
                    last_name: param("last_name").unwrap_or_default().into(),
                    phone: param("phone").unwrap_or_default().into(),
                    memo: param("memo").unwrap_or_default().into(),
                };
                let element = account_element(&account);
                self.accounts.insert(id.to_ascii_uppercase(), account);
                wrote(reply(element))
            }
            "update_account" | "set_account_status" => {
                let status = param("status").map(check_status).transpose()?;
                let account = self.find_account_mut(id)?;
                for (name, field) in [
                    ("first_name", &mut account.first_name),
                    ("last_name", &mut account.last_name),
                    ("phone", &mut account.phone),
                    ("memo", &mut account.memo),
                ] {
                    if let Some(value) = param(name) {
                        *field = value.to_string();
                    }
                }
                if let Some(status) = status {
                    account.status = status.to_string();
                }
                let element = account_element(account);
                wrote(reply(element))
            }
            "purge_account" => {
                let account = self.find_account(id)?;
                if account.status != "deleted" && param("force") != Some("true") {
                    return Err(err(
                        "account.error.not_deleted",
                        format!("Account {} is not deleted", account.id),
                    ));
                }
                let key = id.to_ascii_uppercase();
                let doomed: Vec<String> = self
                    .users
                    .values()
                    .filter(|u| u.account.eq_ignore_ascii_case(id))
                    .map(|u| u.id.clone())
                    .collect();
                for user in doomed {
                    self.remove_user(&user);
                }
                self.domains
                    .retain(|_, d| !d.account.eq_ignore_ascii_case(id));
                self.accounts.remove(&key);
                wrote(Outcome::Purged)
            }
            "get_user" => read(reply(user_element(self.find_user(rules, id)?))),
            "list_users" => {
                let account = param("account").unwrap_or_default();
                self.find_account(account)?;
                read(reply(list(
                    "users",
                    self.users
                        .values()
                        .filter(|u| {
                            u.account.eq_ignore_ascii_case(account) && u.status != "deleted"
                        })
                        .map(user_element),
                )))
            }
            "add_user" => self.add_user(rules, call).map(|e| (true, reply(e))),
            "update_user" | "set_user_status" | "make_master_user" => {
                self.update_user(rules, call).map(|e| (true, reply(e)))
            }
            "purge_user" => {
                let user = self.find_user(rules, id)?;
                if user.status != "deleted" && param("force") != Some("true") {
                    return Err(err(
                        "user.error.not_deleted",
                        format!("User {} is not deleted", user.id),
                    ));
                }
                self.remove_user(&id.to_ascii_uppercase());
                wrote(Outcome::Purged)
            }
            "get_packages" => read(reply(packages_element(self.find_user(rules, id)?))),
            "assign_package" => {
                let wanted = param("package").unwrap_or_default();
                let Some(package) = rules
                    .packages
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case(wanted))
                    .cloned()
                else {
                    return Err(err(
                        "package.error.not_found",
                        format!("No such package {wanted}"),
                    ));
                };
                let user = self.find_user_mut(rules, id)?;
                if user.status == "deleted" {
                    return Err(err(
                        "user.error.deleted",
                        format!("User {} is deleted", user.id),
                    ));
                }
                user.packages.insert(package);
                wrote(reply(packages_element(user)))
            }
            "remove_package" => {
                let package = param("package").unwrap_or_default();
                let user = self.find_user_mut(rules, id)?;
                let held = user
                    .packages
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case(package))
                    .cloned();
                let Some(held) = held else {
                    return Err(err(
                        "package.error.not_assigned",
                        format!("User {} does not have package {package}", user.id),
                    ));
                };
                user.packages.remove(&held);
                wrote(Outcome::Purged)
            }
            "add_email_address" => {
                let Some((local, domain)) = id.split_once('@') else {
                    return Err(err(
                        "error.invalid_parameter",
                        format!("{id} is not an address"),
                    ));
                };
                if local.is_empty() || domain.is_empty() || domain.contains('@') {
                    return Err(err(
                        "error.invalid_parameter",
                        format!("{id} is not an address"),
                    ));
                }
                if !self.domain_visible(call.client, domain) {
                    return Err(permission_denied());
                }
                let username = param("user").unwrap_or_default();
                let user = self.find_user(rules, username)?;
                if user.status == "deleted" {
                    return Err(err(
                        "user.error.deleted",
                        format!("User {} is deleted", user.id),
                    ));
                }
                let user_id = user.id.clone();
                let key = id.to_ascii_lowercase();
                if self.addresses.contains_key(&key) {
                    return Err(err(
                        "emailaddress.error.exists",
                        format!("{id} already exists"),
                    ));
                }
                let address = SimAddress {
                    address: id.to_string(),
                    user: user_id,
                };
                let element = address_element(&address);
                self.addresses.insert(key, address);
                wrote(reply(element))
            }
            "get_email_address" => {
                read(reply(address_element(self.find_address(call.client, id)?)))
            }
            "list_email_addresses" => {
                let user = self
                    .find_user(rules, param("user").unwrap_or_default())?
                    .id
                    .clone();
                read(reply(list(
                    "emailaddresses",
                    self.addresses
                        .values()
                        .filter(|a| a.user == user)
                        .map(address_element),
                )))
            }
            "remove_email_address" => {
                self.find_address(call.client, id)?;
                self.addresses.remove(&id.to_ascii_lowercase());
                wrote(Outcome::Purged)
            }
            "add_domain" => {
                let account = self
                    .find_account(param("account").unwrap_or_default())?
                    .id
                    .clone();
                let key = id.to_ascii_lowercase();
                if id.is_empty() || id.contains('@') {
                    return Err(err(
                        "error.invalid_parameter",
                        format!("{id} is not a domain"),
                    ));
                }
                let system = call
                    .client
                    .domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(id));
                if system || self.domains.contains_key(&key) {
                    return Err(err(
                        "domain.error.exists",
                        format!("Domain {id} already exists"),
                    ));
                }
                let domain = SimDomain {
                    name: id.to_string(),
                    account,
                };
                let element = domain_element(&domain.name, Some(&domain.account), "hosted");
                self.domains.insert(key, domain);
                wrote(reply(element))
            }
            "get_domain" => {
                if let Some(system) = call
                    .client
                    .domains
                    .iter()
                    .find(|d| d.eq_ignore_ascii_case(id))
                {
                    return read(reply(domain_element(system, None, "system")));
                }
                match self.domains.get(&id.to_ascii_lowercase()) {
                    Some(d) => read(reply(domain_element(&d.name, Some(&d.account), "hosted"))),
                    None => Err(permission_denied()),
                }
            }
            "list_domains" => {
                let account = param("account").unwrap_or_default();
                self.find_account(account)?;
                read(reply(list(
                    "domains",
                    self.domains
                        .values()
                        .filter(|d| d.account.eq_ignore_ascii_case(account))
                        .map(|d| domain_element(&d.name, Some(&d.account), "hosted")),
                )))
            }
            "remove_domain" => {
                let key = id.to_ascii_lowercase();
                if !self.domains.contains_key(&key) {
                    return Err(permission_denied());
                }
                self.domains.remove(&key);
                self.addresses.retain(|_, a| {
                    !a.address
                        .rsplit_once('@')
                        .is_some_and(|(_, d)| d.eq_ignore_ascii_case(id))
                });
                wrote(Outcome::Purged)
            }
            other => Err(err(
                "error.invalid_parameter",
                format!("unknown operation {other}"),
            )),
        }
    }

    fn add_user(&mut self, rules: &Rules, call: &Call<'_>) -> Result<Element, ApiError> {
        let username = call.id.unwrap_or_default();
        let param = |name: &str| {
            call.params
                .get(name)
                .map(String::as_str)
                .unwrap_or_default()
        };
        if username.is_empty()
            || username.contains('@')
            || username
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(err(
                "user.error.invalid_username",
                format!("Invalid username {username:?}"),
            ));
        }
        let key = username.to_ascii_uppercase();
        if self.users.contains_key(&key) {
            return Err(err(
                "user.error.exists",
                format!("User {key} already exists"),
            ));
        }
        let account = self.find_account(param("account"))?;
        if account.status != "active" {
            return Err(err(
                "account.error.not_active",
                format!("Account {} is {}", account.id, account.status),
            ));
        }
        let account_id = account.id.clone();
        check_password(rules, param("password"), param("password_type"))?;
        let has_master = self.users.values().any(|u| {
            u.account.eq_ignore_ascii_case(&account_id) && u.master && u.status != "deleted"
        });
        let mut packages = BTreeSet::new();
        if has_master {
            packages.insert(rules.additional_user_package.clone());
        }
        let user = SimUser {
            id: key.clone(),
            account: account_id,
            status: "active".into(),
            master: !has_master,
            first_name: param("first_name").into(),
            last_name: param("last_name").into(),
            memo: param("memo").into(),
            password: param("password").into(),
            password_type: param("password_type").into(),
            packages,
        };
        let element = user_element(&user);
        self.users.insert(key, user);
        Ok(element)
    }

    fn update_user(&mut self, rules: &Rules, call: &Call<'_>) -> Result<Element, ApiError> {
        let username = call.id.unwrap_or_default();
        let param = |name: &str| call.params.get(name).map(String::as_str);
        let user = self.find_user(rules, username)?.clone();
        if let Some(account) = param("account") {
            if !account.eq_ignore_ascii_case(&user.account) {
                return Err(err(
                    "user.error.account_mismatch",
                    format!("User {} does not belong to account {account}", user.id),
                ));
            }
        }
        let status = param("status").map(check_status).transpose()?;
        if let Some(password) = param("password") {
            let Some(password_type) = param("password_type") else {
                return Err(err(
                    "error.missing_parameter",
                    "parameter password_type is required",
                ));
            };
            check_password(rules, password, password_type)?;
        } else if param("password_type").is_some() {
            return Err(err(
                "error.missing_parameter",
                "parameter password is required",
            ));
        }
        let make_master = match param("master_user") {
            None => false,
            Some("Y") => true,
            Some(other) => {
                return Err(err(
                    "error.invalid_parameter",
                    format!("master_user must be Y, not {other:?}"),
                ))
            }
        };
        let final_status = status.map_or(user.status.as_str(), |s| s);
        if make_master && final_status == "deleted" {
            return Err(err(
                "user.error.deleted",
                format!("User {} is deleted", user.id),
            ));
        }
        if make_master {
            for other in self.users.values_mut() {
                if other.account.eq_ignore_ascii_case(&user.account) {
                    other.master = false;
                }
            }
        }
        let user = self.find_user_mut(rules, username)?;
        for (name, field) in [
            ("first_name", &mut user.first_name),
            ("last_name", &mut user.last_name),
            ("memo", &mut user.memo),
            ("password", &mut user.password),
            ("password_type", &mut user.password_type),
        ] {
            if let Some(value) = param(name) {
                *field = value.to_string();
            }
        }
        if let Some(status) = status {
            user.status = status.to_string();
        }
        if make_master {
            user.master = true;
        }
        Ok(user_element(user))
    }

    fn remove_user(&mut self, key: &str) {
        self.users.remove(key);
        self.addresses.retain(|_, a| a.user != key);
    }

    fn find_account(&self, id: &str) -> Result<&SimAccount, ApiError> {
        self.accounts
            .get(&id.to_ascii_uppercase())
            .ok_or_else(|| err("account.error.not_found", format!("No such account {id}")))
    }

    fn find_account_mut(&mut self, id: &str) -> Result<&mut SimAccount, ApiError> {
        self.accounts
            .get_mut(&id.to_ascii_uppercase())
            .ok_or_else(|| err("account.error.not_found", format!("No such account {id}")))
    }

    fn find_user(&self, rules: &Rules, username: &str) -> Result<&SimUser, ApiError> {
        self.users
            .get(&username.to_ascii_uppercase())
            .ok_or_else(|| {
                err(
                    &rules.user_not_found_code,
                    format!("No such user {username}"),
                )
            })
    }

    fn find_user_mut(&mut self, rules: &Rules, username: &str) -> Result<&mut SimUser, ApiError> {
        self.users
            .get_mut(&username.to_ascii_uppercase())
            .ok_or_else(|| {
                err(
                    &rules.user_not_found_code,
                    format!("No such user {username}"),
                )
            })
    }

    fn domain_visible(&self, client: &SimClient, domain: &str) -> bool {
        client
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
            || self.domains.contains_key(&domain.to_ascii_lowercase())
    }

    fn find_address(&self, client: &SimClient, address: &str) -> Result<&SimAddress, ApiError> {
        let found = self.addresses.get(&address.to_ascii_lowercase());
        match found {
            Some(a)
                if a.address
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| self.domain_visible(client, d)) =>
            {
                Ok(a)
            }
            _ => Err(permission_denied()),
        }
    }
}

fn permission_denied() -> ApiError {
    err(
        "error.permission_denied",
        "Permission denied: no such object or not visible to this API client",
    )
}

fn check_status(status: &str) -> Result<&str, ApiError> {
    match status {
        "active" | "suspended" | "deleted" => Ok(status),
        other => Err(err(
            "error.invalid_parameter",
            format!("status must be active, suspended or deleted, not {other:?}"),
        )),
    }
}

/// U6: the password type, and with strict passwords the shape of crypt
/// strings (DES or MD5 crypt only).
fn check_password(rules: &Rules, password: &str, password_type: &str) -> Result<(), ApiError> {
    match password_type {
        "plain" => Ok(()),
        "encrypted" if !rules.strict_passwords || looks_like_crypt(password) => Ok(()),
        "encrypted" => Err(err(
            "user.error.invalid_password",
            "encrypted password is not a DES or MD5 crypt string",
        )),
        other => Err(err(
            "error.invalid_parameter",
            format!("password_type must be plain or encrypted, not {other:?}"),
        )),
    }
}

fn looks_like_crypt(password: &str) -> bool {
    let crypt_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    let des = password.len() == 13 && password.chars().all(crypt_char);
    let md5 = password.strip_prefix("$1$").is_some_and(|rest| {
        rest.split_once('$').is_some_and(|(salt, hash)| {
            (1..=8).contains(&salt.len())
                && salt.chars().all(crypt_char)
                && hash.len() == 22
                && hash.chars().all(crypt_char)
        })
    });
    des || md5
}

fn reply(object: Element) -> Outcome {
    Outcome::Reply(Element::new("response").with(object))
}

fn list(container: &str, items: impl Iterator<Item = Element>) -> Element {
    let mut element = Element::new(container);
    element.children.extend(items);
    element
}

fn account_element(account: &SimAccount) -> Element {
    Element::new("account")
        .with_field("id", &account.id)
        .with_field("status", &account.status)
        .with_field("first_name", &account.first_name)
        .with_field("last_name", &account.last_name)
        .with_field("phone", &account.phone)
        .with_field("memo", &account.memo)
}

fn user_element(user: &SimUser) -> Element {
    Element::new("user")
        .with_field("id", &user.id)
        .with_field("account", &user.account)
        .with_field("status", &user.status)
        .with_field("master_user", if user.master { "Y" } else { "N" })
        .with_field("first_name", &user.first_name)
        .with_field("last_name", &user.last_name)
        .with_field("memo", &user.memo)
}

fn packages_element(user: &SimUser) -> Element {
    list(
        "packages",
        user.packages.iter().map(|p| {
            Element::new("package")
                .with_field("name", p)
                .with_field("description", &format!("{p} package"))
        }),
    )
}

fn address_element(address: &SimAddress) -> Element {
    Element::new("emailaddress")
        .with_field("id", &address.address)
        .with_field("user", &address.user)
}

fn domain_element(name: &str, account: Option<&str>, kind: &str) -> Element {
    Element::new("domain")
        .with_field("id", name)
        .with_field("account", account.unwrap_or_default())
        .with_field("type", kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypt_shapes() {
        assert!(looks_like_crypt("abJnggxhB/yWI"));
        assert!(looks_like_crypt("$1$saltsalt$qjQ1zW3o7mvP5s3YJ0l8S."));
        assert!(!looks_like_crypt("{CRYPT}abJnggxhB/yWI"));
        assert!(!looks_like_crypt("$6$salt$abc"));
        assert!(!looks_like_crypt("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
    }
}
