//! The `magicmail-sim` program: starts from a TOML file, prints where it
//! listens, serves the API and the `/_sim/` control API, and keeps its
//! state in the state file across restarts.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use bursar_magicmail::{AccountFields, ClientConfig, MagicMailClient, Password, Scheme};

/// Starts the program and returns it with the base URL it printed.
fn start(config: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_magicmail-sim"))
        .arg("--config")
        .arg(config)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--no-tls")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("magicmail-sim starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("magicmail-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

fn client(url: &str) -> MagicMailClient {
    let port = url.rsplit(':').next().unwrap().parse().unwrap();
    let mut config = ClientConfig::new("127.0.0.1", "demo", Password::new("demo-pw"));
    config.scheme = Scheme::Http;
    config.port = port;
    MagicMailClient::new(&config).unwrap()
}

#[tokio::test]
async fn the_program_serves_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sim.toml");
    let state = dir.path().join("state.json");
    std::fs::write(
        &config,
        format!(
            "[sim]\nstate_file = {:?}\npackages = [\"EMAIL\"]\n\n\
             [[sim.client]]\nid = \"demo\"\npassword = \"demo-pw\"\ndomains = [\"demo.example\"]\n",
            state.to_str().unwrap()
        ),
    )
    .unwrap();

    let (mut first, url) = start(&config);
    client(&url)
        .add_account("DEMO1", &AccountFields::default())
        .await
        .unwrap();
    let dump = reqwest::get(format!("{url}/_sim/state"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dump.contains("DEMO1"), "{dump}");
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, url) = start(&config);
    let account = client(&url).get_account("DEMO1").await.unwrap();
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(account.is_some(), "the state survived the restart");
}

#[test]
fn a_bad_config_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[sim]\nlisten_on = \"x\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_magicmail-sim"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("listen_on"),
        "{stderr}"
    );
}
