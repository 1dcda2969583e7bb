//! Integration tests of bursar-magicmail: the client against the emulator
//! for every call, the emulator's rules and faults, the export hooks from
//! every starting state of the spec, the insert fault matrix (5.6) with its
//! rollback order, apply-then-fail repairs, TLS options and password-free
//! logs. One binary, a module per feature, helpers in `support`.

mod binary;
mod client;
mod export_hooks;
mod insert_matrix;
mod logging;
mod repair;
mod sim;
mod support;
mod tls;
