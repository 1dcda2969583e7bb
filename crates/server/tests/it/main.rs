//! Back-office methods called in-process through `dispatch`, on SQLite and
//! PostgreSQL. Wire-level compatibility with real clients is tested against
//! the built binary in the cli crate.

mod bill_now;
mod credits_refunds;
mod customer;
mod fixtures;
mod locations_and_services;
mod new_customer;
mod packages;
mod payments;
mod phonenum;
mod referrals;
mod support;
mod transport;
mod update_customer;
