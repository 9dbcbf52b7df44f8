//! Decode speed and memory of large Dashboard responses: the typed models against
//! `serde_json::Value` on the same bytes, in one run. Run with `cargo xtask bench decode`.
//!
//! Each measurement runs in a child process of its own, so that its peak resident memory
//! (`VmHWM`) belongs to that decode alone: the child reads the body from a file, notes its peak,
//! decodes once, and reports the growth, then times repeated decodes (best of several).

use std::process::Command;
use std::time::{Duration, Instant};

use amp_dashboard::{SegmentationResponse, UserActivityResponse};

const GROUPS: usize = 1_000;
const DAYS: usize = 365;
const EVENTS: usize = 1_000;
const REPEATS: usize = 12;

fn segmentation_body() -> String {
    let x_values: Vec<String> = (0..DAYS)
        .map(|day| format!("\"2024-{:02}-{:02}\"", day / 31 % 12 + 1, day % 28 + 1))
        .collect();
    let rows: Vec<String> = (0..GROUPS)
        .map(|group| {
            let values: Vec<String> = (0..DAYS)
                .map(|day| {
                    format!(
                        "{}.{:03}",
                        (group * 7_919 + day * 104_729) % 9_999_991,
                        (group + day) % 1000
                    )
                })
                .collect();
            format!("[{}]", values.join(","))
        })
        .collect();
    let labels: Vec<String> = (0..GROUPS)
        .map(|group| format!("[0,\"group value {group}\"]"))
        .collect();
    let collapsed: Vec<String> = (0..GROUPS)
        .map(|group| format!("[{{\"setId\":\"\",\"value\":{}}}]", group * 31))
        .collect();
    format!(
        r#"{{"data":{{"series":[{}],"seriesLabels":[{}],"seriesCollapsed":[{}],"xValues":[{}]}}}}"#,
        rows.join(","),
        labels.join(","),
        collapsed.join(","),
        x_values.join(",")
    )
}

fn user_activity_body() -> String {
    let events: Vec<String> = (0..EVENTS)
        .map(|index| {
            format!(
                r#"{{"app":374182,"device_id":"device-{index}","user_id":"user-1","client_event_time":"2024-01-15 10:{m:02}:00.000000","event_id":{index},"session_id":1705312800000,"event_type":"Play Song","amplitude_event_type":null,"version_name":"3.4.9","platform":"iOS","os_name":"ios","os_version":"17.2","device_brand":"Apple","device_manufacturer":"Apple","device_model":"iPhone","device_family":"Apple iPhone","device_type":"Apple iPhone 15","device_carrier":"AT&T","location_lat":37.133,"location_lng":-122.241,"ip_address":"192.0.2.1","country":"United States","language":"English","library":"amplitude-swift/1.0","city":"San Francisco","region":"California","dma":"San Francisco-Oakland-San Jose, CA","event_properties":{{"genre":"jazz","duration":{index},"source":"search"}},"user_properties":{{"plan":"premium","age":41}},"group_properties":{{}},"event_time":"2024-01-15 10:{m:02}:00.000000","client_upload_time":"2024-01-15 10:{m:02}:01.000000","server_upload_time":"2024-01-15 10:{m:02}:02.000000","server_received_time":"2024-01-15 10:{m:02}:02.000000","amplitude_id":12345,"idfa":null,"adid":null,"data":{{}},"paying":null,"start_version":"1.2.3","uuid":"5f1c0d1e-0000-4000-8000-{index:012}","groups":{{}},"sample_rate":null,"$insert_id":"insert-{index}","is_attribution_event":false}}"#,
                m = index % 60
            )
        })
        .collect();
    format!(
        r#"{{"userData":{{"user_id":"user-1","canonical_amplitude_id":12345,"merged_amplitude_ids":[],"num_events":{EVENTS},"num_sessions":1,"device_ids":["device-0"],"properties":{{"plan":"premium"}}}},"events":[{}],"metadata":{{"missingData":false,"queryIds":["q"],"cached":false}}}}"#,
        events.join(",")
    )
}

/// This process's peak resident memory, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn decode(mode: &str, bytes: &[u8]) -> Box<dyn std::any::Any> {
    match mode {
        "typed-segmentation" => {
            Box::new(serde_json::from_slice::<SegmentationResponse>(bytes).unwrap())
        }
        "typed-activity" => {
            Box::new(serde_json::from_slice::<UserActivityResponse>(bytes).unwrap())
        }
        _ => Box::new(serde_json::from_slice::<serde_json::Value>(bytes).unwrap()),
    }
}

/// In the child: peak memory growth of one decode, then the best time of `REPEATS` decodes.
fn child(mode: &str, path: &str) {
    let bytes = std::fs::read(path).unwrap();
    let before = peak_kib();
    let kept = decode(mode, &bytes);
    let grown = peak_kib().saturating_sub(before);
    drop(kept);
    let mut best = Duration::MAX;
    for _ in 0..REPEATS {
        let started = Instant::now();
        let decoded = decode(mode, &bytes);
        best = best.min(started.elapsed());
        drop(decoded);
    }
    let megabytes = f64::from(u32::try_from(bytes.len()).unwrap()) / 1_000_000.0;
    println!("{} {}", megabytes / best.as_secs_f64(), grown);
}

fn measure(mode: &str, path: &std::path::Path) -> (f64, u64) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--child", mode])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{mode}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut parts = text.split_whitespace();
    (
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().parse().unwrap(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        child(&args[position + 1], &args[position + 2]);
        return;
    }
    let folder = std::env::temp_dir().join(format!("amp-decode-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let bodies = [
        ("segmentation", segmentation_body(), "typed-segmentation"),
        ("user activity", user_activity_body(), "typed-activity"),
    ];
    for (name, body, typed_mode) in bodies {
        let path = folder.join(typed_mode);
        std::fs::write(&path, &body).unwrap();
        // Alternate the two modes so machine noise falls on both.
        let mut typed = Vec::new();
        let mut value = Vec::new();
        for _ in 0..3 {
            typed.push(measure(typed_mode, &path));
            value.push(measure("value", &path));
        }
        let best = |runs: &[(f64, u64)]| runs.iter().map(|run| run.0).fold(0.0, f64::max);
        let memory = |runs: &[(f64, u64)]| runs.iter().map(|run| run.1).min().unwrap_or(0);
        let (typed_speed, value_speed) = (best(&typed), best(&value));
        println!(
            "{name}: {:.1} MB body; typed {typed_speed:.0} MB/s, peak +{} KiB; serde_json::Value {value_speed:.0} MB/s, peak +{} KiB; typed/Value speed {:.2}",
            f64::from(u32::try_from(body.len()).unwrap()) / 1_000_000.0,
            memory(&typed),
            memory(&value),
            typed_speed / value_speed
        );
    }
    std::fs::remove_dir_all(&folder).ok();
}
