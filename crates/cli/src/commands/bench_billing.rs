//! `bursar bench billing`.

use std::process::ExitCode;

use anyhow::{bail, Result};

/// `bursar bench billing --customers N`.
pub async fn bench_billing(_customers: u64) -> Result<ExitCode> {
    bail!("the billing benchmark is not available in this build yet")
}
