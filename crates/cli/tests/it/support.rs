//! Running the binary: a scratch folder, free ports, waiting for /healthz.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bursar() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bursar"))
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A command running `bursar ARGS` in `dir` with a clean `BURSAR_*` environment.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bursar());
    cmd.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("BURSAR_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("BURSAR_LOG", "warn");
    cmd
}

/// Runs `bursar ARGS` to completion.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run bursar")
}

/// A running `bursar serve`, killed on drop.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Back-office port.
    pub backoffice: u16,
    /// Public port.
    pub public: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bursar serve` in `dir` on free ports with extra environment.
pub fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
    let backoffice = free_port();
    let public = free_port();
    let mut cmd = command(dir, &["serve"]);
    cmd.env(
        "BURSAR_BACKOFFICE_LISTEN",
        format!("127.0.0.1:{backoffice}"),
    )
    .env("BURSAR_PUBLIC_LISTEN", format!("127.0.0.1:{public}"))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (key, value) in env {
        cmd.env(key, value);
    }
    let child = cmd.spawn().expect("spawn bursar serve");
    Server {
        child,
        backoffice,
        public,
    }
}

/// A plain HTTP/1.0 GET; returns (status, body), or None when not answering.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Waits until /healthz answers 200 on the back-office port; returns how long it took.
pub fn wait_healthy(server: &mut Server) -> Duration {
    let port = server.backoffice;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some((200, _)) = get(port, "/healthz") {
            return started.elapsed();
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = server.child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!("bursar serve exited with {status}: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("bursar serve did not answer /healthz within 30 s");
}
