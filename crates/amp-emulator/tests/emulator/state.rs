//! `--state DIR`: what was acknowledged survives a `kill -9`, exactly once.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::fixture;

/// Starts the `amp-emulator` binary on `dir`; the child and its base URL.
fn spawn(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_amp-emulator"))
        .args(["--port", "0", "--config"])
        .arg(fixture("project.toml"))
        .arg("--state")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    (child, url)
}

/// Every value of event property `n` of the `Soak` events, with how many events carry it.
async fn stored(url: &str) -> BTreeMap<String, f64> {
    let event = json!({"event_type": "Soak", "group_by": [{"type": "event", "value": "n"}]});
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("e", &event.to_string())
        .append_pair("m", "totals")
        .append_pair("start", "20240301")
        .append_pair("end", "20240301")
        .append_pair("limit", "1000")
        .finish();
    let body: Value = reqwest::Client::new()
        .get(format!("{url}/api/2/events/segmentation?{query}"))
        .basic_auth("emulator-api-key", Some("emulator-secret-key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap();
    let data = &body["data"];
    let mut counts = BTreeMap::new();
    for (index, label) in data["seriesLabels"].as_array().unwrap().iter().enumerate() {
        let name = label[1].as_str().unwrap_or_default().to_owned();
        let total: f64 = data["series"][index]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_f64)
            .sum();
        counts.insert(name, total);
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_a_kill_exactly_once() {
    let dir = std::env::temp_dir().join(format!("amp-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut child, url) = spawn(&dir);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (url, acknowledged) = (url.clone(), Arc::clone(&acknowledged));
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for index in 0..10_000 {
                    let n = format!("{writer}-{index}");
                    let event = json!({"user_id": format!("writer-{writer}"), "event_type": "Soak", "time": 1_709_280_000_000_i64 + index, "insert_id": n, "event_properties": {"n": n}});
                    let sent = http
                        .post(format!("{url}/2/httpapi"))
                        .header("content-type", "application/json")
                        .body(json!({"api_key": "emulator-api-key", "events": [event]}).to_string())
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 200 => acknowledged.lock().unwrap().push(n),
                        _ => break,
                    }
                }
            })
        })
        .collect();
    // Kill it mid-way, without warning.
    while acknowledged.lock().unwrap().len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let (mut again, url) = spawn(&dir);
    let counts = stored(&url).await;
    again.kill().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    for n in &acknowledged {
        assert_eq!(counts.get(n), Some(&1.0), "acknowledged event {n}");
    }
    // An event whose request was cut by the kill may have been kept or not, but only once.
    assert!(counts.values().all(|count| *count == 1.0), "{counts:?}");
    assert!(
        counts.len() <= acknowledged.len() + 4,
        "{} stored, {} acknowledged",
        counts.len(),
        acknowledged.len()
    );
}
