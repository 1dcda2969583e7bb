//! `bill_now`: one full billing pass for one customer now (backend spec
//! 8.17 and 9), through the same store function as `bursar bill`.
//!
//! The pass charges cards through the built-in test gateway (the default
//! until an operator configures a real processor) and runs without dunning
//! suspensions, which belong to the scheduled run (`bursar bill` with
//! `[billing.dunning]`); packages dunning suspended are unsuspended once the
//! balance is paid, as in every pass.

use bursar_rpc::{Args, Reply};
use bursar_store::billing::{bill_customer_now, BillingOptions};
use bursar_store::gateway::TestGateway;

use super::args::{id, ArgsExt};
use crate::error::ApiError;
use crate::Ctx;

/// The refusal for a missing or unknown customer.
const UNKNOWN_CUSTNUM: &str = "Unknown custnum";

/// Seconds since the epoch: `bill_now` bills at the wall clock.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// `FS.API.bill_now`: `{error: ''}` when the pass ran (declined cards
/// included), `Unknown custnum`, or the failed step's prefixed error
/// (`Error billing custnum N: …`), in which case nothing was written.
pub(crate) async fn bill_now(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let custnum = id(args.text("custnum")).ok_or_else(|| ApiError::refused(UNKNOWN_CUSTNUM))?;
    let options = BillingOptions::new((*ctx.calendar).clone(), now());
    let report = bill_customer_now(&ctx.store, &TestGateway, &options, custnum)
        .await?
        .ok_or_else(|| ApiError::refused(UNKNOWN_CUSTNUM))?;
    if let Some(error) = report.errors.first() {
        return Err(ApiError::refused(error.to_string()));
    }
    tracing::info!(
        custnum,
        invoices = report.invoices,
        total = %report.total,
        declines = report.declines,
        "bill_now"
    );
    Ok(Reply::new().with("error", ""))
}
