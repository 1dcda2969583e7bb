//! TLS: the emulator's self-signed certificate is trusted through
//! `ca_file`, refused without it, accepted with `tls_insecure`; a wrong
//! host name or an expired certificate is refused.

use bursar_magicmail::sim::{SimConfig, SimHandle, TlsCert};
use bursar_magicmail::{Error, MagicMailExport};

use crate::support::{options, sim_with};

async fn tls_sim(cert: TlsCert) -> SimHandle {
    sim_with(SimConfig {
        tls: true,
        tls_cert: cert,
        ..SimConfig::default()
    })
    .await
}

fn export_with(sim: &SimHandle, host: &str, extra: &[(&str, &str)]) -> MagicMailExport {
    let mut map = options(sim, extra);
    map.remove("scheme");
    map.insert("host".into(), host.into());
    MagicMailExport::from_options(&map).unwrap()
}

#[tokio::test]
async fn the_certificate_is_verified() {
    let sim = tls_sim(TlsCert::Valid).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("sim.pem");
    std::fs::write(&ca, sim.cert_pem().unwrap()).unwrap();
    let ca = ca.to_str().unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let trusted = export_with(&sim, host, &[("ca_file", ca)]);
        assert!(trusted.client().base_url().starts_with("https://"));
        trusted.client().list_accounts().await.unwrap();
    }
    let untrusted = export_with(&sim, "localhost", &[]);
    let err = untrusted.client().list_accounts().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    let insecure = export_with(&sim, "localhost", &[("tls_insecure", "true")]);
    insecure.client().list_accounts().await.unwrap();
}

#[tokio::test]
async fn wrong_host_and_expired_certificates_are_refused() {
    for cert in [TlsCert::WrongHost, TlsCert::Expired] {
        let sim = tls_sim(cert).await;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("sim.pem");
        std::fs::write(&ca, sim.cert_pem().unwrap()).unwrap();
        let export = export_with(&sim, "localhost", &[("ca_file", ca.to_str().unwrap())]);
        let err = export.client().list_accounts().await.unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{cert:?}: {err:?}");
        let insecure = export_with(&sim, "localhost", &[("tls_insecure", "true")]);
        insecure.client().list_accounts().await.unwrap();
    }
}

#[tokio::test]
async fn a_missing_ca_file_is_a_configuration_error() {
    let sim = tls_sim(TlsCert::Valid).await;
    let mut map = options(&sim, &[("ca_file", "/nonexistent/ca.pem")]);
    map.remove("scheme");
    let err = MagicMailExport::from_options(&map).unwrap_err();
    assert!(
        err.starts_with("MagicMail client configuration: ca_file"),
        "{err}"
    );
}

#[tokio::test]
async fn the_certificate_files_are_reused_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        tls: true,
        cert_file: Some(dir.path().join("cert.pem")),
        key_file: Some(dir.path().join("key.pem")),
        ..SimConfig::default()
    };
    let first = sim_with(config.clone()).await;
    let pem = first.cert_pem().unwrap().to_string();
    drop(first);
    let second = sim_with(config).await;
    assert_eq!(second.cert_pem().unwrap(), pem);
}
