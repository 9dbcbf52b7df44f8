//! `ampq`: Amplitude's User Profile and Dashboard REST APIs from the terminal.
//!
//! Exit codes: 0 done; 1 a local failure (a file could not be read or written); 2 a usage
//! error (a bad flag or value, missing credentials, a query Amplitude would refuse); 3
//! Amplitude answered with an error (including 429 and an answer that did not decode); 4 no
//! answer (connection failed or timed out).

mod annotations;
mod answer;
mod batch;
mod chart;
mod cli;
mod cohorts;
mod deletions;
mod demo;
mod export;
mod human;
mod output;
mod plot;
mod query;
mod releases;
mod run;
mod target;
mod taxonomy;
mod typeset;
mod view;
mod write;

use std::process::ExitCode;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

use crate::cli::Cli;
use crate::run::{exit_code, run};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    // Warnings (a shared budget that stopped answering) go to stderr, one line each; -v and -vv
    // (or RUST_LOG) show more.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<EnvFilter>().ok())
        .unwrap_or_else(|| {
            EnvFilter::new(match cli.verbose {
                0 => "warn",
                1 => "warn,amp_transport=info,amp_governor_redis=info",
                _ => "info,amp_transport=trace,amp_governor_redis=trace,ampq=trace",
            })
        });
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .without_time()
        .with_target(cli.verbose > 1)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ampq: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("ampq: {failure}");
            exit_code(&failure)
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
