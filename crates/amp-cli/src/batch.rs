//! `ampq batch FILE`: many queries at once under the rate governor, answered in input order.

use std::io::{IsTerminal as _, Write as _};

use amplitude_api::transport::Client;
use chrono::NaiveDate;
use clap::Parser;
use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::Value;

use crate::cli::Query;
use crate::query::{self, Built, Raw, Usage};
use crate::run::{Failure, exit_code};

/// One line's arguments, read as a subcommand.
#[derive(Debug, Parser)]
#[command(name = "line", no_binary_name = true)]
struct Line {
    #[command(subcommand)]
    query: Query,
}

/// A line's query, or why it cannot be built.
fn built(text: &str, today: NaiveDate) -> Result<Box<dyn Built>, Usage> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| Usage(format!("not JSON ({error})")))?;
    match value {
        Value::Array(words) => {
            let words = words
                .into_iter()
                .map(|word| match word {
                    Value::String(word) => Ok(word),
                    other => Ok(other.to_string()),
                })
                .collect::<Result<Vec<String>, Usage>>()?;
            let line = Line::try_parse_from(words)
                .map_err(|error| Usage(error.render().to_string().trim().to_owned()))?;
            query::build(&line.query, today)
        }
        Value::Object(object) => {
            let path = object.get("path").and_then(Value::as_str).ok_or_else(|| {
                Usage("a raw endpoint needs \"path\", as in {\"path\": \"/api/2/users\", \"params\": {...}}".into())
            })?;
            let params: Vec<(String, String)> = match object.get("params") {
                None => Vec::new(),
                Some(Value::Object(params)) => params
                    .iter()
                    .flat_map(|(name, value)| match value {
                        Value::Array(values) => values
                            .iter()
                            .map(|value| (name.clone(), text_of(value)))
                            .collect(),
                        value => vec![(name.clone(), text_of(value))],
                    })
                    .collect(),
                Some(_) => return Err(Usage("\"params\" must be an object".into())),
            };
            let cost = object.get("cost").and_then(Value::as_u64).unwrap_or(1);
            Ok(query::raw(Raw::new(path, &params, cost)?))
        }
        _ => Err(Usage(
            "write a JSON array of arguments ([\"users\", \"--last\", \"7d\"]) or a raw endpoint object".into(),
        )),
    }
}

/// A parameter as written on the wire: strings bare, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One line's result.
#[derive(Serialize)]
struct Record {
    line: usize,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Why the result may not be whole (sampled, pruned, cut at the group-by limit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Value>,
}

/// Runs every line of `text`, `in_flight` at a time, writing one result per line in order.
/// Returns the exit code: 0, or the first failed line's.
pub async fn run(client: &Client, text: &str, in_flight: usize, today: NaiveDate) -> i32 {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with("//"))
        .collect();
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(lines.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results = futures_util::stream::iter(lines)
        .map(|(number, line)| {
            let progress = progress.clone();
            async move {
                let outcome = match built(line, today) {
                    Err(Usage(message)) => Err(Failure::Usage(message)),
                    Ok(query) => match query.request() {
                        Err(Usage(message)) => Err(Failure::Usage(message)),
                        Ok(request) => query
                            .send(client)
                            .await
                            .map(|answer| (request.cost.total(), answer))
                            .map_err(Failure::Api),
                    },
                };
                progress.inc(1);
                (number, outcome)
            }
        })
        .buffered(in_flight.max(1));
    futures_util::pin_mut!(results);
    let mut code = 0;
    while let Some((line, outcome)) = results.next().await {
        let record = match outcome {
            Ok((cost, answer)) => Record {
                line,
                ok: true,
                cost: Some(cost),
                error: None,
                warnings: answer.warnings,
                response: Some(answer.json),
            },
            Err(failure) => {
                if code == 0 {
                    code = exit_code(&failure);
                }
                Record {
                    line,
                    ok: false,
                    cost: None,
                    error: Some(failure.to_string()),
                    warnings: Vec::new(),
                    response: None,
                }
            }
        };
        let record = serde_json::to_string(&record).unwrap_or_default();
        let _ = writeln!(std::io::stdout().lock(), "{record}");
    }
    progress.finish_and_clear();
    code
}
