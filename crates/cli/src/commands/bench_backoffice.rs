//! `bursar bench backoffice`.

use std::process::ExitCode;

use anyhow::{bail, Result};

/// `bursar bench backoffice`.
pub async fn bench_backoffice(_seconds: u64) -> Result<ExitCode> {
    bail!("the back-office benchmark is not available in this build yet")
}
