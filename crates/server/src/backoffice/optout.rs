//! `email_opt_out`: stop invoices and notices to an address.

use bursar_rpc::{Args, Reply};

use crate::error::ApiError;
use crate::Ctx;

/// `FS.API.email_opt_out`.
pub(crate) async fn email_opt_out(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(ApiError::Internal(
        "email_opt_out is not implemented".into(),
    ))
}
