//! MagicMail: the HTTP/XML API v2 client, the export semantics Bursar runs
//! on top of it, and `magicmail-sim`, an emulator of the server for tests
//! and demos (spec/magicmail.md).
//!
//! Code map:
//! - `error`: `Error`, what one API call can end in (API error, transport
//!   failure with an unknown outcome, odd status, malformed reply).
//! - `xml`: the lenient XML reader (XML::Simple's rules: root dropped,
//!   attributes read like text children, lists keyed by `name`/`key`/`id`)
//!   and the small writer the emulator uses.
//! - `model`: the typed requests and replies (`Account`, `User`, `Package`,
//!   `Status`, `UserFields`, `Password`).
//! - `client`: `MagicMailClient`, one async method per call of the spec's
//!   section 3, with timeouts, TLS options and password-free logging.
//! - `export`: `MagicMailExport`, the hooks insert, delete, replace, suspend
//!   and unsuspend with Freeside's semantics, the rollback order and the
//!   Bursar decisions; `ExportError` carries what is left to repair.
//! - `sim`: the emulator (state rules, `/_sim/` control API, fault
//!   injection), started in-process with `sim::spawn` or as the
//!   `magicmail-sim` binary.
//!
//! Invariants: no password and no `Authorization` header is ever logged, at
//! any level; the client never follows a redirect to another host; nothing
//! here touches the database (the export framework passes the customer's
//! facts in and stores what comes back).

pub mod client;
pub mod error;
pub mod export;
pub mod model;
pub mod sim;
pub mod xml;

pub use client::{ClientConfig, MagicMailClient, Scheme};
pub use error::{Error, Result};
pub use export::{
    Compensation, CustomerFacts, ExportError, ExportOptions, InsertOutcome, MagicMailExport,
    MagicService, MailService,
};
pub use model::{Account, AccountFields, Password, PasswordType, Status, User, UserFields};
