//! `email_opt_out` (backend spec 8.21): stop invoices and/or notices to an
//! address for every customer that has it as a contact. Bursar honours `0`
//! for a flag (Freeside replaces it by the default 1) and answers
//! `{error: ''}` where Freeside answers nothing.

use bursar_rpc::{Args, Reply};
use bursar_store::referral;

use super::args::ArgsExt;
use crate::error::ApiError;
use crate::Ctx;

/// Reads a flag that defaults to on: absent or empty → true, `0` → false.
fn default_on(args: &Args, key: &str) -> bool {
    !matches!(args.text(key).trim(), "0")
}

/// `FS.API.email_opt_out`.
pub(crate) async fn email_opt_out(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let address = args.text("address").trim();
    if !address.contains('@') {
        return Err(ApiError::refused("No e-mail address specified"));
    }
    let invoice = default_on(&args, "disable_invoice_dest");
    let message = default_on(&args, "disable_message_dest");
    let mut tx = ctx.store.write().await?;
    let changed = referral::email_opt_out(&mut tx, address, invoice, message).await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    tracing::info!(changed, invoice, message, "e-mail opt-out");
    Ok(Reply::error(""))
}
