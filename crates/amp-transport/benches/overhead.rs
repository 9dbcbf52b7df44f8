//! What the client costs over raw reqwest: requests per second of (a) reqwest + `serde_json`
//! into the typed segmentation response and (b) `Client::send` with auth, the retry policy and
//! tracing spans, against one loopback server, interleaved in rounds so both see the same
//! machine. The rate governor is off: it would hold the 8-in-flight run to Amplitude's 5.
//! Run with `cargo xtask bench overhead`.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use amp_model::dashboard::{DateRange, Event, SegmentationQuery, SegmentationResponse};
use amp_model::{Cost, Query as _, QueryPairs, ValidationError, Wire as _};
use amp_transport::{ApiFamily, Client, Endpoint};

const GROUPS: usize = 25;
const DAYS: usize = 300;
const ROUNDS: usize = 7;
const PER_ROUND: usize = 300;
const IN_FLIGHT: usize = 8;

/// Event segmentation, as amp-dashboard will expose it: the model query behind `Endpoint`.
struct Segmentation(SegmentationQuery);

impl Endpoint for Segmentation {
    type Response = SegmentationResponse;
    fn name(&self) -> Cow<'static, str> {
        "GetEventSegmentation".into()
    }
    fn family(&self) -> ApiFamily {
        ApiFamily::Dashboard
    }
    fn path(&self) -> Cow<'_, str> {
        self.0.path()
    }
    fn query(&self) -> QueryPairs {
        self.0.query_pairs()
    }
    fn cost(&self) -> Cost {
        self.0.cost()
    }
    fn validate(&self) -> Result<(), ValidationError> {
        self.0.validate()
    }
}

/// A segmentation body of `GROUPS` groups over `DAYS` days (about 50 KB).
fn body() -> String {
    let x_values: Vec<String> = (0..DAYS)
        .map(|day| format!("\"2024-{:02}-{:02}\"", day / 28 % 12 + 1, day % 28 + 1))
        .collect();
    let series: Vec<String> = (0..GROUPS)
        .map(|group| {
            let values: Vec<String> = (0..DAYS)
                .map(|day| ((group * 7919 + day * 104_729) % 99_991).to_string())
                .collect();
            format!("[{}]", values.join(","))
        })
        .collect();
    let labels: Vec<String> = (0..GROUPS)
        .map(|group| format!("[0,\"country {group}\"]"))
        .collect();
    format!(
        r#"{{"data":{{"series":[{}],"seriesLabels":[{}],"xValues":[{}]}}}}"#,
        series.join(","),
        labels.join(","),
        x_values.join(",")
    )
}

async fn raw(http: &reqwest::Client, url: &str) {
    let bytes = http
        .get(url)
        .basic_auth("bench-api-key", Some("bench-secret"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let parsed: SegmentationResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(parsed.data.series.len(), GROUPS);
}

async fn sdk(client: &Client, endpoint: &Segmentation) {
    let parsed = client.send(endpoint).await.unwrap();
    assert_eq!(parsed.data.series.len(), GROUPS);
}

/// Runs `count` calls of `call`, `in_flight` at a time, and returns the time taken.
async fn timed<F, Fut>(count: usize, in_flight: usize, call: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    for _ in 0..count / in_flight {
        let batch: Vec<Fut> = (0..in_flight).map(|_| call()).collect();
        futures_join(batch).await;
    }
    started.elapsed()
}

/// Awaits every future of `batch` concurrently.
async fn futures_join<Fut: std::future::Future<Output = ()>>(batch: Vec<Fut>) {
    let mut pending: Vec<std::pin::Pin<Box<Fut>>> = batch.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|context| {
        pending.retain_mut(|future| future.as_mut().poll(context).is_pending());
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

fn main() {
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_writer(std::io::stderr)
            .finish(),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let body = body();
        let size = body.len();
        let app = axum::Router::new()
            .route("/api/2/events/segmentation", axum::routing::get(move || std::future::ready(body.clone())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let range = DateRange::parse("20240101", "20241026").unwrap();
        let endpoint = Segmentation(SegmentationQuery::new(Event::new("Play Song"), range));
        let url = client_url(&base, &endpoint);
        let http = reqwest::Client::builder().gzip(true).build().unwrap();
        let client = Client::builder().api_key("bench-api-key").secret_key("bench-secret").base_url(&base)
            .without_governor().build().unwrap();

        println!("body: {size} bytes; {ROUNDS} rounds of {PER_ROUND} requests per mode, interleaved");
        let mut ratio = 0.0;
        for in_flight in [1, IN_FLIGHT] {
            let (mut raw_time, mut sdk_time) = (Duration::ZERO, Duration::ZERO);
            timed(PER_ROUND, in_flight, || raw(&http, &url)).await; // warm-up
            timed(PER_ROUND, in_flight, || sdk(&client, &endpoint)).await;
            for _ in 0..ROUNDS {
                raw_time += timed(PER_ROUND, in_flight, || raw(&http, &url)).await;
                sdk_time += timed(PER_ROUND, in_flight, || sdk(&client, &endpoint)).await;
            }
            let requests = f64::from(u32::try_from(ROUNDS * PER_ROUND).unwrap());
            let (raw_rate, sdk_rate) = (requests / raw_time.as_secs_f64(), requests / sdk_time.as_secs_f64());
            println!("{in_flight} in flight: raw reqwest {raw_rate:.0} req/s, Client::send {sdk_rate:.0} req/s, ratio {:.3}", sdk_rate / raw_rate);
            if in_flight == 1 {
                ratio = sdk_rate / raw_rate;
            }
        }
        println!("overhead ratio: {ratio:.2}");
    });
}

/// The URL the client sends, so both modes fetch the same thing.
fn client_url(base: &str, endpoint: &Segmentation) -> String {
    format!("{base}{}", endpoint.to_request().path_and_query())
}
