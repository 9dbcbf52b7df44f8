//! The emulator's command line, shared by the `amp-emulator` binary and `ampq emulator`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::{Config, DemoOptions, Emulator, Error};

/// A local Amplitude that answers the Dashboard, User Profile and ingestion APIs from real
/// events.
#[derive(Debug, Clone, clap::Args)]
#[non_exhaustive]
pub struct Options {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Events to load: JSON Lines (Export format), gzip, or an Export API zip. Repeatable.
    #[arg(long)]
    data: Vec<PathBuf>,
    /// Load the demo dataset.
    #[arg(long)]
    demo: bool,
    /// Demo users.
    #[arg(long, default_value_t = 2_000)]
    users: u32,
    /// Demo days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Last day of demo data, YYYY-MM-DD; today by default.
    #[arg(long)]
    as_of: Option<chrono::NaiveDate>,
    /// Demo seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Write the demo events to this file as JSON Lines and exit.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Project configuration (TOML); see fixtures/emulator/project.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// API key, overriding the configuration (default `emulator-api-key`).
    #[arg(long)]
    api_key: Option<String>,
    /// Secret key, overriding the configuration (default `emulator-secret-key`).
    #[arg(long)]
    secret_key: Option<String>,
    /// Keep every acknowledged event and identify in DIR, durably, and replay them at start.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Emulated seconds per real second for rate-limit windows.
    #[arg(long)]
    time_scale: Option<f64>,
}

/// Serves until Ctrl-C, printing `listening on http://HOST:PORT` first on stdout.
pub async fn serve(args: Options) -> Result<(), Error> {
    let mut config =
        match &args.config {
            Some(path) => Config::from_toml(&std::fs::read_to_string(path).map_err(|source| {
                Error::Read {
                    path: path.clone(),
                    source,
                }
            })?)?,
            // The demo data comes with the demo project's cohorts, computations and recommendations.
            None if args.demo => Config::from_toml(crate::demo::PROJECT)?,
            None => Config::default(),
        };
    if let Some(key) = args.api_key {
        config.api_key = key;
    }
    if let Some(key) = args.secret_key {
        config.secret_key = key;
    }
    if let Some(scale) = args.time_scale {
        config.limits.time_scale = scale;
    }
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let options = DemoOptions::new(args.users, args.days, as_of).with_seed(args.seed);
    if let Some(path) = &args.dump {
        let count = Emulator::dump_demo(&options, path)?;
        eprintln!("wrote {count} events to {}", path.display());
        return Ok(());
    }
    let mut builder = Emulator::builder()
        .config(config)
        .address(SocketAddr::new(args.host, args.port));
    for path in args.data {
        builder = builder.data_file(path);
    }
    if args.demo {
        builder = builder.demo(options);
    }
    if let Some(dir) = args.state {
        builder = builder.state_dir(dir);
    }
    let emulator = builder.start().await?;
    println!("listening on {}", emulator.base_url());
    eprintln!("{} events loaded; Ctrl-C stops", emulator.loaded_events());
    tokio::signal::ctrl_c().await.map_err(Error::Serve)?;
    emulator.stop().await
}
