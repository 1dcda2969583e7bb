//! End-to-end tests of the built `bursar` binary in empty folders, as an
//! operator runs it.

mod catalog;
mod serve;
mod support;
