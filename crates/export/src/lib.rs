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
//! - `reconcile`: makes what an export holds for one service agree with a
//!   wanted state (present as the database says, or absent); the `resync`
//!   job and the undo of an export that succeeded before another failed.
//! - `audit`: `export test` and `export audit [--repair]`.
//!
//! Invariants: a realtime export runs inside the local transaction, which
//! first locks the customer (`bursar_store::export_lock`), so inserts and
//! deletes of one customer never interleave, in any process. If an export
//! fails, the local change is rolled back, the export's own compensating
//! calls undo what it did remotely, the other exports are brought back to
//! the state from before, and what cannot be settled at once becomes a
//! repair job. Every export that fails or warns also gets a `resync` job,
//! which compares the platform with the database once the operation is over
//! (a lost reply may hide an applied change). If the local commit fails
//! after the remote change, the remote change is undone the same way.
//! Nothing here talks SQL or HTTP directly: the store and the export
//! clients do.

pub mod accounts;
pub mod audit;
mod error;
mod facts;
mod hooks;
pub mod packages;
pub mod queue;
mod reconcile;
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
