//! One function per command; each returns the exit code.

mod admin;
mod bench_backoffice;
mod bench_billing;
mod bill;
mod export;
mod invoice;
mod schedule;
mod serve;
mod service;

pub use admin::{catalog_apply, catalog_show, customer_list, customer_show, init, migrate};
pub use bench_backoffice::{bench_backoffice, bench_ceiling};
pub use bench_billing::bench_billing;
pub use bill::bill;
pub use export::{export, ExportCommand};
pub use invoice::invoice_show;
pub use serve::serve;
pub use service::{package, service, PackageCommand, ServiceCommand};
