//! Package methods: `list_customer_packages`, `package_status`,
//! `order_package`, `change_package_location`.

use bursar_rpc::{Args, Reply};

use crate::error::ApiError;
use crate::Ctx;

fn pending(name: &str) -> ApiError {
    ApiError::Internal(format!("{name} is not implemented"))
}

/// `FS.API.list_customer_packages`.
pub(crate) async fn list_customer_packages(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("list_customer_packages"))
}

/// `FS.API.package_status`.
pub(crate) async fn package_status(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("package_status"))
}

/// `FS.API.order_package`.
pub(crate) async fn order_package(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("order_package"))
}

/// `FS.API.change_package_location`.
pub(crate) async fn change_package_location(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("change_package_location"))
}
