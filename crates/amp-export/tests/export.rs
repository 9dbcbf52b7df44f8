//! The Export API end to end: the SDK against `amp-emulator` on loopback, through the reqwest
//! transport and through transports that only return whole bodies, fail or refuse on purpose.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use amp_dashboard::{DateRange, Event, GetEventSegmentation, SegmentationMetric};
use amp_emulator::{Config, DemoOptions, Emulator};
use amp_export::{
    ArchiveError, Checkpoint, ExportError, ExportEvent, ExportEvents, ExportRange, Exported, Hour,
    HourRange, decode,
};
use amp_transport::{
    Client, ExponentialBackoff, HttpRequest, HttpResponse, NoRetry, ReqwestTransport,
    StreamingResponse, Transport, TransportError,
};
use async_trait::async_trait;
use futures_util::StreamExt as _;

fn config() -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/emulator/project.toml");
    Config::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The demo's 200 users over the week before the fixture's "now" (2024-03-06 12:00 UTC).
async fn demo(config: Config) -> Emulator {
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
    Emulator::builder()
        .config(config)
        .demo(DemoOptions::new(200, 7, as_of))
        .start()
        .await
        .unwrap()
}

fn hours(start: &str, end: &str) -> HourRange {
    HourRange::new(start.parse().unwrap(), end.parse().unwrap()).unwrap()
}

/// The demo week, and days without data on either side.
fn week() -> HourRange {
    hours("20240226T00", "20240307T23")
}

fn client_with(emulator: &Emulator, transport: impl Transport + 'static) -> Client {
    Client::builder()
        .api_key("emulator-api-key")
        .secret_key("emulator-secret-key")
        .base_url(emulator.base_url())
        .transport(transport)
        .retry_policy(NoRetry)
        .build()
        .unwrap()
}

fn reqwest() -> ReqwestTransport {
    ReqwestTransport::new(Duration::from_secs(5)).unwrap()
}

/// What a run yielded: the events' uuids in order, the finished windows, and how it ended.
#[derive(Debug, Default)]
struct Run {
    uuids: Vec<String>,
    windows: Vec<(HourRange, u64)>,
    checkpoint: Option<Checkpoint>,
    error: Option<ExportError>,
}

async fn run(range: ExportRange, client: &Client) -> Run {
    let mut stream = std::pin::pin!(range.events(client));
    let mut run = Run::default();
    while let Some(item) = stream.next().await {
        match item {
            Ok(Exported::Events(events)) => run
                .uuids
                .extend(events.into_iter().map(|event| event.uuid.unwrap())),
            Ok(Exported::Window(done)) => {
                run.windows.push((done.window, done.events));
                run.checkpoint = Some(done.checkpoint);
            }
            Ok(_) => unreachable!(),
            Err(error) => run.error = Some(error),
        }
    }
    run
}

/// A transport in front of the emulator that answers some requests itself: `rule` sees each
/// request's number (from 0) and its hours.
struct Gate {
    inner: Arc<dyn Transport>,
    calls: AtomicUsize,
    rule: Box<Rule>,
}

/// Given a request's number and hours, the answer to give instead of the emulator's.
type Rule = dyn Fn(usize, u64) -> Option<Result<HttpResponse, TransportError>> + Send + Sync;

impl std::fmt::Debug for Gate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Gate")
    }
}

impl Gate {
    fn new(
        rule: impl Fn(usize, u64) -> Option<Result<HttpResponse, TransportError>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self {
            inner: Arc::new(reqwest()),
            calls: AtomicUsize::new(0),
            rule: Box::new(rule),
        }
    }

    fn check(&self, request: &HttpRequest) -> Option<Result<HttpResponse, TransportError>> {
        let value = |name: &str| {
            let at = request.url.find(&format!("{name}="))? + name.len() + 1;
            request.url.get(at..at + 11)?.parse::<Hour>().ok()
        };
        let hours = match (value("start"), value("end")) {
            (Some(start), Some(end)) => start.hours_until(end).unsigned_abs() + 1,
            _ => 0,
        };
        (self.rule)(self.calls.fetch_add(1, Ordering::SeqCst), hours)
    }
}

#[async_trait]
impl Transport for Gate {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match self.check(&request) {
            Some(answer) => answer,
            None => self.inner.send(request).await,
        }
    }

    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        match self.check(&request) {
            Some(answer) => answer.map(StreamingResponse::from),
            None => self.inner.send_streaming(request).await,
        }
    }
}

/// A transport that only returns whole bodies: it keeps `Transport::send_streaming`'s default.
#[derive(Debug)]
struct Whole(ReqwestTransport);

#[async_trait]
impl Transport for Whole {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.0.send(request).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_streams_through_reqwest_and_a_whole_body_transport_alike() {
    let emulator = demo(config()).await;
    let streamed = run(ExportRange::new(week()), &client_with(&emulator, reqwest())).await;
    assert!(streamed.error.is_none(), "{:?}", streamed.error);
    assert_eq!(
        streamed.uuids.len(),
        emulator.counts().0,
        "every event, once"
    );
    let whole = run(
        ExportRange::new(week()),
        &client_with(&emulator, Whole(reqwest())),
    )
    .await;
    assert!(whole.error.is_none(), "{:?}", whole.error);
    assert_eq!(
        whole.uuids, streamed.uuids,
        "the same events in the same order"
    );
    // Days of 24 hours from the range's start, the empty ones (404s) done without events.
    assert_eq!(streamed.windows.len(), 11);
    assert!(
        streamed
            .windows
            .iter()
            .all(|(window, _)| window.hours() == 24)
    );
    assert_eq!(streamed.windows[0].1, 0, "February 26th has no events");
    assert!(streamed.checkpoint.unwrap().is_complete());
    // The endpoint sent whole decodes the same archive in memory.
    let client = client_with(&emulator, reqwest());
    let day = hours("20240304T00", "20240304T23");
    let whole_day: Vec<ExportEvent> = client.send(&ExportEvents::new(day)).await.unwrap();
    let streamed_day = run(ExportRange::new(day), &client).await;
    assert_eq!(
        whole_day
            .iter()
            .map(|event| event.uuid.clone().unwrap())
            .collect::<Vec<_>>(),
        streamed_day.uuids
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_too_large_is_halved_down_to_an_hour() {
    // The emulator refuses any archive larger than its largest hour's: days and half days are
    // Amplitude's 400 "too large"; some hours fit.
    let probe = demo(config()).await;
    let client = client_with(&probe, reqwest());
    let mut largest_hour = 0;
    let mut hour = week().start();
    while hour <= week().end() {
        if let Ok(download) = client
            .send_raw(&ExportEvents::new(HourRange::hour(hour)))
            .await
        {
            largest_hour = largest_hour.max(download.body.len());
        }
        hour = hour.plus(1).unwrap();
    }
    let mut config = config();
    config.export.max_bytes = largest_hour as u64;
    let emulator = demo(config).await;
    let everything = run(ExportRange::new(week()), &client_with(&probe, reqwest())).await;
    let halved = run(ExportRange::new(week()), &client_with(&emulator, reqwest())).await;
    assert!(halved.error.is_none(), "{:?}", halved.error);
    assert_eq!(halved.uuids, everything.uuids);
    let sizes: Vec<u64> = halved
        .windows
        .iter()
        .map(|(window, _)| window.hours())
        .collect();
    assert!(sizes.contains(&1) && sizes.contains(&24), "{sizes:?}");
    let covered: u64 = sizes.iter().sum();
    assert_eq!(covered, week().hours(), "windows cover the range once");

    // A 504 for anything over 3 hours: halved 24 → 12 → 6 → 3.
    let gate =
        Gate::new(|_, hours| (hours > 3).then(|| Ok(HttpResponse::new(504, "Gateway Timeout"))));
    let gated = run(ExportRange::new(week()), &client_with(&probe, gate)).await;
    assert!(gated.error.is_none(), "{:?}", gated.error);
    assert_eq!(gated.uuids, everything.uuids);
    assert!(gated.windows.iter().all(|(window, _)| window.hours() == 3));

    // An hour that is still too large is reported, named.
    let always = Gate::new(|_, _| Some(Ok(HttpResponse::new(504, "Gateway Timeout"))));
    let failed = run(ExportRange::new(week()), &client_with(&probe, always)).await;
    match failed.error {
        Some(ExportError::HourTooLarge { hour, .. }) => assert_eq!(hour, week().start()),
        other => panic!("{other:?}"),
    }
    assert!(failed.uuids.is_empty() && failed.windows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_fails_resumes_from_its_checkpoint_and_yields_each_event_once() {
    let emulator = demo(config()).await;
    let everything = run(ExportRange::new(week()), &client_with(&emulator, reqwest())).await;
    // The sixth request (for March 2nd) cannot connect.
    let failing =
        Gate::new(|call, _| (call == 5).then(|| Err(TransportError::connect("injected"))));
    let first = run(ExportRange::new(week()), &client_with(&emulator, failing)).await;
    assert!(
        matches!(first.error, Some(ExportError::Request(_))),
        "{:?}",
        first.error
    );
    let checkpoint = first.checkpoint.unwrap();
    assert_eq!(checkpoint.through, "20240301T23".parse().unwrap());
    // The checkpoint survives a file, as `ampq export --checkpoint` keeps it.
    let saved = serde_json::to_string(&checkpoint).unwrap();
    let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
    let rest = ExportRange::new(week()).resume(&checkpoint).unwrap();
    assert_eq!(rest.hours_left(), 6 * 24);
    let second = run(rest, &client_with(&emulator, reqwest())).await;
    assert!(second.error.is_none(), "{:?}", second.error);
    let mut both = first.uuids;
    both.extend(second.uuids);
    assert_eq!(both, everything.uuids, "every event exactly once, in order");
    let other = ExportRange::new(hours("20240301T00", "20240301T23")).resume(&checkpoint);
    assert!(other.unwrap_err().contains("the checkpoint is for"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_off_or_refused_is_asked_again_without_repeating_events() {
    let emulator = demo(config()).await;
    let everything = run(ExportRange::new(week()), &client_with(&emulator, reqwest())).await;
    let mut faulty = config();
    faulty.faults.reset_rate = 0.3;
    faulty.faults.rate_503 = 0.2;
    faulty.faults.seed = 7;
    let faulty = demo(faulty).await;
    let counted = Arc::new(Gate::new(|_, _| None));
    let client = Client::builder()
        .api_key("emulator-api-key")
        .secret_key("emulator-secret-key")
        .base_url(faulty.base_url())
        .shared_transport(counted.clone())
        .retry_policy(
            ExponentialBackoff::default()
                .with_max_attempts(20)
                .with_delays(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let retried = run(ExportRange::new(week()), &client).await;
    assert!(retried.error.is_none(), "{:?}", retried.error);
    assert_eq!(retried.uuids, everything.uuids);
    let requests = counted.calls.load(Ordering::SeqCst);
    assert!(
        requests > everything.windows.len() + 2,
        "faults were met and retried: {requests} requests"
    );
}

/// A zip of `members` (name, uncompressed text), each gzipped unless its name says otherwise.
fn archive(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in members {
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file(*name, stored).unwrap();
        if Path::new(name).extension().is_some_and(|ext| ext == "gz") {
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gzip.write_all(text).unwrap();
            zip.write_all(&gzip.finish().unwrap()).unwrap();
        } else {
            zip.write_all(text).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

fn decoded(bytes: Vec<u8>) -> Result<Vec<ExportEvent>, ArchiveError> {
    let mut events = Vec::new();
    for batch in decode(std::io::Cursor::new(bytes)) {
        events.extend(batch?.events);
    }
    Ok(events)
}

#[test]
fn a_corrupt_archive_member_or_line_is_named() {
    let good: &[u8] = b"{\"event_type\":\"a\"}\n{\"event_type\":\"b\"}\n";
    let events = decoded(archive(&[
        ("1/1_2024-03-01_0#0.json.gz", good),
        ("1/1_2024-03-01_1#0.json.gz", good),
    ]))
    .unwrap();
    assert_eq!(events.len(), 4);

    let bad_line: &[u8] = b"{\"event_type\":\"a\"}\n{\"event_type\":\"b\"}\n{\"event_type\":\n";
    let error = decoded(archive(&[
        ("1/1_2024-03-01_0#0.json.gz", good),
        ("1/1_2024-03-01_1#0.json.gz", bad_line),
    ]))
    .unwrap_err();
    assert!(
        matches!(&error, ArchiveError::Line { entry, line: 3, .. } if entry == "1/1_2024-03-01_1#0.json.gz"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("`1/1_2024-03-01_1#0.json.gz`, line 3"),
        "{error}"
    );

    let wrong_type: &[u8] = b"{\"event_type\":\"a\",\"amplitude_id\":\"x\"}\n";
    let error = decoded(archive(&[("1/1_2024-03-01_0#0.json.gz", wrong_type)])).unwrap_err();
    assert!(
        error.to_string().contains("line 1") && error.to_string().contains("`amplitude_id`"),
        "{error}"
    );

    let mut broken = archive(&[("1/1_2024-03-01_0#0.json.gz", good)]);
    // Damage the gzip member's compressed data, past its 10-byte header inside the zip entry.
    let at = broken
        .windows(2)
        .position(|pair| pair == [0x1f, 0x8b])
        .unwrap()
        + 12;
    for byte in &mut broken[at..at + 8] {
        *byte ^= 0x5a;
    }
    let error = decoded(broken).unwrap_err();
    assert!(
        matches!(&error, ArchiveError::Entry { entry, .. } if entry == "1/1_2024-03-01_0#0.json.gz"),
        "{error}"
    );

    let error = decoded(b"not a zip at all".to_vec()).unwrap_err();
    assert!(matches!(error, ArchiveError::Zip { .. }), "{error}");
}

/// Uniques and totals of every event type, by day and by country, for the demo week.
async fn numbers(client: &Client) -> BTreeMap<String, serde_json::Value> {
    let range = DateRange::parse("20240227", "20240305").unwrap();
    let mut numbers = BTreeMap::new();
    for event in [
        "Play Song or Video",
        "Search Song or Video",
        "_active",
        "Purchase",
    ] {
        for metric in [SegmentationMetric::Uniques, SegmentationMetric::Totals] {
            let query = GetEventSegmentation::new(Event::new(event), range)
                .metric(metric.clone())
                .group_by("country");
            let answer = client.send(&query).await.unwrap();
            numbers.insert(
                format!("{event} {metric}"),
                serde_json::to_value(answer.data).unwrap(),
            );
        }
    }
    numbers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_loads_back_into_the_emulator_with_the_same_answers() {
    let original = demo(config()).await;
    let client = client_with(&original, reqwest());
    let directory = tempfile::tempdir().unwrap();
    // As JSON Lines, the way `ampq export` writes them, and as the archive itself.
    let lines = directory.path().join("events.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&lines).unwrap());
    let mut stream = std::pin::pin!(ExportRange::new(week()).events(&client));
    while let Some(item) = stream.next().await {
        if let Exported::Events(events) = item.unwrap() {
            for event in events {
                serde_json::to_writer(&mut file, &event).unwrap();
                file.write_all(b"\n").unwrap();
            }
        }
    }
    file.into_inner().unwrap().sync_all().unwrap();
    let zip = directory.path().join("export.zip");
    let archive = client.send_raw(&ExportEvents::new(week())).await.unwrap();
    std::fs::write(&zip, &archive.body).unwrap();
    let expected = numbers(&client).await;
    for data in [lines, zip] {
        let reloaded = Emulator::builder()
            .config(config())
            .data_file(&data)
            .start()
            .await
            .unwrap();
        assert_eq!(reloaded.counts(), original.counts(), "{}", data.display());
        let answers = numbers(&client_with(&reloaded, reqwest())).await;
        assert_eq!(answers, expected, "{}", data.display());
    }
}
