//! `bursar bill`: the billing run.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

/// `bursar bill [--time UNIX] [--custnum N]`.
pub async fn bill(_config: &Path, _time: Option<i64>, _custnum: Option<i64>) -> Result<ExitCode> {
    bail!("the billing run is not available in this build yet")
}
