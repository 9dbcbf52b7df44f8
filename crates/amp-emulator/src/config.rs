//! The project the emulator pretends to be: keys, time zone, limits, faults, and the
//! definitions of cohorts, computations, recommendations, predictions and saved charts.
//! `fixtures/emulator/project.toml` is a documented example.

use amp_model::dashboard::Segment;
use amp_model::limits::Limit;
use amp_model::{CostLimitReading, Limits};
use chrono::FixedOffset;

use crate::calendar::Zone;
use serde::Deserialize;

use crate::error::ConfigError;

/// The API key when none is configured.
pub const DEFAULT_API_KEY: &str = "emulator-api-key";
/// The secret key when none is configured.
pub const DEFAULT_SECRET_KEY: &str = "emulator-secret-key";

/// The whole configuration. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The project's API key (Dashboard API username, ingestion `api_key`).
    pub api_key: String,
    /// The project's secret key (Dashboard API password, Profile API `Api-Key`).
    pub secret_key: String,
    /// `UTC` or a fixed offset such as `+02:00`: where days begin.
    pub time_zone: String,
    /// "Now" as `YYYY-MM-DDTHH:MM:SSZ`, for realtime and relative windows; the clock when absent.
    pub now: Option<String>,
    /// Amplitude's limits.
    pub limits: LimitsConfig,
    /// Injected faults, off by default.
    pub faults: FaultsConfig,
    /// Ingestion's size limits.
    pub ingestion: IngestionConfig,
    /// The project's ID (Amplitude's `app`): in export lines and file names. 1 by default.
    pub app_id: i64,
    /// How the Export API answers.
    pub export: ExportConfig,
    /// How cohort downloads answer.
    pub cohort_download: CohortDownloadConfig,
    /// How deletion jobs run.
    pub deletions: DeletionsConfig,
    /// Behavioural cohorts.
    pub cohorts: Vec<CohortConfig>,
    /// Computed user properties.
    pub computations: Vec<ComputationConfig>,
    /// Recommendations.
    pub recommendations: Vec<RecommendationConfig>,
    /// Predictions.
    pub predictions: Vec<PredictionConfig>,
    /// Saved charts.
    pub charts: Vec<ChartConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.into(),
            secret_key: DEFAULT_SECRET_KEY.into(),
            time_zone: "UTC".into(),
            now: None,
            limits: LimitsConfig::default(),
            faults: FaultsConfig::default(),
            ingestion: IngestionConfig::default(),
            app_id: 1,
            export: ExportConfig::default(),
            cohort_download: CohortDownloadConfig::default(),
            deletions: DeletionsConfig::default(),
            cohorts: Vec::new(),
            computations: Vec::new(),
            recommendations: Vec::new(),
            predictions: Vec::new(),
            charts: Vec::new(),
        }
    }
}

impl Config {
    /// Reads a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.zone()?;
        config.now_ms()?;
        Ok(config)
    }

    /// The project time zone: an IANA name (`Europe/Berlin`, whose days follow daylight saving
    /// time) or a fixed offset from UTC.
    pub fn zone(&self) -> Result<Zone, ConfigError> {
        let zone = self.time_zone.trim();
        if matches!(zone, "UTC" | "Z" | "utc" | "") {
            return Ok(Zone::Fixed(
                FixedOffset::east_opt(0).expect("zero is a valid offset"),
            ));
        }
        zone.parse::<FixedOffset>()
            .map(Zone::Fixed)
            .or_else(|_| zone.parse::<chrono_tz::Tz>().map(Zone::Named))
            .map_err(|_| ConfigError::TimeZone(zone.to_owned()))
    }

    /// The configured "now", in ms, if any.
    pub fn now_ms(&self) -> Result<Option<i64>, ConfigError> {
        self.now
            .as_deref()
            .map(|text| {
                chrono::DateTime::parse_from_rfc3339(text)
                    .map(|time| time.timestamp_millis())
                    .map_err(|_| ConfigError::Now(text.to_owned()))
            })
            .transpose()
    }
}

/// Amplitude's limits, and how fast the emulator's clock runs for them. The defaults are
/// `amp_model::Limits::default()`, the SDK governor's table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsConfig {
    /// Enforce limits at all.
    pub enabled: bool,
    /// Dashboard requests in flight: 5.
    pub concurrent_requests: u64,
    /// The 1,000-cost limit.
    pub concurrent_cost: u64,
    /// `in-flight` (cost of requests being answered) or `five-minute-window`.
    pub cost_reading: CostLimitReading,
    /// Cost per hour: 108,000.
    pub cost_per_hour: u64,
    /// User activity and search requests in flight: 10.
    pub user_lookup_concurrent: u64,
    /// User activity and search requests per hour: 360.
    pub user_lookup_per_hour: u64,
    /// Profile requests per minute: 600.
    pub profile_per_minute: u64,
    /// Cohort download requests in flight: 4.
    pub cohort_requests_concurrent: u64,
    /// Cohort download requests per 10 minutes: 60.
    pub cohort_requests_per_10_minutes: u64,
    /// User Privacy API requests in flight: 8.
    pub privacy_concurrent: u64,
    /// User Privacy API requests per second: 1.
    pub privacy_per_second: u64,
    /// Taxonomy API cost in flight: 4.
    pub taxonomy_concurrent_cost: u64,
    /// Taxonomy API cost per hour: 7,200.
    pub taxonomy_cost_per_hour: u64,
    /// Emulated seconds per real second for the windows: 100 makes an hour last 36 s.
    pub time_scale: f64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            enabled: true,
            concurrent_requests: limits.concurrent_requests.value,
            concurrent_cost: limits.concurrent_cost.value,
            cost_reading: limits.concurrent_cost_reading,
            cost_per_hour: limits.cost_per_hour.value,
            user_lookup_concurrent: limits.user_lookup_concurrent.value,
            user_lookup_per_hour: limits.user_lookup_per_hour.value,
            profile_per_minute: limits.profile_per_minute.value,
            cohort_requests_concurrent: limits.cohort_requests_concurrent.value,
            cohort_requests_per_10_minutes: limits.cohort_requests_per_10_minutes.value,
            privacy_concurrent: limits.privacy_concurrent.value,
            privacy_per_second: limits.privacy_per_second.value,
            taxonomy_concurrent_cost: limits.taxonomy_concurrent_cost.value,
            taxonomy_cost_per_hour: limits.taxonomy_cost_per_hour.value,
            time_scale: 1.0,
        }
    }
}

impl LimitsConfig {
    /// The limits table these numbers make: the documented table, with a limit of one's own
    /// wherever a number differs from it.
    pub fn limits(&self) -> Limits {
        fn set(limit: &mut Limit, value: u64) {
            if limit.value != value {
                *limit = Limit::custom(value, limit.window);
            }
        }
        let mut limits = Limits::default();
        set(&mut limits.concurrent_requests, self.concurrent_requests);
        set(&mut limits.concurrent_cost, self.concurrent_cost);
        limits.concurrent_cost_reading = self.cost_reading;
        set(&mut limits.cost_per_hour, self.cost_per_hour);
        set(
            &mut limits.user_lookup_concurrent,
            self.user_lookup_concurrent,
        );
        set(&mut limits.user_lookup_per_hour, self.user_lookup_per_hour);
        set(&mut limits.profile_per_minute, self.profile_per_minute);
        set(
            &mut limits.cohort_requests_concurrent,
            self.cohort_requests_concurrent,
        );
        set(
            &mut limits.cohort_requests_per_10_minutes,
            self.cohort_requests_per_10_minutes,
        );
        set(&mut limits.privacy_concurrent, self.privacy_concurrent);
        set(&mut limits.privacy_per_second, self.privacy_per_second);
        set(
            &mut limits.taxonomy_concurrent_cost,
            self.taxonomy_concurrent_cost,
        );
        set(
            &mut limits.taxonomy_cost_per_hour,
            self.taxonomy_cost_per_hour,
        );
        limits
    }
}

/// What one ingestion request may carry, as Amplitude documents it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct IngestionConfig {
    /// Events in one `/2/httpapi` request: 2,000.
    pub max_events: usize,
    /// Bytes in one `/2/httpapi` request body: 1 MB.
    pub max_http_api_bytes: usize,
    /// Bytes in one `/batch` request body: 20 MB.
    pub max_batch_bytes: usize,
    /// The shortest `user_id` or `device_id` `/2/httpapi` takes, unless the request's
    /// `options.min_id_length` says otherwise: 5.
    pub min_id_length: usize,
    /// Events a second one user or device may send to `/2/httpapi`, averaged over 10 s
    /// (Amplitude: 30); unchecked when absent, the default.
    pub events_per_second: Option<f64>,
}

impl Default for IngestionConfig {
    fn default() -> Self {
        Self {
            max_events: 2_000,
            max_http_api_bytes: 1024 * 1024,
            max_batch_bytes: 20 * 1024 * 1024,
            min_id_length: 5,
            events_per_second: None,
        }
    }
}

/// Faults to inject into API answers, for reliability tests. Rates are shares of requests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultsConfig {
    /// Seed of the fault dice.
    pub seed: u64,
    /// Share answered 429.
    pub rate_429: f64,
    /// Share answered 500.
    pub rate_500: f64,
    /// Share answered 503.
    pub rate_503: f64,
    /// Delay added to every answer, ms.
    pub latency_ms: u64,
    /// Share whose connection is cut mid-body.
    pub reset_rate: f64,
    /// Share whose body is cut short.
    pub truncate_rate: f64,
}

/// How a cohort download answers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CohortDownloadConfig {
    /// Seconds a download stays `JOB INPROGRESS` after its request; 0 by default.
    pub in_progress_secs: u64,
    /// Answer the file with a 302 to a stand-in for the pre-signed URL, on another host name.
    pub redirect: bool,
}

/// How deletion jobs (`/api/2/deletions/users`) run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct DeletionsConfig {
    /// Seconds a job stays `Staging` (users can be taken out) before it runs and its users'
    /// data is deleted; 0 by default: at once.
    pub delay_secs: u64,
}

/// How `/api/2/export` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ExportConfig {
    /// Seconds after reaching the project before an event can be exported (Amplitude: about
    /// 7,200). 0 by default: exportable at once.
    pub delay_secs: u64,
    /// The largest archive, in bytes, answered; a larger one gets Amplitude's 400 "too large"
    /// (Amplitude: 4 GB).
    pub max_bytes: u64,
    /// Lines per gzip member; an hour with more is split into members `#0`, `#1`, ...
    pub member_lines: usize,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            delay_secs: 0,
            max_bytes: 4 << 30,
            member_lines: 100_000,
        }
    }
}

/// A behavioural cohort: users who match `segment`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CohortConfig {
    /// The cohort ID (as in a cohort URL, and in `userdata_cohort` conditions).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its definition, as a Dashboard segment.
    pub segment: Segment,
}

/// A computed user property.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ComputationConfig {
    /// The computation ID (`comp_id`).
    pub id: String,
    /// Its name: the key under which it appears in `amp_props`.
    pub name: String,
    /// `count` of `event`, or `sum` of `property` over `event`.
    pub kind: ComputationKind,
    /// The event counted or summed.
    pub event: String,
    /// The event property summed, for `sum`.
    pub property: Option<String>,
    /// Only the last `days` days (before "now"); all time when absent.
    pub days: Option<u32>,
}

/// What a computation computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ComputationKind {
    /// How many times the user did the event.
    Count,
    /// The sum of a property over the user's events.
    Sum,
}

/// A recommendation: the items of `item_property` on `event`, ranked by popularity among other
/// users, without the ones the user already had.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RecommendationConfig {
    /// The recommendation ID (`rec_id`).
    pub id: String,
    /// The event whose property names items.
    pub event: String,
    /// The event property that names an item.
    pub item_property: String,
    /// Share of users in the control group, 0 to 1; they get random items.
    #[serde(default)]
    pub control_share: f64,
    /// The `recommendation_source` reported.
    #[serde(default = "default_model")]
    pub model: String,
    /// Items returned.
    #[serde(default = "default_item_count")]
    pub items: usize,
}

fn default_model() -> String {
    "model".into()
}

fn default_item_count() -> usize {
    5
}

/// A prediction: the propensity to do `event`, scored from the user's own history.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PredictionConfig {
    /// The prediction ID (`prediction_id`).
    pub id: String,
    /// The event predicted.
    pub event: String,
}

/// A saved chart: its ID and the Dashboard request it stands for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ChartConfig {
    /// The chart ID.
    pub id: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// The request, as a path and query string: `/api/2/events/segmentation?e=...`.
    pub query: String,
}
