//! Customer methods (backend spec 8.8–8.12): `new_customer`,
//! `update_customer`, `customer_info`, `customer_list_svcs` and
//! `location_info`, with the customer field checks of spec 5.1 that sign-up
//! and changes share. Location rules are in `location`, payment method rules
//! in `paymethod`.
//!
//! Every writing method runs in one transaction and checks everything before
//! its first write, so a refusal changes nothing. Replies never carry a card
//! or account number: only masks are stored outside the encrypted column,
//! and no method here returns even those.

pub(super) mod location;
mod paymethod;

use std::time::{SystemTime, UNIX_EPOCH};

use bursar_core::field::{self, FieldError};
use bursar_core::model::{Customer, Location};
use bursar_core::phone;
use bursar_rpc::{Args, Reply};
use bursar_store::customer::{self as store_customer, NewCustomer};
use bursar_store::customer_update::{self as store_update, CustomerUpdate};
use bursar_store::service_list::{self, CustomerService, ServiceRecord};
use bursar_store::{relocate, setup, Conn};

use self::location::{RawLocation, LOCATION_KEYS};
use self::paymethod::{PaymentMethod, RawPayment, Stage};
use super::args::{id, ArgsExt};
use crate::error::ApiError;
use crate::Ctx;

/// Suffix of billing-location errors on `new_customer`.
const IN_BILLING_LOCATION: &str = " (in billing location)";
/// Suffix of service-location errors on `new_customer`.
const IN_SERVICE_LOCATION: &str = " (in service location)";
/// Glued to a bad `refnum`'s message, as Freeside does.
const SELECT_SOURCE: &str = "Please select an advertising source.";
/// [Bursar wording] for a taken `agent_custid`.
const AGENT_CUSTID_IN_USE: &str = "Agent customer ID already in use";
/// The payment keys; sending any of them on `update_customer` re-checks
/// the method.
const PAYMENT_KEYS: [&str; 5] = ["payby", "payinfo", "paycvv", "paydate", "payname"];

/// `FS.API.new_customer`: creates a prospect (spec 8.8) and answers
/// `{error: '', custnum}`.
pub(crate) async fn new_customer(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let now = unix_now();
    let mut tx = ctx.store.write().await?;

    let bill_raw = RawLocation::billing(&args);
    let bill_location = location::check(&mut tx, &bill_raw, IN_BILLING_LOCATION).await?;
    let ship_raw = RawLocation::prefixed(&args, "ship_");
    let ship_location =
        if !ship_raw.get("address1").trim().is_empty() && ship_raw.differs_from(&bill_raw) {
            Some(location::check(&mut tx, &ship_raw, IN_SERVICE_LOCATION).await?)
        } else {
            None
        };

    let settings = &ctx.backoffice;
    let raw_fields = RawFields {
        agentnum: args
            .sent("agentnum")
            .map(str::to_string)
            .unwrap_or_else(|| {
                settings
                    .default_agentnum
                    .map(|agentnum| agentnum.to_string())
                    .unwrap_or_default()
            }),
        refnum: args
            .sent("refnum")
            .map(str::to_string)
            .unwrap_or_else(|| settings.default_refnum.to_string()),
        ..RawFields::sent(&args, &RawFields::default())
    };
    let fields = check_fields(&mut tx, &raw_fields, &bill_location.country, None).await?;

    let raw_payment = RawPayment {
        payby: args.text("payby").to_string(),
        payinfo: args.text("payinfo").to_string(),
        paycvv: args.text("paycvv").to_string(),
        paydate: args.text("paydate").to_string(),
        payname: args.text("payname").to_string(),
    };
    let method = paymethod::check(&raw_payment, &fields.first, &fields.last, Stage::Signup)?;
    let payip = check_payip(args.text("payip"))?;
    let invoicing = check_invoicing(&args)?;

    let usernum = api_usernum(&mut tx).await?;
    let mut customer = Customer {
        usernum,
        signupdate: now,
        postal_invoice: invoicing.postal,
        ..Customer::default()
    };
    fields.apply(&mut customer);
    method.apply(&mut customer);
    let new = NewCustomer {
        customer,
        payinfo: method.payinfo,
        payip,
        bill_location,
        ship_location,
        invoice_emails: invoicing.emails,
    };
    let custnum = store_customer::insert_customer(&mut tx, &ctx.store, &new)
        .await
        .map_err(agent_custid_conflict)?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    tracing::info!(custnum, "customer created");
    let mut reply = Reply::with_capacity(2);
    reply.push("error", "");
    reply.push("custnum", custnum.to_string());
    Ok(reply)
}

/// `FS.API.update_customer`: present keys set fields, absent keys leave
/// them alone (spec 8.9); answers `{error: ''}`.
pub(crate) async fn update_customer(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let now = unix_now();
    let custnum_text = args.text("custnum").trim();
    if custnum_text.bytes().all(|b| b == b'0') {
        return Err(ApiError::refused("no customer record"));
    }
    let unknown = || ApiError::refused(format!("unknown custnum {custnum_text}"));
    let custnum = id(custnum_text).ok_or_else(unknown)?;
    let mut tx = ctx.store.write().await?;
    if !store_update::lock_customer(&mut tx, ctx.store.backend(), custnum).await? {
        return Err(unknown());
    }
    let current = store_customer::customer(&mut tx, custnum).await?;
    let locations = store_update::locations(&mut tx, custnum).await?;
    let find = |locationnum: i64| {
        locations
            .iter()
            .find(|l| l.locationnum == locationnum)
            .cloned()
            .unwrap_or_default()
    };
    let current_bill = find(current.bill_locationnum);
    let current_ship = find(current.ship_locationnum);

    // Rule 3: the billing address, merged with the current one.
    let mut new_bill = None;
    if args.sent("address1").is_some() {
        let raw = RawLocation::merged(&current_bill, &args, "");
        let checked = location::check(&mut tx, &raw, "").await?;
        if !location::same_address(&checked, &current_bill) {
            new_bill = Some(checked);
        }
    }
    // Rule 4: the service address.
    let mut ship_change = ShipChange::None;
    if let Some(ship_address1) = args.sent("ship_address1") {
        if !ship_address1.trim().is_empty() {
            let raw = RawLocation::merged(&current_ship, &args, "ship_");
            let checked = location::check(&mut tx, &raw, "").await?;
            if !location::same_address(&checked, &current_ship) {
                ship_change = ShipChange::To(Box::new(checked));
            }
        } else if LOCATION_KEYS
            .iter()
            .all(|key| args.text(&format!("ship_{key}")).trim().is_empty())
        {
            ship_change = ShipChange::ToBilling;
        }
    }
    let bill_country = new_bill
        .as_ref()
        .map_or(current_bill.country.as_str(), |l| l.country.as_str());

    let stored_fields = RawFields::stored(&current);
    let raw_fields = RawFields::sent(&args, &stored_fields);
    let fields = check_fields(&mut tx, &raw_fields, bill_country, Some(custnum)).await?;

    let mut new_payinfo = None;
    let method = if PAYMENT_KEYS.iter().any(|key| args.sent(key).is_some()) {
        let raw = merged_payment(&mut tx, ctx, &current, &args).await?;
        let method = paymethod::check(&raw, &fields.first, &fields.last, Stage::Update)?;
        new_payinfo = Some(method.payinfo.clone());
        method
    } else {
        PaymentMethod::stored(&current)
    };
    let payip = args.sent("payip").map(check_payip).transpose()?;
    let invoicing =
        if args.sent("invoicing_list").is_some() || args.sent("postal_invoicing").is_some() {
            Some(check_invoicing(&args)?)
        } else {
            None
        };

    // Everything is checked: write.
    let mut customer = current.clone();
    fields.apply(&mut customer);
    method.apply(&mut customer);
    if let Some(bill) = &new_bill {
        customer.bill_locationnum =
            store_customer::find_or_insert_location(&mut tx, custnum, bill).await?;
    }
    customer.ship_locationnum = match &ship_change {
        ShipChange::None => current.ship_locationnum,
        ShipChange::To(ship) => {
            store_customer::find_or_insert_location(&mut tx, custnum, ship).await?
        }
        ShipChange::ToBilling => customer.bill_locationnum,
    };
    if let Some(invoicing) = &invoicing {
        customer.postal_invoice = invoicing.postal;
        store_customer::set_invoice_emails(&mut tx, custnum, &invoicing.emails).await?;
    }
    let update = CustomerUpdate {
        customer: customer.clone(),
        payinfo: new_payinfo,
        payip,
    };
    store_update::update_customer(&mut tx, &ctx.store, &update)
        .await
        .map_err(agent_custid_conflict)?;
    // Rule 5: packages follow the service location.
    if customer.ship_locationnum != current.ship_locationnum {
        let pkgnums =
            store_update::packages_at_location(&mut tx, custnum, current.ship_locationnum).await?;
        for pkgnum in pkgnums {
            relocate::change_location(&mut tx, pkgnum, customer.ship_locationnum, now)
                .await
                .map_err(|error| match error {
                    bursar_store::Error::Refused(message) => {
                        ApiError::refused(format!("Error moving pkgnum {pkgnum}: {message}"))
                    }
                    other => other.into(),
                })?;
        }
    }
    for old in [current.bill_locationnum, current.ship_locationnum] {
        if old != customer.bill_locationnum && old != customer.ship_locationnum {
            store_update::disable_location_if_unused(&mut tx, old).await?;
        }
    }
    tx.commit().await.map_err(bursar_store::Error::from)?;
    tracing::info!(custnum, "customer updated");
    Ok(Reply::error(""))
}

/// `FS.API.customer_info`: the 35 members of backend spec 8.10.
pub(crate) async fn customer_info(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let unknown = || ApiError::refused("Unknown custnum");
    let custnum = id(args.text("custnum")).ok_or_else(unknown)?;
    let details = match ctx.store.customer_card(custnum).await {
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
    const SHIP_KEYS: [&str; 7] = [
        "ship_address1",
        "ship_address2",
        "ship_city",
        "ship_county",
        "ship_state",
        "ship_zip",
        "ship_country",
    ];
    for name in location::ADDRESS_KEYS {
        reply.push(name, location::stored_field(&details.bill_location, name));
    }
    for (name, shown) in location::ADDRESS_KEYS.iter().zip(SHIP_KEYS) {
        reply.push(shown, location::stored_field(&details.ship_location, name));
    }
    reply.push("invoicing_list", details.invoice_emails.join(", "));
    reply.push("postal_invoicing", if c.postal_invoice { "1" } else { "" });
    Ok(reply)
}

/// `FS.API.customer_list_svcs`: every service of the customer, link and
/// record merged (spec 8.11); `{cust_svc: [...]}`, no `error` member.
pub(crate) async fn customer_list_svcs(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let unknown = || ApiError::refused("Unknown custnum");
    let custnum = id(args.text("custnum")).ok_or_else(unknown)?;
    let mut tx = ctx.store.read().await?;
    if !store_update::customer_exists(&mut tx, custnum).await? {
        return Err(unknown());
    }
    let services = service_list::customer_services(&mut tx, custnum).await?;
    tx.rollback().await.map_err(bursar_store::Error::from)?;
    let redact = ctx.backoffice.redact_service_secrets;
    let list: Vec<Reply> = services
        .iter()
        .map(|service| service_reply(service, redact))
        .collect();
    Ok(Reply::new().with("cust_svc", list))
}

/// `FS.API.location_info`: every location of the customer, disabled ones
/// included (spec 8.12). An unknown customer simply has none.
pub(crate) async fn location_info(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let locations = match id(args.text("custnum")) {
        Some(custnum) => {
            let mut tx = ctx.store.read().await?;
            let locations = store_update::locations(&mut tx, custnum).await?;
            tx.rollback().await.map_err(bursar_store::Error::from)?;
            locations
        }
        None => Vec::new(),
    };
    let list: Vec<Reply> = locations.iter().map(location_reply).collect();
    let mut reply = Reply::with_capacity(2);
    reply.push("error", "");
    reply.push("locations", list);
    Ok(reply)
}

/// What `update_customer` does to the service location.
enum ShipChange {
    /// It stays.
    None,
    /// It becomes this address.
    To(Box<Location>),
    /// It becomes the (new) billing location.
    ToBilling,
}

/// The customer fields of spec 5.1 as text, before their checks.
#[derive(Debug, Clone, Default)]
struct RawFields {
    agentnum: String,
    agent_custid: String,
    refnum: String,
    salesnum: String,
    last: String,
    first: String,
    company: String,
    referral_custnum: String,
    daytime: String,
    night: String,
    fax: String,
    mobile: String,
}

impl RawFields {
    /// The fields sent; absent ones from `absent`.
    fn sent(args: &Args, absent: &RawFields) -> RawFields {
        let pick = |key: &str, fallback: &str| args.sent(key).unwrap_or(fallback).to_string();
        RawFields {
            agentnum: pick("agentnum", &absent.agentnum),
            agent_custid: pick("agent_custid", &absent.agent_custid),
            refnum: pick("refnum", &absent.refnum),
            salesnum: pick("salesnum", &absent.salesnum),
            last: pick("last", &absent.last),
            first: pick("first", &absent.first),
            company: pick("company", &absent.company),
            referral_custnum: pick("referral_custnum", &absent.referral_custnum),
            daytime: pick("daytime", &absent.daytime),
            night: pick("night", &absent.night),
            fax: pick("fax", &absent.fax),
            mobile: pick("mobile", &absent.mobile),
        }
    }

    /// A stored customer's fields as text.
    fn stored(customer: &Customer) -> RawFields {
        let opt = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
        RawFields {
            agentnum: customer.agentnum.to_string(),
            agent_custid: customer.agent_custid.clone(),
            refnum: customer.refnum.to_string(),
            salesnum: opt(customer.salesnum),
            last: customer.last.clone(),
            first: customer.first.clone(),
            company: customer.company.clone(),
            referral_custnum: opt(customer.referral_custnum),
            daytime: customer.daytime.clone(),
            night: customer.night.clone(),
            fax: customer.fax.clone(),
            mobile: customer.mobile.clone(),
        }
    }
}

/// Checked customer fields.
#[derive(Debug, Clone)]
struct Fields {
    agentnum: i64,
    agent_custid: String,
    refnum: i64,
    salesnum: Option<i64>,
    last: String,
    first: String,
    company: String,
    referral_custnum: Option<i64>,
    daytime: String,
    night: String,
    fax: String,
    mobile: String,
}

impl Fields {
    /// Sets these fields on `customer`.
    fn apply(&self, customer: &mut Customer) {
        customer.agentnum = self.agentnum;
        customer.agent_custid = self.agent_custid.clone();
        customer.refnum = self.refnum;
        customer.salesnum = self.salesnum;
        customer.last = self.last.clone();
        customer.first = self.first.clone();
        customer.company = self.company.clone();
        customer.referral_custnum = self.referral_custnum;
        customer.daytime = self.daytime.clone();
        customer.night = self.night.clone();
        customer.fax = self.fax.clone();
        customer.mobile = self.mobile.clone();
    }
}

/// Checks the customer fields in Freeside's order (spec 5.1): syntax of
/// `agentnum` … `referral_custnum`, then the references, then the phones
/// with the billing `country`. `custnum` is the customer being changed,
/// whose own `agent_custid` is no conflict.
async fn check_fields(
    conn: &mut Conn,
    raw: &RawFields,
    country: &str,
    custnum: Option<i64>,
) -> Result<Fields, ApiError> {
    let agentnum = field::number("agentnum", raw.agentnum.trim())?;
    let agent_custid = field::textn("agent_custid", &raw.agent_custid)?;
    let refnum = field::number("refnum", raw.refnum.trim())
        .map_err(|error| FieldError::new(format!("{}{SELECT_SOURCE}", error.message())))?;
    let salesnum = optional_id(&field::numbern("salesnum", raw.salesnum.trim())?);
    if let Some(salesnum) = salesnum {
        if !store_update::sales_person_exists(conn, salesnum).await? {
            return Err(ApiError::refused(format!(
                "Can't find cust_main.salesnum {salesnum} in sales.salesnum"
            )));
        }
    }
    let last = field::name("last", &raw.last)?;
    let first = field::name("first", &raw.first)?;
    let company = field::textn("company", &field::collapse_blanks(&raw.company))?;
    let referral_text = field::numbern("referral_custnum", raw.referral_custnum.trim())?;

    let agentnum = existing(agentnum.parse().ok(), |n| {
        store_update::agent_exists(conn, n)
    })
    .await?
    .ok_or_else(|| ApiError::refused("Unknown agent"))?;
    let refnum = existing(refnum.parse().ok(), |n| {
        store_update::source_exists(conn, n)
    })
    .await?
    .ok_or_else(|| ApiError::refused("Unknown refnum"))?;
    let referral_custnum = match optional_id(&referral_text) {
        None if referral_text.is_empty() => None,
        parsed => Some(
            existing(parsed, |n| store_update::customer_exists(conn, n))
                .await?
                .ok_or_else(|| {
                    ApiError::refused(format!("Unknown referring custnum: {referral_text}"))
                })?,
        ),
    };
    if !agent_custid.is_empty()
        && store_update::agent_custid_in_use(conn, agentnum, &agent_custid, custnum).await?
    {
        return Err(ApiError::refused(AGENT_CUSTID_IN_USE));
    }

    let daytime = phone::phone("daytime", &raw.daytime, country, None)?;
    let night = phone::phone("night", &raw.night, country, None)?;
    let fax = phone::phone("fax", &raw.fax, country, None)?;
    let mobile = phone::phone("mobile", &raw.mobile, country, None)?;
    Ok(Fields {
        agentnum,
        agent_custid,
        refnum,
        salesnum,
        last,
        first,
        company,
        referral_custnum,
        daytime,
        night,
        fax,
        mobile,
    })
}

/// `Some(number)` when `number` is given and `exists` finds it.
async fn existing<F, Fut>(number: Option<i64>, exists: F) -> Result<Option<i64>, ApiError>
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = bursar_store::Result<bool>>,
{
    match number {
        Some(number) if exists(number).await? => Ok(Some(number)),
        _ => Ok(None),
    }
}

/// A checked optional number: `None` when empty (or beyond `i64`).
fn optional_id(digits: &str) -> Option<i64> {
    digits.parse().ok()
}

impl PaymentMethod {
    /// The method a customer has stored (clear `payinfo` not included).
    fn stored(customer: &Customer) -> PaymentMethod {
        PaymentMethod {
            payby: customer.payby.clone(),
            payinfo: String::new(),
            paymask: customer.paymask.clone(),
            paycardtype: customer.paycardtype.clone(),
            paydate: customer.paydate.clone(),
            payname: customer.payname.clone(),
        }
    }

    /// Sets the method's visible fields on `customer`.
    fn apply(&self, customer: &mut Customer) {
        customer.payby = self.payby.clone();
        customer.paymask = self.paymask.clone();
        customer.paycardtype = self.paycardtype.clone();
        customer.paydate = self.paydate.clone();
        customer.payname = self.payname.clone();
    }
}

/// The payment keys for `update_customer`'s re-check: sent keys replace the
/// stored ones. When `payby` changes, the stored details belong to the old
/// method and are not carried over (a card number must never become a
/// purchase-order number shown in clear).
async fn merged_payment(
    conn: &mut Conn,
    ctx: &Ctx,
    current: &Customer,
    args: &Args,
) -> Result<RawPayment, ApiError> {
    let payby = args.sent("payby").unwrap_or(&current.payby).to_string();
    let same_method = payby == current.payby;
    let stored_payinfo = match args.sent("payinfo") {
        Some(_) => String::new(),
        None if same_method => {
            store_customer::customer_payinfo(conn, &ctx.store, current.custnum).await?
        }
        None => String::new(),
    };
    let keep = |key: &str, stored: &str| match args.sent(key) {
        Some(sent) => sent.to_string(),
        None if same_method => stored.to_string(),
        None => String::new(),
    };
    Ok(RawPayment {
        payinfo: keep("payinfo", &stored_payinfo),
        paycvv: args.text("paycvv").to_string(),
        paydate: keep("paydate", &current.paydate),
        payname: keep("payname", &current.payname),
        payby,
    })
}

/// `payip`: an optional IP address, stored as text.
fn check_payip(value: &str) -> Result<String, ApiError> {
    Ok(field::ipn("payip", value)?
        .map(|ip| ip.to_string())
        .unwrap_or_default())
}

/// `invoicing_list` and `postal_invoicing` (spec 5.5).
fn check_invoicing(args: &Args) -> Result<field::InvoicingList, ApiError> {
    let mut list = field::parse_invoicing_list(args.text("invoicing_list"))?;
    list.postal |= field::postal_invoicing_requested(args.text("postal_invoicing"));
    Ok(list)
}

/// The `api` employee, who creates every record the API inserts.
async fn api_usernum(conn: &mut Conn) -> Result<i64, ApiError> {
    setup::conf_get(conn, setup::CONF_API_USERNUM)
        .await?
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| ApiError::Internal("the api employee is missing (run init)".into()))
}

/// A taken `agent_custid` found by the unique index (a concurrent sign-up
/// won the race the earlier check lost) reads as the same refusal.
fn agent_custid_conflict(error: bursar_store::Error) -> ApiError {
    match error {
        bursar_store::Error::Conflict(constraint) if constraint.contains("agent_custid") => {
            ApiError::refused(AGENT_CUSTID_IN_USE)
        }
        other => other.into(),
    }
}

/// One location as `location_info` shows it.
fn location_reply(location: &Location) -> Reply {
    let mut reply = Reply::with_capacity(LOCATION_KEYS.len() + 4);
    reply.push("locationnum", location.locationnum.to_string());
    reply.push("custnum", location.custnum.to_string());
    reply.push("prospectnum", "");
    for key in LOCATION_KEYS {
        reply.push(key, location::stored_field(location, key));
    }
    reply.push("disabled", if location.disabled { "Y" } else { "" });
    reply
}

/// Freeside's `_password_encoding` for a stored encoding (the catalog's
/// spelling); anything else is shown as stored.
fn freeside_password_encoding(stored: &str) -> &str {
    match stored {
        "plain" => "plain",
        "ldap-plain" | "ldap-crypt" | "ldap-ssha" => "ldap",
        "crypt-des" | "crypt-md5" | "crypt-sha512" => "crypt",
        other => other,
    }
}

/// One service as `customer_list_svcs` shows it: the link fields, then the
/// record's, under Freeside's column names. Columns Bursar does not keep
/// are present and empty, as a NULL column is in Freeside.
fn service_reply(service: &CustomerService, redact: bool) -> Reply {
    let secret = |value: &str| {
        if redact {
            String::new()
        } else {
            value.to_string()
        }
    };
    let opt = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
    let mut reply = Reply::with_capacity(26);
    reply.push("svcnum", service.svcnum.to_string());
    reply.push("pkgnum", service.pkgnum.to_string());
    reply.push("svcpart", service.svcpart.to_string());
    reply.push("agent_svcid", service.agent_svcid.as_str());
    match &service.record {
        ServiceRecord::Account(account) => {
            reply.push("username", account.username.as_str());
            reply.push("domsvc", account.domsvc.to_string());
            reply.push("_password", secret(&account.password));
            reply.push(
                "_password_encoding",
                freeside_password_encoding(&account.password_encoding),
            );
            reply.push("sec_phrase", "");
            for key in ["popnum", "uid", "gid"] {
                reply.push(key, "");
            }
            reply.push("finger", account.finger.as_str());
            for key in ["dir", "shell"] {
                reply.push(key, "");
            }
            reply.push("quota", account.quota.as_str());
            reply.push("slipip", "");
            for key in ["seconds", "upbytes", "downbytes", "totalbytes"] {
                reply.push(key, "");
                reply.push(format!("{key}_threshold"), "");
            }
        }
        ServiceRecord::Domain(domain) => {
            reply.push("domain", domain.domain.as_str());
            reply.push("catchall", opt(domain.catchall));
            reply.push("parent_svcnum", opt(domain.parent_svcnum));
            reply.push("registrarnum", "");
            reply.push("max_accounts", opt(domain.max_accounts));
        }
        ServiceRecord::Phone(phone) => {
            reply.push("countrycode", phone.countrycode.as_str());
            reply.push("phonenum", phone.phonenum.as_str());
            reply.push("pin", secret(&phone.pin));
            reply.push("sip_password", "");
            reply.push("phone_name", phone.phone_name.as_str());
            for key in ["domsvc", "locationnum", "forwarddst", "email"] {
                reply.push(key, "");
            }
        }
    }
    reply
}

/// Now, in UNIX seconds.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
