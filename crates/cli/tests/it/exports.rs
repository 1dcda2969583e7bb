//! `bursar service …`, `bursar package …` and `bursar export …` through the
//! binary against an in-process MagicMail emulator: the catalog points an
//! export at it, `service add` prints only the new svcnum, refusals print
//! one error line and change nothing, `export audit` exits 1 on drift and
//! 0 without, and the repairs `audit --repair` queues are carried out by
//! the queue worker of `bursar serve`.
//!
//! The emulator runs on the test's multi-threaded runtime while the test
//! thread waits for the binary; customers and packages go straight into
//! the folder's database, as an import would put them there.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use bursar_core::model::{Customer, Location};
use bursar_magicmail::sim::{spawn, Fault, FaultEffect, SimConfig, SimHandle};
use bursar_store::customer::{insert_customer, NewCustomer};
use bursar_store::package::{order_package, NewPackage};
use bursar_store::{CardKey, Cipher, Store};
use sqlx::Row;

use crate::support::{run, start, wait_healthy};

fn catalog(sim: &SimHandle) -> String {
    format!(
        r#"
[[export]]
name = "mail"
type = "magicmail"
[export.options]
host = "127.0.0.1"
port = {port}
scheme = "http"
client_id = "bursar"
client_password = "s3cret"
timeout_secs = 5

[[service_def]]
svcpart = 1
svc = "Mailbox"
table = "svc_acct"
exports = ["mail"]
domains = ["lakeside.example"]
password_encoding = "crypt-md5"

[[package_def]]
pkgpart = 1
pkg = "Mail"
recur_fee = "9.95"
freq = "1"
services = [{{ svcpart = 1, quantity = 3 }}]
"#,
        port = sim.addr().port()
    )
}

async fn open(dir: &Path) -> Store {
    let key = std::fs::read_to_string(dir.join("bursar-data/card.key")).unwrap();
    let url = format!("sqlite://{}", dir.join("bursar-data/bursar.db").display());
    Store::open(
        &url,
        Cipher::new(&CardKey::from_base64(key.trim()).unwrap()),
    )
    .await
    .unwrap()
}

/// A customer with the mail package, straight into the database; its pkgnum.
async fn customer_with_package(dir: &Path) -> i64 {
    let store = open(dir).await;
    let usernum = store.api_usernum().await.unwrap();
    let new = NewCustomer {
        customer: Customer {
            agentnum: 1,
            refnum: 1,
            usernum,
            first: "Ada".into(),
            last: "Lovelace".into(),
            ..Customer::default()
        },
        bill_location: Location {
            address1: "1 Lake Road".into(),
            city: "Lakeside".into(),
            country: "US".into(),
            state: "CA".into(),
            zip: "54321".into(),
            ..Location::default()
        },
        ..NewCustomer::default()
    };
    let mut tx = store.write().await.unwrap();
    let custnum = insert_customer(&mut tx, &store, &new).await.unwrap();
    let locationnum: i64 = sqlx::query("SELECT bill_locationnum FROM cust_main WHERE custnum = $1")
        .bind(custnum)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    let package = NewPackage {
        custnum,
        pkgpart: 1,
        locationnum,
        quantity: 1,
        order_date: 1_700_000_000,
        start_date: None,
        contract_end: None,
        usernum,
        details: vec![],
    };
    let pkgnum = order_package(&mut tx, &package).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    pkgnum
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_packages_and_audit_through_the_binary() {
    let (_, sim) = spawn(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("catalog.toml"), catalog(&sim)).unwrap();
    ok(run(dir, &["catalog", "apply", "catalog.toml"]));
    let pkgnum = customer_with_package(dir).await.to_string();

    // add prints the svcnum and nothing else.
    let add = ok(run(
        dir,
        &[
            "service",
            "add",
            "--pkgnum",
            &pkgnum,
            "--svcpart",
            "1",
            "--username",
            "ada",
            "--domain",
            "lakeside.example",
            "--password",
            "Sup3rpw",
            "--finger",
            "Ada Lovelace",
        ],
    ));
    let svcnum = stdout(&add);
    assert!(
        svcnum.trim().parse::<i64>().is_ok()
            && svcnum.ends_with('\n')
            && svcnum.lines().count() == 1,
        "{svcnum:?}"
    );
    let svcnum = svcnum.trim().to_string();
    let user = sim.state().user("ada").unwrap().clone();
    assert!(user.master && user.password.starts_with("$1$"));
    let audit = ok(run(dir, &["export", "audit", "mail"]));
    assert_eq!(stdout(&audit), "no drift\n");

    // Edit, suspend, unsuspend.
    ok(run(
        dir,
        &["service", "edit", &svcnum, "--password", "n3w-pass"],
    ));
    assert_ne!(sim.state().user("ada").unwrap().password, user.password);
    ok(run(dir, &["service", "suspend", &svcnum]));
    assert_eq!(sim.state().user("ada").unwrap().status, "suspended");
    assert_eq!(
        stdout(&ok(run(dir, &["export", "audit", "mail"]))),
        "no drift\n"
    );
    ok(run(dir, &["service", "unsuspend", &svcnum]));
    assert_eq!(sim.state().user("ada").unwrap().status, "active");

    // Refusals: one line, exit 1, nothing changed.
    let before = sim.state();
    let duplicate = run(
        dir,
        &[
            "service",
            "add",
            "--pkgnum",
            &pkgnum,
            "--svcpart",
            "1",
            "--username",
            "ada",
            "--password",
            "x1y2z3",
        ],
    );
    assert!(!duplicate.status.success());
    assert_eq!(stderr(&duplicate).trim(), "bursar: error: Username in use");
    assert_eq!(stdout(&duplicate), "");
    sim.add_fault(Fault::on(
        "add_user",
        FaultEffect::api_error("user.error.invalid_username", "Username bob is reserved"),
    ));
    let refused = run(
        dir,
        &[
            "service",
            "add",
            "--pkgnum",
            &pkgnum,
            "--svcpart",
            "1",
            "--username",
            "bob",
            "--password",
            "x1y2z3",
        ],
    );
    assert!(!refused.status.success());
    assert_eq!(
        stderr(&refused).lines().last().unwrap(),
        "bursar: error: mail: user.error.invalid_username: Username bob is reserved"
    );
    sim.clear_faults();
    assert_eq!(sim.state(), before);

    // Drift: the platform lost ada. The audit says so (exit 1), --repair
    // queues the fix, and the queue of `bursar serve` carries it out.
    let mut lost = sim.state();
    lost.users.clear();
    lost.addresses.clear();
    sim.set_state(lost);
    let audit = run(dir, &["export", "audit", "mail"]);
    assert_eq!(audit.status.code(), Some(1));
    assert_eq!(
        stdout(&audit),
        format!("missing: ada: svcnum {svcnum} has no live user on the platform\n")
    );
    assert_eq!(
        run(dir, &["export", "audit", "mail", "--repair"])
            .status
            .code(),
        Some(1)
    );
    let jobs = stdout(&ok(run(dir, &["export", "jobs", "--status", "queued"])));
    assert!(
        jobs.lines()
            .skip(1)
            .any(|l| l.contains(" resync ") && l.contains(&svcnum)),
        "{jobs}"
    );
    {
        let mut server = start(dir, &[]);
        wait_healthy(&mut server);
        let started = Instant::now();
        while run(dir, &["export", "audit", "mail"]).status.code() != Some(0) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "serve did not repair the drift"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    assert_eq!(sim.state().user("ada").unwrap().status, "active");
    let done = stdout(&ok(run(dir, &["export", "jobs", "--status", "done"])));
    assert!(
        done.lines().skip(1).any(|l| l.contains(" resync ")),
        "{done}"
    );
    assert_eq!(
        stdout(&ok(run(dir, &["export", "jobs", "--status", "dead"])))
            .lines()
            .count(),
        1,
        "only the header"
    );
    let retry = run(dir, &["export", "retry", "9999"]);
    assert_eq!(stderr(&retry).trim(), "bursar: error: unknown job 9999");

    // The operator's test report.
    let report = stdout(&ok(run(dir, &["export", "test", "mail"])));
    assert!(
        report.contains("reachable, credentials accepted"),
        "{report}"
    );

    // Package suspension, unsuspension and cancellation drive the service.
    ok(run(dir, &["package", "suspend", &pkgnum]));
    assert_eq!(sim.state().user("ada").unwrap().status, "suspended");
    ok(run(dir, &["package", "unsuspend", &pkgnum]));
    assert_eq!(sim.state().user("ada").unwrap().status, "active");
    ok(run(dir, &["package", "cancel", &pkgnum]));
    assert_eq!(sim.state().user("ada").unwrap().status, "deleted");
    let gone = run(dir, &["service", "remove", &svcnum]);
    assert_eq!(
        stderr(&gone).trim(),
        format!("bursar: error: Unknown svcnum {svcnum}")
    );
    assert_eq!(
        stdout(&ok(run(dir, &["export", "audit", "mail"]))),
        "no drift\n"
    );
}

#[test]
fn a_catalog_with_a_missing_or_malformed_export_option_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let head = "[[export]]\nname = \"mail\"\ntype = \"magicmail\"\n[export.options]\nhost = \"127.0.0.1\"\nclient_id = \"bursar\"\n";
    let cases = [
        ("", "bursar: error: catalog.toml:3: export.type: export \"mail\": missing required option client_password"),
        (
            "client_password = \"pw\"\nport = \"https\"\n",
            "bursar: error: catalog.toml:3: export.type: export \"mail\": option port must be a port number 1-65535, not \"https\"",
        ),
    ];
    for (rest, message) in cases {
        std::fs::write(dir.path().join("catalog.toml"), format!("{head}{rest}")).unwrap();
        let output = run(dir.path(), &["catalog", "apply", "catalog.toml"]);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(stderr(&output).trim(), message);
    }
    let shown = stdout(&run(dir.path(), &["catalog", "show"]));
    assert_eq!(
        shown.matches("[[export]]").count(),
        0,
        "nothing applied: {shown}"
    );
}
