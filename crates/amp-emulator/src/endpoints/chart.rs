//! `/api/3/chart/{id}/query` and `/csv`: the saved charts of the configuration, each answered by
//! running its stored request. Time-series results take the saved-chart shape (`series` of
//! `{setId, value}` and the metadata real responses carry); the CSV path gives
//! `{"data": "<csv>"}` for them: the title, a blank line, a `Segment` header with one column per
//! date, one row per series, every cell quoted, date and segment cells led by a tab. Other chart
//! types answer their structured data. The stored request's cost is what the limits charge.

use std::sync::Arc;

use amp_model::catalogue::RateClass;
use amp_model::dashboard::{ChartCsv, ChartCsvQuery, ChartCsvResponse, ChartQuery, ChartResponse};
use amp_model::{ValidationError, param};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize as _;
use serde_json::Value;

use crate::config::ChartConfig;
use crate::project::Project;
use crate::respond::{answer, invalid, nested_error, rate_limited, refused_credentials};
use crate::state::AppState;

use crate::request::{self, Refusal};
use crate::store::number_text;

/// Runs the chart's stored request: its answer and cost.
fn stored(project: &Project, chart: &ChartConfig) -> Result<(Value, u64), Refusal> {
    let (path, query) = chart
        .query
        .split_once('?')
        .unwrap_or((chart.query.as_str(), ""));
    let read = super::computed(path).ok_or_else(|| {
        ValidationError::new(
            param::CHART_ID,
            format!(
                "saved chart `{}` stores `{path}`, which the emulator cannot run",
                chart.id
            ),
        )
    })?;
    let request = read(path, Some(query))?;
    Ok(((request.compute)(project), request.cost))
}

/// Whether `data` is a time series: `series` rows of numbers beside `xValues`.
fn is_series(data: &Value) -> bool {
    data["xValues"].is_array()
        && data["series"].as_array().is_some_and(|rows| {
            rows.iter().all(|row| {
                row.as_array()
                    .is_some_and(|row| row.iter().all(Value::is_number))
            })
        })
}

/// Answers a request for a saved chart whose ID (decoded from the path) is `id`.
async fn respond(
    state: Arc<AppState>,
    headers: &HeaderMap,
    id: Result<String, Refusal>,
    shape: fn(&Project, &ChartConfig, Value, u64) -> Value,
) -> Response {
    let outcome = {
        let project = state.read();
        if let Some(refused) = refused_credentials(headers, &project) {
            return refused;
        }
        let id = match id {
            Ok(id) => id,
            Err(refusal) => return invalid(&refusal),
        };
        let Some(chart) = project.config.charts.iter().find(|chart| chart.id == id) else {
            return nested_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "Chart not found",
                &format!("no saved chart has the ID `{id}`"),
            );
        };
        stored(&project, chart).map(|(data, cost)| (shape(&project, chart, data, cost), cost))
    };
    let (body, cost) = match outcome {
        Ok(done) => done,
        Err(error) => return invalid(&error),
    };
    let _permit = match state.limiter.admit(RateClass::Cost, cost) {
        Ok(permit) => permit,
        Err(refusal) => return rate_limited(RateClass::Cost, &refusal.0),
    };
    answer(&state, || body).await
}

/// `GET /api/3/chart/{id}/query`.
pub async fn query(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let id = request::read::<ChartQuery>(uri.path(), uri.query()).map(|query| query.chart_id);
    respond(state, &headers, id, |project, chart, response, cost| {
        let Ok(mut answer) = ChartResponse::deserialize(&response) else {
            return response;
        };
        let cut = answer.metadata.hit_chunk_group_by_limit == Some(true);
        answer.metadata = super::fresh(project, cost, cut);
        answer.metadata.query_ids = Some(vec![format!("emulator-{}", chart.id)]);
        serde_json::to_value(answer).unwrap_or(response)
    })
    .await
}

fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// `GET /api/3/chart/{id}/csv`.
pub async fn csv(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let id = request::read::<ChartCsvQuery>(uri.path(), uri.query()).map(|query| query.chart_id);
    respond(state, &headers, id, |_, chart, response, _| {
        let data = &response["data"];
        if !is_series(data) {
            let mut structured = ChartCsvResponse::from_text("");
            structured.data = ChartCsv::Structured(data.clone());
            return serde_json::to_value(structured).unwrap_or_default();
        }
        let dates: Vec<String> = data["xValues"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| quoted(&format!("\t{}", x.as_str().unwrap_or_default())))
            .collect();
        let mut lines = vec![
            quoted(if chart.title.is_empty() {
                &chart.id
            } else {
                &chart.title
            }),
            String::new(),
        ];
        lines.push(
            std::iter::once(quoted("Segment"))
                .chain(dates)
                .collect::<Vec<_>>()
                .join(","),
        );
        for (index, row) in data["series"].as_array().into_iter().flatten().enumerate() {
            let label = match &data["seriesLabels"][index] {
                Value::Array(parts) => parts
                    .iter()
                    .skip(1)
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" / "),
                Value::String(text) => text.clone(),
                _ => "All Users".into(),
            };
            let cells = row.as_array().into_iter().flatten().map(|value| {
                quoted(
                    &value
                        .as_f64()
                        .map_or_else(|| value.to_string(), number_text),
                )
            });
            lines.push(
                std::iter::once(quoted(&format!("\t{label}")))
                    .chain(cells)
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        serde_json::to_value(ChartCsvResponse::from_text(lines.join("\n") + "\n"))
            .unwrap_or_default()
    })
    .await
}
