//! Integration tests of bursar-export: the service and package operations
//! against the MagicMail emulator on SQLite and PostgreSQL, the fault
//! matrix of issue 5 (a failure at every step of every hook from every
//! starting state, the two sides agreeing afterwards), the job queue's
//! repairs, the audit, bad input and the per-customer lock. One binary, a
//! module per feature, helpers in `support`.

mod audit;
mod bad_input;
mod billing;
mod flows;
mod lock;
mod matrix;
mod queue;
mod support;
