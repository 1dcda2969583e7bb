//! Advertising-source methods: `list_advertising_sources`,
//! `add_advertising_source`, `edit_advertising_source` (backend spec
//! 8.18–8.20). Their successes carry no `error` member, as Freeside's.

use bursar_core::field::{self, FieldError};
use bursar_core::model::AdvertisingSource;
use bursar_rpc::{Args, Reply, Struct};
use bursar_store::referral;

use super::args::{id, ArgsExt};
use crate::error::ApiError;
use crate::Ctx;

fn source_reply(source: &AdvertisingSource) -> Reply {
    let mut reply = Reply::with_capacity(5);
    reply.push("refnum", source.refnum.to_string());
    reply.push("referral", source.referral.as_str());
    reply.push("disabled", if source.disabled { "Y" } else { "" });
    reply.push(
        "agentnum",
        source.agentnum.map(|a| a.to_string()).unwrap_or_default(),
    );
    reply.push("title", source.title.as_str());
    reply
}

/// The `source` struct argument; anything else reads as an empty struct.
fn source_arg(args: &Args) -> Struct {
    args.get("source")
        .and_then(|v| v.as_struct())
        .cloned()
        .unwrap_or_default()
}

/// Applies the members present in `fields` to `source`, checking each as
/// Freeside does, in its order.
async fn apply_fields(
    ctx_conn: &mut bursar_store::Conn,
    source: &mut AdvertisingSource,
    fields: &Struct,
) -> Result<(), ApiError> {
    let text_of = |name: &str| {
        fields.get(name).map(|v| {
            v.as_scalar()
                .map(|s| s.text().to_string())
                .unwrap_or_default()
        })
    };
    if let Some(referral) = text_of("referral") {
        source.referral = referral;
    }
    if let Some(disabled) = text_of("disabled") {
        source.disabled = match disabled.trim().to_ascii_uppercase().as_str() {
            "" => false,
            "Y" => true,
            _ => {
                return Err(
                    FieldError::new(format!("Illegal (enum) field disabled: {disabled}")).into(),
                )
            }
        };
    }
    if let Some(title) = text_of("title") {
        source.title = title;
    }
    field::text("referral", &source.referral)?;
    field::textn("title", &source.title)?;
    if let Some(agentnum) = text_of("agentnum") {
        let digits = field::numbern("agentnum", &agentnum)?;
        source.agentnum = if digits.is_empty() {
            None
        } else {
            digits.parse().ok()
        };
        if let Some(agentnum) = source.agentnum {
            if !referral::agent_exists(ctx_conn, agentnum).await? {
                return Err(ApiError::refused(format!(
                    "Illegal agentnum: Can't find part_referral.agentnum {agentnum} in agent.agentnum"
                )));
            }
        }
    }
    Ok(())
}

/// `FS.API.list_advertising_sources`.
pub(crate) async fn list_advertising_sources(ctx: &Ctx, _args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.store.read().await?;
    let sources = referral::list_sources(&mut tx).await?;
    tx.rollback().await.map_err(bursar_store::Error::from)?;
    if sources.is_empty() {
        return Err(ApiError::refused("No referrals"));
    }
    let list: Vec<Reply> = sources.iter().map(source_reply).collect();
    Ok(Reply::new().with("sources", list))
}

/// `FS.API.add_advertising_source`.
pub(crate) async fn add_advertising_source(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let fields = source_arg(&args);
    let mut source = AdvertisingSource {
        refnum: 0,
        referral: String::new(),
        disabled: false,
        agentnum: None,
        title: String::new(),
    };
    let mut tx = ctx.store.write().await?;
    apply_fields(&mut tx, &mut source, &fields).await?;
    let stored = referral::insert_source(&mut tx, &source).await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    Ok(source_reply(&stored))
}

/// `FS.API.edit_advertising_source`.
pub(crate) async fn edit_advertising_source(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let refnum_text = args.text("refnum");
    let unknown = || ApiError::refused(format!("Unknown refnum {refnum_text}"));
    let refnum = id(refnum_text).ok_or_else(unknown)?;
    let mut tx = ctx.store.write().await?;
    let mut source = match referral::get_source(&mut tx, refnum).await {
        Err(bursar_store::Error::NotFound) => return Err(unknown()),
        other => other?,
    };
    apply_fields(&mut tx, &mut source, &source_arg(&args)).await?;
    let stored = referral::update_source(&mut tx, &source).await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    Ok(source_reply(&stored))
}
