//! Shared helpers: an emulator on 127.0.0.1:0, a client and an export
//! pointed at it, and the customer and service facts the hooks take.

use std::collections::BTreeMap;

use bursar_core::model::PasswordEncoding;
use bursar_magicmail::sim::{spawn, SimConfig, SimHandle};
use bursar_magicmail::{
    CustomerFacts, MagicMailClient, MagicMailExport, MagicService, MailService, Password,
};

/// The account of customer 12 with the default prefix.
pub const ACCT: &str = "FREESIDE12";
/// The mailbox password used in the tests (must never reach a log).
pub const MAILBOX_PASSWORD: &str = "Sup3r-Secret!pw";

pub async fn sim() -> SimHandle {
    sim_with(SimConfig::default()).await
}

pub async fn sim_with(config: SimConfig) -> SimHandle {
    spawn(config).await.expect("emulator starts").1
}

/// Export options reaching `sim` over plain HTTP with a 2 s timeout.
pub fn options(sim: &SimHandle, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut options: BTreeMap<String, String> = [
        ("host", "127.0.0.1".to_string()),
        ("port", sim.addr().port().to_string()),
        ("client_id", "bursar".to_string()),
        ("client_password", "s3cret".to_string()),
        ("scheme", "http".to_string()),
        ("timeout_secs", "2".to_string()),
        ("connect_timeout_secs", "2".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        options.insert(k.to_string(), v.to_string());
    }
    options
}

pub fn export(sim: &SimHandle, extra: &[(&str, &str)]) -> MagicMailExport {
    MagicMailExport::from_options(&options(sim, extra)).expect("valid options")
}

pub fn client(sim: &SimHandle) -> MagicMailClient {
    export(sim, &[]).client().clone()
}

/// Customer 12 with these magic services (svcnum, username, packages).
pub fn customer(services: &[(i64, &str, &[&str])]) -> CustomerFacts {
    CustomerFacts {
        custnum: 12,
        agent_custid: None,
        first: "Ada".into(),
        last: "Lovelace".into(),
        magic_services: services
            .iter()
            .map(|(svcnum, username, packages)| MagicService {
                svcnum: *svcnum,
                username: username.to_string(),
                packages: packages.iter().map(|p| p.to_string()).collect(),
            })
            .collect(),
    }
}

/// A mail service on lakeside.example with a plain password.
pub fn service(svcnum: i64, username: &str) -> MailService {
    MailService {
        svcnum,
        username: username.into(),
        domain: "lakeside.example".into(),
        finger: "Ada King Lovelace".into(),
        password: Password::new(MAILBOX_PASSWORD),
        password_encoding: PasswordEncoding::Plain,
        account_id: None,
    }
}

/// The summaries of the calls made since the log was last cleared.
pub fn calls(sim: &SimHandle) -> Vec<String> {
    sim.calls()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
