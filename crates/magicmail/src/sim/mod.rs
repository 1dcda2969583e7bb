//! `magicmail-sim`: an emulator of the MagicMail HTTP API v2 server
//! (spec 5), strict about authentication, `client_type`, parameters and
//! state rules, with fault injection, for tests and demos.
//!
//! Files: `state.rs` (the model and the rules of 5.2, no I/O), `fault.rs`
//! (the match and effect menu of 5.5), `http.rs` (the axum handlers: the
//! API under `/api/v2` and the `/_sim/` control API), `server.rs` (the
//! accept loop: plain HTTP or TLS with a self-signed certificate, and the
//! dropped and reset connections faults need).
//!
//! Tests start it in-process with `spawn` on `127.0.0.1:0` and drive it
//! through `SimHandle`; the binary reads a TOML file and serves until
//! interrupted. All state sits behind one mutex, so runs are deterministic.

mod fault;
mod http;
mod server;
mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

pub use fault::{Fault, FaultEffect, FaultId, FaultMatch, When};
pub use state::{SimAccount, SimAddress, SimDomain, SimUser, Snapshot};

/// An API client the emulator accepts (created in MagicMail's admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimClient {
    /// The client id (Basic auth user).
    pub id: String,
    /// The client password.
    pub password: String,
    /// The client type every request must carry.
    #[serde(default = "default_client_type")]
    pub client_type: String,
    /// The system domains visible to this client.
    #[serde(default)]
    pub domains: Vec<String>,
}

fn default_client_type() -> String {
    "FREESIDE".to_string()
}

/// Which certificate the TLS listener presents (spec 5.5, last row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsCert {
    /// Self-signed, valid now, for `localhost`, `127.0.0.1` and `::1`.
    #[default]
    Valid,
    /// Valid now but for `wrong-host.invalid` only.
    WrongHost,
    /// For the right names but expired.
    Expired,
}

/// The body of a successful purge or removal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeBody {
    /// An empty 200 body.
    #[default]
    Empty,
    /// `<response><result>ok</result></response>`.
    Xml,
}

/// The emulator's configuration (the `[sim]` table of its TOML file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Serve HTTPS with a self-signed certificate; false is plain HTTP.
    pub tls: bool,
    /// Which certificate to present.
    pub tls_cert: TlsCert,
    /// Where to keep the certificate (PEM): reused when it exists, written
    /// when generated, so clients can pin it across restarts.
    pub cert_file: Option<PathBuf>,
    /// Where to keep the certificate's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// The HTTP status of API errors: 200, 400 or 500.
    pub error_status: u16,
    /// The code for a missing user (B-8).
    pub user_not_found_code: String,
    /// What successful purges answer.
    pub purge_body: PurgeBody,
    /// Refuse `encrypted` passwords that are not DES or MD5 crypt (U6).
    pub strict_passwords: bool,
    /// The package every non-master user gets (U3).
    pub additional_user_package: String,
    /// The package catalogue.
    pub packages: Vec<String>,
    /// The API clients.
    #[serde(rename = "client")]
    pub clients: Vec<SimClient>,
    /// A JSON file holding the state across restarts.
    pub state_file: Option<PathBuf>,
    /// Serve the `/_sim/` control API over HTTP.
    pub control_api: bool,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            tls_cert: TlsCert::Valid,
            cert_file: None,
            key_file: None,
            error_status: 400,
            user_not_found_code: "account.error.not_found".into(),
            purge_body: PurgeBody::Empty,
            strict_passwords: true,
            additional_user_package: "ADDITIONAL NOCOST MAILBOX".into(),
            packages: vec![
                "EMAIL".into(),
                "ADDITIONAL NOCOST MAILBOX".into(),
                "PREMIUM".into(),
            ],
            clients: vec![SimClient {
                id: "bursar".into(),
                password: "s3cret".into(),
                client_type: default_client_type(),
                domains: vec!["lakeside.example".into()],
            }],
            state_file: None,
            control_api: false,
        }
    }
}

/// One request as the emulator saw it (spec 5.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// `GET` or `POST` (or whatever came).
    pub method: String,
    /// The resource (`account`, `user`, …), empty for an unknown route.
    pub resource: String,
    /// The operation name of spec 3, empty when not recognised.
    pub op: String,
    /// The decoded path id.
    pub id: Option<String>,
    /// The decoded parameters, `password` masked, `client_type` included.
    pub params: std::collections::BTreeMap<String, String>,
    /// Whether the credentials were valid.
    pub auth_ok: bool,
    /// The status sent; `None` when the connection was dropped or hung.
    pub status: Option<u16>,
    /// The fault that fired, if any.
    pub fault: Option<FaultId>,
}

impl LoggedRequest {
    /// A short form for assertions: the operation, the id and the
    /// parameters that say what the call does (`purge_user ada
    /// force=true`, `set_account_status FREESIDE7 status=deleted`).
    pub fn summary(&self) -> String {
        let mut text = self.op.clone();
        if let Some(id) = &self.id {
            text.push(' ');
            text.push_str(id);
        }
        for (name, value) in &self.params {
            if matches!(
                name.as_str(),
                "force" | "status" | "package" | "master_user"
            ) {
                text.push_str(&format!(" {name}={value}"));
            }
        }
        text
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Binding, reading or writing a file.
    #[error("magicmail-sim: {0}")]
    Io(#[from] std::io::Error),
    /// A bad setting or an unreadable state or certificate file.
    #[error("magicmail-sim: {0}")]
    Config(String),
}

/// A fault in force and how many calls it matched so far.
#[derive(Debug, Clone)]
struct ActiveFault {
    id: FaultId,
    fault: Fault,
    matched: u32,
}

/// What the mutex guards.
#[derive(Debug, Default)]
struct Inner {
    state: Snapshot,
    log: Vec<LoggedRequest>,
    faults: Vec<ActiveFault>,
    next_fault: FaultId,
}

/// The emulator's shared core: configuration and the guarded state.
#[derive(Debug)]
struct Shared {
    config: SimConfig,
    rules: state::Rules,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the state file, if configured. Failures are logged: a demo
    /// must not stop answering because its disk is full.
    fn persist(&self, state: &Snapshot) {
        let Some(path) = &self.config.state_file else {
            return;
        };
        if let Err(e) = write_state(path, state) {
            tracing::error!(path = %path.display(), "cannot write the state file: {e}");
        }
    }

    fn reset(&self) {
        let mut inner = self.lock();
        inner.state = Snapshot::default();
        inner.log.clear();
        inner.faults.clear();
        self.persist(&inner.state);
    }

    fn set_state(&self, state: Snapshot) {
        let mut inner = self.lock();
        inner.state = state;
        self.persist(&inner.state);
    }

    fn add_fault(&self, fault: Fault) -> FaultId {
        let mut inner = self.lock();
        inner.next_fault += 1;
        let id = inner.next_fault;
        inner.faults.push(ActiveFault {
            id,
            fault,
            matched: 0,
        });
        id
    }
}

fn write_state(path: &Path, state: &Snapshot) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, path)
}

fn read_state(path: &Path) -> Result<Snapshot, SimError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| SimError::Config(format!("state file {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Snapshot::default()),
        Err(e) => Err(SimError::Io(e)),
    }
}

/// Controls a running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    cert_pem: Option<String>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl SimHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub fn base_url(&self) -> String {
        let scheme = if self.shared.config.tls {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The TLS certificate (PEM) clients should trust, when serving TLS.
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// A copy of the whole state.
    pub fn state(&self) -> Snapshot {
        self.shared.lock().state.clone()
    }

    /// Replaces the whole state (test starting states).
    pub fn set_state(&self, state: Snapshot) {
        self.shared.set_state(state);
    }

    /// Every request so far, oldest first.
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// The summaries of every logged API call (see `LoggedRequest::summary`).
    pub fn calls(&self) -> Vec<String> {
        self.shared
            .lock()
            .log
            .iter()
            .map(LoggedRequest::summary)
            .collect()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Empties the state, the log and the faults.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Plans a fault; returns its id.
    pub fn add_fault(&self, fault: Fault) -> FaultId {
        self.shared.add_fault(fault)
    }

    /// Removes every planned fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Stops the server (also done on drop).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the emulator on `config.listen` and returns the bound address and
/// its handle. The server runs on the current tokio runtime until the
/// handle is dropped.
///
/// # Errors
/// A bad setting, an unreadable state or certificate file, or a failed bind.
pub async fn spawn(config: SimConfig) -> Result<(SocketAddr, SimHandle), SimError> {
    if !matches!(config.error_status, 200 | 400 | 500) {
        return Err(SimError::Config(format!(
            "error_status must be 200, 400 or 500, not {}",
            config.error_status
        )));
    }
    if config.clients.is_empty() {
        return Err(SimError::Config("no API client configured".into()));
    }
    let state = match &config.state_file {
        Some(path) => read_state(path)?,
        None => Snapshot::default(),
    };
    let tls = if config.tls {
        Some(server::tls_setup(&config)?)
    } else {
        None
    };
    let cert_pem = tls.as_ref().map(|t| t.cert_pem.clone());
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let mut packages = config.packages.clone();
    if !packages
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&config.additional_user_package))
    {
        packages.push(config.additional_user_package.clone());
    }
    let rules = state::Rules {
        user_not_found_code: config.user_not_found_code.clone(),
        strict_passwords: config.strict_passwords,
        additional_user_package: config.additional_user_package.clone(),
        packages,
    };
    let shared = Arc::new(Shared {
        config,
        rules,
        inner: Mutex::new(Inner {
            state,
            ..Inner::default()
        }),
    });
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let app = http::router(shared.clone());
    tokio::spawn(server::serve(
        listener,
        tls.map(|t| t.acceptor),
        app,
        shutdown_rx,
    ));
    tracing::info!(%addr, "magicmail-sim listening");
    Ok((
        addr,
        SimHandle {
            shared,
            addr,
            cert_pem,
            shutdown,
        },
    ))
}
