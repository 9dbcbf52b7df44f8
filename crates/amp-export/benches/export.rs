//! The Export API's decoding at scale: an export of over 1 GB of JSON Lines (the demo's events,
//! served by the emulator and downloaded through the SDK), then, in one run: the SDK's decode
//! into typed events (zip → gzip → JSON, `amp_export::decode`), gzip decompression alone over
//! the same members (the pipeline's physical limit here), and Python's `zipfile` + `gzip` +
//! `json.loads` (as the peers read exports); each best of two; and what spooling the archive
//! to a temporary file costs beside the decode. Peak resident memory of the
//! decode is measured in child processes at two sizes, to show it does not grow with the
//! export. Run with `cargo xtask bench export`; `AMP_BENCH_EXPORT_MB` changes the size.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use amp_emulator::{Config, DemoOptions, Emulator};
use amp_export::{ExportEvents, Hour, HourRange, decode};
use amp_transport::Client;

const DAYS: u32 = 30;

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
}

/// The demo's days from `first` (0 = the first day) to the last.
fn days(first: u32, count: u32) -> HourRange {
    let start = as_of() - chrono::Days::new(u64::from(DAYS - 1 - first));
    let end = start + chrono::Days::new(u64::from(count - 1));
    HourRange::new(Hour::new(start, 0).unwrap(), Hour::new(end, 23).unwrap()).unwrap()
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib / 1024
}

/// Decodes the archive at `path` into typed events: (uncompressed JSON bytes, events).
fn sdk_decode(path: &Path) -> (u64, u64) {
    let file = std::fs::File::open(path).unwrap();
    let (mut bytes, mut events) = (0, 0);
    for batch in decode(file) {
        let batch = batch.unwrap();
        bytes += batch.bytes;
        events += batch.events.len() as u64;
    }
    (bytes, events)
}

/// Inflates every member of the archive at `path` and throws the text away: its length.
fn gunzip(path: &Path) -> u64 {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut total = 0;
    let mut buffer = vec![0; 1 << 20];
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        let mut member =
            flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, entry));
        loop {
            let read = member.read(&mut buffer).unwrap();
            if read == 0 {
                break;
            }
            total += read as u64;
        }
    }
    total
}

/// The best of two timings of `work`, and its last result.
fn best_of_two<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..2 {
        let started = Instant::now();
        result = Some(work());
        best = best.min(started.elapsed());
    }
    (best, result.unwrap())
}

const PYTHON: &str = r#"
import gzip, json, sys, time, zipfile
best = None
for _ in range(2):
    started = time.perf_counter()
    size = events = 0
    with zipfile.ZipFile(sys.argv[1]) as archive:
        for name in archive.namelist():
            with archive.open(name) as entry, gzip.open(entry) as member:
                for line in member:
                    size += len(line)
                    json.loads(line)
                    events += 1
    elapsed = time.perf_counter() - started
    best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"seconds": best, "bytes": size, "events": events}))
"#;

/// Downloads the export of `range` through the SDK into a file: its path and compressed size.
async fn download(client: &Client, range: HourRange, name: &str) -> (PathBuf, u64) {
    let path = std::env::temp_dir().join(format!(
        "amp-export-bench-{}-{name}.zip",
        std::process::id()
    ));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut download = client
        .send_streaming(&ExportEvents::new(range))
        .await
        .unwrap();
    while let Some(chunk) = download.chunk().await.unwrap() {
        file.write_all(&chunk).unwrap();
    }
    file.flush().unwrap();
    (path, download.received())
}

/// Peak resident memory of a process that decodes the archive at `path`.
fn child_rss(path: &Path) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--rss", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

#[allow(clippy::cast_precision_loss, reason = "rates shown to one decimal")]
fn per_second(amount: u64, took: Duration) -> f64 {
    amount as f64 / took.as_secs_f64()
}

#[allow(clippy::cast_precision_loss, reason = "sizes shown to the megabyte")]
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// The two archives, downloaded from an emulator of `target_mb` of JSON: the whole month, and
/// its last week (about a quarter of the events, since demo users keep arriving). Each path
/// with its compressed size.
fn prepare(target_mb: u64) -> ((PathBuf, u64), (PathBuf, u64)) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Demo lines of the export are about 1.3 KB and a demo user has about 24 events in 30 days.
    let users = u32::try_from(target_mb * 1_000_000 / 1_300 / 24).unwrap_or(u32::MAX);
    runtime.block_on(async {
        let started = Instant::now();
        let emulator = Emulator::builder()
            .config(Config::default())
            .demo(DemoOptions::new(users, DAYS, as_of()))
            .start()
            .await
            .unwrap();
        println!(
            "emulator: {} demo events of {users} users loaded in {:.1} s",
            emulator.counts().0,
            started.elapsed().as_secs_f64()
        );
        let client = Client::builder()
            .api_key(amp_emulator::config::DEFAULT_API_KEY)
            .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
            .base_url(emulator.base_url())
            .timeout(Duration::from_secs(3_600))
            .read_timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let started = Instant::now();
        let large = download(&client, days(0, DAYS), "large").await;
        println!(
            "export of {DAYS} days: {:.0} MB of zip, served and downloaded in {:.1} s",
            megabytes(large.1),
            started.elapsed().as_secs_f64()
        );
        let small = download(&client, days(DAYS - 7, 7), "small").await;
        (large, small)
    })
}

/// Python's time over the archive at `path`, checked to have read `events` events.
fn python(path: &Path, events: u64) -> Duration {
    let output = Command::new("python3")
        .args(["-c", PYTHON, path.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["events"], events, "Python read the same events");
    Duration::from_secs_f64(answer["seconds"].as_f64().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "--rss") {
        sdk_decode(Path::new(&args[position + 1]));
        println!("{}", peak_rss_mb());
        return;
    }
    let target_mb: u64 = std::env::var("AMP_BENCH_EXPORT_MB")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_100);
    let ((large, large_zip), (small, small_zip)) = prepare(target_mb);
    let (decode_took, (json_bytes, events)) = best_of_two(|| sdk_decode(&large));
    assert!(
        json_bytes >= 1_000_000_000 || target_mb < 1_000,
        "the export holds {json_bytes} bytes of JSON"
    );
    let (gunzip_took, inflated) = best_of_two(|| gunzip(&large));
    assert_eq!(inflated, json_bytes, "both read the same text");
    let python_took = python(&large, events);
    // What spooling costs: writing the archive to a temporary file, as `amp_export::spool` does
    // while it downloads (reading it back is part of the decode above).
    let (spool_took, ()) = best_of_two(|| {
        let copy = tempfile::NamedTempFile::new().unwrap();
        std::fs::copy(&large, copy.path()).unwrap();
    });
    let rss_small = child_rss(&small);
    let rss_large = child_rss(&large);
    let (small_json, _) = sdk_decode(&small);
    for path in [&large, &small] {
        let _ = std::fs::remove_file(path);
    }

    let mb_s = |took: Duration| per_second(json_bytes, took) / 1e6;
    let (decode_mb_s, gunzip_mb_s, python_mb_s) =
        (mb_s(decode_took), mb_s(gunzip_took), mb_s(python_took));
    println!(
        "archive: {:.0} MB of zip, {:.0} MB of JSON, {events} events",
        megabytes(large_zip),
        megabytes(json_bytes)
    );
    println!(
        "sdk decode: {:.2} s, {decode_mb_s:.1} MB/s, {:.0} events/s",
        decode_took.as_secs_f64(),
        per_second(events, decode_took)
    );
    println!(
        "gunzip alone: {:.2} s, {gunzip_mb_s:.1} MB/s",
        gunzip_took.as_secs_f64()
    );
    println!(
        "python: {:.2} s, {python_mb_s:.1} MB/s",
        python_took.as_secs_f64()
    );
    println!(
        "spool: {:.3} s to write the archive to a temporary file ({:.1}% of the decode)",
        spool_took.as_secs_f64(),
        100.0 * spool_took.as_secs_f64() / decode_took.as_secs_f64()
    );
    println!(
        "peak rss: {rss_small} MB decoding {:.0} MB of JSON ({:.0} MB zip), {rss_large} MB decoding {:.0} MB",
        megabytes(small_json),
        megabytes(small_zip),
        megabytes(json_bytes)
    );
    println!(
        "export: decode_mb_s={decode_mb_s:.1} gunzip_mb_s={gunzip_mb_s:.1} decode_vs_gunzip={:.2} python_ratio={:.1} rss_small_mb={rss_small} rss_large_mb={rss_large}",
        decode_mb_s / gunzip_mb_s,
        decode_mb_s / python_mb_s
    );
}
