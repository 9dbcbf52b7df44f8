//! Writes (cohort uploads and membership changes, annotations, releases, deletion jobs):
//! `--dry-run` prints the request line and its body and sends nothing; otherwise the write is
//! sent once (the SDK never repeats a write that may have been applied) and what changed is
//! printed, on a terminal or not, or the answer itself with `--json`.

use amplitude_api::transport::{Client, Endpoint};
use serde::Serialize;

use crate::cli::Format;
use crate::run::Failure;

/// Sends `endpoint`, or with `dry_run` prints it; prints `changed` of the answer.
pub async fn send<E>(
    client: &Client,
    endpoint: &E,
    format: Format,
    dry_run: bool,
    changed: impl FnOnce(&E::Response) -> String,
) -> Result<(), Failure>
where
    E: Endpoint,
    E::Response: Serialize,
{
    endpoint
        .validate()
        .map_err(|error| Failure::Usage(format!("{}: {error}", endpoint.name())))?;
    if dry_run {
        let http = client
            .http_request(&endpoint.to_request())
            .map_err(Failure::Api)?;
        println!("{} {}", http.method, http.url);
        if let Some(body) = &http.body {
            println!("{}", String::from_utf8_lossy(&body.bytes));
        }
        return Ok(());
    }
    let answer = client.send(endpoint).await.map_err(Failure::Api)?;
    if format == Format::Json {
        let json = serde_json::to_string_pretty(&answer)
            .map_err(|error| Failure::Local(format!("cannot write the answer: {error}")))?;
        println!("{json}");
    } else {
        println!("{}", changed(&answer));
    }
    Ok(())
}

/// `a, b, c`, or `none`.
pub fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
