//! Your own HTTP transport: here a decorator that times every request and hands it to the
//! default reqwest transport; an in-house HTTP stack plugs in the same way. Against the
//! emulator: set `AMPLITUDE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example custom_transport`.

use std::time::{Duration, Instant};

use amplitude_api::dashboard::{DateRange, GetUsers};
use amplitude_api::transport::{
    ClientBuilder, HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError,
};
use async_trait::async_trait;
use chrono::Days;

#[derive(Debug)]
struct Timed(ReqwestTransport);

#[async_trait]
impl Transport for Timed {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let started = Instant::now();
        let path = request.url.split('?').next().unwrap_or_default().to_owned();
        let response = self.0.send(request).await;
        let status = response.as_ref().map_or(0, |response| response.status);
        eprintln!("{path}: HTTP {status} in {:?}", started.elapsed());
        response
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = ClientBuilder::from_env()?
        .transport(Timed(ReqwestTransport::new(Duration::from_secs(10))?))
        .build()?;
    let today = chrono::Utc::now().date_naive();
    let users = client
        .send(&GetUsers::new(DateRange::new(today - Days::new(6), today)?))
        .await?;
    println!("daily active users: {:?}", users.data.series.first());
    Ok(())
}
