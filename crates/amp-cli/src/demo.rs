//! `ampq demo`: an emulator with demo data in this process, and a short tour of commands
//! against it, each run exactly as typed.

use std::io::Write as _;
use std::path::Path;

use amp_emulator::{Config, DemoOptions, Emulator};
use amplitude_api::transport::Client;
use clap::Parser as _;

use crate::cli::{Cli, Command, Format};
use crate::query;
use crate::run::{Failure, Show, answer};

/// The tour: what each step shows, the name of its picture, and its command.
const TOUR: &[(&str, Option<&str>, &[&str])] = &[
    (
        "One user's profile: recommendations, cohorts and a computation",
        None,
        &[
            "profile",
            "--user-id",
            "user-00042",
            "--recs",
            "home-feed",
            "--cohorts",
            "--comp-id",
            "plays",
        ],
    ),
    (
        "Daily plays by platform over two weeks, with a chart",
        Some("plays-by-platform"),
        &[
            "segmentation",
            "-e",
            "Play Song or Video",
            "--metric",
            "totals",
            "--group-by",
            "platform",
            "--last",
            "14d",
            "--chart",
        ],
    ),
    (
        "A funnel from search to play, with its bars",
        Some("funnel"),
        &[
            "funnel",
            "-e",
            "Search Song or Video",
            "-e",
            "Select Song or Video",
            "-e",
            "Play Song or Video",
            "--last",
            "30d",
            "--chart",
        ],
    ),
    (
        "Weekly retention of new users",
        Some("retention"),
        &[
            "retention",
            "--start-event",
            "_new",
            "--return-event",
            "Play Song or Video",
            "--interval",
            "weekly",
            "--last",
            "28d",
        ],
    ),
];

/// Runs the tour, showing answers in `format`; with `plots`, each step's picture is drawn
/// into that folder as `<name>.png`.
pub async fn run(format: Format, plots: Option<&Path>) -> Result<(), Failure> {
    let today = chrono::Utc::now().date_naive();
    let local = |error: amp_emulator::Error| Failure::Local(format!("the demo emulator: {error}"));
    let config =
        Config::from_toml(amp_emulator::demo::PROJECT).map_err(|error| local(error.into()))?;
    let emulator = Emulator::builder()
        .config(config)
        .demo(DemoOptions::new(2_000, 30, today))
        .start()
        .await
        .map_err(local)?;
    println!(
        "An emulated Amplitude project with {} demo events of a music app is listening at {}.\nEach step runs the command shown; point ampq at the emulator yourself with\nAMPLITUDE_BASE_URL and AMPLITUDE_PROFILE_BASE_URL (keys: emulator-api-key, emulator-secret-key).",
        emulator.loaded_events(),
        emulator.base_url()
    );
    let client = Client::builder()
        .api_key(amp_emulator::config::DEFAULT_API_KEY)
        .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
        .base_url(emulator.base_url())
        .profile_base_url(emulator.base_url())
        .build()
        .map_err(Failure::Api)?;
    for (what, picture, words) in TOUR {
        let cli = Cli::try_parse_from(std::iter::once("ampq").chain(words.iter().copied()))
            .map_err(|error| Failure::Usage(error.to_string()))?;
        let Command::Query(step) = cli.command else {
            continue;
        };
        let built = query::build(&step, today)?;
        let shown: Vec<String> = words
            .iter()
            .map(|word| {
                if word.contains(' ') {
                    format!("'{word}'")
                } else {
                    (*word).to_owned()
                }
            })
            .collect();
        println!("\n== {what}\n$ ampq {}", shown.join(" "));
        let _ = std::io::stdout().flush();
        let step_show = Show {
            format,
            chart: cli.output.chart,
            plot: plots
                .zip(*picture)
                .map(|(folder, name)| folder.join(format!("{name}.png"))),
        };
        answer(&client, built.as_ref(), &step_show, &step.title()).await?;
        if let Some(cost) = crate::run::cost_line(&built.request()?) {
            println!("{cost}");
        }
    }
    emulator.stop().await.map_err(local)?;
    Ok(())
}
