//! A response in the shapes the outputs need: the JSON Amplitude sent, tidy rows for tables
//! and CSV, and lines for charts.

use amplitude_api::dashboard::{
    ChartCsv, ChartCsvResponse, ChartData, ChartResponse, EventsListResponse, FunnelResponse,
    Metadata, RetentionResponse, RevenueLtvResponse, Series, SeriesResponse, UserActivityResponse,
    UserSearchResponse,
};
use amplitude_api::profile::UserProfileResponse;
use amplitude_api::project::taxonomy;
use serde::Serialize;
use serde_json::Value;

use crate::view::View;

/// One row: column names and values, in the order the response declares them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row(pub Vec<(String, Value)>);

impl Row {
    /// The value of column `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, value)| value)
    }

    /// Column names.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(column, _)| column.as_str())
    }
}

impl FromIterator<(String, Value)> for Row {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(cells: I) -> Self {
        Self(cells.into_iter().collect())
    }
}

/// Reads a JSON object keeping its keys' order (`serde_json::Map` sorts them).
impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Cells;
        impl<'de> serde::de::Visitor<'de> for Cells {
            type Value = Row;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
                let mut cells = Vec::new();
                while let Some(cell) = map.next_entry()? {
                    cells.push(cell);
                }
                Ok(Row(cells))
            }
        }
        deserializer.deserialize_map(Cells)
    }
}

/// What a query answered.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The answer as Amplitude sent it: every key, numbers as written.
    pub json: Value,
    /// One row per value.
    pub rows: Vec<Row>,
    /// Time series or curves, for `--chart` and `--plot`; empty when the answer has none.
    pub lines: Vec<Line>,
    /// Funnels as bars, drawn in place of lines.
    pub bars: Option<Bars>,
    /// Retention as heatmaps, one per series, for `--plot` in place of lines.
    pub heatmaps: Vec<Heatmap>,
    /// Why the result may not be whole (sampled, pruned, cut at the group-by limit), for
    /// stderr.
    pub warnings: Vec<String>,
    /// The answer laid out for people, for tables; empty for the generic layout.
    pub views: Vec<View>,
}

impl Answer {
    /// An answer with no time series.
    fn plain(json: Value, rows: Vec<Row>) -> Self {
        Self {
            json,
            rows,
            lines: Vec::new(),
            bars: None,
            heatmaps: Vec::new(),
            warnings: Vec::new(),
            views: Vec::new(),
        }
    }

    /// Whether `--chart` or `--plot` has anything to draw.
    pub fn drawable(&self) -> bool {
        !self.lines.is_empty() || self.bars.is_some() || !self.heatmaps.is_empty()
    }

    /// The answer with `views` for tables.
    pub fn viewed(mut self, views: Vec<View>) -> Self {
        self.views = views;
        self
    }

    /// The answer with the warnings `metadata` gives.
    fn warned(mut self, metadata: &Metadata) -> Self {
        self.warnings = metadata.warnings();
        self
    }

    /// The tables a reader sees: the answer's own views, time series one row per x value and
    /// one column per series, or its tidy rows.
    pub fn tables(&self) -> Vec<View> {
        if !self.views.is_empty() {
            return self.views.clone();
        }
        if !self.lines.is_empty() {
            return vec![crate::view::series(&self.lines)];
        }
        vec![crate::output::rows_view(&self.rows)]
    }
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Its label.
    pub label: String,
    /// Its points: x label and value, `None` where the value is missing (a gap).
    pub points: Vec<(String, Option<f64>)>,
}

/// Funnels as bars: one group per step, one bar per funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// The steps' events, in order.
    pub steps: Vec<String>,
    /// Each funnel's name and its users at each step.
    pub funnels: Vec<(String, Vec<f64>)>,
}

/// Retention as a heatmap: one row per cohort, one column per interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// The series it shows, when there are several.
    pub title: Option<String>,
    /// Column labels (`Week 0`, ...).
    pub columns: Vec<String>,
    /// Each row's label and its cells.
    pub rows: Vec<(String, Vec<Option<Shade>>)>,
}

/// A heatmap cell: the retained share (0 to 1) and whether it is final; `None` in its place
/// where the interval has not begun.
pub type Shade = (f64, bool);

/// A response that can show itself.
pub trait Tidy {
    /// The answer, whose JSON is `sent`: the body as Amplitude sent it.
    fn answer(&self, sent: Value) -> Answer;
}

/// Each item as a row, its fields in declaration order.
fn rows<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<Row> {
    items
        .into_iter()
        .map(|item| {
            serde_json::to_string(&item)
                .and_then(|text| serde_json::from_str(&text))
                .unwrap_or_else(|error| {
                    Row::from_iter([("error".to_owned(), error.to_string().into())])
                })
        })
        .collect()
}

/// A response as JSON, for a body that was not JSON itself (a bare CSV export).
pub fn json<T: Serialize>(response: &T) -> Value {
    serde_json::to_value(response).unwrap_or_else(|error| error.to_string().into())
}

/// Rows of `path, value` for every leaf of a JSON document.
fn leaves(value: &Value) -> Vec<Row> {
    fn walk(path: &str, value: &Value, rows: &mut Vec<Row>) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            Value::Object(map) => map
                .iter()
                .for_each(|(key, value)| walk(&join(key), value, rows)),
            Value::Array(items) if items.iter().any(Value::is_object) => items
                .iter()
                .enumerate()
                .for_each(|(index, item)| walk(&join(&index.to_string()), item, rows)),
            leaf => rows.push(Row::from_iter([
                ("field".to_owned(), path.into()),
                ("value".to_owned(), leaf.clone()),
            ])),
        }
    }
    let mut rows = Vec::new();
    walk("", value, &mut rows);
    rows
}

/// A chart line's label: its group, and its segment when the answer compares several.
fn line_label(segments: usize, segment: Option<u32>, group: &str) -> String {
    match (segments > 1, segment, group.is_empty()) {
        (true, Some(segment), true) => format!("segment {}", segment + 1),
        (true, Some(segment), false) => format!("segment {}: {group}", segment + 1),
        (_, _, true) => "value".to_owned(),
        _ => group.to_owned(),
    }
}

fn series_answer(series: &Series, json: Value) -> Answer {
    let segments = (0..series.series.len())
        .filter_map(|index| series.segment(index))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut lines: Vec<Line> = Vec::new();
    for row in series.rows() {
        if lines.len() <= row.series {
            lines.resize_with(row.series + 1, || Line {
                label: String::new(),
                points: Vec::new(),
            });
        }
        let line = &mut lines[row.series];
        if line.label.is_empty() {
            line.label = line_label(segments, row.segment, &row.label);
        }
        line.points.push((row.x.to_owned(), row.value));
    }
    lines.retain(|line| !line.points.is_empty());
    Answer {
        lines,
        ..Answer::plain(json, rows(series.rows()))
    }
}

impl Tidy for SeriesResponse {
    fn answer(&self, sent: Value) -> Answer {
        series_answer(&self.data, sent).warned(&self.metadata)
    }
}

impl Tidy for FunnelResponse {
    fn answer(&self, sent: Value) -> Answer {
        let mut answer = Answer::plain(sent, rows(self.steps()))
            .warned(&self.metadata)
            .viewed(crate::view::funnel(self));
        answer.bars = crate::view::funnel_bars(self);
        answer
    }
}

impl Tidy for RetentionResponse {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(self.rows())).warned(&self.metadata)
    }
}

impl Tidy for RevenueLtvResponse {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(self.rows())).warned(&self.metadata)
    }
}

impl Tidy for UserActivityResponse {
    fn answer(&self, sent: Value) -> Answer {
        /// The columns worth a table; the JSON output has every field.
        #[derive(Serialize)]
        struct Event<'a> {
            event_time: Option<String>,
            event_type: &'a str,
            platform: Option<&'a str>,
            country: Option<&'a str>,
            session_id: Option<i64>,
        }
        let events = self.events.iter().map(|event| Event {
            event_time: event.event_time.map(|time| time.to_rfc3339()),
            event_type: &event.event_type,
            platform: event.platform.as_deref(),
            country: event.country.as_deref(),
            session_id: event.session_id,
        });
        Answer::plain(sent, rows(events))
    }
}

impl Tidy for UserSearchResponse {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(&self.matches))
    }
}

impl Tidy for amplitude_api::cohorts::CohortList {
    fn answer(&self, sent: Value) -> Answer {
        /// The columns worth a table; the JSON output has every key.
        #[derive(Serialize)]
        struct Cohort<'a> {
            id: &'a str,
            name: &'a str,
            size: Option<u64>,
            published: Option<bool>,
            archived: Option<bool>,
            last_computed: Option<String>,
        }
        let cohorts = self.cohorts.iter().map(|cohort| Cohort {
            id: &cohort.id,
            name: &cohort.name,
            size: cohort.size,
            published: cohort.published,
            archived: cohort.archived,
            last_computed: cohort
                .last_computed
                .and_then(|seconds| chrono::DateTime::from_timestamp(seconds, 0))
                .map(|time| time.to_rfc3339()),
        });
        Answer::plain(sent, rows(cohorts))
    }
}

impl Tidy for EventsListResponse {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(&self.data))
    }
}

impl Tidy for UserProfileResponse {
    fn answer(&self, sent: Value) -> Answer {
        let rows = leaves(&sent);
        Answer::plain(sent, rows).viewed(crate::view::profile(self))
    }
}

impl Tidy for ChartResponse {
    fn answer(&self, sent: Value) -> Answer {
        if let ChartData::Series(series) = &self.data {
            return series_answer(series, sent).warned(&self.metadata);
        }
        let rows = leaves(&sent["data"]);
        Answer::plain(sent, rows).warned(&self.metadata)
    }
}

impl Tidy for ChartCsvResponse {
    fn answer(&self, sent: Value) -> Answer {
        let rows = match &self.data {
            ChartCsv::Text(text) => csv_rows(text),
            ChartCsv::Structured(value) => leaves(value),
            _ => leaves(&json(&self.data)),
        };
        Answer::plain(sent, rows)
    }
}

/// A chart's CSV export as rows: Amplitude puts the chart's title on lines of their own and
/// pads cells with tabs; the first line of several cells is the header.
fn csv_rows(text: &str) -> Vec<Row> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records().filter_map(Result::ok).map(|record| {
        record
            .iter()
            .map(|cell| cell.trim().to_owned())
            .collect::<Vec<_>>()
    });
    let Some(header) =
        records.find(|cells| cells.iter().filter(|cell| !cell.is_empty()).count() > 1)
    else {
        return Vec::new();
    };
    records
        .map(|cells| {
            cells
                .into_iter()
                .enumerate()
                .map(|(index, cell)| {
                    let name = header
                        .get(index)
                        .filter(|name| !name.is_empty())
                        .cloned()
                        .unwrap_or_else(|| format!("column {}", index + 1));
                    (name, Value::from(cell))
                })
                .collect()
        })
        .collect()
}

impl Tidy for Value {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, leaves(self))
    }
}

/// One annotation as a row.
fn annotation_row(annotation: &amplitude_api::project::annotations::Annotation) -> Value {
    #[derive(Serialize)]
    struct Annotation<'a> {
        id: u64,
        start: String,
        end: Option<String>,
        label: &'a str,
        category: Option<&'a str>,
        chart_id: Option<&'a str>,
        details: Option<&'a str>,
    }
    json(&Annotation {
        id: annotation.id,
        start: annotation.start.to_string(),
        end: annotation.end.map(|end| end.to_string()),
        label: &annotation.label,
        category: annotation
            .category
            .as_ref()
            .map(|category| category.name.as_str()),
        chart_id: annotation.chart_id.as_deref(),
        details: annotation.details.as_deref(),
    })
}

impl Tidy for amplitude_api::project::annotations::AnnotationList {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(self.data.iter().map(annotation_row)))
    }
}

impl Tidy for amplitude_api::project::annotations::AnnotationAnswer {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows([annotation_row(&self.data)]))
    }
}

impl Tidy for amplitude_api::project::annotations::AnnotationListV2 {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(&self.data))
    }
}

impl Tidy for amplitude_api::project::annotations::CategoryList {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(&self.data))
    }
}

impl Tidy for amplitude_api::project::annotations::CategoryAnswer {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows([&self.data]))
    }
}

impl Tidy for Vec<amplitude_api::project::privacy::DeletionJob> {
    fn answer(&self, sent: Value) -> Answer {
        /// One user of a job as a row.
        #[derive(Serialize)]
        struct Deletion<'a> {
            day: String,
            status: String,
            amplitude_id: u64,
            user_id: Option<&'a str>,
            requester: Option<&'a str>,
            done: Option<&'a str>,
        }
        let users = self.iter().flat_map(|job| {
            job.amplitude_ids.iter().map(move |user| Deletion {
                day: job.day.to_string(),
                status: serde_json::to_value(&job.status)
                    .ok()
                    .and_then(|status| status.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                amplitude_id: user.amplitude_id,
                user_id: user.user_id.as_deref(),
                requester: user.requester.as_deref(),
                done: job.active_scrub_done_date.as_deref(),
            })
        });
        Answer::plain(sent, rows(users))
    }
}

/// A tracking plan item, as one row.
trait Item {
    fn row(&self) -> Value;
}

impl<T: Item> Tidy for taxonomy::Answer<Vec<T>> {
    fn answer(&self, sent: Value) -> Answer {
        Answer::plain(sent, rows(self.data.iter().map(Item::row)))
    }
}

/// The answer of a single item's read, as its one row.
macro_rules! one_item {
    ($($item:ty),*) => {$(
        impl Tidy for taxonomy::Answer<$item> {
            fn answer(&self, sent: Value) -> Answer {
                Answer::plain(sent, rows([self.data.row()]))
            }
        }
    )*};
}

one_item!(
    taxonomy::Category,
    taxonomy::EventType,
    taxonomy::EventProperty,
    taxonomy::UserProperty,
    taxonomy::GroupProperty
);

impl Item for taxonomy::Category {
    fn row(&self) -> Value {
        json(self)
    }
}

impl Item for taxonomy::EventType {
    fn row(&self) -> Value {
        /// One event type as a row.
        #[derive(Serialize)]
        struct EventType<'a> {
            event_type: &'a str,
            category: Option<&'a str>,
            display_name: Option<&'a str>,
            description: Option<&'a str>,
        }
        json(&EventType {
            event_type: &self.event_type,
            category: self
                .category
                .as_ref()
                .map(|category| category.name.as_str()),
            display_name: self.display_name.as_deref(),
            description: self.description.as_deref(),
        })
    }
}

/// One planned property as a row: its name, its event or group type when it has one, and its
/// schema.
#[derive(Serialize)]
struct PropertyRow<'a> {
    property: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_type: Option<&'a str>,
    #[serde(rename = "type")]
    data_type: Option<String>,
    description: Option<&'a str>,
    enum_values: Option<String>,
    is_array_type: bool,
    classifications: String,
}

impl<'a> PropertyRow<'a> {
    /// The row of `property`, with no event or group type.
    fn of(property: &'a str, schema: &'a taxonomy::PropertySchema) -> Self {
        Self {
            property,
            event_type: None,
            group_type: None,
            data_type: schema.data_type.as_ref().map(ToString::to_string),
            description: schema.description.as_deref(),
            enum_values: schema.enum_values.as_ref().map(|values| values.join(", ")),
            is_array_type: schema.is_array_type,
            classifications: schema.classifications.join(", "),
        }
    }
}

impl Item for taxonomy::EventProperty {
    fn row(&self) -> Value {
        json(&PropertyRow {
            // Shared properties show an empty event type, so that the column stays.
            event_type: Some(self.event_type.as_deref().unwrap_or("")),
            ..PropertyRow::of(&self.event_property, &self.schema)
        })
    }
}

impl Item for taxonomy::UserProperty {
    fn row(&self) -> Value {
        json(&PropertyRow::of(&self.user_property, &self.schema))
    }
}

impl Item for taxonomy::GroupProperty {
    fn row(&self) -> Value {
        json(&PropertyRow {
            group_type: Some(self.group_type.as_deref().unwrap_or("")),
            ..PropertyRow::of(&self.group_property, &self.schema)
        })
    }
}
