//! The export's options as the catalog holds them (a string map, already
//! checked by `bursar_core::export_type::validate_options` when the catalog
//! was applied; checked again here so that this crate never trusts a map
//! it did not see validated).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::client::{ClientConfig, Scheme};
use crate::model::Password;

/// Parsed MagicMail export options (spec 4.1).
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Where and how to reach the server (host, port, credentials, TLS,
    /// timeouts, debug).
    pub client: ClientConfig,
    /// Put before the customer number to make the account id (`FREESIDE`).
    pub account_prefix: String,
    /// The package this export puts on the account's master user (`EMAIL`).
    pub package: String,
    /// On delete, purge the user and then the emptied account.
    pub autopurge: bool,
    /// Use the customer's `agent_custid` instead of `custnum` when set.
    pub use_agent_custid: bool,
}

impl ExportOptions {
    /// Parses the catalog's option map.
    ///
    /// # Errors
    /// The message of `validate_options` naming the missing, malformed or
    /// unknown option.
    pub fn parse(options: &BTreeMap<String, String>) -> Result<ExportOptions, String> {
        bursar_core::export_type::validate_options("magicmail", options)?;
        let text = |name: &str| options.get(name).map(String::as_str).unwrap_or_default();
        let flag = |name: &str| matches!(text(name), "1" | "true" | "Y" | "yes");
        let seconds = |name: &str, default: u64| {
            text(name)
                .parse::<u64>()
                .map_or(Duration::from_secs(default), Duration::from_secs)
        };
        let mut client = ClientConfig::new(
            text("host").trim(),
            text("client_id"),
            Password::new(text("client_password")),
        );
        client.port = text("port").parse().unwrap_or(443);
        client.scheme = match text("scheme") {
            "http" => Scheme::Http,
            _ => Scheme::Https,
        };
        client.timeout = seconds("timeout_secs", 30);
        client.connect_timeout = seconds("connect_timeout_secs", 10);
        client.ca_file = Some(text("ca_file"))
            .filter(|f| !f.is_empty())
            .map(PathBuf::from);
        client.tls_insecure = flag("tls_insecure");
        client.debug = flag("debug");
        let account_prefix = match options.get("account_prefix") {
            Some(prefix) => prefix.clone(),
            None => "FREESIDE".to_string(),
        };
        let package = match text("package") {
            "" => "EMAIL".to_string(),
            package => package.to_string(),
        };
        Ok(ExportOptions {
            client,
            account_prefix,
            package,
            autopurge: flag("autopurge"),
            use_agent_custid: flag("use_agent_custid"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_spec() {
        let options = ExportOptions::parse(&map(&[
            ("host", "mm.example"),
            ("client_id", "bursar"),
            ("client_password", "pw"),
            ("port", ""),
        ]))
        .unwrap();
        assert_eq!(options.client.port, 443);
        assert_eq!(options.client.scheme, Scheme::Https);
        assert_eq!(options.client.timeout, Duration::from_secs(30));
        assert_eq!(options.client.connect_timeout, Duration::from_secs(10));
        assert_eq!(options.account_prefix, "FREESIDE");
        assert_eq!(options.package, "EMAIL");
        assert!(!options.autopurge && !options.use_agent_custid && !options.client.debug);
        assert!(!options.client.tls_insecure && options.client.ca_file.is_none());
        assert!(
            !format!("{options:?}").contains("pw\""),
            "password hidden in Debug"
        );
    }

    #[test]
    fn every_option_is_read() {
        let options = ExportOptions::parse(&map(&[
            ("host", "mm.example"),
            ("client_id", "bursar"),
            ("client_password", "pw"),
            ("port", "8443"),
            ("account_prefix", "LAKE"),
            ("package", "PREMIUM"),
            ("autopurge", "true"),
            ("use_agent_custid", "Y"),
            ("debug", "1"),
            ("timeout_secs", "5"),
            ("connect_timeout_secs", "2"),
            ("ca_file", "/etc/mm.pem"),
            ("tls_insecure", "yes"),
            ("scheme", "http"),
        ]))
        .unwrap();
        assert_eq!(options.client.port, 8443);
        assert_eq!(options.client.scheme, Scheme::Http);
        assert_eq!(options.account_prefix, "LAKE");
        assert_eq!(options.package, "PREMIUM");
        assert!(options.autopurge && options.use_agent_custid && options.client.debug);
        assert!(options.client.tls_insecure);
        assert_eq!(options.client.timeout, Duration::from_secs(5));
        assert_eq!(options.client.ca_file, Some(PathBuf::from("/etc/mm.pem")));
    }

    #[test]
    fn bad_options_are_refused_by_name() {
        let err = ExportOptions::parse(&map(&[("host", "mm.example")])).unwrap_err();
        assert_eq!(err, "missing required option client_id");
        let err = ExportOptions::parse(&map(&[
            ("host", "mm.example"),
            ("client_id", "bursar"),
            ("client_password", "pw"),
            ("scheme", "ftp"),
        ]))
        .unwrap_err();
        assert!(err.contains("option scheme"), "{err}");
    }
}
