//! Ledger methods: `insert_payment`, `insert_credit`, `insert_refund`, their
//! `_phonenum` variants and `apply_payments_and_credits`.

use bursar_rpc::{Args, Reply};

use crate::error::ApiError;
use crate::Ctx;

fn pending(name: &str) -> ApiError {
    ApiError::Internal(format!("{name} is not implemented"))
}

/// `FS.API.insert_payment`.
pub(crate) async fn insert_payment(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("insert_payment"))
}

/// `FS.API.insert_payment_phonenum`.
pub(crate) async fn insert_payment_phonenum(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("insert_payment_phonenum"))
}

/// `FS.API.insert_credit`.
pub(crate) async fn insert_credit(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("insert_credit"))
}

/// `FS.API.insert_credit_phonenum`.
pub(crate) async fn insert_credit_phonenum(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("insert_credit_phonenum"))
}

/// `FS.API.insert_refund`.
pub(crate) async fn insert_refund(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("insert_refund"))
}

/// `FS.API.insert_refund_phonenum`.
pub(crate) async fn insert_refund_phonenum(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("insert_refund_phonenum"))
}

/// `FS.API.apply_payments_and_credits`.
pub(crate) async fn apply_payments_and_credits(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("apply_payments_and_credits"))
}
