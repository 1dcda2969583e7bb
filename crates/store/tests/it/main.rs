//! Store scenarios, each run on SQLite and on a real PostgreSQL (when its
//! binaries exist; `BURSAR_REQUIRE_PG=1` makes that mandatory).

mod billing;
mod catalog;
mod customer;
mod export_lock;
mod group;
mod init;
mod jobs;
mod ledger;
mod relocate;
mod support;
