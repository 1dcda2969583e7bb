//! `bill_now`: one billing pass for one customer.

use bursar_rpc::{Args, Reply};

use crate::error::ApiError;
use crate::Ctx;

/// `FS.API.bill_now`: until the billing engine lands, a clear refusal rather
/// than a fake success.
pub(crate) async fn bill_now(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(ApiError::refused(
        "bill_now is not available: the billing engine is not installed in this build",
    ))
}
