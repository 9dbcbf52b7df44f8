//! The analytics engine at scale, against `DuckDB`: ten million demo events, loaded by the
//! emulator and by `DuckDB` (`analytics.py`, `SET threads=2`, in memory, identities resolved in
//! SQL), then a daily segmentation over 30 days with a filter and a group-by on a user property
//! (read at each event), a 3-step ordered funnel and an n-day retention over every start day:
//! the emulator's through the SDK's HTTP client, each best of three. Both answers are compared
//! cell by cell. Each side runs twice and keeps its best times. Run with
//! `cargo xtask bench analytics`; `AMP_BENCH_EVENTS` changes the size.
//!
//! The parent writes the dataset; a child process loads and queries it, so its resident memory
//! is the emulator's alone, and `DuckDB` runs in a process of its own after it.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use amp_dashboard::{
    DateRange, Event, Filter, FilterOperator, GetEventSegmentation, GetFunnel, GetRetention,
};
use amp_emulator::{DemoOptions, Emulator};
use amp_transport::{Client, Endpoint};
use serde_json::{Value, json};

const DAYS: u32 = 30;
/// Demo events per demo user over 30 days, measured: sizes the dataset from the target count.
const EVENTS_PER_USER: f64 = 24.2;

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
}

fn first_day() -> chrono::NaiveDate {
    as_of() - chrono::Days::new(u64::from(DAYS) - 1)
}

fn memory_mb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib / 1024
}

/// The best of three runs, and the last answer.
async fn best_of_three<E: Endpoint>(client: &Client, endpoint: &E) -> (Duration, E::Response) {
    let mut best = Duration::MAX;
    let mut answer = None;
    for _ in 0..3 {
        let started = Instant::now();
        let response = client.send(endpoint).await.unwrap();
        best = best.min(started.elapsed());
        answer = Some(response);
    }
    (best, answer.unwrap())
}

/// Loads and queries the dataset in an emulator; prints one JSON line in `analytics.py`'s shape.
fn child(path: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let started = Instant::now();
        let emulator = Emulator::builder().data_file(path).start().await.unwrap();
        let load = started.elapsed();
        let (events, _) = emulator.counts();
        let client = Client::builder()
            .api_key(amp_emulator::config::DEFAULT_API_KEY)
            .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
            .base_url(emulator.base_url())
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let month = DateRange::new(first_day(), as_of()).unwrap();
        let jazz = Event::new("Play Song or Video").filter(Filter::event(
            "genre",
            FilterOperator::Is,
            ["jazz"],
        ));
        let segmentation = GetEventSegmentation::new(jazz, month).group_by("country");
        let steps = [
            "Search Song or Video",
            "Select Song or Video",
            "Play Song or Video",
        ]
        .map(Event::new)
        .to_vec();
        let funnel = GetFunnel::new(steps, month);
        let retention = GetRetention::new(Event::new("_new"), Event::new("_all"), month);
        let (segmentation_time, by_country) = best_of_three(&client, &segmentation).await;
        let (funnel_time, funnel) = best_of_three(&client, &funnel).await;
        let (retention_time, retention) = best_of_three(&client, &retention).await;
        let series = &by_country.data;
        let mut cells = BTreeMap::new();
        let mut totals = BTreeMap::new();
        for (index, values) in series.series.iter().enumerate() {
            let label = series.label(index).into_owned();
            let days: BTreeMap<&str, f64> = series
                .x_values
                .iter()
                .zip(values)
                .filter_map(|(day, value)| Some((day.as_str(), (*value)?)))
                .filter(|(_, value)| *value != 0.0)
                .collect();
            cells.insert(label.clone(), json!(days));
            totals.insert(label, json!(series.collapsed(index)));
        }
        let cohorts: BTreeMap<&String, BTreeMap<String, u64>> = retention.data.series[0]
            .values
            .iter()
            .map(|(day, row)| {
                let counts = row
                    .iter()
                    .enumerate()
                    .filter(|(_, cell)| cell.count > 0)
                    .map(|(position, cell)| {
                        let n = i64::try_from(position).unwrap() - 1;
                        (n.to_string(), cell.count)
                    })
                    .collect();
                (day, counts)
            })
            .filter(|(_, counts): &(_, BTreeMap<_, _>)| !counts.is_empty())
            .collect();
        let answer = json!({
            "events": events,
            "load": load.as_secs_f64(),
            "segmentation": segmentation_time.as_secs_f64(),
            "funnel": funnel_time.as_secs_f64(),
            "retention": retention_time.as_secs_f64(),
            "peak_rss_mb": memory_mb("VmHWM:"),
            "answers": {
                "segmentation": cells,
                "segmentation_totals": totals,
                "funnel": funnel.data[0].cumulative_raw,
                "retention": cohorts,
            },
        });
        println!("{answer}");
    });
}

/// How many cells differ between two answers of the same shape: numbers compared as numbers,
/// a cell missing on one side counted once.
fn mismatches(ours: &Value, theirs: &Value, path: &str, report: &mut Vec<String>) -> usize {
    match (ours, theirs) {
        (Value::Object(left), Value::Object(right)) => {
            let keys: std::collections::BTreeSet<&String> =
                left.keys().chain(right.keys()).collect();
            keys.into_iter()
                .map(|key| {
                    let inner = format!("{path}/{key}");
                    match (left.get(key), right.get(key)) {
                        (Some(left), Some(right)) => mismatches(left, right, &inner, report),
                        (left, right) => {
                            report.push(format!("{inner}: emulator {left:?}, DuckDB {right:?}"));
                            1
                        }
                    }
                })
                .sum()
        }
        (Value::Array(left), Value::Array(right)) if left.len() == right.len() => left
            .iter()
            .zip(right)
            .enumerate()
            .map(|(index, (left, right))| {
                mismatches(left, right, &format!("{path}/{index}"), report)
            })
            .sum(),
        (Value::Number(left), Value::Number(right)) if left.as_f64() == right.as_f64() => 0,
        (left, right) if left == right => 0,
        (left, right) => {
            report.push(format!("{path}: emulator {left}, DuckDB {right}"));
            1
        }
    }
}

/// Runs per side.
const RUNS: usize = 2;

/// `run` with each time the smaller of its own and `earlier`'s, and the larger peak memory.
fn best(earlier: Option<Value>, mut run: Value) -> Value {
    if let Some(earlier) = earlier {
        for measure in ["load", "segmentation", "funnel", "retention"] {
            let smaller = run[measure]
                .as_f64()
                .zip(earlier[measure].as_f64())
                .map(|(now, before)| now.min(before));
            if let Some(smaller) = smaller {
                run[measure] = json!(smaller);
            }
        }
        let peak = run["peak_rss_mb"]
            .as_u64()
            .max(earlier["peak_rss_mb"].as_u64());
        run["peak_rss_mb"] = json!(peak);
    }
    run
}

/// Runs `analytics.py`, installing the `duckdb` package first when it is missing.
fn duckdb(path: &std::path::Path) -> Value {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let present = Command::new(&python)
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|status| status.success());
    if !present {
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "duckdb"])
            .status()
            .unwrap();
        assert!(installed.success(), "pip could not install duckdb");
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/analytics.py");
    answer_of(
        Command::new(&python)
            .arg(script)
            .arg(path)
            .arg(first_day().to_string())
            .arg(as_of().to_string()),
    )
}

/// The JSON a process prints, once it has succeeded.
fn answer_of(command: &mut Command) -> Value {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        child(&args[position + 1]);
        return;
    }
    let target: f64 = std::env::var("AMP_BENCH_EVENTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000_000.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a user count"
    )]
    let users = (target / EVENTS_PER_USER).ceil() as u32;
    let path =
        std::env::temp_dir().join(format!("amp-analytics-bench-{}.jsonl", std::process::id()));
    let started = Instant::now();
    let written = Emulator::dump_demo(&DemoOptions::new(users, DAYS, as_of()), &path).unwrap();
    println!(
        "dataset: {written} events of {users} demo users over {DAYS} days, written in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // Each side loads twice, alternating, and keeps its best times: the machine is shared.
    let mut ours: Option<Value> = None;
    let mut theirs: Option<Value> = None;
    for _ in 0..RUNS {
        let child = answer_of(
            Command::new(std::env::current_exe().unwrap())
                .arg("--child")
                .arg(&path),
        );
        ours = Some(best(ours, child));
        theirs = Some(best(theirs, duckdb(&path)));
    }
    std::fs::remove_file(&path).ok();
    let (ours, theirs) = (ours.unwrap(), theirs.unwrap());
    let mut report = Vec::new();
    let wrong = mismatches(&ours["answers"], &theirs["answers"], "", &mut report);
    for line in report.iter().take(20) {
        println!("mismatch {line}");
    }
    let seconds = |side: &Value, measure: &str| side[measure].as_f64().unwrap_or(f64::NAN);
    let mut ratios = Vec::new();
    for (measure, name) in [
        ("load", "load (events and identities)"),
        (
            "segmentation",
            "segmentation (daily, 30 days, 1 filter, 1 group-by, uniques)",
        ),
        ("funnel", "funnel (3 steps, ordered)"),
        ("retention", "retention (n-day, every start day)"),
    ] {
        let (emulator, duck) = (seconds(&ours, measure), seconds(&theirs, measure));
        println!(
            "{name}: emulator {:.3} s, DuckDB {:.3} s, ratio {:.2}",
            emulator,
            duck,
            emulator / duck
        );
        ratios.push(format!("{measure}_ratio={:.2}", emulator / duck));
    }
    println!(
        "peak RSS: emulator {} MB, DuckDB {} MB",
        ours["peak_rss_mb"], theirs["peak_rss_mb"]
    );
    println!(
        "analytics: {} peak_rss_mb={} mismatches={wrong}",
        ratios.join(" "),
        ours["peak_rss_mb"]
    );
}
