//! Ledger methods: `insert_payment`, `insert_credit`, `insert_refund`, their
//! `_phonenum` variants and `apply_payments_and_credits` (backend spec 6,
//! 8.1–8.7).
//!
//! Each call is one atomic write through the store's group commit (its own
//! savepoint inside a commit shared with concurrent calls on SQLite, its own
//! transaction on PostgreSQL), kept only when the call succeeds, so a
//! refusal changes nothing; the reply waits for the durable commit. Checks
//! run in the order the spec lists for each method and refuse with
//! Freeside's words; the customer is locked before anything is written for
//! it. Payments are idempotent on a non-empty `order_number` or `payunique`,
//! and are applied to an invoice only when `invnum` asks for it. No SQL
//! here: the store's `ledger` and `payment_api` modules read and write.

use bursar_core::field::{self, FieldError};
use bursar_core::model::{Payment, ReasonClass};
use bursar_core::payby::{mask_payinfo, CardExpiry, CardMasking, CardNumber, Payby};
use bursar_core::Money;
use bursar_rpc::{Args, Reply, Value};
use bursar_store::customer::ledger_totals;
use bursar_store::group::BoxFuture;
use bursar_store::ledger::{self, NewCredit, NewPayment, NewRefund};
use bursar_store::payment_api::{self, ApiSettings, PhoneOwner, UnsuspendThreshold};
use bursar_store::{Backend, Conn, Store};

use super::args::{id, ArgsExt};
use crate::error::ApiError;
use crate::Ctx;

/// `FS.API.insert_payment`: `{error, paynum}`.
pub(crate) async fn insert_payment(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    record(ctx, args, Record::Payment, Lookup::Custnum).await
}

/// `FS.API.insert_payment_phonenum`: `insert_payment` for the owner of
/// `phonenum`.
pub(crate) async fn insert_payment_phonenum(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    record(ctx, args, Record::Payment, Lookup::Phonenum).await
}

/// `FS.API.insert_credit`: `{error, crednum}`.
pub(crate) async fn insert_credit(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    record(ctx, args, Record::Credit, Lookup::Custnum).await
}

/// `FS.API.insert_credit_phonenum`: `insert_credit` for the owner of
/// `phonenum`.
pub(crate) async fn insert_credit_phonenum(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    record(ctx, args, Record::Credit, Lookup::Phonenum).await
}

/// `FS.API.insert_refund`: `{error, refundnum}`.
pub(crate) async fn insert_refund(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    record(ctx, args, Record::Refund, Lookup::Custnum).await
}

/// `FS.API.insert_refund_phonenum`: `insert_refund` for the owner of
/// `phonenum`.
pub(crate) async fn insert_refund_phonenum(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    record(ctx, args, Record::Refund, Lookup::Phonenum).await
}

/// `FS.API.apply_payments_and_credits`: applies the customer's unapplied
/// payments and credits to its open invoices now (spec 6.3); `{error}`.
pub(crate) async fn apply_payments_and_credits(ctx: &Ctx, args: Args) -> Result<Reply, ApiError> {
    let now = now();
    let backend = ctx.store.backend();
    ctx.store
        .write_grouped(
            move |conn: &mut Conn| -> BoxFuture<'_, Result<Reply, ApiError>> {
                Box::pin(async move { apply_in(conn, backend, &args, now).await })
            },
        )
        .await
}

/// The body of [`apply_payments_and_credits`], on the call's connection.
async fn apply_in(
    conn: &mut Conn,
    backend: Backend,
    args: &Args,
    now: i64,
) -> Result<Reply, ApiError> {
    let custnum = id(args.text("custnum")).ok_or_else(|| ApiError::refused("Unknown custnum"))?;
    if !payment_api::lock_customer(conn, backend, custnum).await? {
        return Err(ApiError::refused("Unknown custnum"));
    }
    match ledger::apply_payments_and_credits(conn, custnum, now).await {
        Ok(applied) => tracing::debug!(custnum, n_applied = applied.len(), "applied"),
        Err(bursar_store::Error::Refused(message)) => {
            return Err(ApiError::Refused(format!("Error applying: {message}")))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Reply::error(""))
}

/// Which ledger record a call inserts.
#[derive(Debug, Clone, Copy)]
enum Record {
    Payment,
    Credit,
    Refund,
}

impl Record {
    /// The reply member carrying the new record's number.
    fn member(self) -> &'static str {
        match self {
            Record::Payment => "paynum",
            Record::Credit => "crednum",
            Record::Refund => "refundnum",
        }
    }
}

/// How a call names its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// By `custnum` (or through `invnum`, `paynum`, `crednum`).
    Custnum,
    /// By the phone number of one of its services (spec 6.6).
    Phonenum,
}

/// Runs one `insert_*` call as one atomic write, which may share its
/// durable commit with concurrent calls (the store's group commit): a
/// refusal rolls back only this call, and the reply waits for the commit.
async fn record(ctx: &Ctx, args: Args, kind: Record, lookup: Lookup) -> Result<Reply, ApiError> {
    let now = now();
    let store = ctx.store.clone();
    ctx.store
        .write_grouped(
            move |conn: &mut Conn| -> BoxFuture<'_, Result<Reply, ApiError>> {
                Box::pin(async move { record_in(conn, &store, args, kind, lookup, now).await })
            },
        )
        .await
}

/// The body of [`record`], on the call's connection.
async fn record_in(
    conn: &mut Conn,
    store: &Store,
    mut args: Args,
    kind: Record,
    lookup: Lookup,
    now: i64,
) -> Result<Reply, ApiError> {
    if lookup == Lookup::Phonenum {
        let phonenum = args.remove("phonenum");
        let phonenum = phonenum
            .as_ref()
            .and_then(Value::as_scalar)
            .map(|scalar| scalar.text())
            .unwrap_or("");
        let owner = if phonenum.is_empty() {
            PhoneOwner::Unknown
        } else {
            payment_api::phone_owner(conn, phonenum).await?
        };
        // Freeside answers these two with a bare `{error}`, without the
        // number member its other refusals carry.
        match owner {
            PhoneOwner::Unknown => return Ok(Reply::error("Unknown phonenum")),
            PhoneOwner::Unlinked => return Ok(Reply::error("Unlinked phonenum")),
            PhoneOwner::Customer(custnum) => {
                args.insert("custnum", Value::string(custnum.to_string()));
            }
        }
    }
    let settings = payment_api::api_settings(conn).await?;
    let num = match kind {
        Record::Payment => record_payment(conn, store, &settings, &args, now).await?,
        Record::Credit => record_credit(conn, store.backend(), &settings, &args, now).await?,
        Record::Refund => record_refund(conn, store, &settings, &args, now).await?,
    };
    Ok(Reply::with_capacity(2)
        .with("error", "")
        .with(kind.member(), num.to_string()))
}

/// `insert_payment`'s checks (spec 8.1, in its order), the idempotency
/// keys, the insert and the optional application; returns the `paynum`.
async fn record_payment(
    conn: &mut Conn,
    store: &Store,
    settings: &ApiSettings,
    args: &Args,
    now: i64,
) -> Result<i64, ApiError> {
    let invoice = match given(args.text("invnum")) {
        None => None,
        Some(invnum_text) => {
            let unknown = || ApiError::Refused(format!("Unknown cust_bill.invnum: {invnum_text}"));
            let invnum = id(invnum_text).ok_or_else(unknown)?;
            let owner = payment_api::invoice_custnum(conn, invnum)
                .await?
                .ok_or_else(unknown)?;
            if let Some(sent) = given(args.text("custnum")) {
                if id(sent) != Some(owner) {
                    return Err(ApiError::Refused(format!(
                        "Invoice custnum {owner} does not match specified custnum {sent} for invoice {invnum}"
                    )));
                }
            }
            Some((invnum, owner))
        }
    };
    let custnum_text = match invoice {
        Some((_, owner)) => owner.to_string(),
        None => check(args, "custnum", numbern)?.to_owned(),
    };
    let date = date(args, now)?;
    let paid = check(args, "paid", field::money)?;
    let paybatch = check(args, "paybatch", field::textn)?;
    let payunique = check(args, "payunique", field::textn)?;
    let order_number = check(args, "order_number", field::textn)?;
    let auth = check(args, "auth", field::textn)?;
    let processor = check(args, "processor", field::textn)?;
    let no_auto_apply = check(args, "no_auto_apply", field::flag)?;
    let pkgnum = package(conn, args, "cust_pay").await?;
    let bank = check(args, "bank", field::textn)?;
    let depositor = check(args, "depositor", field::alphan)?;
    let account = check(args, "account", numbern)?.to_owned();
    let teller = check(args, "teller", numbern)?.to_owned();
    if settings.require_cash_deposit_info && args.text("payby") == Payby::Cash.as_str() {
        let deposit = [
            ("bank", &bank),
            ("depositor", &depositor),
            ("account", &account),
            ("teller", &teller),
        ];
        if let Some((name, _)) = deposit.iter().find(|(_, value)| value.is_empty()) {
            return Err(ApiError::Refused(format!("{name} required")));
        }
    }
    let payby = Payby::parse_for_payment(args.text("payby"))?;
    let method = payment_method(args, payby)?;
    if !paid.is_positive() {
        return Err(ApiError::refused("paid must be > 0 "));
    }
    let custnum = existing_customer(conn, store.backend(), &custnum_text)
        .await?
        .ok_or_else(|| ApiError::Refused(format!("unknown cust_main.custnum: {custnum_text}")))?;
    if let Some(earlier) =
        payment_api::find_keyed_payment(conn, custnum, &order_number, &payunique).await?
    {
        if earlier.paid == paid && earlier.payby == payby.as_str() {
            return Ok(earlier.paynum);
        }
        return Err(ApiError::Refused(format!(
            "duplicate transaction: paynum {} already has {} {}",
            earlier.paynum,
            earlier.key.as_str(),
            earlier.value
        )));
    }
    let new = NewPayment {
        payment: Payment {
            paynum: 0,
            custnum,
            date,
            paid,
            payby: payby.as_str().to_owned(),
            paymask: method.paymask,
            paybatch,
            payunique,
            order_number,
            auth,
            processor,
            no_auto_apply,
            pkgnum,
        },
        payinfo: method.payinfo,
        paydate: method.paydate,
        bank,
        depositor,
        account,
        teller,
        usernum: settings.usernum,
    };
    let paynum = ledger::insert_payment(conn, store, &new).await?;
    if let Some((invnum, _)) = invoice {
        match ledger::apply_payment(conn, paynum, invnum, paid, date).await {
            Ok(()) => {}
            Err(bursar_store::Error::Refused(message)) => {
                return Err(ApiError::Refused(format!(
                    "error inserting cust_bill_pay: {message}"
                )))
            }
            Err(other) => return Err(other.into()),
        }
    }
    unsuspend_after_payment(conn, settings, custnum, paid, now).await?;
    tracing::debug!(custnum, paynum, %paid, "payment inserted");
    Ok(paynum)
}

/// `insert_credit`'s checks (spec 8.3, in its order) and the insert;
/// returns the `crednum`.
async fn record_credit(
    conn: &mut Conn,
    backend: Backend,
    settings: &ApiSettings,
    args: &Args,
    now: i64,
) -> Result<i64, ApiError> {
    let custnum_text = args.text("custnum");
    let custnum = existing_customer(conn, backend, custnum_text)
        .await?
        .ok_or_else(|| ApiError::Refused(format!("Unknown custnum {custnum_text}")))?;
    let reason = resolve_reason(conn, args, ReasonClass::Credit, settings.credit_reason).await?;
    let date = date(args, now)?;
    let amount = check(args, "amount", field::money)?;
    let addlinfo = check(args, "addlinfo", field::textn)?;
    let pkgnum = package(conn, args, "cust_credit").await?;
    let reasonnum = existing_reason(conn, reason, "cust_credit").await?;
    if !amount.is_positive() {
        return Err(ApiError::refused("amount must be > 0 "));
    }
    let new = NewCredit {
        custnum,
        date,
        amount,
        reasonnum,
        addlinfo,
        pkgnum,
        usernum: settings.usernum,
    };
    let crednum = ledger::insert_credit(conn, &new).await?;
    unsuspend_after_payment(conn, settings, custnum, amount, now).await?;
    tracing::debug!(custnum, crednum, %amount, "credit inserted");
    Ok(crednum)
}

/// `insert_refund`'s checks (spec 8.5, in its order), the insert and the
/// application to the refunded payment or credit; returns the `refundnum`.
async fn record_refund(
    conn: &mut Conn,
    store: &Store,
    settings: &ApiSettings,
    args: &Args,
    now: i64,
) -> Result<i64, ApiError> {
    let reason = resolve_reason(conn, args, ReasonClass::Refund, settings.refund_reason).await?;
    let mut source_paynum = None;
    let mut source_crednum = None;
    let mut custnum_text = None;
    if let Some(crednum_text) = given(args.text("crednum")) {
        let unknown = || ApiError::Refused(format!("Unknown cust_credit.crednum: {crednum_text}"));
        let crednum = id(crednum_text).ok_or_else(unknown)?;
        let owner = payment_api::credit_custnum(conn, crednum)
            .await?
            .ok_or_else(unknown)?;
        source_crednum = Some(crednum);
        custnum_text = Some(owner.to_string());
    } else if let Some(paynum_text) = given(args.text("paynum")) {
        let unknown = || ApiError::Refused(format!("Unknown cust_pay.paynum: {paynum_text}"));
        let paynum = id(paynum_text).ok_or_else(unknown)?;
        let owner = payment_api::payment_custnum(conn, paynum)
            .await?
            .ok_or_else(unknown)?;
        source_paynum = Some(paynum);
        custnum_text = Some(owner.to_string());
    }
    let custnum_text = match custnum_text {
        Some(owner) => owner,
        None => check(args, "custnum", numbern)?.to_owned(),
    };
    let refund = check(args, "refund", field::money)?;
    let date = date(args, now)?;
    let paybatch = check(args, "paybatch", field::textn)?;
    let order_number = check(args, "order_number", field::textn)?;
    let auth = check(args, "auth", field::textn)?;
    let reasonnum = existing_reason(conn, reason, "cust_refund").await?;
    if !refund.is_positive() {
        return Err(ApiError::refused("refund must be > 0 "));
    }
    let custnum = existing_customer(conn, store.backend(), &custnum_text)
        .await?
        .ok_or_else(|| ApiError::Refused(format!("unknown cust_main.custnum: {custnum_text}")))?;
    let payby = Payby::parse_for_payment(args.text("payby"))?;
    let method = payment_method(args, payby)?;
    let new = NewRefund {
        custnum,
        date,
        refund,
        payby: payby.as_str().to_owned(),
        payinfo: method.payinfo,
        paymask: method.paymask,
        reasonnum,
        paybatch,
        order_number,
        auth,
        paynum: source_paynum,
        crednum: source_crednum,
        usernum: settings.usernum,
    };
    let refundnum = ledger::insert_refund(conn, store, &new).await?;
    tracing::debug!(custnum, refundnum, %refund, "refund inserted");
    Ok(refundnum)
}

/// Spec 6.5: after a payment or credit of `amount`, unsuspends the
/// customer's suspended packages when `unsuspend_balance` is configured, the
/// balance before was not zero and the balance now is at or below the
/// threshold. With `unsuspend_balance` unset — Freeside's default and
/// Bursar's — it does nothing and costs no query.
///
/// Realtime export hooks of the unsuspension belong here, inside the
/// transaction, once the export framework provides them.
async fn unsuspend_after_payment(
    conn: &mut Conn,
    settings: &ApiSettings,
    custnum: i64,
    amount: Money,
    now: i64,
) -> Result<(), ApiError> {
    let Some(threshold) = settings.unsuspend_balance else {
        return Ok(());
    };
    let balance = ledger_totals(conn, custnum).await?.balance();
    if balance + amount == Money::ZERO {
        return Ok(());
    }
    let limit = match threshold {
        UnsuspendThreshold::Zero | UnsuspendThreshold::ChargesNotPastDue => Money::ZERO,
        UnsuspendThreshold::LatestInvoiceCharges => {
            payment_api::latest_invoice_charged(conn, custnum).await?
        }
    };
    if balance <= limit {
        let unsuspended = payment_api::unsuspend_packages(conn, custnum, now).await?;
        if !unsuspended.is_empty() {
            tracing::info!(custnum, ?unsuspended, "packages unsuspended after payment");
        }
    }
    Ok(())
}

/// The checked `payinfo` of a payment or refund with its mask, and the
/// card expiry.
struct Method {
    payinfo: String,
    paymask: String,
    paydate: String,
}

/// Checks `payinfo` (spec 5.4): a card number for `CARD` (none stored as
/// `N/A`), free text otherwise; and, for cards, `paydate` when sent.
fn payment_method(args: &Args, payby: Payby) -> Result<Method, ApiError> {
    let masking = CardMasking::DEFAULT;
    if payby != Payby::Card {
        let payinfo = check(args, "payinfo", field::textn)?;
        let paymask = mask_payinfo(payby, &payinfo, masking);
        return Ok(Method {
            payinfo,
            paymask,
            paydate: String::new(),
        });
    }
    let (payinfo, paymask) = match CardNumber::parse_for_payment(args.text("payinfo"))? {
        Some(card) => (card.digits().to_owned(), card.mask(masking)),
        None => ("N/A".to_owned(), "N/A".to_owned()),
    };
    let paydate = match args.text("paydate").trim() {
        "" => String::new(),
        text => CardExpiry::parse(text)?.first_of_month(),
    };
    Ok(Method {
        payinfo,
        paymask,
        paydate,
    })
}

/// A reason as the client chose it, before it is checked to exist.
enum Reason<'a> {
    /// The `reasonnum` sent, as text.
    Sent(&'a str),
    /// A reason found or created from text, or the configured default.
    Resolved(i64),
}

/// Picks the reason of a credit or refund: `reasonnum` when sent, else the
/// `reason` text (finding or creating a reason of `class` with it), else
/// the configured default.
async fn resolve_reason<'a>(
    conn: &mut Conn,
    args: &'a Args,
    class: ReasonClass,
    default: Option<i64>,
) -> Result<Reason<'a>, ApiError> {
    if let Some(sent) = given(args.text("reasonnum")) {
        return Ok(Reason::Sent(sent));
    }
    let text = args.text("reason").trim();
    if !text.is_empty() {
        let text = field::text("reason", text)?;
        let reasonnum = payment_api::find_or_create_reason(conn, class, &text).await?;
        return Ok(Reason::Resolved(reasonnum));
    }
    default
        .map(Reason::Resolved)
        .ok_or_else(|| ApiError::refused("reason text or existing reason required"))
}

/// The number of `reason`, which must exist (`table` names the record for
/// the error).
async fn existing_reason(
    conn: &mut Conn,
    reason: Reason<'_>,
    table: &str,
) -> Result<i64, ApiError> {
    let (text, reasonnum) = match reason {
        Reason::Sent(text) => (text.to_owned(), id(text)),
        Reason::Resolved(reasonnum) => (reasonnum.to_string(), Some(reasonnum)),
    };
    match reasonnum {
        Some(reasonnum) if payment_api::reason_exists(conn, reasonnum).await? => Ok(reasonnum),
        _ => Err(ApiError::Refused(format!(
            "Can't find {table}.reasonnum {text} in reason.reasonnum"
        ))),
    }
}

/// The optional `pkgnum`, which must exist when given (`table` names the
/// record for the error).
async fn package(conn: &mut Conn, args: &Args, table: &str) -> Result<Option<i64>, ApiError> {
    let Some(text) = given(args.text("pkgnum")) else {
        return Ok(None);
    };
    match id(text) {
        Some(pkgnum) if payment_api::package_exists(conn, pkgnum).await? => Ok(Some(pkgnum)),
        _ => Err(ApiError::Refused(format!(
            "Can't find {table}.pkgnum {text} in cust_pkg.pkgnum"
        ))),
    }
}

/// Locks the customer numbered `custnum_text`; `None` when the text names
/// no customer (empty, not a number, or unknown).
async fn existing_customer(
    conn: &mut Conn,
    backend: Backend,
    custnum_text: &str,
) -> Result<Option<i64>, ApiError> {
    let Some(custnum) = id(custnum_text) else {
        return Ok(None);
    };
    let exists = payment_api::lock_customer(conn, backend, custnum).await?;
    Ok(exists.then_some(custnum))
}

/// `_date`: UNIX seconds, `now` when empty.
fn date(args: &Args, now: i64) -> Result<i64, FieldError> {
    let text = check(args, "_date", numbern)?;
    if text.is_empty() {
        return Ok(now);
    }
    text.parse()
        .map_err(|_| FieldError::new(format!("Illegal (numeric) _date: {text}")))
}

/// `numbern` on a value with its blanks trimmed, as Freeside's number rules
/// trim.
fn numbern<'v>(name: &str, value: &'v str) -> Result<&'v str, FieldError> {
    let value = value.trim();
    field::numbern(name, value).map(|_| value)
}

/// A value no field rule accepts, fed to a rule to get its refusal.
const REFUSED_BY_EVERY_RULE: &str = "\u{0}";

/// Runs `rule` on argument `name`. A struct or array where a scalar belongs
/// is refused as an empty value (spec 4.1): the rule is given a value it
/// refuses, and that value is cut from the end of its message, which leaves
/// `Illegal (money) paid: ` and the like.
fn check<'a, T>(
    args: &'a Args,
    name: &str,
    rule: impl FnOnce(&str, &'a str) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    match args.get(name) {
        Some(value) if value.is_composite() => {
            let message = match rule(name, REFUSED_BY_EVERY_RULE) {
                Err(refusal) => refusal.into_message(),
                Ok(_) => format!("Illegal {name}: "),
            };
            Err(FieldError::new(
                message.trim_end_matches(REFUSED_BY_EVERY_RULE),
            ))
        }
        _ => rule(name, args.text(name)),
    }
}

/// The value when Perl would call it true (neither empty nor `0`), as
/// Freeside tests optional numbers like `invnum`.
fn given(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty() && text != "0").then_some(text)
}

/// Now, in UNIX seconds.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
