//! Who may call the back-office API: the shared secret (compared in constant
//! time over SHA-256 digests, so neither content nor length leaks) and the
//! optional network allow-list.

use std::net::IpAddr;

use ipnet::IpNet;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The back-office settings the transport and methods read.
#[derive(Clone)]
pub struct BackofficeSettings {
    secret_digest: [u8; 32],
    secret_is_empty: bool,
    /// Networks allowed to call (`backoffice.allow_from`); empty = anyone
    /// who can reach the socket.
    pub allow_from: Vec<IpNet>,
    /// Largest request body (`backoffice.max_body`, default 1 MiB).
    pub max_body: usize,
    /// Keep connections alive between calls (`backoffice.keep_alive`).
    pub keep_alive: bool,
    /// Accept `name` as an alias of `FS.API.name` (`backoffice.bare_method_names`).
    pub bare_method_names: bool,
    /// Agent for `new_customer` calls that send none (`api.default_agentnum`).
    pub default_agentnum: Option<i64>,
    /// Advertising source for `new_customer` calls that send none (`api.default_refnum`).
    pub default_refnum: i64,
    /// Blank service passwords in `customer_list_svcs` (`api.redact_service_secrets`).
    pub redact_service_secrets: bool,
}

impl std::fmt::Debug for BackofficeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackofficeSettings")
            .field("secret", &"<secret>")
            .field("allow_from", &self.allow_from)
            .finish_non_exhaustive()
    }
}

impl BackofficeSettings {
    /// Settings with this shared secret and the defaults.
    pub fn new(shared_secret: &str) -> BackofficeSettings {
        BackofficeSettings {
            secret_digest: Sha256::digest(shared_secret.as_bytes()).into(),
            secret_is_empty: shared_secret.is_empty(),
            allow_from: Vec::new(),
            max_body: 1024 * 1024,
            keep_alive: true,
            bare_method_names: true,
            default_agentnum: None,
            default_refnum: 1,
            redact_service_secrets: false,
        }
    }

    /// True when `sent` is the configured secret. An empty configured secret
    /// matches nothing.
    pub fn secret_matches(&self, sent: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(sent.as_bytes()).into();
        let equal: bool = digest.ct_eq(&self.secret_digest).into();
        equal && !self.secret_is_empty
    }

    /// True when `peer` may call.
    pub fn allows(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(peer),
            v4 => v4,
        };
        self.allow_from.is_empty() || self.allow_from.iter().any(|net| net.contains(&peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_exactly_and_empty_matches_nothing() {
        let settings = BackofficeSettings::new("s3cr3t");
        assert!(settings.secret_matches("s3cr3t"));
        assert!(!settings.secret_matches("s3cr3"));
        assert!(!settings.secret_matches(""));
        let empty = BackofficeSettings::new("");
        assert!(!empty.secret_matches(""));
    }

    #[test]
    fn allow_list_checks_networks() {
        let mut settings = BackofficeSettings::new("x");
        assert!(settings.allows("10.1.2.3".parse().unwrap()));
        settings.allow_from = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        assert!(settings.allows("10.1.2.3".parse().unwrap()));
        assert!(settings.allows("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!settings.allows("192.168.1.1".parse().unwrap()));
        assert!(settings.allows("::1".parse().unwrap()));
    }
}
