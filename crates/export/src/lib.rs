//! The export framework: services whose definitions carry exports are
//! provisioned on the remote systems as part of the local operation.
//!
//! Code map:
//! - `registry`: builds export instances from the catalog's definitions
//!   (rebuilt when their options change, so a catalog apply is seen at once).
//! - `facts`: what an export needs to know about a service and its customer,
//!   read from the store.
//! - `accounts`: the service operations on mail accounts — add, edit,
//!   remove, suspend, unsuspend — one function each, shared by the CLI, the
//!   self-service API, the provisioner and dunning.
//! - `packages`: package suspension, unsuspension and cancellation, driving
//!   the hooks of every service in the package.
//! - `queue`: the durable job queue's worker (`run_once`) and the repair
//!   jobs that finish compensations a rollback could not complete.
//! - `audit`: `export test` and `export audit [--repair]`.
//!
//! Invariants: a realtime export runs inside the local transaction; if it
//! fails, the local change is rolled back and the export's own compensating
//! calls undo what it did remotely (what they cannot undo at once becomes a
//! repair job). If the local commit fails after the remote change, the
//! remote change is undone the same way. Nothing here talks SQL or HTTP
//! directly: the store and the export clients do.

pub mod accounts;
pub mod audit;
mod error;
mod facts;
mod hooks;
pub mod packages;
pub mod queue;
pub mod registry;

pub use error::ServiceError;
pub use registry::Registry;

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
