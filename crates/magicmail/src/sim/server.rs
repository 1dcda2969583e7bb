//! The emulator's accept loop: plain HTTP or TLS (a self-signed
//! certificate generated at start, or kept in files), HTTP/1.0 and 1.1 via
//! hyper, and the per-connection control the fault effects need to close
//! or reset a connection without answering.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::{SimConfig, SimError, TlsCert};

/// Lets a handler drop the connection its request came on.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    notify: Notify,
    reset: AtomicBool,
}

impl ConnControl {
    /// Closes the connection without a reply; with `reset`, sends an RST.
    pub(crate) fn drop_connection(&self, reset: bool) {
        self.reset.store(reset, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

/// The TLS acceptor and the certificate clients should trust.
pub(crate) struct TlsSetup {
    pub acceptor: TlsAcceptor,
    pub cert_pem: String,
}

/// Loads the certificate and key from their files, or generates them (and
/// writes them when paths are configured).
pub(crate) fn tls_setup(config: &SimConfig) -> Result<TlsSetup, SimError> {
    let (cert_pem, key_pem) = match (&config.cert_file, &config.key_file) {
        (Some(cert), Some(key)) if cert.exists() && key.exists() => (
            std::fs::read_to_string(cert)?,
            std::fs::read_to_string(key)?,
        ),
        (cert_file, key_file) => {
            let (cert_pem, key_pem) = generate_certificate(config.tls_cert)?;
            if let Some(cert) = cert_file {
                std::fs::write(cert, &cert_pem)?;
            }
            if let Some(key) = key_file {
                write_private(key, &key_pem)?;
            }
            (cert_pem, key_pem)
        }
    };
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, e: &dyn std::fmt::Display| SimError::Config(format!("{what}: {e}"));
    let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("certificate", &e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| bad("key", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("TLS", &e))?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(server_config)),
        cert_pem,
    })
}

fn generate_certificate(kind: TlsCert) -> Result<(String, String), SimError> {
    let bad = |e: rcgen::Error| SimError::Config(format!("certificate generation: {e}"));
    let names: Vec<String> = match kind {
        TlsCert::WrongHost => vec!["wrong-host.invalid".into()],
        TlsCert::Valid | TlsCert::Expired => {
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
        }
    };
    let mut params = rcgen::CertificateParams::new(names).map_err(bad)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "magicmail-sim");
    if kind == TlsCert::Expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = rcgen::KeyPair::generate().map_err(bad)?;
    let cert = params.self_signed(&key).map_err(bad)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// Accepts connections until shutdown.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    tokio::spawn(connection(tcp, tls.clone(), app.clone(), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!("magicmail-sim accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => break,
        }
    }
}

async fn connection(
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    app: Router,
    shutdown: watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    // A second descriptor of the socket, so that a reset can set SO_LINGER
    // to zero after hyper owns the stream.
    let raw = {
        use std::os::fd::AsFd as _;
        tcp.as_fd()
            .try_clone_to_owned()
            .ok()
            .map(socket2::Socket::from)
    };
    let control = Arc::new(ConnControl::default());
    let service = {
        let control = control.clone();
        tower::service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(control.clone());
            app.clone().oneshot(request)
        })
    };
    let service = hyper_util::service::TowerToHyperService::new(service);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).keep_alive(true);
    match tls {
        None => {
            let conn = builder.serve_connection(TokioIo::new(tcp), service);
            drive(conn, &control, raw, shutdown).await;
        }
        Some(acceptor) => {
            let Ok(Ok(stream)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            drive(conn, &control, raw, shutdown).await;
        }
    }
}

/// Runs one connection until it ends, a handler drops it, or shutdown.
async fn drive<C: Future>(
    conn: C,
    control: &ConnControl,
    raw: Option<socket2::Socket>,
    mut shutdown: watch::Receiver<bool>,
) {
    let conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn => {}
        _ = control.notify.notified() => {
            if control.reset.load(Ordering::SeqCst) {
                if let Some(raw) = &raw {
                    let _ = raw.set_linger(Some(Duration::ZERO));
                }
            }
        }
        _ = shutdown.changed() => {}
    }
    // The connection (and its descriptor) is dropped here; `raw` last, so
    // with SO_LINGER at zero the final close sends the RST.
}
