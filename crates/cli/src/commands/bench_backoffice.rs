//! `bursar bench backoffice`: starts the server on a throwaway SQLite
//! database and measures `customer_info` and durable `insert_payment` calls/s
//! with p50/p99, with 1 and 32 clients, keep-alive and a new connection per
//! call (as Freeside's clients do), beside the framework ceiling: the same
//! HTTP stack answering a fixed XML-RPC response. The load generator runs
//! in this process on the same cores, as an outside `wrk` would.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::Router;
use bursar_core::model::{Customer, Location};
use bursar_server::backoffice::BackofficeSettings;
use bursar_server::metrics::Metrics;
use bursar_server::Ctx;
use bursar_store::customer::{insert_customer, NewCustomer};
use bursar_store::{CardKey, Cipher, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "bench-secret";

/// One measured scenario.
struct Figure {
    name: String,
    clients: usize,
    keep_alive: bool,
    calls: usize,
    errors: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

impl Figure {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.seconds
    }
}

fn xml_call(method: &str, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut body =
        format!("<?xml version=\"1.0\"?><methodCall><methodName>{method}</methodName><params>");
    for (key, value) in pairs {
        body.push_str(&format!(
            "<param><value><string>{key}</string></value></param><param><value><string>{value}</string></value></param>"
        ));
    }
    body.push_str("</params></methodCall>");
    body.into_bytes()
}

fn http_request(body: &[u8], keep_alive: bool) -> Vec<u8> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: text/xml\r\nConnection: {connection}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// Reads one HTTP/1.1 response (headers + Content-Length body); returns
/// whether it was a 200 without a fault or an `error` text.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<bool> {
    buffer.clear();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            anyhow::bail!("connection closed");
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let (status_ok, length) = {
                let head = std::str::from_utf8(&buffer[..end]).unwrap_or("");
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                (head.starts_with("HTTP/1.1 200"), length)
            };
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    anyhow::bail!("connection closed");
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            let body = &buffer[end + 4..end + 4 + length];
            let ok = status_ok
                && !body.windows(7).any(|w| w == b"<fault>")
                && !body
                    .windows(41)
                    .any(|w| w.starts_with(b"<name>error</name><value><string>") && w[33] != b'<');
            return Ok(ok);
        }
    }
}

/// Drives `clients` concurrent clients calling with `make_body` for `seconds`.
async fn measure(
    name: &str,
    address: SocketAddr,
    clients: usize,
    keep_alive: bool,
    seconds: u64,
    make_body: Arc<dyn Fn(usize, usize) -> Vec<u8> + Send + Sync>,
) -> Result<Figure> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let make_body = make_body.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut buffer = Vec::with_capacity(16 * 1024);
            let mut stream: Option<TcpStream> = None;
            let mut call = 0usize;
            while Instant::now() < deadline {
                let request = http_request(&make_body(client, call), keep_alive);
                call += 1;
                let begun = Instant::now();
                if stream.is_none() {
                    let s = TcpStream::connect(address).await?;
                    s.set_nodelay(true)?;
                    stream = Some(s);
                }
                let s = stream.as_mut().expect("connected");
                s.write_all(&request).await?;
                match read_response(s, &mut buffer).await {
                    Ok(true) => latencies.push(begun.elapsed()),
                    Ok(false) => {
                        errors += 1;
                        latencies.push(begun.elapsed());
                    }
                    Err(_) => {
                        errors += 1;
                        stream = None;
                        continue;
                    }
                }
                if !keep_alive {
                    stream = None;
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mut l, e) = task.await??;
        latencies.append(&mut l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(Figure {
        name: name.to_string(),
        clients,
        keep_alive,
        calls: latencies.len(),
        errors,
        seconds: elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
    })
}

/// A customer to call `customer_info` and `insert_payment` for.
async fn seed(store: &Store) -> Result<i64> {
    let new = NewCustomer {
        customer: Customer {
            agentnum: 1,
            refnum: 1,
            usernum: store.api_usernum().await?,
            first: "Bench".into(),
            last: "Mark".into(),
            daytime: "555-444-3211".into(),
            signupdate: 1_700_000_000,
            ..Customer::default()
        },
        bill_location: Location {
            address1: "1 Bench St".into(),
            city: "Tofutown".into(),
            state: "CA".into(),
            zip: "54321".into(),
            country: "US".into(),
            ..Location::default()
        },
        invoice_emails: vec!["bench@example.com".into()],
        ..NewCustomer::default()
    };
    let mut tx = store.write().await?;
    let custnum = insert_customer(&mut tx, store, &new).await?;
    tx.commit().await?;
    Ok(custnum)
}

/// The ceiling router: the same HTTP stack answering a fixed XML-RPC
/// response to every request.
fn ceiling_router() -> Router {
    let fixed = Bytes::from(bursar_rpc::xmlrpc::encode_response(
        &bursar_rpc::Reply::error("").with("paynum", "17"),
    ));
    Router::new().fallback(move || {
        let fixed = fixed.clone();
        async move { ([(CONTENT_TYPE, "text/xml")], fixed) }
    })
}

/// `bursar bench ceiling --listen ADDR`: serves only the ceiling, until
/// interrupted.
pub async fn bench_ceiling(listen: &str) -> Result<ExitCode> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    eprintln!(
        "ceiling on http://{}/ (Ctrl-C to stop)",
        listener.local_addr()?
    );
    axum::serve(listener, ceiling_router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// `bursar bench backoffice`.
pub async fn bench_backoffice(seconds: u64) -> Result<ExitCode> {
    let dir = tempfile::tempdir().context("temporary folder")?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&url, Cipher::new(&CardKey::generate())).await?;
    store.migrate().await?;
    store.init().await?;
    let custnum = seed(&store).await?.to_string();
    let ctx = Ctx {
        store: store.clone(),
        metrics: Arc::new(Metrics::new()),
        backoffice: Arc::new(BackofficeSettings::new(SECRET)),
        calendar: Arc::new(bursar_core::billing::BillingCalendar::default()),
    };
    let backoffice = TcpListener::bind("127.0.0.1:0").await?;
    let public = TcpListener::bind("127.0.0.1:0").await?;
    let address = backoffice.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bursar_server::serve(ctx, backoffice, public, async {
        let _ = stopped.await;
    }));

    // The ceiling: the same axum/hyper stack answering a fixed response.
    let fixed = Bytes::from(bursar_rpc::xmlrpc::encode_response(
        &bursar_rpc::Reply::error("").with("paynum", "17"),
    ));
    let ceiling_router = Router::new().fallback(move || {
        let fixed = fixed.clone();
        async move { ([(CONTENT_TYPE, "text/xml")], fixed) }
    });
    let ceiling_listener = TcpListener::bind("127.0.0.1:0").await?;
    let ceiling = ceiling_listener.local_addr()?;
    tokio::spawn(async move { axum::serve(ceiling_listener, ceiling_router).await });

    let info_body: Arc<dyn Fn(usize, usize) -> Vec<u8> + Send + Sync> = {
        let custnum = custnum.clone();
        Arc::new(move |_, _| {
            xml_call(
                "FS.API.customer_info",
                &[("secret", SECRET), ("custnum", &custnum)],
            )
        })
    };
    let pay_body: Arc<dyn Fn(usize, usize) -> Vec<u8> + Send + Sync> = {
        let custnum = custnum.clone();
        Arc::new(move |_, _| {
            xml_call(
                "FS.API.insert_payment",
                &[
                    ("secret", SECRET),
                    ("custnum", &custnum),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                ],
            )
        })
    };
    eprintln!(
        "bench backoffice: {seconds} s per figure, SQLite in {}",
        dir.path().display()
    );
    let mut figures = Vec::new();
    for (clients, keep_alive) in [(1, true), (32, true), (1, false), (32, false)] {
        figures.push(
            measure(
                "ceiling",
                ceiling,
                clients,
                keep_alive,
                seconds,
                info_body.clone(),
            )
            .await?,
        );
        figures.push(
            measure(
                "customer_info",
                address,
                clients,
                keep_alive,
                seconds,
                info_body.clone(),
            )
            .await?,
        );
        figures.push(
            measure(
                "insert_payment",
                address,
                clients,
                keep_alive,
                seconds,
                pay_body.clone(),
            )
            .await?,
        );
    }
    println!(
        "{:<16} {:>7} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8}",
        "call", "clients", "conn", "calls/s", "p50 ms", "p99 ms", "errors", "ceiling"
    );
    for figure in &figures {
        let ceiling_rate = figures
            .iter()
            .find(|f| {
                f.name == "ceiling"
                    && f.clients == figure.clients
                    && f.keep_alive == figure.keep_alive
            })
            .map(Figure::rate)
            .unwrap_or(f64::NAN);
        println!(
            "{:<16} {:>7} {:>10} {:>10.0} {:>9.3} {:>9.3} {:>8} {:>8.2}",
            figure.name,
            figure.clients,
            if figure.keep_alive {
                "keep-alive"
            } else {
                "new"
            },
            figure.rate(),
            figure.p50.as_secs_f64() * 1e3,
            figure.p99.as_secs_f64() * 1e3,
            figure.errors,
            figure.rate() / ceiling_rate
        );
    }
    let find = |name: &str| {
        figures
            .iter()
            .find(|f| f.name == name && f.clients == 32 && f.keep_alive)
            .map(Figure::rate)
            .unwrap_or(0.0)
    };
    let ceiling_32 = find("ceiling");
    println!(
        "summary: 32 keep-alive clients: customer_info {:.0}/s ({:.2} of ceiling), insert_payment {:.0}/s ({:.2} of ceiling), ceiling {:.0}/s",
        find("customer_info"),
        find("customer_info") / ceiling_32,
        find("insert_payment"),
        find("insert_payment") / ceiling_32,
        ceiling_32
    );
    let _ = stop.send(());
    let _ = server.await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
