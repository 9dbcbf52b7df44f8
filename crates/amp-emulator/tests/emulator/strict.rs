//! One list of bad requests, refused alike by the SDK and by the emulator over HTTP, each naming
//! the parameter at fault.
//!
//! Two parts. Requests the typed SDK can build (a value Amplitude does not define, a number out
//! of range, a range too long for its interval) are built with it: `validate` must refuse them,
//! and then their encoding is sent to the emulator, which must answer 400. Requests the typed SDK
//! cannot express (malformed JSON, a wrong type, a missing required or a repeated parameter) are
//! made by mutating a valid request's query string, once for every parameter of the catalogue
//! that can go wrong that way: the SDK's strict decoder (what `Wire::from_wire` ships) and the
//! emulator must both refuse them.

use amp_dashboard::*;
use amp_model::annotations;
use amp_model::catalogue::{self, EndpointSpec, Location, Method};
use amp_model::profile::UserProfileQuery;
use amp_model::{PropensityType, Query, RecType, ValidationError, param};
use serde_json::Value;

use super::{config, start};

/// Percent-encodes `pairs` as a query string.
fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// `GET url` with the project's keys, as the API of `url` takes them: its status and body.
pub(crate) async fn get(emulator: &amp_emulator::Emulator, url: &str) -> (u16, String) {
    let request = reqwest::Client::new().get(format!("{}{url}", emulator.base_url()));
    let request = if url.starts_with(catalogue::GET_USER_PROFILE.path) {
        request.header("Authorization", "Api-Key emulator-secret-key")
    } else {
        request.basic_auth("emulator-api-key", Some("emulator-secret-key"))
    };
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// What the emulator says about a refused request: the 400's details (the Profile API's flat
/// `error` string for profiles).
async fn emulator_refusal(emulator: &amp_emulator::Emulator, url: &str) -> String {
    let (status, body) = get(emulator, url).await;
    assert_eq!(status, 400, "{url}: {body}");
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{url}: {body}"));
    body["error"]["metadata"]["details"]
        .as_str()
        .or_else(|| body["error"].as_str())
        .unwrap_or_else(|| panic!("{url}: {body}"))
        .to_owned()
}

/// Whether `text` names parameter `name` as the errors do: `` `name` `` or `` `name=... ``.
fn names(text: &str, name: &str) -> bool {
    text.contains(&format!("`{name}`")) || text.contains(&format!("`{name}="))
}

/// A typed query with its type erased, so queries of every endpoint fit in one list.
trait Typed {
    fn check(&self) -> Result<(), ValidationError>;
    fn url(&self) -> String;
    /// Whether the strict decoder reads the query's own encoding back as the same query.
    fn reads_back(&self) -> bool;
}

impl<Q: Query + PartialEq> Typed for Q {
    fn check(&self) -> Result<(), ValidationError> {
        self.validate()
    }

    fn reads_back(&self) -> bool {
        let pairs: Vec<(String, String)> = self
            .query_pairs()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        Q::from_wire(&self.path(), &pairs, &[]).is_ok_and(|read| read == *self)
    }

    fn url(&self) -> String {
        let pairs = self.query_pairs();
        let query = encode(pairs.as_slice().iter().map(|(k, v)| (*k, v.as_str())));
        format!("{}?{query}", self.path())
    }
}

fn range(start: &str, end: &str) -> DateRange {
    DateRange::parse(start, end).unwrap()
}

/// Bad requests the typed SDK can build, with the parameter each must be refused for.
fn typed_bad_requests() -> Vec<(&'static str, Box<dyn Typed>)> {
    let week = range("20240301", "20240307");
    let play = || Event::new("Play Song");
    let mut list: Vec<(&'static str, Box<dyn Typed>)> = Vec::new();
    let mut push = |param, query: Box<dyn Typed>| list.push((param, query));

    let mut users = UsersQuery::new(week);
    users.metric = Some(UsersMetric::from("garbage"));
    push(param::M, Box::new(users));
    let mut users = UsersQuery::new(week);
    users.interval = Some(Interval::from(12_345));
    push(param::I, Box::new(users));
    let mut users = UsersQuery::new(week);
    users.interval = Some(Interval::Hourly);
    push(param::I, Box::new(users));
    let mut users = UsersQuery::new(range("20000101", "20240101"));
    users.metric = Some(UsersMetric::New);
    push(param::END, Box::new(users));

    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.metric = Some(SegmentationMetric::from("garbage"));
    push(param::M, Box::new(segmentation));
    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.user_type = Some(SegmentationUserType::from("garbage"));
    push(param::N, Box::new(segmentation));
    let mut segmentation = SegmentationQuery::new(play(), range("20240301", "20240303"));
    segmentation.interval = Some(Interval::Realtime);
    push(param::I, Box::new(segmentation));
    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.limit = Some(5_000);
    push(param::LIMIT, Box::new(segmentation));
    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.limit = Some(0);
    push(param::LIMIT, Box::new(segmentation));
    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.metric = Some(SegmentationMetric::Formula);
    segmentation.formula = Some(format!(
        "{}TOTALS(A){}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    ));
    push(param::FORMULA, Box::new(segmentation));
    let filtered = play().filter(Filter::event(
        "genre",
        FilterOperator::from("resembles"),
        ["jazz"],
    ));
    push(param::E, Box::new(SegmentationQuery::new(filtered, week)));
    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.segments = vec![Segment::new(vec![Condition::property(
        "country",
        FilterOperator::from("near"),
        ["France"],
    )])];
    push(param::S, Box::new(segmentation));
    // Amplitude allows a group-by only with a single segment, wherever a group-by is taken.
    let two = || {
        vec![
            Segment::new(vec![Condition::property(
                "country",
                FilterOperator::Is,
                ["France"],
            )]),
            Segment::new(vec![Condition::property(
                "country",
                FilterOperator::Is,
                ["Japan"],
            )]),
        ]
    };
    let mut segmentation = SegmentationQuery::new(play(), week);
    (segmentation.segments, segmentation.group_by) = (two(), vec!["platform".into()]);
    push(param::G, Box::new(segmentation));
    let mut users = UsersQuery::new(week);
    (users.segments, users.group_by) = (two(), vec!["platform".into()]);
    push(param::G, Box::new(users));
    let mut funnel = FunnelQuery::new(vec![play(), play()], week);
    (funnel.segments, funnel.group_by) = (two(), Some("platform".into()));
    push(param::G, Box::new(funnel));

    list.extend(other_typed_bad_requests());
    list
}

/// The bad requests of [`typed_bad_requests`] to endpoints other than users and segmentation.
fn other_typed_bad_requests() -> Vec<(&'static str, Box<dyn Typed>)> {
    let week = range("20240301", "20240307");
    let play = || Event::new("Play Song");
    let mut list: Vec<(&'static str, Box<dyn Typed>)> = Vec::new();
    let mut push = |param, query: Box<dyn Typed>| list.push((param, query));

    let steps = vec![play(), Event::new("Search Song")];
    let mut funnel = FunnelQuery::new(steps.clone(), week);
    funnel.mode = Some(FunnelMode::from("garbage"));
    push(param::MODE, Box::new(funnel));
    let mut funnel = FunnelQuery::new(steps.clone(), week);
    funnel.user_type = Some(FunnelUserType::from("garbage"));
    push(param::N, Box::new(funnel));
    let mut funnel = FunnelQuery::new(steps, week);
    funnel.conversion_window_secs = Some(0);
    push(param::CS, Box::new(funnel));
    push(param::E, Box::new(FunnelQuery::new(vec![play()], week)));

    let mut retention = RetentionQuery::new(Event::new("_new"), Event::new("_all"), week);
    retention.mode = Some(RetentionMode::from("garbage"));
    push(param::RM, Box::new(retention));
    for interval in [None, Some(Interval::Weekly), Some(Interval::Monthly)] {
        let mut retention = RetentionQuery::new(Event::new("_new"), Event::new("_all"), week);
        retention.mode = Some(RetentionMode::Bracket);
        retention.brackets = vec![[0, 4_294_967_295]];
        retention.interval = interval;
        push(param::RB, Box::new(retention));
    }

    let mut activity = UserActivityQuery::new(100_001);
    activity.direction = Some(ActivityDirection::from("sideways"));
    push(param::DIRECTION, Box::new(activity));
    let mut activity = UserActivityQuery::new(100_001);
    activity.limit = Some(5_000);
    push(param::LIMIT, Box::new(activity));
    push(param::USER, Box::new(UserSearchQuery::new(" ")));
    push(param::P, Box::new(CompositionQuery::new(week, " ")));

    let mut ltv = RevenueLtvQuery::new(week);
    ltv.metric = Some(LtvMetric::from(9));
    push(param::M, Box::new(ltv));

    let mut sessions = SessionLengthQuery::new(week);
    sessions.bins = Some(SessionBins::new(BinTimeUnit::from("fortnights"), 0.0, 10.0));
    push(
        param::TIME_HISTOGRAM_CONFIG_BIN_TIME_UNIT,
        Box::new(sessions),
    );
    let mut sessions = SessionLengthQuery::new(week);
    sessions.bins = Some(SessionBins::new(BinTimeUnit::Minutes, 10.0, 5.0));
    push(param::TIME_HISTOGRAM_CONFIG_BIN_MAX, Box::new(sessions));
    let mut sessions = SessionLengthQuery::new(week);
    sessions.bins = Some(SessionBins::new(BinTimeUnit::Minutes, 0.0, 10.0).size(0.0));
    push(param::TIME_HISTOGRAM_CONFIG_BIN_SIZE, Box::new(sessions));

    let mut profile = UserProfileQuery::for_user("user-1").recommendations(["r1"]);
    profile.rec_type = Some(RecType::from("guess"));
    push(param::REC_TYPE, Box::new(profile));
    let profile =
        UserProfileQuery::for_user("user-1").propensities(["p1"], PropensityType::from("odds"));
    push(param::PROPENSITY_TYPE, Box::new(profile));
    push(param::USER_ID, Box::new(UserProfileQuery::new()));
    push(param::CHART_ID, Box::new(ChartQuery::new("bad id!")));
    let mut realtime = RealtimeQuery::new();
    realtime.interval_minutes = Some(10);
    push(param::I, Box::new(realtime));
    list
}

#[tokio::test]
async fn what_the_sdk_refuses_the_emulator_refuses_naming_the_same_parameter() {
    let emulator = start(config()).await;
    let requests = typed_bad_requests();
    for (expected, query) in &requests {
        let error = query.check().expect_err(&query.url());
        assert_eq!(error.param(), *expected, "{}: {error}", query.url());
        let url = query.url();
        let refusal = emulator_refusal(&emulator, &url).await;
        assert!(names(&refusal, expected), "{url}: {refusal}");
    }
    // Writes' bodies are checked with each API's tests.
    let mut enum_params: Vec<&str> = catalogue::ENDPOINTS
        .iter()
        .filter(|endpoint| endpoint.method == Method::Get)
        .flat_map(|endpoint| endpoint.params)
        .filter(|param| param.kind.starts_with(char::is_uppercase))
        .map(|param| param.wire)
        .collect();
    enum_params.sort_unstable();
    enum_params.dedup();
    for wire in enum_params {
        assert!(
            requests.iter().any(|(expected, _)| *expected == wire),
            "no typed request with an unknown value of `{wire}`"
        );
    }
}

/// The forms Amplitude accepts that the first version did not send: several segments, two
/// group-bys on `/users`, several retention brackets.
fn new_forms() -> Vec<Box<dyn Typed>> {
    let week = range("20240301", "20240307");
    let country = |name: &str| {
        Segment::new(vec![Condition::property(
            "country",
            FilterOperator::Is,
            [name],
        )])
    };
    let two = || vec![country("United States"), country("Germany")];
    let play = || Event::new("Play Song");
    let mut segmentation = SegmentationQuery::new(play(), week);
    segmentation.segments = two();
    let mut users = UsersQuery::new(week);
    users.segments = two();
    let mut grouped = UsersQuery::new(week);
    grouped.group_by = vec!["country".into(), "platform".into()];
    let mut funnel = FunnelQuery::new(vec![Event::new("Open App"), play()], week);
    funnel.segments = two();
    let mut retention = RetentionQuery::new(Event::new("_new"), Event::new("_all"), week);
    retention.segments = two();
    retention.mode = Some(RetentionMode::Bracket);
    retention.brackets = vec![[0, 1], [1, 3], [3, 7]];
    let mut ltv = RevenueLtvQuery::new(week);
    ltv.segments = two();
    vec![
        Box::new(segmentation),
        Box::new(users),
        Box::new(grouped),
        Box::new(funnel),
        Box::new(retention),
        Box::new(ltv),
    ]
}

#[tokio::test]
async fn every_new_form_is_taken_alike_by_the_sdk_and_the_emulator() {
    let emulator = start(config()).await;
    for query in new_forms() {
        let url = query.url();
        query
            .check()
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        assert!(
            query.reads_back(),
            "{url}: the strict decoder reads it back"
        );
        let (status, body) = get(&emulator, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
}

/// Reads a request as the SDK's strict decoder and validation do; the error's parameter.
type Strict = fn(&str, &[(String, String)]) -> Result<(), String>;

fn strict<Q: Query>(path: &str, pairs: &[(String, String)]) -> Result<(), String> {
    let query = Q::from_wire(path, pairs, &[]).map_err(|error| error.param().to_owned())?;
    query.validate().map_err(|error| error.param().to_owned())
}

/// A valid request to one endpoint, and the strict reader of its type.
#[derive(Clone)]
pub(crate) struct Valid {
    pub(crate) spec: &'static EndpointSpec,
    pub(crate) path: String,
    pub(crate) pairs: Vec<(&'static str, String)>,
    pub(crate) read: Strict,
}

fn valid(spec: &'static EndpointSpec, pairs: &[(&'static str, &str)], read: Strict) -> Valid {
    Valid {
        spec,
        // The cohort's request comes first, so its job is the first one.
        path: spec
            .path
            .replace("{chart_id}", "plays-daily")
            .replace("{cohort_id}", "us")
            .replace("{request_id}", "cohort-request-1")
            // What `seed_writes` creates: a category, then an annotation.
            .replace("{category_id}", "1")
            .replace("{annotation_id}", "2")
            .replace("{category_name}", "Attribution")
            .replace("{event_type}", "Play%20Song")
            .replace("{event_property}", "genre")
            .replace("{user_property}", "gp%3Aplan")
            .replace("{group_property}", "grp%3APlan"),
        pairs: pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        read,
    }
}

/// A valid request to every endpoint.
pub(crate) fn valid_requests() -> Vec<Valid> {
    use catalogue::*;
    let (start, end) = ((param::START, "20240301"), (param::END, "20240307"));
    let play = r#"{"event_type":"Play Song"}"#;
    let search = r#"{"event_type":"Search Song"}"#;
    vec![
        valid(
            &GET_USER_PROFILE,
            &[(param::USER_ID, "alice")],
            strict::<UserProfileQuery>,
        ),
        valid(&GET_CHART_RESULTS, &[], strict::<ChartQuery>),
        valid(&GET_CHART_CSV, &[], strict::<ChartCsvQuery>),
        valid(&GET_USERS, &[start, end], strict::<UsersQuery>),
        valid(
            &GET_SESSION_LENGTH,
            &[start, end],
            strict::<SessionLengthQuery>,
        ),
        valid(
            &GET_AVERAGE_SESSION_LENGTH,
            &[start, end],
            strict::<SessionAverageQuery>,
        ),
        valid(
            &GET_SESSIONS_PER_USER,
            &[start, end],
            strict::<SessionsPerUserQuery>,
        ),
        valid(
            &GET_USER_COMPOSITION,
            &[start, end, (param::P, "country")],
            strict::<CompositionQuery>,
        ),
        valid(&LIST_EVENTS, &[], strict::<ListEventsQuery>),
        valid(
            &GET_EVENT_SEGMENTATION,
            &[(param::E, play), start, end],
            strict::<SegmentationQuery>,
        ),
        valid(
            &GET_FUNNEL,
            &[(param::E, search), (param::E, play), start, end],
            strict::<FunnelQuery>,
        ),
        valid(
            &GET_RETENTION,
            &[
                (param::SE, r#"{"event_type":"_new"}"#),
                (param::RE, r#"{"event_type":"_all"}"#),
                start,
                end,
            ],
            strict::<RetentionQuery>,
        ),
        valid(
            &GET_USER_ACTIVITY,
            &[(param::USER, "100001")],
            strict::<UserActivityQuery>,
        ),
        valid(
            &SEARCH_USERS,
            &[(param::USER, "alice")],
            strict::<UserSearchQuery>,
        ),
        valid(&GET_REALTIME_ACTIVE_USERS, &[], strict::<RealtimeQuery>),
        valid(&GET_REVENUE_LTV, &[start, end], strict::<RevenueLtvQuery>),
        valid(
            &EXPORT_EVENTS,
            &[(param::START, "20240301T00"), (param::END, "20240307T23")],
            strict::<amp_model::export::ExportQuery>,
        ),
        valid(
            &LIST_COHORTS,
            &[],
            strict::<amp_model::cohorts::ListCohortsQuery>,
        ),
        valid(
            &REQUEST_COHORT,
            &[(param::PROPS, "1"), (param::PROP_KEYS, "country")],
            strict::<amp_model::cohorts::CohortRequestQuery>,
        ),
        valid(
            &GET_COHORT_REQUEST_STATUS,
            &[],
            strict::<amp_model::cohorts::CohortStatusQuery>,
        ),
        valid(
            &GET_COHORT_FILE,
            &[],
            strict::<amp_model::cohorts::CohortFileQuery>,
        ),
    ]
    .into_iter()
    .chain(project_valid_requests())
    .collect()
}

/// A valid request to every read of the project APIs.
fn project_valid_requests() -> Vec<Valid> {
    use catalogue::*;
    vec![
        valid(
            &LIST_ANNOTATIONS,
            &[
                (param::CATEGORY, "Releases"),
                (param::START, "2024-03-01T00:00:00+00:00"),
            ],
            strict::<annotations::ListAnnotationsQuery>,
        ),
        valid(&GET_ANNOTATION, &[], strict::<annotations::AnnotationQuery>),
        valid(
            &LIST_ANNOTATION_CATEGORIES,
            &[(param::CATEGORY, "Releases")],
            strict::<annotations::ListAnnotationCategoriesQuery>,
        ),
        valid(
            &GET_ANNOTATION_CATEGORY,
            &[],
            strict::<annotations::AnnotationCategoryQuery>,
        ),
        valid(
            &LIST_ANNOTATIONS_V2,
            &[],
            strict::<annotations::ListAnnotationsV2Query>,
        ),
        valid(
            &LIST_DELETIONS,
            &[
                (param::START_DAY, "2024-03-01"),
                (param::END_DAY, "2024-03-31"),
            ],
            strict::<amp_model::privacy::ListDeletionsQuery>,
        ),
    ]
    .into_iter()
    .chain(taxonomy_valid_requests())
    .collect()
}

/// A valid request to every read of the Taxonomy API.
fn taxonomy_valid_requests() -> Vec<Valid> {
    use amp_model::taxonomy::*;
    use catalogue::*;
    let play = (param::EVENT_TYPE, "Play Song");
    vec![
        valid(
            &LIST_EVENT_CATEGORIES,
            &[],
            strict::<ListEventCategoriesQuery>,
        ),
        valid(&GET_EVENT_CATEGORY, &[], strict::<EventCategoryQuery>),
        valid(
            &LIST_EVENT_TYPES,
            &[(param::SHOW_DELETED, "true")],
            strict::<ListEventTypesQuery>,
        ),
        valid(&GET_EVENT_TYPE, &[], strict::<EventTypeQuery>),
        valid(
            &LIST_EVENT_PROPERTIES,
            &[play],
            strict::<ListEventPropertiesQuery>,
        ),
        valid(&GET_EVENT_PROPERTY, &[play], strict::<EventPropertyQuery>),
        valid(
            &LIST_USER_PROPERTIES,
            &[(param::SHOW_DELETED, "true")],
            strict::<ListUserPropertiesQuery>,
        ),
        valid(&GET_USER_PROPERTY, &[], strict::<UserPropertyQuery>),
        valid(
            &LIST_GROUP_PROPERTIES,
            &[(param::GROUP_TYPE, "Company")],
            strict::<ListGroupPropertiesQuery>,
        ),
        valid(
            &GET_GROUP_PROPERTY,
            &[(param::GROUP_TYPE, "Company")],
            strict::<GroupPropertyQuery>,
        ),
    ]
}

/// Creates what the valid requests of single annotations, categories and group properties
/// name: annotation category 1, then annotation 2 in it; event category "Attribution"; group
/// property "grp:Plan" of group type "Company".
pub(crate) async fn seed_writes(emulator: &amp_emulator::Emulator) {
    let http = reqwest::Client::new();
    for (path, body) in [
        (
            "/api/3/annotation-categories",
            r#"{"category": "Releases"}"#,
        ),
        (
            "/api/3/annotations",
            r#"{"label": "v1", "start": "2024-03-02T00:00:00+00:00", "category": "Releases"}"#,
        ),
    ] {
        let response = http
            .post(format!("{}{path}", emulator.base_url()))
            .basic_auth("emulator-api-key", Some("emulator-secret-key"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    for (path, form) in [
        ("/api/2/taxonomy/category", "category_name=Attribution"),
        (
            "/api/2/taxonomy/group-property",
            "group_property=Plan&group_type=Company&type=string",
        ),
    ] {
        let response = http
            .post(format!("{}{path}", emulator.base_url()))
            .basic_auth("emulator-api-key", Some("emulator-secret-key"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

/// The ways a parameter of `kind` can be malformed on the wire, beyond what the SDK can build.
fn malformed_values(kind: &str) -> &'static [&'static str] {
    match kind {
        "event" | "segment" | "brackets" => &["{not json", r#"{"event_type": 7}"#],
        "int" => &["x1", "-1", "1.5"],
        "number" => &["x1", "NaN"],
        "bool" => &["maybe"],
        "date" => &["2024-03-01", "20241399"],
        "hour" => &["20240301", "20240301T24", "2024-03-01 05"],
        "datetime" => &["2024-03-01", "2024-03-01T00:00:00", "yesterday"],
        "day" => &["20240301", "2024-13-01"],
        kind if kind.starts_with(char::is_uppercase) => &["garbage", "12345"],
        _ => &[],
    }
}

#[tokio::test]
async fn malformed_missing_and_repeated_parameters_are_refused_by_both_naming_them() {
    let emulator = start(config()).await;
    seed_writes(&emulator).await;
    let requests = valid_requests();
    // Writes are read from their bodies: their refusals are tested with each API.
    for endpoint in catalogue::ENDPOINTS
        .iter()
        .filter(|endpoint| endpoint.method == Method::Get)
    {
        assert!(
            requests
                .iter()
                .any(|valid| valid.spec.name == endpoint.name),
            "no valid request for {}",
            endpoint.name
        );
    }
    let mut tried = 0;
    for Valid {
        spec,
        path,
        pairs: valid,
        read,
    } in &requests
    {
        let owned = |pairs: &[(&'static str, String)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        read(path, &owned(valid))
            .unwrap_or_else(|param| panic!("{path}: the valid request fails on `{param}`"));
        let url = format!(
            "{path}?{}",
            encode(valid.iter().map(|(k, v)| (*k, v.as_str())))
        );
        let (status, body) = get(&emulator, &url).await;
        // A cohort request is accepted (202) before it is done.
        assert!((200..300).contains(&status), "{url}: {status} {body}");
        for param in spec
            .params
            .iter()
            .filter(|param| param.location == Location::Query)
        {
            let mut variants: Vec<Vec<(&'static str, String)>> = Vec::new();
            for bad in malformed_values(param.kind) {
                let mut pairs: Vec<_> = valid
                    .iter()
                    .filter(|(k, _)| *k != param.wire)
                    .cloned()
                    .collect();
                pairs.push((param.wire, (*bad).to_owned()));
                variants.push(pairs);
            }
            if param.required {
                variants.push(
                    valid
                        .iter()
                        .filter(|(k, _)| *k != param.wire)
                        .cloned()
                        .collect(),
                );
            }
            // Every parameter but the repeated ones (funnel steps, a cohort's property keys)
            // takes one value.
            let repeated = param.kind == "event" || param.wire == param::PROP_KEYS;
            if !(param.list && repeated) {
                let value = valid.iter().find(|(k, _)| *k == param.wire).map_or_else(
                    || param.default.unwrap_or("1").to_owned(),
                    |(_, v)| v.clone(),
                );
                let mut pairs = valid.clone();
                pairs.push((param.wire, value.clone()));
                pairs.push((param.wire, value));
                variants.push(pairs);
            }
            for pairs in variants {
                let query = encode(pairs.iter().map(|(k, v)| (*k, v.as_str())));
                let url = format!("{path}?{query}");
                let named = read(path, &owned(&pairs)).expect_err(&url);
                assert_eq!(named, param.wire, "{url}");
                let refusal = emulator_refusal(&emulator, &url).await;
                assert!(names(&refusal, param.wire), "{url}: {refusal}");
                tried += 1;
            }
        }
    }
    assert!(tried > 100, "only {tried} bad requests");
}

/// Every endpoint's answer decodes into the SDK's response type for it, and that typed answer
/// writes back the very JSON the emulator sent: the emulator answers in the SDK's types, so
/// the two cannot drift apart.
#[tokio::test]
async fn every_answer_is_the_sdks_response_type_written_out() {
    let emulator = start(config()).await;
    seed_writes(&emulator).await;
    // An export is a zip, not JSON: its lines are checked against the SDK's event type in
    // `export::every_line_carries_every_key_and_reads_as_the_sdks_event`; a cohort file is CSV,
    // read by amp-cohorts' tests.
    let json_answers = valid_requests().into_iter().filter(|valid| {
        ![
            catalogue::EXPORT_EVENTS.name,
            catalogue::GET_COHORT_FILE.name,
        ]
        .contains(&valid.spec.name)
    });
    for Valid {
        spec, path, pairs, ..
    } in json_answers
    {
        let url = format!(
            "{path}?{}",
            encode(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        );
        let (status, body) = get(&emulator, &url).await;
        assert!((200..300).contains(&status), "{url}: {status} {body}");
        let written =
            decodes(spec.name, &body).unwrap_or_else(|error| panic!("{url}: {error}\n{body}"));
        let sent: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            written, sent,
            "{url}: the typed answer writes back what was sent"
        );
    }
}

/// Decodes `body` as the response of endpoint `name`, and writes that typed answer out again.
fn decodes(name: &str, body: &str) -> serde_json::Result<Value> {
    use amp_model::taxonomy::{self, Answer};
    fn as_<T: serde::de::DeserializeOwned + serde::Serialize>(
        body: &str,
    ) -> serde_json::Result<Value> {
        serde_json::to_value(serde_json::from_str::<T>(body)?)
    }
    match name {
        "GetUserProfile" => as_::<amp_model::profile::UserProfileResponse>(body),
        "GetChartResults" => as_::<ChartResponse>(body),
        "GetChartCsv" => as_::<ChartCsvResponse>(body),
        "GetUserComposition" => as_::<CompositionResponse>(body),
        "ListEvents" => as_::<EventsListResponse>(body),
        "GetFunnel" => as_::<FunnelResponse>(body),
        "GetRetention" => as_::<RetentionResponse>(body),
        "GetUserActivity" => as_::<UserActivityResponse>(body),
        "SearchUsers" => as_::<UserSearchResponse>(body),
        "GetRevenueLtv" => as_::<RevenueLtvResponse>(body),
        "ListCohorts" => as_::<amp_model::cohorts::CohortList>(body),
        "ListAnnotations" => as_::<annotations::AnnotationList>(body),
        "GetAnnotation" => as_::<annotations::AnnotationAnswer>(body),
        "ListAnnotationCategories" => as_::<annotations::CategoryList>(body),
        "GetAnnotationCategory" => as_::<annotations::CategoryAnswer>(body),
        "ListAnnotationsV2" => as_::<annotations::AnnotationListV2>(body),
        "ListDeletions" => as_::<Vec<amp_model::privacy::DeletionJob>>(body),
        "ListEventCategories" => as_::<Answer<Vec<taxonomy::Category>>>(body),
        "GetEventCategory" => as_::<Answer<taxonomy::Category>>(body),
        "ListEventTypes" => as_::<Answer<Vec<taxonomy::EventType>>>(body),
        "GetEventType" => as_::<Answer<taxonomy::EventType>>(body),
        "ListEventProperties" => as_::<Answer<Vec<taxonomy::EventProperty>>>(body),
        "GetEventProperty" => as_::<Answer<taxonomy::EventProperty>>(body),
        "ListUserProperties" => as_::<Answer<Vec<taxonomy::UserProperty>>>(body),
        "GetUserProperty" => as_::<Answer<taxonomy::UserProperty>>(body),
        "ListGroupProperties" => as_::<Answer<Vec<taxonomy::GroupProperty>>>(body),
        "GetGroupProperty" => as_::<Answer<taxonomy::GroupProperty>>(body),
        "RequestCohort" | "GetCohortRequestStatus" => as_::<amp_model::cohorts::CohortJob>(body),
        "GetUsers"
        | "GetSessionLength"
        | "GetAverageSessionLength"
        | "GetSessionsPerUser"
        | "GetEventSegmentation"
        | "GetRealtimeActiveUsers" => as_::<SeriesResponse>(body),
        other => panic!("no response type is named for {other}"),
    }
}

#[tokio::test]
async fn a_taxonomy_read_takes_its_parameters_from_a_get_body_as_amplitudes_docs_send_them() {
    let emulator = start(config()).await;
    let properties = |body: &'static str| {
        let request = reqwest::Client::new()
            .get(format!(
                "{}/api/2/taxonomy/event-property",
                emulator.base_url()
            ))
            .basic_auth("emulator-api-key", Some("emulator-secret-key"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            let text = request.send().await.unwrap().text().await.unwrap();
            let answer: Value = serde_json::from_str(&text).unwrap();
            let names: Vec<String> = answer["data"]
                .as_array()
                .unwrap_or_else(|| panic!("{answer}"))
                .iter()
                .map(|item| item["event_property"].as_str().unwrap().to_owned())
                .collect();
            names
        }
    };
    assert_eq!(
        properties("event_type=Play%20Song").await,
        ["genre", "song_id"]
    );
    let shared = properties("").await;
    assert!(shared.contains(&"price".to_owned()), "{shared:?}");
}
