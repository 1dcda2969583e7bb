//! `bursar bill` and `bursar invoice show` through the binary: the summary,
//! re-running for the same time, a run killed with SIGKILL midway and
//! started again ending with the same ledger as an uninterrupted one, and
//! the three invoice formats.
//!
//! Customers are generated straight into the folder's database with the
//! store's benchmark generator (deterministic for a seed), as an import
//! would put them there.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use bursar_store::{CardKey, Cipher, Store};
use sqlx::Row;

use crate::support::{command, run};

const T0: &str = "1705312800";

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

/// `bursar init` in `dir` with `config` appended to bursar.toml, then
/// `customers` generated customers.
async fn setup(dir: &Path, customers: u64, config: &str) {
    let init = run(dir, &["init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    if !config.is_empty() {
        let path = dir.join("bursar.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}\n{config}\n")).unwrap();
    }
    let store = open(dir).await;
    bursar_store::bench_data::generate(&store, customers, 5, T0.parse().unwrap())
        .await
        .unwrap();
    store.close().await;
}

/// The ledger and package dates, without the numbers a crash may shift
/// (invnum, paynum).
async fn ledger(dir: &Path) -> Vec<String> {
    let store = open(dir).await;
    let mut tx = store.read().await.unwrap();
    let queries = [
        "SELECT custnum, _date, charged, billing_balance, previous_balance FROM cust_bill ORDER BY custnum, _date",
        "SELECT b.custnum, l.pkgnum, l.setup, l.recur, COALESCE(l.sdate, -1), COALESCE(l.edate, -1), l.quantity \
         FROM cust_bill_pkg l JOIN cust_bill b ON b.invnum = l.invnum ORDER BY b.custnum, l.pkgnum, l.sdate, l.setup",
        "SELECT custnum, paid, _date, CAST(0 AS BIGINT), CAST(0 AS BIGINT) FROM cust_pay ORDER BY custnum, paid",
        "SELECT p.custnum, CAST(SUM(a.amount) AS BIGINT) FROM cust_bill_pay a JOIN cust_pay p ON p.paynum = a.paynum \
         GROUP BY p.custnum ORDER BY p.custnum",
        "SELECT pkgnum, COALESCE(setup, -1), COALESCE(bill, -1), COALESCE(last_bill, -1), COALESCE(cancel, -1) \
         FROM cust_pkg ORDER BY pkgnum",
    ];
    let mut out = Vec::new();
    for (idx, sql) in queries.iter().enumerate() {
        for row in sqlx::query(sql).fetch_all(&mut *tx).await.unwrap() {
            let values: Vec<String> = (0..row.len())
                .map(|col| row.get::<i64, _>(col).to_string())
                .collect();
            out.push(format!("{idx}: {}", values.join(" ")));
        }
    }
    tx.rollback().await.unwrap();
    store.close().await;
    out
}

async fn invoice_count(dir: &Path) -> i64 {
    let store = open(dir).await;
    let mut tx = store.read().await.unwrap();
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM cust_bill")
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    tx.rollback().await.unwrap();
    store.close().await;
    count
}

#[tokio::test]
async fn a_run_bills_everyone_once_and_rerunning_bills_nothing() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 40, "[billing]\nbatch_size = 7").await;
    let first = run(dir.path(), &["bill", "--time", T0]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    let summary = String::from_utf8(first.stdout).unwrap();
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(
        summary.starts_with("billed 40 of 40 customers: 40 invoices, total "),
        "{summary}"
    );
    // Plain progress lines (not a terminal), one per batch of 7.
    assert_eq!(stderr.matches("bursar: billing ").count(), 6, "{stderr}");
    let again = run(dir.path(), &["bill", "--time", T0]);
    assert!(again.status.success());
    let summary = String::from_utf8(again.stdout).unwrap();
    assert!(
        summary.starts_with("billed 0 of 40 customers: 0 invoices, total 0.00"),
        "{summary}"
    );
    assert_eq!(invoice_count(dir.path()).await, 40);
}

#[tokio::test]
async fn a_run_killed_midway_and_restarted_ends_with_the_same_ledger() {
    let config = "[billing]\nbatch_size = 5";
    let killed = tempfile::tempdir().unwrap();
    let whole = tempfile::tempdir().unwrap();
    setup(killed.path(), 100, config).await;
    setup(whole.path(), 100, config).await;

    let mut child = command(killed.path(), &["bill", "--time", T0])
        .env("BURSAR_TEST_BILL_PAUSE_MS", "150")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.starts_with("bursar: billing 20/") {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL, as kill -9
    let status = child.wait().unwrap();
    assert!(!status.success());
    let partial = invoice_count(killed.path()).await;
    assert!(
        (20..100).contains(&partial),
        "killed after {partial} invoices"
    );

    let restarted = run(killed.path(), &["bill", "--time", T0]);
    assert!(
        restarted.status.success(),
        "{}",
        String::from_utf8_lossy(&restarted.stderr)
    );
    let uninterrupted = run(whole.path(), &["bill", "--time", T0]);
    assert!(uninterrupted.status.success());
    assert_eq!(ledger(killed.path()).await, ledger(whole.path()).await);
    assert_eq!(invoice_count(killed.path()).await, 100);
}

#[tokio::test]
async fn invoice_show_prints_text_a_whole_html_page_and_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3, "").await;
    assert!(run(dir.path(), &["bill", "--time", T0]).status.success());

    let text = run(dir.path(), &["invoice", "show", "1", "--format", "text"]);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("INVOICE #1"), "{text}");
    assert!(
        text.contains("Total") && text.contains("Still owed"),
        "{text}"
    );

    let html = run(dir.path(), &["invoice", "show", "1", "--format", "html"]);
    assert!(html.status.success());
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    assert!(
        html.contains("Invoice #1") && html.contains("First1"),
        "{html}"
    );

    let pdf = run(dir.path(), &["invoice", "show", "1", "--format", "pdf"]);
    assert!(pdf.status.success());
    assert!(pdf.stdout.starts_with(b"%PDF-"));
    assert!(pdf.stdout.windows(5).any(|w| w == b"%%EOF"));

    std::fs::write(
        dir.path().join("invoice.html.j2"),
        "<!DOCTYPE html><html><body>Custom {{ invnum }} for {{ name }} <{{ total }}></body></html>",
    )
    .unwrap();
    let custom = run(dir.path(), &["invoice", "show", "1", "--format", "html"]);
    let custom = String::from_utf8(custom.stdout).unwrap();
    assert!(custom.contains("Custom 1 for First1"), "{custom}");

    let unknown = run(dir.path(), &["invoice", "show", "999", "--format", "text"]);
    assert!(!unknown.status.success());
    assert!(unknown.stdout.is_empty());
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert_eq!(stderr.trim(), "bursar: error: unknown invoice 999");
}
