//! `magicmail-sim`: the MagicMail API v2 emulator as a program, for demos
//! and for tests written in other languages. It reads an optional TOML file
//! (a `[sim]` table, spec 5.3), serves HTTPS (or HTTP with `--no-tls`) with
//! the `/_sim/` control API on, and runs until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;

use bursar_magicmail::sim::{spawn, SimConfig};
use clap::Parser;

/// MagicMail HTTP API v2 emulator.
#[derive(Debug, Parser)]
#[command(name = "magicmail-sim", version)]
struct Args {
    /// TOML file with a `[sim]` table (listen, tls, clients, packages, …).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8443).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    no_tls: bool,
    /// JSON file that keeps the state across restarts.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Where to write (or read) the TLS certificate, for clients' `ca_file`.
    #[arg(long)]
    cert_file: Option<PathBuf>,
    /// Where to write (or read) the TLS private key.
    #[arg(long)]
    key_file: Option<PathBuf>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    sim: Option<SimConfig>,
}

fn config(args: &Args) -> Result<SimConfig, String> {
    let mut config = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let file: File =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            file.sim.unwrap_or_else(demo_defaults)
        }
        None => demo_defaults(),
    };
    config.control_api = true;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if args.no_tls {
        config.tls = false;
    }
    if args.state_file.is_some() {
        config.state_file.clone_from(&args.state_file);
    }
    if args.cert_file.is_some() {
        config.cert_file.clone_from(&args.cert_file);
    }
    if args.key_file.is_some() {
        config.key_file.clone_from(&args.key_file);
    }
    Ok(config)
}

fn demo_defaults() -> SimConfig {
    SimConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
        tls: true,
        ..SimConfig::default()
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MAGICMAIL_SIM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = match config(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("magicmail-sim: error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (addr, handle) = match spawn(config).await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("magicmail-sim listening on {}", handle.base_url());
    tracing::info!(%addr, "serving until interrupted");
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown();
    std::process::ExitCode::SUCCESS
}
