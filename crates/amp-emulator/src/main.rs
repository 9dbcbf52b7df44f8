//! `amp-emulator`: a local Amplitude. Prints `listening on http://127.0.0.1:PORT` first.

use std::process::ExitCode;

use clap::Parser;

/// A local Amplitude that answers the Dashboard, User Profile and ingestion APIs from real
/// events.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    options: amp_emulator::cli::Options,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Warnings (a torn journal record dropped at start) go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .without_time()
        .with_target(false)
        .init();
    match amp_emulator::cli::serve(Args::parse().options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("amp-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}
