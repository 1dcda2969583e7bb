//! Who may call the back-office API: the shared secret (compared in constant
//! time over SHA-256 digests, so neither content nor length leaks) and the
//! optional network allow-list.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// Failed-secret counts per peer, for throttling.
    throttle: std::sync::Arc<Throttle>,
}

/// Failed secrets counted per peer: after [`Throttle::LIMIT`] failures in a
/// minute a non-loopback peer is refused (429) for a minute. Loopback peers
/// are never throttled: they are this host's own processes.
#[derive(Debug, Default)]
pub struct Throttle {
    peers: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Throttle {
    /// Failures allowed per minute.
    pub const LIMIT: u32 = 20;
    const WINDOW: Duration = Duration::from_secs(60);

    /// Counts one failed secret from `peer`.
    pub fn record_failure(&self, peer: IpAddr) {
        if peer.is_loopback() {
            return;
        }
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let entry = peers.entry(peer).or_insert((now, 0));
        if now.duration_since(entry.0) > Self::WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if peers.len() > 100_000 {
            peers.retain(|_, (since, _)| now.duration_since(*since) <= Self::WINDOW);
        }
    }

    /// True while `peer` is refused.
    pub fn blocked(&self, peer: IpAddr) -> bool {
        if peer.is_loopback() {
            return false;
        }
        let peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        peers
            .get(&peer)
            .is_some_and(|(since, count)| *count >= Self::LIMIT && since.elapsed() <= Self::WINDOW)
    }
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
            throttle: std::sync::Arc::new(Throttle::default()),
        }
    }

    /// The failed-secret counter.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
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
    fn twenty_failures_block_a_remote_peer_but_never_loopback() {
        let throttle = Throttle::default();
        let remote: IpAddr = "192.0.2.7".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..Throttle::LIMIT {
            assert!(!throttle.blocked(remote));
            throttle.record_failure(remote);
            throttle.record_failure(local);
        }
        assert!(throttle.blocked(remote));
        assert!(!throttle.blocked(local));
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
