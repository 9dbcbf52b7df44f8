//! Injected faults look like the real ones, and no input crashes the emulator.

use std::time::Duration;

use amp_dashboard::*;
use amp_transport::ErrorKind;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{client, config, start};

/// Reads a raw HTTP/1.1 answer to `GET path` until the server closes or cuts the connection.
async fn raw_answer(emulator: &amp_emulator::Emulator, path: &str) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(emulator.address())
        .await
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Basic ZW11bGF0b3ItYXBpLWtleTplbXVsYXRvci1zZWNyZXQta2V5\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => received.extend_from_slice(&buffer[..read]),
        }
    }
    received
}

#[tokio::test]
async fn a_reset_sends_the_head_and_part_of_the_body_before_cutting_the_connection() {
    let mut resetting = config();
    resetting.faults.reset_rate = 1.0;
    let emulator = start(resetting).await;
    let received = raw_answer(&emulator, "/api/2/events/list").await;
    let text = String::from_utf8_lossy(&received);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {text:?}"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .expect("a content-length")
        .parse()
        .unwrap();
    assert!(
        !body.is_empty() && body.len() < length,
        "{} of {length} bytes",
        body.len()
    );
}

#[tokio::test]
async fn a_truncated_body_is_cut_at_a_byte_even_inside_a_character() {
    let mut truncating = config();
    truncating.faults.truncate_rate = 1.0;
    // User IDs of 60 to 71 two-byte characters fill the middle of each answer, so half of the
    // bodies are cut inside a character.
    let lines: Vec<String> = (60..72)
        .map(|n| {
            format!(
                r#"{{"user_id":"{}","event_type":"Open App","event_time":"2024-03-01 10:00:00"}}"#,
                "é".repeat(n)
            )
        })
        .collect();
    let emulator = amp_emulator::Emulator::builder()
        .config(truncating)
        .events(lines)
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    for n in 60..72 {
        let error = client
            .send(&SearchUsers::new("é".repeat(n)))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode, "{n}: {error}");
    }
    // And the emulator still answers, cut short as before.
    let error = client.send(&ListEvents::new()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
}

/// Mixed queries, twelve a round, each typed answer compared as JSON. 25 rounds (300 queries)
/// by default; `AMP_SOAK_ROUNDS=84` runs 1,008.
fn soak_queries() -> Vec<Box<dyn Soaked>> {
    let rounds: u32 = std::env::var("AMP_SOAK_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(25);
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
    let play = || Event::new("Play Song or Video");
    let search = || Event::new("Search Song or Video");
    let mut queries: Vec<Box<dyn Soaked>> = Vec::new();
    for round in 0..rounds {
        let start = 1 + round % 25;
        let range = DateRange::new(day(start), day(start + 5)).unwrap();
        queries.push(Box::new(
            GetEventSegmentation::new(play(), range).group_by("platform"),
        ));
        queries.push(Box::new(
            GetEventSegmentation::new(search(), range).metric(SegmentationMetric::Totals),
        ));
        queries.push(Box::new(GetUsers::new(range).interval(Interval::Weekly)));
        queries.push(Box::new(GetFunnel::new(vec![search(), play()], range)));
        queries.push(Box::new(GetRetention::new(
            Event::new("_new"),
            play(),
            range,
        )));
        queries.push(Box::new(GetSessionLength::new(range)));
        queries.push(Box::new(GetUserComposition::new(range, "country")));
        queries.push(Box::new(GetRevenueLtv::new(range)));
        queries.push(Box::new(GetAverageSessionLength::new(range)));
        queries.push(Box::new(GetSessionsPerUser::new(range)));
        queries.push(Box::new(ListEvents::new()));
        queries.push(Box::new(SearchUsers::new(format!("user-{start}"))));
    }
    queries
}

/// A query whose answer can be compared, whatever its type.
#[async_trait::async_trait]
trait Soaked: Send + Sync {
    async fn answer(
        &self,
        client: &amp_transport::Client,
    ) -> Result<serde_json::Value, amp_transport::Error>;
}

#[async_trait::async_trait]
impl<E> Soaked for E
where
    E: amp_transport::Endpoint + Send + Sync,
    E::Response: serde::Serialize + Send,
{
    async fn answer(
        &self,
        client: &amp_transport::Client,
    ) -> Result<serde_json::Value, amp_transport::Error> {
        let response = client.send(self).await?;
        Ok(serde_json::to_value(&response).expect("responses serialise"))
    }
}

#[tokio::test]
async fn a_soak_through_every_fault_answers_every_query_as_a_fault_free_emulator_does() {
    use futures_util::StreamExt as _;

    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    let demo = amp_emulator::DemoOptions::new(300, 31, as_of);
    let emulator = |faults: bool| {
        let mut config = config();
        if faults {
            config.faults.seed = 7;
            config.faults.rate_429 = 0.05;
            config.faults.rate_500 = 0.02;
            config.faults.rate_503 = 0.02;
            config.faults.reset_rate = 0.02;
            config.faults.truncate_rate = 0.02;
        }
        amp_emulator::Emulator::builder()
            .config(config)
            .demo(demo.clone())
            .start()
    };
    let (clean, faulty) = (
        emulator(false).await.unwrap(),
        emulator(true).await.unwrap(),
    );
    let patient = |emulator: &amp_emulator::Emulator| {
        amp_transport::Client::builder()
            .api_key("emulator-api-key")
            .secret_key("emulator-secret-key")
            .base_url(emulator.base_url())
            .retry_policy(
                amp_transport::ExponentialBackoff::default()
                    .with_max_attempts(12)
                    .with_delays(Duration::from_millis(5), Duration::from_millis(40)),
            )
            // The injected 429s are retried by the policy; the governor's pauses would only
            // slow the soak down.
            .without_governor()
            .build()
            .unwrap()
    };
    let (clean_client, faulty_client) = (patient(&clean), patient(&faulty));
    let queries = soak_queries();
    assert!(queries.len() >= 300, "{}", queries.len());
    // Four at a time, under the emulator's five concurrent Dashboard requests.
    let answers = |client: amp_transport::Client| {
        let queries = &queries;
        async move {
            futures_util::stream::iter(queries.iter().enumerate())
                .map(|(index, query)| {
                    let client = client.clone();
                    async move { (index, query.answer(&client).await) }
                })
                .buffer_unordered(4)
                .collect::<Vec<_>>()
                .await
        }
    };
    let (mut expected, mut got) = (answers(clean_client).await, answers(faulty_client).await);
    expected.sort_by_key(|(index, _)| *index);
    got.sort_by_key(|(index, _)| *index);
    assert_eq!(got.len(), queries.len(), "answers lost or doubled");
    for ((index, want), (again, have)) in expected.into_iter().zip(got) {
        assert_eq!(index, again, "an answer is missing or repeated");
        let want = want.unwrap_or_else(|error| panic!("query {index} without faults: {error}"));
        let have = have.unwrap_or_else(|error| panic!("query {index} through faults: {error}"));
        assert_eq!(want, have, "query {index}");
    }
}
