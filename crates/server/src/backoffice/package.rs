//! Package methods: `list_customer_packages`, `package_status`,
//! `order_package`, `change_package_location` (backend spec 8.13–8.16).

use bursar_core::datetext::parse_date_text;
use bursar_core::field;
use bursar_core::status::{PackageFacts, PackageStatus};
use bursar_core::Money;
use bursar_rpc::{Args, Reply};
use bursar_store::customer;
use bursar_store::package::{self as store_package, NewPackage, LISTING_COLUMNS};

use super::args::{id, ArgsExt};
use super::customer::location::{self, RawLocation};
use crate::error::ApiError;
use crate::Ctx;

/// Seconds since the epoch, for order dates.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `FS.API.list_customer_packages`: every package with its fields, or
/// `No packages` (also for an unknown customer).
pub(crate) async fn list_customer_packages(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let no_packages = || ApiError::refused("No packages");
    let custnum = id(args.text("custnum")).ok_or_else(no_packages)?;
    let mut tx = ctx.store.read().await?;
    let listing = store_package::package_listing(&mut tx, custnum).await?;
    drop(tx);
    if listing.is_empty() {
        return Err(no_packages());
    }
    let packages: Vec<Reply> = listing
        .into_iter()
        .map(|values| {
            LISTING_COLUMNS
                .iter()
                .copied()
                .zip(values)
                .collect::<Reply>()
        })
        .collect();
    Ok(Reply::new().with("packages", packages))
}

/// `FS.API.package_status`: `{status}` of 7.2, or `No packages`.
pub(crate) async fn package_status(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let no_packages = || ApiError::refused("No packages");
    let pkgnum = id(args.text("pkgnum")).ok_or_else(no_packages)?;
    let mut tx = ctx.store.read().await?;
    let (package, freq) = store_package::package_with_freq(&mut tx, pkgnum)
        .await?
        .ok_or_else(no_packages)?;
    drop(tx);
    let status = PackageStatus::derive(PackageFacts {
        recurring: !matches!(freq.as_str(), "0" | ""),
        set_up: package.setup.is_some(),
        suspended: package.susp.is_some(),
        cancelled: package.cancel.is_some(),
    });
    Ok(Reply::new().with("status", status.as_str()))
}

const PKG_PREFIX: &str = "inserting cust_pkg (transaction rolled back): ";

/// Reads `invoice_details`: one string, or an array of strings.
fn invoice_details(args: &Args) -> Vec<String> {
    match args.get("invoice_details") {
        None => Vec::new(),
        Some(value) => match value.as_array() {
            Some(items) => items
                .iter()
                .filter_map(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            None => value
                .as_str()
                .filter(|s| !s.is_empty())
                .map(|s| vec![s.to_string()])
                .unwrap_or_default(),
        },
    }
}

/// Reads an optional date argument (`Illegal KEY: X` when unreadable).
fn date_arg(ctx: &Ctx, args: &Args, key: &str) -> Result<Option<i64>, ApiError> {
    let text = args.text(key).trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse_date_text(text, &ctx.calendar.time_zone)
        .map(Some)
        .ok_or_else(|| ApiError::refused(format!("Illegal {key}: {text}")))
}

/// `FS.API.order_package`: orders a package; `{error: '', pkgnum}`.
pub(crate) async fn order_package(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let unknown = || ApiError::refused("Unknown custnum");
    let custnum = id(args.text("custnum")).ok_or_else(unknown)?;
    let mut tx = ctx.store.write().await?;
    let customer = match customer::customer(&mut tx, custnum).await {
        Err(bursar_store::Error::NotFound) => return Err(unknown()),
        other => other?,
    };
    let quantity_text = args.text("quantity").trim();
    let quantity = if quantity_text.is_empty() {
        1
    } else {
        match id(quantity_text) {
            Some(q) if q > 0 => q,
            _ => {
                return Err(ApiError::refused(format!(
                    "{PKG_PREFIX}Illegal (numeric) quantity: {quantity_text}"
                )))
            }
        }
    };
    let pkgpart_text = args.text("pkgpart").trim();
    let missing_def = || {
        ApiError::refused(format!(
            "{PKG_PREFIX}Can't find cust_pkg.pkgpart {pkgpart_text} in part_pkg.pkgpart"
        ))
    };
    let pkgpart = id(pkgpart_text).ok_or_else(missing_def)?;
    let definition = store_package::package_def(&mut tx, pkgpart)
        .await?
        .ok_or_else(missing_def)?;
    let start_date = date_arg(ctx, &args, "start_date")?;
    let contract_end = date_arg(ctx, &args, "contract_end")?;
    let customizing = |key: &str, default: Money| -> Result<Money, ApiError> {
        match args.sent(key) {
            Some(text) if !text.trim().is_empty() => field::money(key, text)
                .map_err(|e| ApiError::refused(format!("error customizing package: {e}"))),
            _ => Ok(default),
        }
    };
    let setup_fee = customizing("setup_fee", definition.setup_fee)?;
    let recur_fee = customizing("recur_fee", definition.recur_fee)?;
    let pkgpart = if setup_fee != definition.setup_fee || recur_fee != definition.recur_fee {
        store_package::customize_package_def(&mut tx, &definition, setup_fee, recur_fee).await?
    } else {
        pkgpart
    };
    let order_date = now();
    let address_sent = [
        "address1", "address2", "city", "county", "state", "zip", "country",
    ]
    .iter()
    .any(|key| !args.text(key).trim().is_empty());
    let locationnum = if address_sent {
        const LOCATION_PREFIX: &str = "inserting cust_location (transaction rolled back): ";
        let raw = RawLocation::prefixed(&args, "");
        let checked = location::check(&mut tx, &raw, "")
            .await
            .map_err(|e| match e {
                ApiError::Refused(message) => {
                    ApiError::refused(format!("{LOCATION_PREFIX}{message}"))
                }
                other => other,
            })?;
        customer::find_or_insert_location(&mut tx, custnum, &checked).await?
    } else {
        customer.ship_locationnum
    };
    let pkgnum = store_package::order_package(
        &mut tx,
        &NewPackage {
            custnum,
            pkgpart,
            locationnum,
            quantity,
            order_date,
            start_date,
            contract_end,
            usernum: ctx.store.api_usernum().await?,
            details: invoice_details(&args),
        },
    )
    .await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    Ok(Reply::error("").with("pkgnum", pkgnum.to_string()))
}

/// The keys of a new location `change_package_location` builds (only the
/// non-empty ones count).
const MOVE_KEYS: [&str; 15] = [
    "locationname",
    "address1",
    "address2",
    "city",
    "county",
    "state",
    "zip",
    "addr_clean",
    "country",
    "censustract",
    "censusyear",
    "location_type",
    "location_number",
    "location_kind",
    "incorporated",
];

/// `FS.API.change_package_location`: `{pkgnum, locationnum}` of the
/// resulting package (a new one when the package was already billed).
pub(crate) async fn change_package_location(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let unknown = || ApiError::refused("Unknown pkgnum");
    let pkgnum = id(args.text("pkgnum")).ok_or_else(unknown)?;
    let mut tx = ctx.store.write().await?;
    let package = match store_package::package(&mut tx, pkgnum).await {
        Err(bursar_store::Error::NotFound) => return Err(unknown()),
        other => other?,
    };
    if package.cancel.is_some() {
        return Err(ApiError::refused("Cannot change canceled package"));
    }
    let locationnum_text = args.text("locationnum").trim();
    let locationnum_sent = !locationnum_text.is_empty() && locationnum_text != "0";
    let fields_sent = MOVE_KEYS.iter().any(|key| {
        let value = args.text(key).trim();
        !value.is_empty() && value != "0"
    });
    if locationnum_sent && fields_sent {
        return Err(ApiError::refused(
            "Cannot pass both locationnum and location fields",
        ));
    }
    if !locationnum_sent && !fields_sent {
        return Err(ApiError::refused("No changes passed to method"));
    }
    let locationnum = if locationnum_sent {
        let wanted = id(locationnum_text)
            .ok_or_else(|| ApiError::refused(format!("Unknown locationnum {locationnum_text}")))?;
        let owned = bursar_store::customer_update::locations(&mut tx, package.custnum)
            .await?
            .iter()
            .any(|l| l.locationnum == wanted);
        if !owned {
            return Err(ApiError::refused(format!(
                "Unknown locationnum {locationnum_text}"
            )));
        }
        wanted
    } else {
        let raw = RawLocation::prefixed(&args, "");
        let checked = location::check(&mut tx, &raw, "").await?;
        customer::find_or_insert_location(&mut tx, package.custnum, &checked).await?
    };
    let new_pkgnum =
        bursar_store::relocate::change_location(&mut tx, pkgnum, locationnum, now()).await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    Ok(Reply::new()
        .with("pkgnum", new_pkgnum.to_string())
        .with("locationnum", locationnum.to_string()))
}
