//! Generated requests thrown at every route and every request decoder: nothing panics, nothing
//! answers 5xx, every refusal is a JSON body, and the emulator keeps answering.
//!
//! The cases are bounded for CI; `PROPTEST_CASES=20000 cargo test -p amp-emulator --test
//! emulator generated` runs more of each. (The upload suite found `/identify` panicking on an
//! identification that is not an object.)

use amp_model::catalogue;
use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};

use super::strict::{Valid, valid_requests};
use super::{config, start};

/// A runner of `cases` cases, or of `PROPTEST_CASES` when set.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Cases {
        cases,
        failure_persistence: None,
        ..Cases::default()
    })
}

/// Values that have broken parsers before: huge and negative numbers, far dates, deep nesting,
/// broken JSON and UTF-8, and plain noise.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("4294967295".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-2147483648".to_owned()),
        Just("00010101".to_owned()),
        Just("99991231".to_owned()),
        Just("[[0,4294967295]]".to_owned()),
        Just("[[0,3660]]".to_owned()),
        Just(format!("{}1{}", "[".repeat(1_500), "]".repeat(1_500))),
        Just(format!("{}TOTALS(A){}", "(".repeat(1_500), ")".repeat(1_500))),
        Just(r#"{"event_type":"Play Song","filters":[{"subprop_type":"event","subprop_key":"x","subprop_op":"is","subprop_value":[]}]}"#.to_owned()),
        Just(r#"[{"prop":"country","op":"is","values":["S\u00e3o Paulo"]}]"#.to_owned()),
        Just("-300000".to_owned()),
        Just("-3600000".to_owned()),
        Just("30".to_owned()),
        Just("NaN".to_owned()),
        Just("1e308".to_owned()),
        "\\PC{0,40}",
        "[0-9]{1,25}",
        "[\\[\\]{}\",:0-9a-z]{0,60}",
    ]
}

/// A request to one of the endpoints: a valid one with some parameters replaced, added or
/// dropped.
fn request(valid: Vec<Valid>) -> impl Strategy<Value = String> {
    (0..valid.len()).prop_flat_map(move |index| {
        let Valid {
            spec, path, pairs, ..
        } = valid[index].clone();
        let names: Vec<&'static str> = spec.params.iter().map(|param| param.wire).collect();
        let names = if names.is_empty() { vec!["x"] } else { names };
        proptest::collection::vec(
            (proptest::sample::select(names), hostile_value(), 0..3_u8),
            0..4,
        )
        .prop_map(move |changes| {
            let mut pairs = pairs.clone();
            for (name, value, how) in changes {
                match how {
                    0 => pairs.retain(|(key, _)| *key != name),
                    1 => pairs.push((name, value)),
                    _ => {
                        pairs.retain(|(key, _)| *key != name);
                        pairs.push((name, value));
                    }
                }
            }
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
            format!("{path}?{}", query.finish())
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_never_crash_or_5xx_the_emulator() {
    // Limits off, so that every case reaches the decoders and the engine rather than a 429.
    let mut unlimited = config();
    unlimited.limits.enabled = false;
    let emulator = start(unlimited).await;
    let strategy = request(valid_requests());
    let mut runner = runner(400);
    let base = emulator.base_url();
    let http = reqwest::Client::new();
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&strategy, |url| {
            let (status, body) = handle.block_on(async {
                let request = http.get(format!("{base}{url}"));
                let request = if url.starts_with(catalogue::GET_USER_PROFILE.path) {
                    request.header("Authorization", "Api-Key emulator-secret-key")
                } else {
                    request.basic_auth("emulator-api-key", Some("emulator-secret-key"))
                };
                let response = request.send().await.expect("the emulator answers");
                let status = response.status().as_u16();
                (status, response.text().await.expect("a whole body"))
            });
            prop_assert!(status < 500, "{url}: {status} {body}");
            // The Export API's "no data" and "too large" answers are Amplitude's bare text.
            let export_text = url.starts_with(catalogue::EXPORT_EVENTS.path)
                && [
                    amp_model::export::NO_DATA_MESSAGE,
                    amp_model::export::TOO_LARGE_MESSAGE,
                ]
                .contains(&body.as_str());
            if status >= 400 && !export_text {
                prop_assert!(
                    serde_json::from_str::<serde_json::Value>(&body).is_ok(),
                    "{url}: {status} with a body that is not JSON: {body}"
                );
            }
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // Still there.
    let (status, _) = super::strict::get(&emulator, catalogue::LIST_EVENTS.path).await;
    assert_eq!(status, 200);
}

/// The strict decoders and the validation, called in-process on the same hostile requests:
/// they refuse or accept, never panic.
#[test]
fn the_request_decoders_never_panic() {
    let valid = valid_requests();
    let strategy = (0..valid.len()).prop_flat_map(move |index| {
        let Valid {
            spec,
            path,
            pairs,
            read,
        } = valid[index].clone();
        let names: Vec<&'static str> = spec.params.iter().map(|param| param.wire).collect();
        let names = if names.is_empty() { vec!["x"] } else { names };
        proptest::collection::vec((proptest::sample::select(names), hostile_value()), 0..5)
            .prop_map(move |changes| {
                let mut pairs: Vec<(String, String)> = pairs
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), value.clone()))
                    .collect();
                pairs.extend(
                    changes
                        .into_iter()
                        .map(|(name, value)| (name.to_owned(), value)),
                );
                (path.clone(), pairs, read)
            })
    });
    let mut runner = runner(2_000);
    runner
        .run(&strategy, |(path, pairs, read)| {
            let _ = read(&path, &pairs);
            Ok(())
        })
        .unwrap();
}

/// Bodies of every shape at the ingestion routes: never a panic or a 5xx, every refusal JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_uploads_never_crash_or_5xx_the_emulator() {
    let emulator = start(config()).await;
    let body = prop_oneof![
        "\\PC{0,200}",
        hostile_value(),
        proptest::collection::vec(hostile_value(), 0..6).prop_map(|values| {
            format!(
                r#"{{"api_key":"emulator-api-key","events":[{}]}}"#,
                values.join(",")
            )
        }),
        "[a-z_\":,{}\\[\\]0-9 ]{0,120}"
            .prop_map(|inner| format!(r#"{{"api_key":"emulator-api-key","events":[{inner}]}}"#)),
    ];
    let route = proptest::sample::select(vec!["/2/httpapi", "/batch", "/identify"]);
    let mut runner = runner(300);
    let (base, http) = (emulator.base_url(), reqwest::Client::new());
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&(route, body), |(route, body)| {
            let (status, text) = handle.block_on(async {
                let request = http.post(format!("{base}{route}"));
                let request = if route == "/identify" {
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    form.append_pair("api_key", "emulator-api-key");
                    form.append_pair("identification", &body);
                    request
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(form.finish())
                } else {
                    request
                        .header("content-type", "application/json")
                        .body(body.clone())
                };
                let response = request.send().await.expect("the emulator answers");
                let status = response.status().as_u16();
                (status, response.text().await.expect("a whole body"))
            });
            prop_assert!(status < 500, "{route} {body}: {status} {text}");
            if status >= 400 {
                prop_assert!(
                    serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                    "{route} {body}: {status} with a body that is not JSON: {text}"
                );
            }
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
