//! Back-office methods called in-process through `dispatch`, on SQLite and
//! PostgreSQL. Wire-level compatibility with real clients is tested against
//! the built binary in the cli crate.

mod customer;
mod fixtures;
mod packages;
mod referrals;
mod support;
mod transport;
