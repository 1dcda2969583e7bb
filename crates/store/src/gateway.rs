//! The payment gateway seen by billing: the [`PaymentGateway`] trait a card
//! or bank processor implements, and [`TestGateway`], the default until an
//! operator configures a real one.
//!
//! The trait lives beside the billing pass that calls it (the pass commits
//! an attempt before charging and records the outcome under the customer's
//! lock); it does no I/O here. A real processor is a type in its own crate
//! that implements the trait with its HTTP client; the store never learns
//! its wire format. Every charge carries an `order_number` unique to the
//! attempt, which a real processor must treat as an idempotency key and
//! which [`PaymentGateway::lookup`] asks about after an unknown outcome.
//!
//! The test gateway's fixed card numbers (other tests and operators' demos
//! rely on them): `4111 1111 1111 1111` approves, `4000 0000 0000 0002`
//! declines with `Declined`, `4000 0000 0000 0119` fails with a transport
//! error (outcome unknown), any other number that passes the Luhn check
//! approves; bank accounts always approve.

use std::future::Future;
use std::pin::Pin;

use bursar_core::payby::{luhn_valid, Payby};
use bursar_core::Money;

/// A future a gateway returns (boxed, so the trait stays object-safe).
pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One charge to send.
#[derive(Clone)]
pub struct ChargeRequest {
    /// Our reference, unique per attempt: the processor's idempotency key.
    pub order_number: String,
    /// The customer charged.
    pub custnum: i64,
    /// How much, > 0.
    pub amount: Money,
    /// `CARD` or `CHEK`.
    pub payby: Payby,
    /// The clear card number or bank account (`account@routing`).
    pub payinfo: String,
    /// Card expiry as stored (`YYYY-MM-01`), empty for bank accounts.
    pub paydate: String,
    /// Name on the card or account.
    pub payname: String,
}

impl std::fmt::Debug for ChargeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChargeRequest")
            .field("order_number", &self.order_number)
            .field("custnum", &self.custnum)
            .field("amount", &self.amount)
            .field("payby", &self.payby)
            .finish_non_exhaustive()
    }
}

/// What a charge came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// The money was taken; `auth` is the processor's authorisation code.
    Approved {
        /// Authorisation code.
        auth: String,
    },
    /// The processor refused; `message` is its reason, shown to the operator.
    Declined {
        /// The processor's reason.
        message: String,
    },
    /// No answer (timeout, connection reset): the charge may or may not have
    /// happened, and must be looked up before any new attempt.
    Unknown {
        /// What went wrong on the way.
        message: String,
    },
}

/// What became of an earlier charge whose outcome we do not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupOutcome {
    /// It was charged.
    Approved {
        /// Authorisation code.
        auth: String,
    },
    /// It was not charged (declined, or never reached the processor).
    NotCharged {
        /// The processor's answer.
        message: String,
    },
    /// Still no answer; ask again on the next pass.
    Unknown {
        /// What went wrong on the way.
        message: String,
    },
}

/// A card and bank-account processor.
pub trait PaymentGateway: Send + Sync {
    /// The processor's name, stored on payments (`processor`).
    fn processor(&self) -> &str;

    /// Charges `request.amount` to the card or account.
    fn charge<'a>(&'a self, request: &'a ChargeRequest) -> GatewayFuture<'a, ChargeOutcome>;

    /// Asks what became of the charge with `request.order_number`, sent
    /// earlier with an unknown outcome (or perhaps never sent: the process
    /// may have died between recording the attempt and sending it).
    fn lookup<'a>(&'a self, request: &'a ChargeRequest) -> GatewayFuture<'a, LookupOutcome>;
}

/// The built-in test processor: outcomes are a fixed function of the card
/// number (module documentation), so it needs no state and answers a lookup
/// exactly as it answered the charge.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestGateway;

/// The card the test gateway approves.
pub const TEST_CARD_APPROVED: &str = "4111111111111111";
/// The card the test gateway declines with `Declined`.
pub const TEST_CARD_DECLINED: &str = "4000000000000002";
/// The card whose charge fails with a transport error.
pub const TEST_CARD_TRANSPORT_ERROR: &str = "4000000000000119";

impl TestGateway {
    fn decide(request: &ChargeRequest) -> ChargeOutcome {
        if request.payby == Payby::Card || request.payby == Payby::Dcrd {
            let digits: String = request
                .payinfo
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            match digits.as_str() {
                TEST_CARD_DECLINED => {
                    return ChargeOutcome::Declined {
                        message: "Declined".into(),
                    }
                }
                TEST_CARD_TRANSPORT_ERROR => {
                    return ChargeOutcome::Unknown {
                        message: "transport error: connection reset before the processor answered"
                            .into(),
                    }
                }
                TEST_CARD_APPROVED => {}
                other if other.len() < 12 || !luhn_valid(other) => {
                    return ChargeOutcome::Declined {
                        message: "Invalid card number".into(),
                    }
                }
                _ => {}
            }
        }
        ChargeOutcome::Approved {
            auth: auth_code(&request.order_number),
        }
    }
}

impl PaymentGateway for TestGateway {
    fn processor(&self) -> &str {
        "test"
    }

    fn charge<'a>(&'a self, request: &'a ChargeRequest) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move { TestGateway::decide(request) })
    }

    fn lookup<'a>(&'a self, request: &'a ChargeRequest) -> GatewayFuture<'a, LookupOutcome> {
        // The transport-error card never reaches the (imaginary) processor,
        // so a lookup finds nothing charged and a retry is safe.
        Box::pin(async move {
            match TestGateway::decide(request) {
                ChargeOutcome::Approved { auth } => LookupOutcome::Approved { auth },
                ChargeOutcome::Declined { message } => LookupOutcome::NotCharged { message },
                ChargeOutcome::Unknown { .. } => LookupOutcome::NotCharged {
                    message: "no such transaction: the request never reached the processor".into(),
                },
            }
        })
    }
}

/// A six-character authorisation code derived from the order number (FNV-1a),
/// so a charge and its lookup agree.
fn auth_code(order_number: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in order_number.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:06X}", hash & 0xff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(payinfo: &str) -> ChargeRequest {
        ChargeRequest {
            order_number: "B-1".into(),
            custnum: 1,
            amount: Money::from_cents(100),
            payby: Payby::Card,
            payinfo: payinfo.into(),
            paydate: "2099-12-01".into(),
            payname: String::new(),
        }
    }

    #[tokio::test]
    async fn the_fixed_cards_give_their_outcomes() {
        let gateway = TestGateway;
        let cases = [
            ("4111 1111 1111 1111", "approved"),
            ("4000 0000 0000 0002", "declined Declined"),
            ("4000 0000 0000 0119", "unknown"),
            ("5555 5555 5555 4444", "approved"),
            ("1234", "declined Invalid card number"),
        ];
        for (card, expected) in cases {
            let got = match gateway.charge(&request(card)).await {
                ChargeOutcome::Approved { auth } => {
                    assert_eq!(auth.len(), 6);
                    "approved".to_string()
                }
                ChargeOutcome::Declined { message } => format!("declined {message}"),
                ChargeOutcome::Unknown { .. } => "unknown".to_string(),
            };
            assert_eq!(got, expected, "{card}");
        }
    }

    #[tokio::test]
    async fn a_lookup_agrees_with_the_charge() {
        let gateway = TestGateway;
        let approved = request(TEST_CARD_APPROVED);
        let ChargeOutcome::Approved { auth } = gateway.charge(&approved).await else {
            panic!()
        };
        assert_eq!(
            gateway.lookup(&approved).await,
            LookupOutcome::Approved { auth }
        );
        assert!(matches!(
            gateway.lookup(&request(TEST_CARD_TRANSPORT_ERROR)).await,
            LookupOutcome::NotCharged { .. }
        ));
    }
}
