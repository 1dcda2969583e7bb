//! End-to-end tests of the built `bursar` binary in empty folders, as an
//! operator runs it.

mod billing;
mod catalog;
mod compat;
mod durability;
mod exports;
mod serve;
mod support;
