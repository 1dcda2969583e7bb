//! One function per command; each returns the exit code.

mod admin;
mod serve;

pub use admin::{catalog_apply, catalog_show, customer_list, customer_show, init, migrate};
pub use serve::serve;
