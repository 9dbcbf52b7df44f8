//! `/api/2/export`: Amplitude's layout (a zip of gzip members per hour, every key on every line),
//! selection by the time events reached the project, and Amplitude's 404 and 400s.

use std::io::Read as _;

use amp_model::export::{EXPORT_KEYS, ExportEvent, NO_DATA_MESSAGE, TOO_LARGE_MESSAGE};
use serde_json::{Value, json};

use super::{config, reqwest_client, start};

async fn export(emulator: &amp_emulator::Emulator, range: &str) -> (u16, Vec<u8>) {
    let response = reqwest_client()
        .get(format!("{}/api/2/export?{range}", emulator.base_url()))
        .basic_auth("emulator-api-key", Some("emulator-secret-key"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Every entry's name and lines, in archive order.
fn entries(archive: &[u8]) -> Vec<(String, Vec<Value>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    (0..zip.len())
        .map(|index| {
            let entry = zip.by_index(index).unwrap();
            let name = entry.name().unwrap().into_owned();
            let mut text = String::new();
            flate2::read::GzDecoder::new(entry)
                .read_to_string(&mut text)
                .unwrap();
            let lines = text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            (name, lines)
        })
        .collect()
}

#[tokio::test]
async fn every_line_carries_every_key_and_reads_as_the_sdks_event() {
    let mut config = config();
    config.app_id = 374_182;
    config.export.member_lines = 2;
    let emulator = start(config).await;
    let (status, archive) = export(&emulator, "start=20240301T00&end=20240304T23").await;
    assert_eq!(status, 200);
    let entries = entries(&archive);
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    // alice's two events at 10:00 and 10:05 on 03-01; two members where an hour has 3 or 4.
    assert!(
        names.contains(&"374182/374182_2024-03-01_10#0.json.gz"),
        "{names:?}"
    );
    for (name, lines) in &entries {
        assert!(lines.len() <= 2, "{name}");
        let (hour, member) = name
            .strip_prefix("374182/374182_")
            .and_then(|rest| rest.strip_suffix(".json.gz"))
            .and_then(|rest| rest.split_once('#'))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(member.parse::<u32>().is_ok(), "{name}");
        for line in lines {
            let keys: Vec<&str> = line
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut expected: Vec<&str> = EXPORT_KEYS.to_vec();
            expected.sort_unstable();
            assert_eq!(keys, expected, "{name}: every key, nothing else");
            let uploaded = line["server_upload_time"].as_str().unwrap();
            let (day, time) = hour.split_once('_').unwrap();
            assert!(
                uploaded.starts_with(&format!("{day} {:02}:", time.parse::<u32>().unwrap())),
                "{name} holds {uploaded}"
            );
            let event: ExportEvent = serde_json::from_value(line.clone()).unwrap();
            assert_eq!(serde_json::to_value(&event).unwrap(), *line, "{name}");
            assert_eq!(event.app, Some(374_182));
        }
    }
    let all: Vec<&Value> = entries.iter().flat_map(|(_, lines)| lines).collect();
    assert_eq!(all.len(), 8, "the 8 events of March 1 to 4");
    let purchase = all
        .iter()
        .find(|line| line["event_type"] == "Purchase")
        .unwrap();
    assert_eq!(purchase["user_id"], "alice");
    assert_eq!(purchase["amplitude_id"], 100_001);
    assert_eq!(purchase["event_properties"]["$revenue"], 9.99);
    assert_eq!(purchase["country"], "United States");
    assert_eq!(purchase["os_name"], "ios");
    assert_eq!(purchase["os_version"], "17.2");
    assert_eq!(purchase["user_properties"]["plan"], "premium");
    assert_eq!(purchase["ip_address"], Value::Null);
    let carol = all
        .iter()
        .find(|line| line["device_id"] == "d-carol")
        .unwrap();
    assert_eq!(
        carol["user_id"],
        Value::Null,
        "a device-only user has no user ID"
    );
    assert_eq!(carol["session_id"], -1);
    let uuids: std::collections::BTreeSet<&str> = all
        .iter()
        .map(|line| line["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids.len(), all.len(), "uuids are unique");
}

#[tokio::test]
async fn empty_malformed_long_and_too_large_ranges_are_amplitudes_404_and_400s() {
    let emulator = start(config()).await;
    let (status, body) = export(&emulator, "start=20230101T00&end=20230101T23").await;
    assert_eq!(
        (status, String::from_utf8(body).unwrap()),
        (404, NO_DATA_MESSAGE.into())
    );
    // An end in the future is fine: asking for today up to hour 23.
    let (status, _) = export(&emulator, "start=20240304T00&end=20990101T23").await;
    assert_eq!(status, 400, "over 365 days");
    let (status, _) = export(&emulator, "start=20240304T00&end=20250101T23").await;
    assert_eq!(status, 200);
    for (bad, param) in [
        ("start=20240301&end=20240302T00", "start"),
        ("start=20240301T00", "end"),
        ("start=20240302T00&end=20240301T00", "start"),
        ("start=20240301T00&end=20240301T24", "end"),
    ] {
        let (status, body) = export(&emulator, bad).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 400, "{bad}: {body}");
        let details = body["error"]["metadata"]["details"].as_str().unwrap();
        assert!(details.contains(&format!("`{param}")), "{bad}: {details}");
    }
    let (_, one_day) = export(&emulator, "start=20240304T00&end=20240304T23").await;
    let mut small = config();
    small.export.max_bytes = one_day.len() as u64;
    let emulator = start(small).await;
    let (status, body) = export(&emulator, "start=20240301T00&end=20240304T23").await;
    assert_eq!(
        (status, String::from_utf8(body).unwrap()),
        (400, TOO_LARGE_MESSAGE.into())
    );
    let (status, _) = export(&emulator, "start=20240304T00&end=20240304T23").await;
    assert_eq!(status, 200, "a smaller range fits");
}

#[tokio::test]
async fn ingested_events_are_exported_by_arrival_after_the_configured_delay() {
    let mut delayed = config();
    delayed.export.delay_secs = 2 * 3600;
    for (config, exported) in [(config(), true), (delayed, false)] {
        let emulator = start(config).await;
        // An event of March 1st arriving "now" (2024-03-06 12:00 UTC).
        let body = json!({"api_key": "emulator-api-key", "events": [
            {"user_id": "late-user", "event_type": "Play Song", "time": 1_709_287_200_000_i64}
        ]});
        let response = reqwest_client()
            .post(format!("{}/2/httpapi", emulator.base_url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let (status, archive) = export(&emulator, "start=20240306T12&end=20240306T12").await;
        if !exported {
            assert_eq!(status, 404, "not exportable for two hours");
            continue;
        }
        assert_eq!(status, 200);
        let entries = entries(&archive);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].0, "1/1_2024-03-06_12#0.json.gz");
        let line = &entries[0].1[0];
        assert_eq!(line["user_id"], "late-user");
        assert_eq!(line["event_time"], "2024-03-01 10:00:00.000000");
        assert_eq!(line["server_upload_time"], "2024-03-06 12:00:00.000000");
        // Not in the hour it happened in, which only has alice's loaded event.
        let (_, march_first) = export(&emulator, "start=20240301T10&end=20240301T10").await;
        let users: Vec<Value> = entries_of(&march_first)
            .into_iter()
            .map(|line| line["user_id"].clone())
            .collect();
        assert_eq!(users, [json!("alice"), json!("alice")]);
    }
}

fn entries_of(archive: &[u8]) -> Vec<Value> {
    entries(archive)
        .into_iter()
        .flat_map(|(_, lines)| lines)
        .collect()
}
