//! Wire compatibility: real XML-RPC clients written by others (Python's
//! `xmlrpc.client`, Perl's `Frontier::Client`) run their scenarios in
//! tests/clients/ against the built binary over real HTTP, on SQLite and on
//! PostgreSQL. `BURSAR_REQUIRE_CLIENTS=1` (set by CI) makes a missing client
//! a failure instead of a printed skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{start, wait_healthy};

const SECRET: &str = "compat-s3cr3t";

const CATALOG: &str = "[[package_def]]\npkgpart = 1\npkg = \"Mail Basic\"\nsetup_fee = \"10.00\"\nrecur_fee = \"19.95\"\nfreq = \"1\"\n";

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn client_available(program: &str, probe: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("BURSAR_REQUIRE_CLIENTS").as_deref() == Ok("1") {
            panic!("{program} {probe:?} is required (BURSAR_REQUIRE_CLIENTS=1) but unavailable");
        }
        eprintln!("skipping: {program} {probe:?} is not available");
    }
    ok
}

/// Runs `program script URL SECRET` against a fresh server on each backend.
fn run_scenario(program: &str, script: &str) {
    let mut databases: Vec<Option<String>> = vec![None];
    databases.extend(bursar_store::testing::postgres_url().map(Some));
    for database in databases {
        let dir = tempfile::tempdir().unwrap();
        let mut env: Vec<(&str, &str)> = vec![("BURSAR_API_SHARED_SECRET", SECRET)];
        if let Some(url) = &database {
            env.push(("BURSAR_DATABASE_URL", url));
        }
        std::fs::write(dir.path().join("catalog.toml"), CATALOG).unwrap();
        let mut apply = crate::support::command(dir.path(), &["catalog", "apply", "catalog.toml"]);
        for (key, value) in &env {
            apply.env(key, value);
        }
        let applied = apply.output().unwrap();
        assert!(
            applied.status.success(),
            "{}",
            String::from_utf8_lossy(&applied.stderr)
        );
        let mut server = start(dir.path(), &env);
        wait_healthy(&mut server);
        let url = format!("http://127.0.0.1:{}/", server.backoffice);
        let output = Command::new(program)
            .arg(clients_dir().join(script))
            .arg(&url)
            .arg(SECRET)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("all ok"),
            "{script} on {}:\n{stdout}\n{stderr}",
            database.as_deref().map(|_| "postgres").unwrap_or("sqlite")
        );
    }
}

#[test]
fn python_xmlrpc_client_scenario() {
    if client_available("python3", &["-c", "import xmlrpc.client"]) {
        run_scenario("python3", "backoffice.py");
    }
}

#[test]
fn perl_frontier_client_scenario() {
    if client_available("perl", &["-MFrontier::Client", "-e", "1"]) {
        run_scenario("perl", "backoffice.pl");
    }
}
