//! Loading a million events: how long, and how much resident memory the emulator then holds.
//! Run with `cargo xtask bench emulator`.
//!
//! The parent writes a demo dataset of at least a million events to a JSON Lines file; a child
//! process loads it into an emulator and reports its time and peak resident memory (`VmHWM`),
//! so that nothing of the generation counts.

use std::process::Command;
use std::time::Instant;

use amp_emulator::{DemoOptions, Emulator};

const TARGET_EVENTS: usize = 1_000_000;

fn memory_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn child(path: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let emulator = runtime
        .block_on(Emulator::builder().data_file(path).start())
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let (events, users) = emulator.counts();
    println!(
        "{events} {users} {seconds} {} {}",
        memory_kib("VmHWM:"),
        memory_kib("VmRSS:")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        child(&args[position + 1]);
        return;
    }
    let path =
        std::env::temp_dir().join(format!("amp-emulator-bench-{}.jsonl", std::process::id()));
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    let mut users = 30_000;
    let written = loop {
        let written = Emulator::dump_demo(&DemoOptions::new(users, 30, as_of), &path).unwrap();
        if written >= TARGET_EVENTS {
            break written;
        }
        users = users * 11 / 10 + 1_000;
    };
    let megabytes = std::fs::metadata(&path).map_or(0, |meta| meta.len() / 1_000_000);
    println!("dataset: {written} events of {users} demo users, {megabytes} MB of JSON Lines");
    for run in 1..=3 {
        let output = Command::new(std::env::current_exe().unwrap())
            .arg("--child")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<f64> = text
            .split_whitespace()
            .map(|field| field.parse().unwrap())
            .collect();
        let [events, users, seconds, peak, resident] = fields[..] else {
            panic!("child said: {text}")
        };
        println!(
            "run {run}: loaded {events:.0} events ({users:.0} users) in {seconds:.2} s = {:.0} events/s; peak RSS {:.0} MB, RSS after load {:.0} MB",
            events / seconds,
            peak / 1024.0,
            resident / 1024.0
        );
    }
    std::fs::remove_file(&path).ok();
}
