//! From a query subcommand's flags to an endpoint, ready to be sent, costed, or shown.

use std::borrow::Cow;

use amplitude_api::dashboard::{
    ActivityDirection, Condition, DateRange, Event, Filter, FilterOperator, FunnelMode,
    FunnelUserType, GetAverageSessionLength, GetChartCsv, GetChartResults, GetEventSegmentation,
    GetFunnel, GetRealtimeActiveUsers, GetRetention, GetRevenueLtv, GetSessionLength,
    GetSessionsPerUser, GetUserActivity, GetUserComposition, GetUsers, Interval, ListEvents,
    LtvMetric, RetentionMode, SearchUsers, Segment, SegmentationMetric, SegmentationUserType,
    UsersMetric,
};
use amplitude_api::model::catalogue::{self, ApiFamily, RateClass};
use amplitude_api::model::wire::ServerValue;
use amplitude_api::model::{Cost, QueryPairs};
use amplitude_api::profile::{GetUserProfile, PropensityType, RecType, UserProfileQuery};
use amplitude_api::transport::{Client, Endpoint, Error, Request};
use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use crate::answer::{Answer, Tidy, json};
use crate::cli::{self, Dates, Query, Sessions, Who};
use crate::view::Cohorts;

/// A query ready to go: its request (for dry runs and costs) and how to send it.
#[async_trait]
pub trait Built: Send + Sync {
    /// The request, for `--dry-run` and `ampq cost`, once it passes the checks Amplitude
    /// would make.
    fn request(&self) -> Result<Request, Usage>;
    /// Sends it and shapes the answer.
    async fn send(&self, client: &Client) -> Result<Answer, Error>;
}

/// An endpoint whose response knows how to show itself.
struct Typed<E>(E);

#[async_trait]
impl<E> Built for Typed<E>
where
    E: Endpoint,
    E::Response: Tidy + Serialize,
{
    fn request(&self) -> Result<Request, Usage> {
        self.0
            .validate()
            .map_err(|error| Usage(format!("{}: {error}", self.0.name())))?;
        Ok(self.0.to_request())
    }

    async fn send(&self, client: &Client) -> Result<Answer, Error> {
        let (typed, sent) = self.typed_and_sent(client).await?;
        Ok(typed.answer(sent))
    }
}

impl<E> Typed<E>
where
    E: Endpoint,
    E::Response: Serialize,
{
    /// Sends the endpoint: its typed answer, and the JSON Amplitude sent (what JSON output
    /// shows: every key, numbers as written).
    async fn typed_and_sent(&self, client: &Client) -> Result<(E::Response, Value), Error> {
        let (typed, response) = client.send_keeping_response(&self.0).await?;
        let sent = serde_json::from_slice(&response.body).unwrap_or_else(|_| json(&typed));
        Ok((typed, sent))
    }
}

pub fn typed<E>(endpoint: E) -> Box<dyn Built>
where
    E: Endpoint + 'static,
    E::Response: Tidy + Serialize,
{
    Box::new(Typed(endpoint))
}

/// Retention, whose table needs its query: the range its cohorts' labels fall in, the interval
/// and brackets its columns are, and today, before which intervals have begun.
struct RetentionTable {
    retention: Typed<GetRetention>,
    today: NaiveDate,
}

#[async_trait]
impl Built for RetentionTable {
    fn request(&self) -> Result<Request, Usage> {
        self.retention.request()
    }

    async fn send(&self, client: &Client) -> Result<Answer, Error> {
        let (typed, sent) = self.retention.typed_and_sent(client).await?;
        let cohorts = crate::view::retention(&typed, self.retention.0.as_query(), self.today);
        let mut answer = typed
            .answer(sent)
            .viewed(cohorts.iter().map(Cohorts::view).collect());
        answer.lines = cohorts.iter().filter_map(Cohorts::curve).collect();
        answer.heatmaps = cohorts.iter().map(Cohorts::heatmap).collect();
        Ok(answer)
    }
}

/// A bad flag value: the message says which flag and what it accepts.
#[derive(Debug)]
pub struct Usage(pub String);

type Result<T, E = Usage> = std::result::Result<T, E>;

/// Builds the endpoint of a query subcommand; `today` anchors `--last`.
pub fn build(query: &Query, today: NaiveDate) -> Result<Box<dyn Built>> {
    Ok(match query {
        Query::Profile(args) => typed(GetUserProfile::new(profile(args)?)),
        Query::Segmentation(args) => typed(segmentation(args, today)?),
        Query::Funnel(args) => typed(funnel(args, today)?),
        Query::Retention(args) => Box::new(RetentionTable {
            retention: Typed(retention(args, today)?),
            today,
        }),
        Query::Users(args) => {
            let mut users = GetUsers::new(range(&args.dates, today)?);
            if let Some(metric) = &args.metric {
                users = users.metric(known("--metric", metric, UsersMetric::KNOWN)?);
            }
            let shape = users.query_mut();
            (shape.interval, shape.segments, shape.group_by) =
                shape_of(args.interval.as_deref(), &args.who)?;
            typed(users)
        }
        Query::Sessions { kind } => match kind {
            Sessions::Length(dates) => typed(GetSessionLength::new(range(dates, today)?)),
            Sessions::Average(dates) => typed(GetAverageSessionLength::new(range(dates, today)?)),
            Sessions::Peruser(dates) => typed(GetSessionsPerUser::new(range(dates, today)?)),
        },
        Query::Composition(args) => typed(GetUserComposition::new(
            range(&args.dates, today)?,
            &args.property,
        )),
        Query::Events => typed(ListEvents::new()),
        Query::Activity(args) => {
            let mut activity = GetUserActivity::new(args.user);
            if let Some(limit) = args.limit {
                activity = activity.limit(limit);
            }
            if let Some(offset) = args.offset {
                activity = activity.offset(offset);
            }
            if let Some(direction) = &args.direction {
                activity =
                    activity.direction(known("--direction", direction, ActivityDirection::KNOWN)?);
            }
            typed(activity)
        }
        Query::Search { query } => typed(SearchUsers::new(query)),
        Query::Realtime => typed(GetRealtimeActiveUsers::new()),
        Query::Ltv(args) => typed(ltv(args, today)?),
        Query::Chart { id, csv: false } => typed(GetChartResults::new(id)),
        Query::Chart { id, csv: true } => typed(GetChartCsv::new(id)),
    })
}

fn profile(args: &cli::Profile) -> Result<UserProfileQuery> {
    let mut query = match (&args.user_id, &args.device_id) {
        (Some(user), Some(device)) => UserProfileQuery::for_user(user).device_id(device),
        (Some(user), None) => UserProfileQuery::for_user(user),
        (None, Some(device)) => UserProfileQuery::for_device(device),
        (None, None) => return Err(Usage("give --user-id or --device-id".into())),
    };
    if !args.recs.is_empty() {
        query = query.recommendations(&args.recs);
    }
    if let Some(rec_type) = &args.rec_type {
        query = query.rec_type(known("--rec-type", rec_type, RecType::KNOWN)?);
    }
    if args.props {
        query = query.user_properties();
    }
    if args.cohorts {
        query = query.cohort_ids();
    }
    if args.computations {
        query = query.all_computations();
    }
    query = query.computations(&args.comp_id);
    if let Some(kind) = &args.propensity_type {
        let kind = known("--propensity-type", kind, PropensityType::KNOWN)?;
        query = query.propensities(&args.propensity, kind);
    }
    Ok(query)
}

fn segmentation(args: &cli::Segmentation, today: NaiveDate) -> Result<GetEventSegmentation> {
    let [first, rest @ ..] = args.events.as_slice() else {
        return Err(Usage("give an event with -e".into()));
    };
    if rest.len() > 1 {
        return Err(Usage(
            "segmentation takes one or two events (-e twice at most)".into(),
        ));
    }
    let filters = args
        .filter
        .iter()
        .map(|text| {
            let (key, op, values) = condition("--filter", text)?;
            Ok(Filter::event(key, op, values))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut first = event("-e", first)?;
    first.filters.extend(filters);
    let mut query = GetEventSegmentation::new(first, range(&args.dates, today)?);
    if let Some(second) = rest.first() {
        query = query.second_event(event("-e", second)?);
    }
    if let Some(metric) = &args.metric {
        query = query.metric(known("--metric", metric, SegmentationMetric::KNOWN)?);
    }
    if let Some(user_type) = &args.user_type {
        query = query.user_type(known(
            "--user-type",
            user_type,
            SegmentationUserType::KNOWN,
        )?);
    }
    if let Some(formula) = &args.formula {
        query = query.formula(formula);
    }
    if let Some(limit) = args.limit {
        query = query.limit(limit);
    }
    let shape = query.query_mut();
    (shape.interval, shape.segments, shape.group_by) =
        shape_of(args.interval.as_deref(), &args.who)?;
    Ok(query)
}

fn funnel(args: &cli::Funnel, today: NaiveDate) -> Result<GetFunnel> {
    let steps = args
        .events
        .iter()
        .map(|text| event("-e", text))
        .collect::<Result<Vec<_>>>()?;
    let mut query = GetFunnel::new(steps, range(&args.dates, today)?);
    if let Some(mode) = &args.mode {
        query = query.mode(known("--mode", mode, FunnelMode::KNOWN)?);
    }
    if let Some(user_type) = &args.user_type {
        query = query.user_type(known("--user-type", user_type, FunnelUserType::KNOWN)?);
    }
    if let Some(days) = args.conversion_days {
        query = query.conversion_window_secs(days.saturating_mul(86_400));
    }
    let shape = query.query_mut();
    (shape.interval, shape.segments, shape.group_by) =
        one_group_by("funnels", shape_of(args.interval.as_deref(), &args.who)?)?;
    Ok(query)
}

fn retention(args: &cli::Retention, today: NaiveDate) -> Result<GetRetention> {
    let mut query = GetRetention::new(
        event("--start-event", &args.start_event)?,
        event("--return-event", &args.return_event)?,
        range(&args.dates, today)?,
    );
    if let Some(mode) = &args.mode {
        query = query.mode(known("--mode", mode, RetentionMode::KNOWN)?);
    }
    for bracket in &args.bracket {
        let bounds: Option<Vec<u32>> = bracket
            .split(',')
            .map(|day| day.trim().parse().ok())
            .collect();
        let Some([from, to]) = bounds
            .as_deref()
            .and_then(|bounds| <[u32; 2]>::try_from(bounds).ok())
        else {
            return Err(Usage(format!(
                "--bracket {bracket:?}: write two day counts, as in 0,7"
            )));
        };
        query = query.bracket([from, to]);
    }
    let shape = query.query_mut();
    (shape.interval, shape.segments, shape.group_by) =
        one_group_by("retention", shape_of(args.interval.as_deref(), &args.who)?)?;
    Ok(query)
}

fn ltv(args: &cli::Ltv, today: NaiveDate) -> Result<GetRevenueLtv> {
    let mut query = GetRevenueLtv::new(range(&args.dates, today)?);
    if let Some(metric) = &args.metric {
        query = query.metric(known("--metric", metric, LtvMetric::KNOWN)?);
    }
    let shape = query.query_mut();
    (shape.interval, shape.segments, shape.group_by) = one_group_by(
        "revenue LTV",
        shape_of(args.interval.as_deref(), &args.who)?,
    )?;
    Ok(query)
}

/// The shape of a query that takes one group-by at most.
fn one_group_by(
    what: &str,
    (interval, segments, group_bys): Shape,
) -> Result<(Option<Interval>, Vec<Segment>, Option<String>)> {
    match <[String; 1]>::try_from(group_bys) {
        Ok([one]) => Ok((interval, segments, Some(one))),
        Err(none) if none.is_empty() => Ok((interval, segments, None)),
        Err(many) => Err(Usage(format!(
            "--group-by: {what} take one group-by, and {} are given",
            many.len()
        ))),
    }
}

/// An event given as a name or as Amplitude's JSON.
fn event(flag: &str, text: &str) -> Result<Event> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|error| {
            Usage(format!(
                "{flag}: the event JSON does not read ({error}); write it as {{\"event_type\": \"Play Song\"}}"
            ))
        })
    } else if text.trim().is_empty() {
        Err(Usage(format!("{flag}: the event name is empty")))
    } else {
        Ok(Event::new(text.trim()))
    }
}

/// The interval, segment and group-by of `--interval`, `--where`, `--segment` and
/// `--group-by`, which every time-series query takes.
/// A query's interval, segments and group-bys, as the flags give them.
type Shape = (Option<Interval>, Vec<Segment>, Vec<String>);

/// Reads the interval and the "who" flags: the segments in order (each --segment, the --where
/// conditions joining the first, each --vs) and the group-bys.
fn shape_of(interval: Option<&str>, who: &Who) -> Result<Shape> {
    let interval = interval.map(interval_of).transpose()?;
    let mut segments = who
        .segment
        .iter()
        .map(|json| {
            serde_json::from_str(json).map_err(|error| {
                Usage(format!(
                    "--segment: the segment JSON does not read ({error}); write it as [{{\"prop\": \"country\", \"op\": \"is\", \"values\": [\"France\"]}}]"
                ))
            })
        })
        .collect::<Result<Vec<Segment>>>()?;
    let property = |flag: &str, text: &str| {
        let (prop, op, values) = condition(flag, text)?;
        Ok(Condition::property(prop, op, values))
    };
    for text in &who.conditions {
        let condition = property("--where", text)?;
        match segments.first_mut() {
            Some(first) => first.conditions.push(condition),
            None => segments.push(Segment::new(vec![condition])),
        }
    }
    if !who.versus.is_empty() && segments.is_empty() {
        segments.push(Segment::default());
    }
    for text in &who.versus {
        segments.push(Segment::new(vec![property("--vs", text)?]));
    }
    Ok((interval, segments, who.group_by.clone()))
}

/// Words and symbols a condition may compare with, longest first so "is not" wins over "is".
const OPERATORS: &[(&str, FilterOperator)] = &[
    ("greater or equal", FilterOperator::GreaterOrEqual),
    ("less or equal", FilterOperator::LessOrEqual),
    ("does not contain", FilterOperator::DoesNotContain),
    ("set is not", FilterOperator::SetIsNot),
    ("contains", FilterOperator::Contains),
    ("greater", FilterOperator::Greater),
    ("is not", FilterOperator::IsNot),
    ("set is", FilterOperator::SetIs),
    ("less", FilterOperator::Less),
    ("is", FilterOperator::Is),
    (">=", FilterOperator::GreaterOrEqual),
    ("<=", FilterOperator::LessOrEqual),
    ("!=", FilterOperator::IsNot),
    ("=", FilterOperator::Is),
    (">", FilterOperator::Greater),
    ("<", FilterOperator::Less),
];

/// "PROPERTY OPERATOR VALUE[,VALUE...]": "country is United States", "gp:age >= 30".
fn condition(flag: &str, text: &str) -> Result<(String, FilterOperator, Vec<String>)> {
    for (word, op) in OPERATORS {
        let spaced = format!(" {word} ");
        if let Some(at) = text.find(&spaced) {
            let (prop, values) = (text[..at].trim(), text[at + spaced.len()..].trim());
            if !prop.is_empty() && !values.is_empty() {
                let values = values.split(',').map(|value| value.trim().to_owned());
                return Ok((prop.to_owned(), op.clone(), values.collect()));
            }
        }
    }
    Err(Usage(format!(
        "{flag} {text:?}: write PROPERTY OPERATOR VALUE, as in \"country is United States\" or \"gp:age >= 30\"; operators: is, is not, contains, does not contain, less, less or equal, greater, greater or equal, set is, set is not (or = != < <= > >=); several values separated by commas"
    )))
}

/// A value of one of Amplitude's enums, refused with the list when unknown.
/// The value of `values` that `text` names, by its name (`weekly`) or its wire form (`7`).
pub fn known<T: ServerValue>(flag: &str, text: &str, values: &[T]) -> Result<T> {
    values
        .iter()
        .find(|value| value.name() == Some(text) || value.to_string() == text)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = values
                .iter()
                .map(|value| match value.name() {
                    Some(name) if name != value.to_string() => format!("{name} ({value})"),
                    _ => value.to_string(),
                })
                .collect();
            Usage(format!(
                "{flag}: unknown value `{text}`; use one of {}",
                names.join(", ")
            ))
        })
}

fn interval_of(text: &str) -> Result<Interval> {
    known("--interval", text, Interval::KNOWN)
}

/// The range of `--start`/`--end` or `--last` (30 days by default).
pub fn range(dates: &Dates, today: NaiveDate) -> Result<DateRange> {
    let day = |flag: &str, text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(text, "%Y%m%d"))
            .map_err(|_| Usage(format!("{flag} {text:?}: write the date as YYYY-MM-DD")))
    };
    let (start, end) = match (&dates.start, &dates.end, &dates.last) {
        (Some(start), Some(end), _) => (day("--start", start)?, day("--end", end)?),
        (_, _, last) => {
            let last = last.as_deref().unwrap_or("30d");
            let days = relative_days(last).ok_or_else(|| {
                Usage(format!(
                    "--last {last:?}: write a count and a unit, as in 7d, 4w or 3m"
                ))
            })?;
            let start = today
                .checked_sub_days(Days::new(days - 1))
                .ok_or_else(|| Usage(format!("--last {last:?} reaches before the calendar")))?;
            (start, today)
        }
    };
    DateRange::new(start, end).map_err(|error| Usage(error.to_string()))
}

/// Days in "7d", "4w" or "3m" (30-day months); none for zero or garbage.
fn relative_days(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.len().checked_sub(1)?;
    let (count, unit) = (text.get(..split)?, text.get(split..)?);
    let count: u64 = count.parse().ok().filter(|count| *count > 0)?;
    let per = match unit {
        "d" => 1,
        "w" => 7,
        "m" => 30,
        _ => return None,
    };
    count.checked_mul(per).filter(|days| *days <= 3_660)
}

/// A raw endpoint of a batch file: a catalogue path and its parameters, answered as JSON.
#[derive(Debug)]
pub struct Raw {
    spec: &'static catalogue::EndpointSpec,
    path: String,
    params: QueryPairs,
    cost: u64,
}

impl Raw {
    /// `path` (as in the catalogue, with a chart ID filled in) and its parameters (each value
    /// as written on the wire); `cost` is what the governor counts, since a raw query's cost is
    /// not worked out.
    pub fn new(path: &str, params: &[(String, String)], cost: u64) -> Result<Self> {
        let spec = catalogue::ENDPOINTS
            .iter()
            .find(|spec| matches_path(spec.path, path))
            .ok_or_else(|| {
                let paths: Vec<&str> = catalogue::ENDPOINTS.iter().map(|spec| spec.path).collect();
                Usage(format!(
                    "unknown path {path:?}; use one of {}",
                    paths.join(", ")
                ))
            })?;
        let mut pairs = QueryPairs::new();
        for (name, value) in params {
            let param = spec.param(name).ok_or_else(|| {
                let names: Vec<&str> = spec.params.iter().map(|param| param.wire).collect();
                Usage(format!(
                    "{path} has no parameter {name:?}; it takes {}",
                    names.join(", ")
                ))
            })?;
            pairs.push(param.wire, value);
        }
        Ok(Self {
            spec,
            path: path.to_owned(),
            params: pairs,
            cost: cost.max(1),
        })
    }
}

/// Whether `path` is `pattern` with its `{...}` segments filled in.
fn matches_path(pattern: &str, path: &str) -> bool {
    let (pattern, path): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), path.split('/').collect());
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(want, got)| want == got || (want.starts_with('{') && !got.is_empty()))
}

impl Endpoint for Raw {
    type Response = serde_json::Value;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.spec.name)
    }

    fn family(&self) -> ApiFamily {
        self.spec.family
    }

    fn rate_class(&self) -> RateClass {
        self.spec.rate_class
    }

    fn path(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.path)
    }

    fn query(&self) -> QueryPairs {
        self.params.clone()
    }

    fn cost(&self) -> Cost {
        let mut cost = Cost::MINIMUM;
        cost.type_cost = self.cost;
        cost
    }
}

/// A raw endpoint as a built query.
pub fn raw(endpoint: Raw) -> Box<dyn Built> {
    typed(endpoint)
}
