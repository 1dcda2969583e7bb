//! A customer's stored payment method (backend spec 5.3, 5.4): the 3.x keys
//! `payby`, `payinfo`, `paycvv`, `paydate` and `payname` checked per payment
//! type, giving the clear `payinfo` the store encrypts and the mask every
//! output shows instead.
//!
//! The CVV is checked and dropped: it is never stored or logged. Expired
//! card dates are accepted (Bursar decision 7).

use bursar_core::field::FieldError;
use bursar_core::payby::{
    self, BankAccount, CardExpiry, CardMasking, CardNumber, EcheckRules, Payby,
};

/// The payment keys as sent (or as stored, for `update_customer`).
#[derive(Clone, Default)]
pub(super) struct RawPayment {
    /// `payby`; empty means no stored method.
    pub payby: String,
    /// `payinfo`, in clear.
    pub payinfo: String,
    /// `paycvv`, checked and dropped.
    pub paycvv: String,
    /// `paydate`.
    pub paydate: String,
    /// `payname`.
    pub payname: String,
}

/// A checked payment method, ready to store. `Debug` hides `payinfo`.
#[derive(Clone, Default, PartialEq, Eq)]
pub(super) struct PaymentMethod {
    /// The stored code; empty when the customer has none.
    pub payby: String,
    /// Clear card number, bank account, phone number, P.O. number…
    pub payinfo: String,
    /// What outputs show of `payinfo`.
    pub paymask: String,
    /// Card brand, e.g. `VISA card`; empty for other types.
    pub paycardtype: String,
    /// Card expiry as `YYYY-MM-01`; empty for other types.
    pub paydate: String,
    /// Name on the card or bank.
    pub payname: String,
}

impl std::fmt::Debug for PaymentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentMethod")
            .field("payby", &self.payby)
            .field("paymask", &self.paymask)
            .finish_non_exhaustive()
    }
}

/// Where a method is being set: `PREPAY` exists only at sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// `new_customer`.
    Signup,
    /// `update_customer`.
    Update,
}

/// Checks a payment method for a customer named `first last`, in
/// Freeside's order: `payby`, then `payinfo` (with `paycvv` and `paydate`
/// for cards), then `payname`.
///
/// # Errors
/// The first failing rule's message (spec 5.3, 5.4).
pub(super) fn check(
    raw: &RawPayment,
    first: &str,
    last: &str,
    stage: Stage,
) -> Result<PaymentMethod, FieldError> {
    if raw.payby.is_empty() {
        return Ok(PaymentMethod::default());
    }
    let code = Payby::parse_for_customer(&raw.payby)?;
    let mut method = PaymentMethod {
        payby: code.as_str().to_string(),
        ..PaymentMethod::default()
    };
    match code {
        Payby::Card | Payby::Dcrd => {
            let card = CardNumber::parse(&raw.payinfo)?;
            payby::check_cvv(&raw.paycvv, card.card_type())?;
            let expiry = CardExpiry::parse(&raw.paydate)?;
            method.payinfo = card.digits().to_string();
            method.paymask = card.mask(CardMasking::DEFAULT);
            method.paycardtype = card.card_type().as_str().to_string();
            method.paydate = expiry.first_of_month();
        }
        Payby::Chek | Payby::Dchk => {
            let account = BankAccount::parse(&raw.payinfo, EcheckRules::default())?;
            method.payinfo = account.payinfo();
            method.paymask = account.mask();
        }
        Payby::Lecb => {
            method.payinfo = payby::lecb_btn(&raw.payinfo)?;
            method.paymask = method.payinfo.clone();
        }
        Payby::Bill => {
            method.payinfo = payby::po_number(&raw.payinfo)?;
            method.paymask = method.payinfo.clone();
        }
        Payby::Comp => {
            method.payinfo = payby::comp_issuer(&raw.payinfo)?;
            method.paymask = method.payinfo.clone();
        }
        Payby::Prepay if stage == Stage::Signup => {
            payby::prepay_pin(&raw.payinfo)?;
            // Prepaid cards do not exist yet, so no PIN can be known.
            return Err(FieldError::new("Unknown prepayment identifier"));
        }
        _ => return Err(FieldError::new(format!("Illegal payby: {}", raw.payby))),
    }
    method.payname = payby::payname(code, &raw.payname, first, last)?;
    Ok(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(payby: &str, payinfo: &str, paydate: &str) -> RawPayment {
        RawPayment {
            payby: payby.into(),
            payinfo: payinfo.into(),
            paydate: paydate.into(),
            ..RawPayment::default()
        }
    }

    /// `expected` is `(payby, paymask, paycardtype, paydate, payname)` or
    /// the error message.
    fn check_method(
        input: RawPayment,
        stage: Stage,
        expected: Result<(&str, &str, &str, &str, &str), &str>,
    ) {
        let got = check(&input, "Tofu", "Beast", stage);
        let got = got.as_ref().map_err(FieldError::message).map(|m| {
            (
                m.payby.as_str(),
                m.paymask.as_str(),
                m.paycardtype.as_str(),
                m.paydate.as_str(),
                m.payname.as_str(),
            )
        });
        assert_eq!(got, expected);
    }

    #[test]
    fn cards() {
        let visa = "4111 1111 1111 1111";
        check_method(
            raw("CARD", visa, "11/2019"),
            Stage::Signup,
            Ok((
                "CARD",
                "411111xxxxxx1111",
                "VISA card",
                "2019-11-01",
                "Tofu Beast",
            )),
        );
        check_method(
            raw("CARD", "4111111111111112", "11/2019"),
            Stage::Signup,
            Err("Invalid credit card number"),
        );
        check_method(
            raw("DCRD", visa, ""),
            Stage::Update,
            Err("Expiration date required"),
        );
        check_method(
            raw("CARD", visa, "13/2019"),
            Stage::Signup,
            Err("Illegal expiration date: 13/2019"),
        );
        let mut with_cvv = raw("CARD", visa, "1/30");
        with_cvv.paycvv = "12".into();
        check_method(
            with_cvv,
            Stage::Signup,
            Err("CVV2 (CVC2/CID) is three digits."),
        );
        let mut amex = raw("CARD", "378282246310005", "1/30");
        amex.paycvv = "123".into();
        check_method(
            amex,
            Stage::Signup,
            Err("CVV2 (CID) for American Express cards is four digits."),
        );
    }

    #[test]
    fn other_types() {
        check_method(
            raw("", "ignored", ""),
            Stage::Signup,
            Ok(("", "", "", "", "")),
        );
        check_method(
            raw("ZZZZ", "", ""),
            Stage::Signup,
            Err("Illegal payby: ZZZZ"),
        );
        check_method(
            raw("CHEK", "12345689@123456789", ""),
            Stage::Signup,
            Ok(("CHEK", "xxxxxx89@123456789", "", "", "")),
        );
        check_method(
            raw("CHEK", "123", ""),
            Stage::Signup,
            Err("invalid echeck account@routing"),
        );
        check_method(
            raw("LECB", "1 555 444 3211", ""),
            Stage::Signup,
            Ok(("LECB", "5554443211", "", "", "Tofu Beast")),
        );
        check_method(
            raw("CASH", "PO-7", ""),
            Stage::Signup,
            Ok(("BILL", "PO-7", "", "", "Tofu Beast")),
        );
        check_method(
            raw("BILL", "a{b", ""),
            Stage::Signup,
            Err("Illegal P.O. number: a{b"),
        );
        check_method(
            raw("COMP", "Boss", ""),
            Stage::Update,
            Ok(("COMP", "Boss", "", "", "Tofu Beast")),
        );
        check_method(
            raw("PREPAY", "ABC-123", ""),
            Stage::Signup,
            Err("Unknown prepayment identifier"),
        );
        check_method(
            raw("PREPAY", "--", ""),
            Stage::Signup,
            Err("Illegal prepayment identifier: --"),
        );
        check_method(
            raw("PREPAY", "ABC", ""),
            Stage::Update,
            Err("Illegal payby: PREPAY"),
        );
        let mut named = raw("BILL", "", "");
        named.payname = "Tofu & Co $".into();
        check_method(
            named,
            Stage::Signup,
            Err("Illegal (name) payname: Tofu & Co $"),
        );
    }
}
