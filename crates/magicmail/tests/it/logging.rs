//! No password and no `Authorization` header reaches a log, at any level:
//! every event of the client, the export, the emulator and the libraries
//! under them (through `log` too) is captured at TRACE with `debug` on.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bursar_magicmail::sim::{Fault, FaultEffect};

use crate::support::{customer, export, service, sim, MAILBOX_PASSWORD};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_never_reach_the_logs() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _ = tracing_log::LogTracer::init();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim().await;
    let export = export(&sim, &[("debug", "true")]);
    let both = customer(&[(1, "ada", &["EMAIL"]), (2, "bob", &["EMAIL"])]);
    export.insert(&both, &service(1, "ada")).await.unwrap();
    export
        .replace(&both, &service(1, "ada"), &service(1, "ada"))
        .await
        .unwrap();
    // A failing insert logs its rollback too.
    sim.add_fault(Fault::on(
        "add_email_address",
        FaultEffect::api_error("x", "y"),
    ));
    export.insert(&both, &service(2, "bob")).await.unwrap_err();

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("MagicMail request"),
        "the debug log is on:\n{text}"
    );
    assert!(text.contains("password=***"), "{text}");
    for secret in [
        MAILBOX_PASSWORD,
        "s3cret",               // the API client password
        "YnVyc2FyOnMzY3JldA==", // base64 of bursar:s3cret
        "Sup3r-Secret%21pw",    // the mailbox password percent-encoded
    ] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
    assert!(
        !text.to_ascii_lowercase().contains("authorization: basic"),
        "{text}"
    );
}
