//! The back-office face (`FS.API.*`): the method table, the secret check and
//! dispatch. The table is the face's index: one line per wire method, the
//! service function that implements it and the members its reply carries,
//! empty, beside `error` when it fails.
//!
//! Service functions take the context and the argument map and return the
//! reply; the XML-RPC and JSON-RPC transports (`transport`) only decode,
//! call [`dispatch`] and encode.

mod args;
mod auth;
mod billing;
mod customer;
mod optout;
mod package;
mod payment;
mod referral;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use bursar_rpc::{Args, Reply};

pub use auth::BackofficeSettings;
pub(crate) use transport::{jsonrpc, xmlrpc};

use crate::error::{ApiError, RefId};
use crate::metrics::RequestLabels;
use crate::Ctx;

/// The exact refusal for a wrong, empty or missing secret.
pub const INCORRECT_SECRET: &str = "Incorrect shared secret";

type Handler =
    for<'a> fn(&'a Ctx, Args) -> Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'a>>;

/// One wire method.
struct Method {
    name: &'static str,
    handler: Handler,
    /// Members sent empty beside `error` when the call fails.
    error_members: &'static [&'static str],
}

macro_rules! method {
    ($name:literal, $function:path, [$($member:literal),*]) => {{
        fn call<'a>(ctx: &'a Ctx, args: Args) -> Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'a>> {
            Box::pin($function(ctx, args))
        }
        Method { name: $name, handler: call, error_members: &[$($member),*] }
    }};
}

/// Every public method of the back-office API.
static METHODS: &[Method] = &[
    method!("insert_payment", payment::insert_payment, ["paynum"]),
    method!(
        "insert_payment_phonenum",
        payment::insert_payment_phonenum,
        ["paynum"]
    ),
    method!("insert_credit", payment::insert_credit, ["crednum"]),
    method!(
        "insert_credit_phonenum",
        payment::insert_credit_phonenum,
        ["crednum"]
    ),
    method!("insert_refund", payment::insert_refund, ["refundnum"]),
    method!(
        "insert_refund_phonenum",
        payment::insert_refund_phonenum,
        ["refundnum"]
    ),
    method!(
        "apply_payments_and_credits",
        payment::apply_payments_and_credits,
        []
    ),
    method!("new_customer", customer::new_customer, []),
    method!("update_customer", customer::update_customer, []),
    method!("customer_info", customer::customer_info, []),
    method!("customer_list_svcs", customer::customer_list_svcs, []),
    method!("location_info", customer::location_info, []),
    method!(
        "list_customer_packages",
        package::list_customer_packages,
        []
    ),
    method!("package_status", package::package_status, []),
    method!("order_package", package::order_package, []),
    method!(
        "change_package_location",
        package::change_package_location,
        []
    ),
    method!("bill_now", billing::bill_now, []),
    method!(
        "list_advertising_sources",
        referral::list_advertising_sources,
        []
    ),
    method!(
        "add_advertising_source",
        referral::add_advertising_source,
        []
    ),
    method!(
        "edit_advertising_source",
        referral::edit_advertising_source,
        []
    ),
    method!("email_opt_out", optout::email_opt_out, []),
];

/// How a call ended, for the transports, the metrics and tests.
#[derive(Debug)]
pub enum Outcome {
    /// A reply struct (success or API error).
    Reply(Reply),
    /// The method does not exist: a `Client` fault with this string.
    UnknownMethod(String),
    /// An internal failure: a `Server` fault naming this reference.
    Internal(RefId),
}

/// Resolves a wire method name (`FS.API.name`, or the bare name when
/// allowed) to its entry, or the fault string for an unknown one.
fn resolve(ctx: &Ctx, wire_name: &str) -> Result<&'static Method, String> {
    let (class, name) = match wire_name.rsplit_once('.') {
        Some((class, name)) => (Some(class), name),
        None => (None, wire_name),
    };
    match class {
        Some("FS.API") => METHODS
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| format!("Failed to locate method ({name}) in class (FS::API)")),
        None if ctx.backoffice.bare_method_names => METHODS
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| "Failed to access class (main)".to_string()),
        None => Err("Failed to access class (main)".to_string()),
        Some(other) => Err(format!(
            "Failed to access class ({})",
            other.replace('.', "::")
        )),
    }
}

/// Runs one call as both transports do (tests and benchmarks call it
/// directly): resolves the method, checks the secret, runs the service
/// function and shapes its error; counts it in the metrics.
pub async fn dispatch(ctx: &Ctx, wire_name: &str, args: Args) -> Outcome {
    // One span per call, with the method and its outcome (never the
    // secret); at debug level so that it costs nothing unless asked for.
    let span = tracing::debug_span!(
        "backoffice_call",
        method = tracing::field::Empty,
        outcome = tracing::field::Empty
    );
    tracing::Instrument::instrument(dispatch_inner(ctx, wire_name, args), span).await
}

async fn dispatch_inner(ctx: &Ctx, wire_name: &str, mut args: Args) -> Outcome {
    let started = Instant::now();
    let method = match resolve(ctx, wire_name) {
        Ok(method) => method,
        Err(fault) => {
            observe(ctx, "unknown", "fault", started);
            return Outcome::UnknownMethod(fault);
        }
    };
    let secret = args.remove("secret");
    let secret_text = secret
        .as_ref()
        .and_then(|v| v.as_scalar())
        .map(|s| s.text())
        .unwrap_or("");
    if !ctx.backoffice.secret_matches(secret_text) {
        tracing::warn!(
            method = method.name,
            "back-office call with an incorrect shared secret"
        );
        observe(ctx, method.name, "denied", started);
        return Outcome::Reply(Reply::error(INCORRECT_SECRET));
    }
    let result = (method.handler)(ctx, args).await;
    match result {
        Ok(reply) => {
            let outcome = if reply.str("error").is_some_and(|e| !e.is_empty()) {
                "error"
            } else {
                "ok"
            };
            observe(ctx, method.name, outcome, started);
            Outcome::Reply(reply)
        }
        Err(ApiError::Refused(message)) => {
            observe(ctx, method.name, "error", started);
            let mut reply = Reply::with_capacity(1 + method.error_members.len());
            reply.push("error", message);
            for member in method.error_members {
                reply.push(*member, "");
            }
            Outcome::Reply(reply)
        }
        Err(ApiError::Internal(cause)) => {
            let ref_id = RefId::new();
            tracing::error!(method = method.name, %ref_id, %cause, "back-office call failed");
            observe(ctx, method.name, "fault", started);
            Outcome::Internal(ref_id)
        }
    }
}

fn observe(ctx: &Ctx, method: &'static str, outcome: &'static str, started: Instant) {
    let span = tracing::Span::current();
    span.record("method", method);
    span.record("outcome", outcome);
    tracing::debug!(
        method,
        outcome,
        micros = started.elapsed().as_micros() as u64,
        "back-office call"
    );
    ctx.metrics.observe(
        RequestLabels {
            face: "backoffice",
            route: method.into(),
            outcome: outcome.into(),
        },
        started.elapsed().as_secs_f64(),
    );
}
