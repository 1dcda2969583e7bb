//! `MagicMailClient`: one async method per call of the MagicMail HTTP API
//! v2 (spec 3), over reqwest with rustls.
//!
//! Transport rules (spec 2): HTTP Basic authentication and
//! `client_type=FREESIDE` on every request; GET for reads with the
//! parameters in the query string, POST for writes with a form body; path
//! ids and values percent-encoded from UTF-8 (everything but `A-Z a-z 0-9 -
//! . _ ~`); only 200, 400 and 500 bodies are read. Bursar's additions:
//! connect and request timeouts, certificate verification on unless
//! `tls_insecure`, an optional CA file, no redirect to another origin (and
//! none that would turn a POST into a GET), and request logs that never
//! hold a password or the `Authorization` header.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};

use crate::error::{Error, Result};
use crate::model::{
    Account, AccountFields, Domain, EmailAddress, Package, Password, Status, User, UserFields,
};
use crate::xml::Reply;

/// Characters escaped in path ids and parameter values: all but RFC 3986's
/// unreserved ones (spec 2.3).
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Longest response body text put in a log line.
const MAX_LOGGED_BODY: usize = 4000;

/// `https` (always, in production) or `http` (tests against the emulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// TLS.
    #[default]
    Https,
    /// Plain HTTP, allowed only so that tests reach a server without TLS.
    Http,
}

impl Scheme {
    /// The URL scheme.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// Where and how to reach a MagicMail server.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https` or `http`.
    pub scheme: Scheme,
    /// Host name or IP address.
    pub host: String,
    /// TCP port (443 by default).
    pub port: u16,
    /// The API client id.
    pub client_id: String,
    /// The API client password.
    pub client_password: Password,
    /// The `client_type` parameter sent on every request (`FREESIDE`).
    pub client_type: String,
    /// Deadline for a whole request, reply included.
    pub timeout: Duration,
    /// Deadline for the TCP and TLS connection.
    pub connect_timeout: Duration,
    /// PEM file of extra trusted certificates (self-signed appliances).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (explicit opt-in).
    pub tls_insecure: bool,
    /// Log every request and response at `info` instead of `debug`.
    pub debug: bool,
}

impl ClientConfig {
    /// A configuration with the defaults of spec 4.1: HTTPS on 443,
    /// `client_type=FREESIDE`, 30 s request and 10 s connect timeouts.
    pub fn new(host: &str, client_id: &str, client_password: Password) -> ClientConfig {
        ClientConfig {
            scheme: Scheme::Https,
            host: host.to_string(),
            port: 443,
            client_id: client_id.to_string(),
            client_password,
            client_type: "FREESIDE".to_string(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ca_file: None,
            tls_insecure: false,
            debug: false,
        }
    }
}

/// A MagicMail API client. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct MagicMailClient {
    http: reqwest::Client,
    base: String,
    authorization: HeaderValue,
    client_type: String,
    debug: bool,
}

impl std::fmt::Debug for MagicMailClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagicMailClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The HTTP method of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

macro_rules! log_call {
    ($debug:expr, $($arg:tt)+) => {
        if $debug {
            tracing::info!(target: "bursar_magicmail::client", $($arg)+)
        } else {
            tracing::debug!(target: "bursar_magicmail::client", $($arg)+)
        }
    };
}

impl MagicMailClient {
    /// Builds a client.
    ///
    /// # Errors
    /// `Config` when the host is not usable in a URL or the CA file cannot
    /// be read or holds no certificate.
    pub fn new(config: &ClientConfig) -> Result<MagicMailClient> {
        let host = config.host.trim();
        if host.is_empty() {
            return Err(Error::Config("empty host".into()));
        }
        let host_in_url = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let scheme = config.scheme.as_str();
        let base = format!("{scheme}://{host_in_url}:{}", config.port);
        let origin =
            url::Url::parse(&base).map_err(|e| Error::Config(format!("host {host:?}: {e}")))?;
        let redirect_origin = origin.clone();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            // Follow only a method-preserving redirect to the same origin;
            // anything else comes back as a `Bad Response: 3xx` status.
            let same_origin = attempt.url().scheme() == redirect_origin.scheme()
                && attempt.url().host_str() == redirect_origin.host_str()
                && attempt.url().port_or_known_default() == redirect_origin.port_or_known_default();
            let keeps_method = matches!(attempt.status().as_u16(), 307 | 308);
            if same_origin && keeps_method && attempt.previous().len() < 3 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(redirect)
            .user_agent(concat!("bursar-magicmail/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(config.tls_insecure);
        if let Some(ca_file) = &config.ca_file {
            let pem = std::fs::read(ca_file)
                .map_err(|e| Error::Config(format!("ca_file {}: {e}", ca_file.display())))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::Config(format!("ca_file {}: {e}", ca_file.display())))?;
            if certificates.is_empty() {
                return Err(Error::Config(format!(
                    "ca_file {}: no certificate found",
                    ca_file.display()
                )));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(error_chain(&e)))?;
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            config.client_id,
            config.client_password.expose()
        ));
        let mut authorization = HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| Error::Config("client id not usable in a header".into()))?;
        authorization.set_sensitive(true);
        Ok(MagicMailClient {
            http,
            base: format!("{base}/api/v2"),
            authorization,
            client_type: config.client_type.clone(),
            debug: config.debug,
        })
    }

    /// The API's base URL (`…/api/v2`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    // Accounts.

    /// `GET /account/{id}`: the account, or `None` on `account.error.not_found`.
    ///
    /// # Errors
    /// Any other failure, including a reply without `<account>` (B-6).
    pub async fn get_account(&self, id: &str) -> Result<Option<Account>> {
        match self.call(Method::Get, "account", Some(id), vec![]).await {
            Ok(reply) => Ok(Some(Account::from_record(
                None,
                &reply.require_object("account")?,
            )?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /account`: every account visible, keyed by id.
    ///
    /// # Errors
    /// Any failure, or an item without a key.
    pub async fn list_accounts(&self) -> Result<BTreeMap<String, Account>> {
        let reply = self.call(Method::Get, "account", None, vec![]).await?;
        reply
            .list("accounts", "account")?
            .into_iter()
            .map(|(id, record)| Ok((id.clone(), Account::from_record(Some(id), &record)?)))
            .collect()
    }

    /// `POST /account/{id}`: creates the account. The returned id replaces
    /// the one asked for (spec 3).
    ///
    /// # Errors
    /// Any failure, or a reply without `<account>` or its `id`.
    pub async fn add_account(&self, id: &str, fields: &AccountFields) -> Result<Account> {
        let reply = self
            .call(Method::Post, "account", Some(id), fields.params())
            .await?;
        Account::from_record(None, &reply.require_object("account")?)
    }

    /// `POST /account/{id}` with `action=update`: changes the given fields.
    ///
    /// # Errors
    /// Any failure.
    pub async fn update_account(
        &self,
        id: &str,
        fields: &AccountFields,
    ) -> Result<Option<Account>> {
        let mut params = fields.params();
        params.push(("action", "update".into()));
        let reply = self.call(Method::Post, "account", Some(id), params).await?;
        optional_object(&reply, "account", Account::from_record)
    }

    /// `POST /account/{id}` with `status` and `action=update`.
    ///
    /// # Errors
    /// Any failure.
    pub async fn set_account_status(&self, id: &str, status: Status) -> Result<Option<Account>> {
        let params = vec![
            ("status", status.as_str().into()),
            ("action", "update".into()),
        ];
        let reply = self.call(Method::Post, "account", Some(id), params).await?;
        optional_object(&reply, "account", Account::from_record)
    }

    /// `POST /account/{id}` with `action=purge` (and `force=true`): removes
    /// the account, its users, their addresses and packages.
    ///
    /// # Errors
    /// Any failure.
    pub async fn purge_account(&self, id: &str, force: bool) -> Result<()> {
        self.call(Method::Post, "account", Some(id), purge_params(force))
            .await
            .map(drop)
    }

    // Users.

    /// `GET /user/{username}`: the user (deleted ones included), or `None` on
    /// `account.error.not_found` or `user.error.not_found` (B-8).
    ///
    /// # Errors
    /// Any other failure, including a reply without `<user>`.
    pub async fn get_user(&self, username: &str) -> Result<Option<User>> {
        match self.call(Method::Get, "user", Some(username), vec![]).await {
            Ok(reply) => Ok(Some(User::from_record(
                None,
                &reply.require_object("user")?,
            )?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /user?account=`: the account's users that are not deleted,
    /// keyed by upper-cased username.
    ///
    /// # Errors
    /// Any failure, or an item without a key.
    pub async fn list_users(&self, account: &str) -> Result<BTreeMap<String, User>> {
        let params = vec![("account", account.to_string())];
        let reply = self.call(Method::Get, "user", None, params).await?;
        reply
            .list("users", "user")?
            .into_iter()
            .map(|(id, record)| {
                Ok((
                    id.to_ascii_uppercase(),
                    User::from_record(Some(id), &record)?,
                ))
            })
            .collect()
    }

    /// `POST /user/{username}`: creates a user in `account`.
    ///
    /// # Errors
    /// Any failure, or a reply without `<user>` or its `id`.
    pub async fn add_user(
        &self,
        account: &str,
        username: &str,
        fields: &UserFields,
    ) -> Result<User> {
        let mut params = vec![("account", account.to_string())];
        params.extend(fields.params());
        let reply = self
            .call(Method::Post, "user", Some(username), params)
            .await?;
        User::from_record(None, &reply.require_object("user")?)
    }

    /// `POST /user/{username}` with `action=update`. `account` must be the
    /// user's own (the server refuses moves).
    ///
    /// # Errors
    /// Any failure.
    pub async fn update_user(
        &self,
        account: &str,
        username: &str,
        fields: &UserFields,
    ) -> Result<Option<User>> {
        let mut params = vec![("account", account.to_string())];
        params.extend(fields.params());
        params.push(("action", "update".into()));
        let reply = self
            .call(Method::Post, "user", Some(username), params)
            .await?;
        optional_object(&reply, "user", User::from_record)
    }

    /// `POST /user/{username}` with `master_user=Y` and `action=update`.
    ///
    /// # Errors
    /// Any failure.
    pub async fn make_master_user(&self, username: &str) -> Result<Option<User>> {
        let params = vec![("master_user", "Y".into()), ("action", "update".into())];
        let reply = self
            .call(Method::Post, "user", Some(username), params)
            .await?;
        optional_object(&reply, "user", User::from_record)
    }

    /// `POST /user/{username}` with `status` and `action=update`.
    ///
    /// # Errors
    /// Any failure.
    pub async fn set_user_status(&self, username: &str, status: Status) -> Result<Option<User>> {
        let params = vec![
            ("status", status.as_str().into()),
            ("action", "update".into()),
        ];
        let reply = self
            .call(Method::Post, "user", Some(username), params)
            .await?;
        optional_object(&reply, "user", User::from_record)
    }

    /// `POST /user/{username}` with `action=purge` (and `force=true`).
    ///
    /// # Errors
    /// Any failure.
    pub async fn purge_user(&self, username: &str, force: bool) -> Result<()> {
        self.call(Method::Post, "user", Some(username), purge_params(force))
            .await
            .map(drop)
    }

    // Packages.

    /// `GET /user_package/{username}`: the user's packages keyed by name.
    ///
    /// # Errors
    /// Any failure, or an item without a key.
    pub async fn get_packages(&self, username: &str) -> Result<BTreeMap<String, Package>> {
        let reply = self
            .call(Method::Get, "user_package", Some(username), vec![])
            .await?;
        packages(&reply)
    }

    /// `POST /user_package/{username}` with `package`: assigns it and
    /// returns the user's full list afterwards.
    ///
    /// # Errors
    /// Any failure, or an item without a key.
    pub async fn assign_package(
        &self,
        username: &str,
        package: &str,
    ) -> Result<BTreeMap<String, Package>> {
        let params = vec![("package", package.to_string())];
        let reply = self
            .call(Method::Post, "user_package", Some(username), params)
            .await?;
        packages(&reply)
    }

    /// `POST /user_package/{username}` with `package` and `action=purge`.
    ///
    /// # Errors
    /// Any failure.
    pub async fn remove_package(&self, username: &str, package: &str) -> Result<()> {
        let params = vec![("package", package.to_string()), ("action", "purge".into())];
        self.call(Method::Post, "user_package", Some(username), params)
            .await
            .map(drop)
    }

    // E-mail addresses.

    /// `POST /emailaddress/{address}` with `user`.
    ///
    /// # Errors
    /// Any failure (`error.permission_denied` for a domain the API client
    /// may not use).
    pub async fn add_email_address(&self, username: &str, address: &str) -> Result<()> {
        let params = vec![("user", username.to_string())];
        self.call(Method::Post, "emailaddress", Some(address), params)
            .await
            .map(drop)
    }

    /// `GET /emailaddress/{address}`: `None` on `error.permission_denied`
    /// (missing or not visible).
    ///
    /// # Errors
    /// Any other failure.
    pub async fn get_email_address(&self, address: &str) -> Result<Option<EmailAddress>> {
        match self
            .call(Method::Get, "emailaddress", Some(address), vec![])
            .await
        {
            Ok(reply) => Ok(Some(EmailAddress::from_record(
                None,
                &reply.require_object("emailaddress")?,
            )?)),
            Err(e) if e.is_permission_denied() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /emailaddress?user=`: the user's addresses keyed by address.
    ///
    /// # Errors
    /// Any failure, or an item without a key.
    pub async fn list_email_addresses(
        &self,
        username: &str,
    ) -> Result<BTreeMap<String, EmailAddress>> {
        let params = vec![("user", username.to_string())];
        let reply = self.call(Method::Get, "emailaddress", None, params).await?;
        reply
            .list("emailaddresses", "emailaddress")?
            .into_iter()
            .map(|(id, record)| Ok((id.clone(), EmailAddress::from_record(Some(id), &record)?)))
            .collect()
    }

    /// `POST /emailaddress/{address}` with `action=purge`.
    ///
    /// # Errors
    /// Any failure.
    pub async fn remove_email_address(&self, address: &str) -> Result<()> {
        let params = vec![("action", "purge".into())];
        self.call(Method::Post, "emailaddress", Some(address), params)
            .await
            .map(drop)
    }

    // Domains (untested by Freeside's author, unused by the hooks).

    /// `POST /domain/{domain}` with `account`: adds a hosted domain.
    ///
    /// # Errors
    /// Any failure.
    pub async fn add_domain(&self, domain: &str, account: &str) -> Result<Option<Domain>> {
        let params = vec![("account", account.to_string())];
        let reply = self
            .call(Method::Post, "domain", Some(domain), params)
            .await?;
        optional_object(&reply, "domain", Domain::from_record)
    }

    /// `GET /domain/{domain}`: `None` on `error.permission_denied`.
    ///
    /// # Errors
    /// Any other failure.
    pub async fn get_domain(&self, domain: &str) -> Result<Option<Domain>> {
        match self.call(Method::Get, "domain", Some(domain), vec![]).await {
            Ok(reply) => Ok(Some(Domain::from_record(
                None,
                &reply.require_object("domain")?,
            )?)),
            Err(e) if e.is_permission_denied() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /domain?account=`: the account's domains keyed by name.
    ///
    /// # Errors
    /// Any failure, or an item without a key.
    pub async fn list_domains(&self, account: &str) -> Result<BTreeMap<String, Domain>> {
        let params = vec![("account", account.to_string())];
        let reply = self.call(Method::Get, "domain", None, params).await?;
        reply
            .list("domains", "domain")?
            .into_iter()
            .map(|(id, record)| Ok((id.clone(), Domain::from_record(Some(id), &record)?)))
            .collect()
    }

    /// `POST /domain/{domain}` with `action=purge`.
    ///
    /// # Errors
    /// Any failure.
    pub async fn remove_domain(&self, domain: &str) -> Result<()> {
        let params = vec![("action", "purge".into())];
        self.call(Method::Post, "domain", Some(domain), params)
            .await
            .map(drop)
    }

    /// Sends one request and reads its reply (spec 2.3, 2.4).
    async fn call(
        &self,
        method: Method,
        resource: &str,
        id: Option<&str>,
        mut params: Vec<(&'static str, String)>,
    ) -> Result<Reply> {
        params.push(("client_type", self.client_type.clone()));
        let mut path = format!("/{resource}");
        if let Some(id) = id {
            path.push('/');
            path.push_str(&escape_segment(id));
        }
        let encoded = params
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, ESCAPED)))
            .collect::<Vec<_>>()
            .join("&");
        let method_name = match method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        log_call!(
            self.debug,
            method = method_name,
            path = %path,
            params = %masked_params(&params),
            "MagicMail request"
        );
        let request = match method {
            Method::Get => self.http.get(format!("{}{path}?{encoded}", self.base)),
            Method::Post => self
                .http
                .post(format!("{}{path}", self.base))
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .body(encoded),
        };
        let response = request
            .header(AUTHORIZATION, self.authorization.clone())
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if !matches!(status.as_u16(), 200 | 400 | 500) {
            log_call!(
                self.debug,
                status = status.as_u16(),
                "MagicMail bad response"
            );
            return Err(Error::Status {
                code: status.as_u16(),
                reason: status.canonical_reason().unwrap_or_default().to_string(),
            });
        }
        let bytes = response.bytes().await.map_err(transport_error)?;
        let body = std::str::from_utf8(&bytes)
            .map_err(|e| Error::Malformed(format!("body is not UTF-8: {e}")))?;
        log_call!(
            self.debug,
            status = status.as_u16(),
            body = %masked_body(body),
            "MagicMail response"
        );
        Reply::from_body(status.as_u16(), body)
    }
}

fn purge_params(force: bool) -> Vec<(&'static str, String)> {
    let mut params = vec![("action", "purge".to_string())];
    if force {
        params.push(("force", "true".into()));
    }
    params
}

fn packages(reply: &Reply) -> Result<BTreeMap<String, Package>> {
    Ok(reply
        .list("packages", "package")?
        .into_iter()
        .map(|(name, record)| (name.clone(), Package::from_record(name, &record)))
        .collect())
}

/// Reads an object a write may return; its absence is not an error because
/// Freeside only checks these replies for `<error>`.
fn optional_object<T>(
    reply: &Reply,
    name: &str,
    read: impl Fn(Option<String>, &crate::xml::Record) -> Result<T>,
) -> Result<Option<T>> {
    reply
        .object(name)
        .map(|record| read(None, &record))
        .transpose()
}

fn escape_segment(id: &str) -> String {
    // A bare "." or ".." would be folded away by URL normalisation.
    match id {
        "." => "%2E".into(),
        ".." => "%2E%2E".into(),
        _ => utf8_percent_encode(id, ESCAPED).to_string(),
    }
}

fn transport_error(error: reqwest::Error) -> Error {
    if error.is_timeout() {
        Error::Timeout
    } else {
        Error::Transport(error_chain(&error.without_url()))
    }
}

/// The error and its sources, joined (`error sending request: connection
/// refused`).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Parameters as `k=v&…` for logs, the password masked.
fn masked_params(params: &[(&'static str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            if k.contains("password") && *k != "password_type" {
                format!("{k}=***")
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A response body for logs: `<password>` contents and `password="…"`
/// attributes masked, and cut to a readable length.
pub(crate) fn masked_body(body: &str) -> String {
    let mut out = String::with_capacity(body.len().min(MAX_LOGGED_BODY));
    let mut rest = body;
    while let Some(start) = rest.find("<password>") {
        let open_end = start + "<password>".len();
        out.push_str(&rest[..open_end]);
        out.push_str("***");
        match rest[open_end..].find("</password>") {
            Some(close) => rest = &rest[open_end + close..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let mut masked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find("password=\"") {
        let value_start = start + "password=\"".len();
        masked.push_str(&rest[..value_start]);
        masked.push_str("***");
        match rest[value_start..].find('"') {
            Some(close) => rest = &rest[value_start + close..],
            None => rest = "",
        }
    }
    masked.push_str(rest);
    if masked.len() > MAX_LOGGED_BODY {
        let mut cut = MAX_LOGGED_BODY;
        while !masked.is_char_boundary(cut) {
            cut -= 1;
        }
        masked.truncate(cut);
        masked.push('…');
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_values_escape_all_but_unreserved() {
        assert_eq!(
            escape_segment("ada@lake side+x~_.-"),
            "ada%40lake%20side%2Bx~_.-"
        );
        assert_eq!(escape_segment(".."), "%2E%2E");
        assert_eq!(escape_segment("é"), "%C3%A9");
    }

    #[test]
    fn logs_mask_passwords() {
        let params = vec![
            ("password", "s3cret".to_string()),
            ("password_type", "plain".to_string()),
        ];
        assert_eq!(masked_params(&params), "password=***&password_type=plain");
        assert_eq!(
            masked_body("<r><password>s3cret</password><x password=\"p\"/></r>"),
            "<r><password>***</password><x password=\"***\"/></r>"
        );
        assert!(!masked_body("<password>abc").contains("abc"));
    }
}
