//! `bursar serve` in an empty folder: self-initialisation, reuse on the
//! second start, the listeners, and one-line failures.

use std::os::unix::fs::PermissionsExt;

use crate::support::{free_port, get, run, start, wait_healthy};

#[test]
fn serve_initialises_an_empty_folder_then_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]);
    wait_healthy(&mut server);
    assert_eq!(get(server.public, "/healthz").unwrap().0, 200);
    let (status, metrics) = get(server.backoffice, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains("bursar_build_info"), "{metrics}");
    assert_eq!(
        get(server.public, "/metrics").unwrap().0,
        404,
        "metrics stay off the public listener"
    );

    let config = std::fs::read_to_string(dir.path().join("bursar.toml")).unwrap();
    let secret_line = config
        .lines()
        .find(|l| l.starts_with("shared_secret"))
        .unwrap()
        .to_string();
    assert!(secret_line.len() > 30, "a generated secret: {secret_line}");
    let key_path = dir.path().join("bursar-data/card.key");
    let key = std::fs::read_to_string(&key_path).unwrap();
    assert_eq!(
        std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(dir.path().join("bursar-data/bursar.db").exists());
    drop(server);

    // The second start reuses the configuration, key and database.
    let mut server = start(dir.path(), &[]);
    wait_healthy(&mut server);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bursar.toml")).unwrap(),
        config
    );
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key);
    let shown = run(dir.path(), &["catalog", "show"]);
    let text = String::from_utf8(shown.stdout).unwrap();
    assert_eq!(text.matches("[[agent]]").count(), 1, "{text}");
    assert!(text.contains("referral = \"Direct\""), "{text}");
}

#[test]
fn a_second_server_on_the_same_folder_is_refused_after_kill_9_a_restart_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = start(dir.path(), &[]);
    wait_healthy(&mut first);
    let second = run(dir.path(), &["serve"]);
    assert!(!second.status.success());
    // kill -9 needs no cleanup.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let mut again = start(dir.path(), &[]);
    wait_healthy(&mut again);
}

fn assert_one_line_failure(output: &std::process::Output, needle: &str) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].contains(needle), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn bad_configuration_and_taken_ports_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bursar.toml"),
        "[database]\nurl = \"mysql://x\"\n",
    )
    .unwrap();
    assert_one_line_failure(&run(dir.path(), &["init"]), "unsupported database URL");

    std::fs::write(dir.path().join("bursar.toml"), "[databse]\nurl = \"x\"\n").unwrap();
    assert_one_line_failure(&run(dir.path(), &["init"]), "databse");

    let port = free_port();
    std::fs::write(
        dir.path().join("bursar.toml"),
        format!("[database]\nurl = \"postgres://nobody:pw@127.0.0.1:{port}/none\"\n"),
    )
    .unwrap();
    let output = run(dir.path(), &["init"]);
    assert_one_line_failure(&output, "cannot open the database");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(":pw@"),
        "the password stays hidden"
    );

    let unreadable = tempfile::tempdir().unwrap();
    std::fs::create_dir(unreadable.path().join("bursar.toml")).unwrap();
    assert_one_line_failure(&run(unreadable.path(), &["init"]), "bursar.toml");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let fresh = tempfile::tempdir().unwrap();
    let output = crate::support::command(fresh.path(), &["serve"])
        .env(
            "BURSAR_BACKOFFICE_LISTEN",
            format!("127.0.0.1:{taken_port}"),
        )
        .output()
        .unwrap();
    assert_one_line_failure(&output, "cannot listen on");
}

#[test]
fn an_existing_configuration_and_key_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bursar.toml"),
        "[api]\nshared_secret = \"mine\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("bursar-data")).unwrap();
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    std::fs::write(dir.path().join("bursar-data/card.key"), key).unwrap();
    let output = run(dir.path(), &["init"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bursar.toml")).unwrap(),
        "[api]\nshared_secret = \"mine\"\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bursar-data/card.key")).unwrap(),
        key
    );
}
