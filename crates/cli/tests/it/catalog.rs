//! `bursar catalog apply|show` and `bursar customer list|show` through the
//! binary: idempotence, refusals naming file, line and key, stdout
//! discipline.

use crate::support::run;

const CATALOG: &str = r#"
[[agent]]
agentnum = 2
agent = "Resale"

[[advertising_source]]
refnum = 2
referral = "Flyer"

[[tax]]
country = "US"
state = "CA"
name = "CA sales tax"
rate = "7.25"

[[export]]
name = "mail"
type = "magicmail"
[export.options]
host = "127.0.0.1"
port = 8443
client_id = "bursar"
client_password = "hunter2"

[[service_def]]
svcpart = 1
svc = "Mailbox"
table = "svc_acct"
exports = ["mail"]
domains = ["lakeside.example"]
password_encoding = "crypt-md5"

[[package_def]]
pkgpart = 1
pkg = "Mail Basic"
setup_fee = "10.00"
recur_fee = "19.95"
freq = "1"
services = [{ svcpart = 1, quantity = 1 }]
"#;

#[test]
fn applying_a_catalog_twice_changes_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.toml"), CATALOG).unwrap();
    let first = run(dir.path(), &["catalog", "apply", "catalog.toml"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report = String::from_utf8(first.stdout).unwrap();
    assert_eq!(report.lines().count(), 6, "{report}");
    assert!(
        report.contains("created package_def 1 \"Mail Basic\""),
        "{report}"
    );
    let second = run(dir.path(), &["catalog", "apply", "catalog.toml"]);
    assert_eq!(String::from_utf8(second.stdout).unwrap(), "no changes\n");

    // What show prints applies as no change, and hides the secret.
    let shown = String::from_utf8(run(dir.path(), &["catalog", "show"]).stdout).unwrap();
    assert!(shown.contains("client_password = \"<secret>\""), "{shown}");
    assert!(!shown.contains("hunter2"));
    std::fs::write(dir.path().join("shown.toml"), &shown).unwrap();
    let third = run(dir.path(), &["catalog", "apply", "shown.toml"]);
    assert_eq!(
        String::from_utf8(third.stdout).unwrap(),
        "no changes\n",
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
}

#[test]
fn a_bad_catalog_is_refused_with_file_line_and_key_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = CATALOG.replace(
        "services = [{ svcpart = 1, quantity = 1 }]",
        "services = [{ svcpart = 9, quantity = 1 }]",
    );
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let output = run(dir.path(), &["catalog", "apply", "bad.toml"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("bad.toml:39: package_def.services: svcpart 9 is not defined"),
        "{stderr}"
    );
    let shown = String::from_utf8(run(dir.path(), &["catalog", "show"]).stdout).unwrap();
    assert!(!shown.contains("Resale"), "nothing applied: {shown}");

    std::fs::write(
        dir.path().join("typo.toml"),
        "[[agent]]\nagentnum = 3\nagnet = \"x\"\n",
    )
    .unwrap();
    let output = run(dir.path(), &["catalog", "apply", "typo.toml"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("typo.toml:3: agent.agnet: unknown field `agnet`"),
        "{stderr}"
    );

    let sha = CATALOG.replace(
        "password_encoding = \"crypt-md5\"",
        "password_encoding = \"crypt-sha512\"",
    );
    std::fs::write(dir.path().join("sha.toml"), sha).unwrap();
    let stderr =
        String::from_utf8(run(dir.path(), &["catalog", "apply", "sha.toml"]).stderr).unwrap();
    assert!(
        stderr.contains("password encoding crypt-sha512 not supported by MagicMail"),
        "{stderr}"
    );
}

#[test]
fn customer_commands_print_to_stdout_and_fail_for_unknown_numbers() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init"]).status.success());
    let list = run(dir.path(), &["customer", "list"]);
    assert!(list.status.success());
    assert!(String::from_utf8(list.stdout)
        .unwrap()
        .trim_start()
        .starts_with("custnum"));
    let missing = run(dir.path(), &["customer", "show", "42"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8(missing.stderr)
        .unwrap()
        .contains("unknown customer 42"));
}
