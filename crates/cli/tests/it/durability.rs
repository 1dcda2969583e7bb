//! An acknowledged payment survives `kill -9`, and a restart after it needs
//! no cleanup; no log line, at any level, carries the shared secret or a
//! card number.

use std::process::Command;

use crate::support::{start, wait_healthy};

const SECRET: &str = "durable-s3cr3t-XYZ";

fn python_available() -> bool {
    Command::new("python3")
        .args(["-c", "import xmlrpc.client"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn acknowledged_payments_survive_kill_9() {
    if !python_available() {
        eprintln!("skipping: python3 is not available");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = [("BURSAR_API_SHARED_SECRET", SECRET)];
    let mut server = start(dir.path(), &env);
    wait_healthy(&mut server);
    let url = format!("http://127.0.0.1:{}/", server.backoffice);
    // 16 threads pay concurrently (sharing group commits); every paynum
    // acknowledged is printed, then the server is killed at once.
    let script = r#"
import sys, threading, xmlrpc.client
url, secret = sys.argv[1], sys.argv[2]
api = xmlrpc.client.ServerProxy(url).FS.API
new = api.new_customer('secret', secret, 'agentnum', 1, 'first', 'Kill', 'last', 'Nine', 'address1', '1 St',
                       'city', 'Tofutown', 'state', 'CA', 'zip', '54321', 'country', 'US')
custnum = new['custnum']
acked, lock = [], threading.Lock()
def pay():
    proxy = xmlrpc.client.ServerProxy(url).FS.API
    for _ in range(25):
        reply = proxy.insert_payment('secret', secret, 'custnum', custnum, 'payby', 'CASH', 'paid', '1.00')
        assert reply['error'] == '', reply
        with lock:
            acked.append(reply['paynum'])
threads = [threading.Thread(target=pay) for _ in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
print(custnum, ' '.join(acked))
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&url)
        .arg(SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut words = stdout.split_whitespace();
    let custnum = words.next().unwrap().to_string();
    let acked: Vec<String> = words.map(str::to_string).collect();
    assert_eq!(acked.len(), 400);

    let mut again = start(dir.path(), &env);
    wait_healthy(&mut again);
    let url = format!("http://127.0.0.1:{}/", again.backoffice);
    let check = r#"
import sys, xmlrpc.client
url, secret, custnum = sys.argv[1], sys.argv[2], sys.argv[3]
print(xmlrpc.client.ServerProxy(url).FS.API.customer_info('secret', secret, 'custnum', custnum)['balance'])
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(check)
        .arg(&url)
        .arg(SECRET)
        .arg(&custnum)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        "-400.00",
        "every acknowledged payment is there"
    );
}

#[test]
fn no_log_line_carries_the_secret_or_a_card_number() {
    if !python_available() {
        eprintln!("skipping: python3 is not available");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Trace logs are many: they go to a file, not a pipe that could fill.
    let log_path = dir.path().join("server.log");
    let backoffice = crate::support::free_port();
    let child = crate::support::command(dir.path(), &["serve"])
        .env("BURSAR_API_SHARED_SECRET", SECRET)
        .env("BURSAR_LOG", "trace")
        .env(
            "BURSAR_BACKOFFICE_LISTEN",
            format!("127.0.0.1:{backoffice}"),
        )
        .env(
            "BURSAR_PUBLIC_LISTEN",
            format!("127.0.0.1:{}", crate::support::free_port()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut server = crate::support::Server {
        child,
        backoffice,
        public: 0,
    };
    wait_healthy(&mut server);
    let url = format!("http://127.0.0.1:{}/", server.backoffice);
    let script = r#"
import sys, xmlrpc.client
url, secret = sys.argv[1], sys.argv[2]
api = xmlrpc.client.ServerProxy(url).FS.API
api.customer_info('secret', secret + 'wrong', 'custnum', 1)
new = api.new_customer('secret', secret, 'agentnum', 1, 'first', 'Log', 'last', 'Check', 'address1', '1 St',
                       'city', 'Tofutown', 'state', 'CA', 'zip', '54321', 'country', 'US',
                       'payby', 'CARD', 'payinfo', '4111111111111111', 'paydate', '12/2030', 'paycvv', '123')
assert new['error'] == '', new
api.insert_payment('secret', secret, 'custnum', new['custnum'], 'payby', 'CARD', 'paid', '5.00', 'payinfo', '4111111111111111')
api.customer_info('secret', secret, 'custnum', new['custnum'])
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&url)
        .arg(SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("back-office"),
        "trace logs were written: {}",
        &logs[..logs.len().min(2000)]
    );
    assert!(!logs.contains(SECRET), "the secret leaked into the logs");
    assert!(
        !logs.contains("4111111111111111"),
        "a card number leaked into the logs"
    );
}
