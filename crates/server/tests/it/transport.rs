//! The back-office transports over real HTTP: status codes, headers,
//! content types, body limits, compression, faults, golden response bytes,
//! and random mutations of valid requests never giving a 5xx.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use bursar_server::backoffice::BackofficeSettings;
use bursar_server::metrics::Metrics;
use bursar_server::Ctx;
use bursar_store::testing::sqlite;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::SECRET;

/// A server on 127.0.0.1:0 with `configure` applied to its settings.
async fn serve(
    configure: impl FnOnce(&mut BackofficeSettings),
) -> (SocketAddr, bursar_store::testing::TestDb) {
    let db = sqlite().await;
    let mut settings = BackofficeSettings::new(SECRET);
    configure(&mut settings);
    let ctx = Ctx {
        store: db.store.clone(),
        metrics: Arc::new(Metrics::new()),
        backoffice: Arc::new(settings),
        calendar: Arc::new(bursar_core::billing::BillingCalendar::default()),
    };
    let backoffice = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = backoffice.local_addr().unwrap();
    tokio::spawn(bursar_server::serve(
        ctx,
        backoffice,
        public,
        std::future::pending(),
    ));
    (address, db)
}

/// Sends raw bytes; returns (status, headers lower-cased, body).
async fn exchange(address: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, response[end + 4..].to_vec())
}

fn post(path: &str, content_type: Option<&str>, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.0\r\nHost: test\r\nContent-Length: {}\r\n{extra}",
        body.len()
    );
    if let Some(content_type) = content_type {
        request.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn call_body(method: &str, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut body = format!(
        "<?xml version=\"1.0\"?>\n<methodCall>\n<methodName>{method}</methodName>\n<params>\n"
    );
    for (key, value) in pairs {
        body.push_str(&format!("<param><value><string>{key}</string></value></param>\n<param><value><string>{value}</string></value></param>\n"));
    }
    body.push_str("</params>\n</methodCall>\n");
    body.into_bytes()
}

#[tokio::test]
async fn http_rules_of_the_back_office_listener() {
    let (address, _db) = serve(|_| {}).await;
    let body = call_body(
        "FS.API.customer_info",
        &[("secret", SECRET), ("custnum", "1")],
    );

    let (status, head, reply) = exchange(address, &post("/", Some("text/xml"), "", &body)).await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/xml\r\n") || head.ends_with("content-type: text/xml"),
        "{head}"
    );
    assert!(head.contains("content-length:"));
    assert!(
        head.contains("connection: close"),
        "HTTP/1.0 is closed: {head}"
    );
    assert_eq!(
        String::from_utf8(reply).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param><value><struct><member><name>error</name><value><string>Unknown custnum</string></value></member></struct></value></param></params></methodResponse>"
    );

    let (status, _, _) = exchange(address, &post("/RPC2", None, "", &body)).await;
    assert_eq!(status, 200, "no Content-Type and /RPC2 work");

    let (status, head, _) = exchange(address, b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(status, 405);
    assert!(head.contains("allow: post"));

    let (status, _, reply) =
        exchange(address, &post("/", Some("application/json"), "", &body)).await;
    assert_eq!(status, 200);
    let reply = String::from_utf8(reply).unwrap();
    assert!(reply.contains("<fault>") && reply.contains("Content-Type must be 'text/xml,' 'multipart/*,' or 'application/dime' instead of 'application/json'"), "{reply}");

    let big = vec![b' '; 1024 * 1024 + 10];
    let (status, _, _) = exchange(address, &post("/", Some("text/xml"), "", &big)).await;
    assert_eq!(status, 413);

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&body).unwrap();
    let gzipped = encoder.finish().unwrap();
    let (status, _, reply) = exchange(
        address,
        &post(
            "/",
            Some("text/xml"),
            "Content-Encoding: gzip\r\n",
            &gzipped,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(reply)
        .unwrap()
        .contains("Unknown custnum"));
    let (status, _, _) = exchange(
        address,
        &post("/", Some("text/xml"), "Content-Encoding: br\r\n", &body),
    )
    .await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn faults_for_unknown_methods_and_bad_xml() {
    let (address, _db) = serve(|_| {}).await;
    let cases = [
        (call_body("FS.API.no_such", &[("secret", SECRET)]), "Failed to locate method (no_such) in class (FS::API)"),
        (call_body("FS.API._shared_secret_error", &[("secret", SECRET)]), "Failed to locate method (_shared_secret_error) in class (FS::API)"),
        (call_body("Other.Space.call", &[]), "Failed to access class (Other::Space)"),
        (b"<methodCall><methodName>x".to_vec(), "Application failed during request deserialization: "),
        (b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><methodCall><methodName>FS.API.customer_info</methodName></methodCall>".to_vec(),
         "Application failed during request deserialization: "),
    ];
    for (body, expected) in cases {
        let (status, _, reply) = exchange(address, &post("/", Some("text/xml"), "", &body)).await;
        assert_eq!(status, 200);
        let reply = String::from_utf8(reply).unwrap();
        assert!(
            reply.contains("<name>faultCode</name><value><string>Client</string></value>"),
            "{reply}"
        );
        assert!(reply.contains(expected), "{expected}: {reply}");
    }
}

#[tokio::test]
async fn peers_outside_the_allow_list_get_403() {
    let (address, _db) = serve(|s| s.allow_from = vec!["10.0.0.0/8".parse().unwrap()]).await;
    let body = call_body(
        "FS.API.customer_info",
        &[("secret", SECRET), ("custnum", "1")],
    );
    let (status, _, reply) = exchange(address, &post("/", Some("text/xml"), "", &body)).await;
    assert_eq!(status, 403);
    assert!(reply.is_empty());
}

#[tokio::test]
async fn jsonrpc_errors_batches_and_notifications() {
    let (address, _db) = serve(|_| {}).await;
    let send = |body: &str| post("/jsonrpc", Some("application/json"), "", body.as_bytes());
    let (_, _, reply) = exchange(address, &send("{broken")).await;
    assert!(String::from_utf8(reply).unwrap().contains("-32700"));
    let (_, _, reply) = exchange(
        address,
        &send(r#"{"jsonrpc":"2.0","id":1,"method":"FS.API.nope","params":{}}"#),
    )
    .await;
    assert!(String::from_utf8(reply).unwrap().contains("-32601"));
    let batch = format!(
        r#"[{{"jsonrpc":"2.0","id":1,"method":"FS.API.customer_info","params":{{"secret":"{SECRET}","custnum":1}}}},
            {{"jsonrpc":"2.0","id":2,"method":"customer_info","params":{{"secret":"x"}}}},
            {{"jsonrpc":"2.0","id":"three","method":"FS.API.list_advertising_sources","params":["secret","{SECRET}"]}},
            {{"jsonrpc":"2.0","method":"FS.API.customer_info","params":{{}}}}]"#
    );
    let (status, _, reply) = exchange(address, &send(&batch)).await;
    assert_eq!(status, 200);
    let reply = String::from_utf8(reply).unwrap();
    assert_eq!(reply.matches("\"jsonrpc\"").count(), 3, "{reply}");
    assert!(
        reply.contains(r#""result":{"error":"Incorrect shared secret"}"#),
        "{reply}"
    );
    assert!(reply.contains(r#""id":"three""#));
    let (status, _, reply) = exchange(
        address,
        &send(r#"{"jsonrpc":"2.0","method":"FS.API.customer_info"}"#),
    )
    .await;
    assert_eq!((status, reply.len()), (204, 0));
}

#[tokio::test]
async fn a_thousand_mutated_requests_never_give_a_5xx() {
    let (address, db) = serve(|_| {}).await;
    let bodies = [
        call_body(
            "FS.API.insert_payment",
            &[
                ("secret", SECRET),
                ("custnum", "1"),
                ("payby", "CASH"),
                ("paid", "5.00"),
            ],
        ),
        call_body(
            "FS.API.new_customer",
            &[
                ("secret", SECRET),
                ("first", "A"),
                ("last", "B"),
                ("address1", "1 St"),
                ("city", "X"),
                ("country", "US"),
                ("state", "CA"),
                ("zip", "12345"),
                ("agentnum", "1"),
            ],
        ),
        call_body(
            "FS.API.order_package",
            &[("secret", SECRET), ("custnum", "1"), ("pkgpart", "1")],
        ),
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..1000 {
        let mut body = bodies[round % bodies.len()].clone();
        for _ in 0..(1 + next() % 4) {
            let position = (next() as usize) % body.len();
            match next() % 3 {
                0 => body[position] = (next() % 256) as u8,
                1 => {
                    body.remove(position);
                }
                _ => {
                    let pool = b"<>&\"'0-9a\xff";
                    body.insert(position, pool[(next() as usize) % pool.len()])
                }
            }
        }
        let (status, _, _) = exchange(address, &post("/", Some("text/xml"), "", &body)).await;
        assert!(
            status < 500,
            "round {round}: {status} for {}",
            String::from_utf8_lossy(&body)
        );
    }
    // Nothing half-written: every customer that exists has its locations.
    let mut tx = db.store.read().await.unwrap();
    let orphans: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cust_main WHERE bill_locationnum IS NULL")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(orphans, 0);
}
