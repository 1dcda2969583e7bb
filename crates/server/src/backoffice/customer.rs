//! Customer methods: `customer_info` (more join it: `new_customer`,
//! `update_customer`, `location_info`, `customer_list_svcs`).

use bursar_rpc::{Args, Reply};

use super::args::{id, ArgsExt};
use crate::error::ApiError;
use crate::Ctx;

/// `FS.API.customer_info`: the 35 members of backend spec 8.10.
pub(crate) async fn customer_info(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let unknown = || ApiError::refused("Unknown custnum");
    let custnum = id(args.text("custnum")).ok_or_else(unknown)?;
    let details = match ctx.store.customer_details(custnum).await {
        Err(bursar_store::Error::NotFound) => return Err(unknown()),
        other => other?,
    };
    let c = &details.customer;
    let opt = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
    let mut reply = Reply::with_capacity(35);
    reply.push("error", "");
    reply.push("display_custnum", c.custnum.to_string());
    reply.push("name", c.name());
    reply.push("balance", details.totals.balance().to_string());
    reply.push("status", details.status.as_str());
    reply.push("statuscolor", details.status.color());
    reply.push("first", c.first.as_str());
    reply.push("last", c.last.as_str());
    reply.push("company", c.company.as_str());
    reply.push("daytime", c.daytime.as_str());
    reply.push("night", c.night.as_str());
    reply.push("fax", c.fax.as_str());
    reply.push("mobile", c.mobile.as_str());
    reply.push("agentnum", c.agentnum.to_string());
    reply.push("salesnum", opt(c.salesnum));
    reply.push("refnum", c.refnum.to_string());
    reply.push("classnum", opt(c.classnum));
    reply.push("usernum", c.usernum.to_string());
    reply.push("referral_custnum", opt(c.referral_custnum));
    for (prefix, location) in [
        ("", &details.bill_location),
        ("ship_", &details.ship_location),
    ] {
        let fields = [
            ("address1", &location.address1),
            ("address2", &location.address2),
            ("city", &location.city),
            ("county", &location.county),
            ("state", &location.state),
            ("zip", &location.zip),
            ("country", &location.country),
        ];
        for (name, value) in fields {
            reply.push(format!("{prefix}{name}"), value.as_str());
        }
    }
    reply.push("invoicing_list", details.invoice_emails.join(", "));
    reply.push("postal_invoicing", if c.postal_invoice { "1" } else { "" });
    Ok(reply)
}

fn pending(name: &str) -> ApiError {
    ApiError::Internal(format!("{name} is not implemented"))
}

/// `FS.API.new_customer`.
pub(crate) async fn new_customer(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("new_customer"))
}

/// `FS.API.update_customer`.
pub(crate) async fn update_customer(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("update_customer"))
}

/// `FS.API.customer_list_svcs`.
pub(crate) async fn customer_list_svcs(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("customer_list_svcs"))
}

/// `FS.API.location_info`.
pub(crate) async fn location_info(_ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    Err(pending("location_info"))
}
