//! Injected faults look like the real ones, and no input crashes the emulator.

use amp_dashboard::{ListEvents, SearchUsers};
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
