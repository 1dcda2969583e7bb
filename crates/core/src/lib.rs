//! Bursar's domain: types and rules with no I/O.
//!
//! Code map:
//! - `money`: exact two-decimal amounts (`Money`), the wire money format.
//! - `field`: Freeside's field rules (text, name, number, flags, e-mail) and
//!   their exact error strings (`FieldError`).
//! - `phone`, `geo`: phone number formatting, countries, subdivisions, zips.
//! - `payby`: payment type codes, card and bank numbers, masking, expiry.
//! - `password`: mail-account password encodings.
//! - `billing`: one billing pass: periods, charges, taxes, invoice drafts.
//! - `datetext`: the date texts clients send (`order_package`).
//! - `export_type`: the export types, their options and encodings.
//! - `frequency`: package frequencies (`"0"`, months, `Nw`, `Nd`, `Nh`).
//! - `status`: customer and package status with their colours.
//! - `ledger`: balance, owed/unapplied amounts, the application rules.
//! - `model`: the records (customers, locations, packages, services, ledger).
//!
//! Invariant: nothing here does I/O, reads the clock or the environment;
//! time is always an argument.

pub mod billing;
pub mod datetext;
pub mod export_type;
pub mod field;
pub mod frequency;
pub mod geo;
pub mod ledger;
pub mod model;
pub mod money;
pub mod password;
pub mod payby;
pub mod phone;
pub mod status;

pub use money::Money;
