//! `bursar invoice show`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

/// `bursar invoice show N --format text|html|pdf`.
pub async fn invoice_show(_config: &Path, _invnum: i64, _format: &str) -> Result<ExitCode> {
    bail!("invoice rendering is not available in this build yet")
}
