//! Advertising-source methods: `list_advertising_sources`,
//! `add_advertising_source`, `edit_advertising_source`.

use bursar_rpc::{Args, Reply};

use crate::error::ApiError;
use crate::Ctx;

fn pending(name: &str) -> ApiError {
    ApiError::Internal(format!("{name} is not implemented"))
}

/// `FS.API.list_advertising_sources`.
pub(crate) async fn list_advertising_sources(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("list_advertising_sources"))
}

/// `FS.API.add_advertising_source`.
pub(crate) async fn add_advertising_source(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("add_advertising_source"))
}

/// `FS.API.edit_advertising_source`.
pub(crate) async fn edit_advertising_source(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("edit_advertising_source"))
}
