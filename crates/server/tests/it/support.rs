//! `TestApp`: a context over a fresh database and a typed `call` helper.

use std::sync::Arc;

use bursar_rpc::{Args, Reply, ReplyValue, Value};
use bursar_server::backoffice::{dispatch, BackofficeSettings, Outcome};
use bursar_server::metrics::Metrics;
use bursar_server::Ctx;
use bursar_store::testing::{backends, TestDb};

/// The secret every test app uses.
pub const SECRET: &str = "s3cr3t";

/// A context on one test database.
pub struct TestApp {
    /// The context the methods run with.
    pub ctx: Ctx,
    /// Keeps the database alive.
    pub db: TestDb,
}

impl TestApp {
    /// An app on `db` with default settings.
    pub fn new(db: TestDb) -> TestApp {
        let ctx = Ctx {
            store: db.store.clone(),
            metrics: Arc::new(Metrics::new()),
            backoffice: Arc::new(BackofficeSettings::new(SECRET)),
            calendar: Arc::new(bursar_core::billing::BillingCalendar::default()),
        };
        TestApp { ctx, db }
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        self.db.name()
    }

    /// Calls `FS.API.<method>` with the right secret and these string pairs.
    pub async fn call(&self, method: &str, pairs: &[(&str, &str)]) -> Reply {
        let mut args = Args::new();
        args.insert("secret", Value::string(SECRET));
        for (key, value) in pairs {
            args.insert(*key, Value::string(*value));
        }
        self.call_args(method, args).await
    }

    /// Calls `FS.API.<method>` with a prepared argument map.
    pub async fn call_args(&self, method: &str, args: Args) -> Reply {
        match dispatch(&self.ctx, &format!("FS.API.{method}"), args).await {
            Outcome::Reply(reply) => reply,
            other => panic!("{}: {method} did not reply: {other:?}", self.name()),
        }
    }
}

/// One app per backend.
pub async fn apps() -> Vec<TestApp> {
    backends().await.into_iter().map(TestApp::new).collect()
}

/// A reply member as text (panics when missing or not a string).
pub fn member<'a>(reply: &'a Reply, name: &str) -> &'a str {
    match reply.get(name) {
        Some(ReplyValue::String(text)) => text,
        other => panic!("member {name}: {other:?} in {reply:?}"),
    }
}
