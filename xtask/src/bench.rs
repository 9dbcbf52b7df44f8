//! Runs a benchmark target in release mode. Figures are for the closing note, never for a test:
//! this machine is shared and noisy, so compare ratios measured in one run.

use std::process::Command;

/// `cargo bench -p <package> --bench <bench>`.
pub fn run(package: &str, bench: &str) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(crate::root())
        .args(["bench", "--package", package, "--bench", bench])
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("benchmark `{bench}` failed: {status}"))
    }
}
