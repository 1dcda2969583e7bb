//! Store scenarios, each run on SQLite and on a real PostgreSQL (when its
//! binaries exist; `BURSAR_REQUIRE_PG=1` makes that mandatory).

mod catalog;
mod customer;
mod group;
mod init;
mod ledger;
mod support;
