//! The command line: every subcommand and flag, as clap reads them.

// Doc comments here are `--help` text, where backticks would show.
#![allow(clippy::doc_markdown, clippy::doc_link_with_quotes)]

use std::path::PathBuf;

use amplitude_api::project::annotations::Timestamp;
use amplitude_api::project::privacy::Day;
use amplitude_api::project::releases::ReleaseTime;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Amplitude's User Profile and Dashboard REST APIs from the terminal.
///
/// Credentials come from AMPLITUDE_API_KEY and AMPLITUDE_SECRET_KEY (or a named project in the
/// config file); never from flags, which shells keep in their history.
#[derive(Debug, Parser)]
#[command(name = "ampq", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Log what is sent and how long it took, on stderr: -v each request's answer, -vv every
    /// step (RUST_LOG, when set, decides instead). Keys and secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  ampq demo                                        a tour against a built-in emulator
  ampq users --last 7d --group-by platform         daily active users by platform
  ampq segmentation --event 'Play Song' --where 'country is United States' --chart
  ampq funnel -e 'Open App' -e 'Play Song' --last 30d
  ampq cost retention --start-event _new --return-event _all --last 90d
  ampq segmentation -e 'Play Song' --last 7d --dry-run";

/// Where to send requests.
#[derive(Debug, Args)]
#[command(next_help_heading = "Target")]
pub struct Target {
    /// Data region: us or eu.
    #[arg(long, global = true, env = "AMPLITUDE_REGION")]
    pub region: Option<String>,
    /// Dashboard API host, e.g. an emulator's http://127.0.0.1:PORT.
    #[arg(long, global = true, env = "AMPLITUDE_BASE_URL")]
    pub base_url: Option<String>,
    /// User Profile API host.
    #[arg(long, global = true, env = "AMPLITUDE_PROFILE_BASE_URL")]
    pub profile_base_url: Option<String>,
    /// A named project of the config file, for its keys, region and hosts.
    #[arg(long, global = true, env = "AMPQ_PROJECT")]
    pub project: Option<String>,
    /// The config file [default: $XDG_CONFIG_HOME/ampq/config.toml or ~/.config/ampq/config.toml].
    #[arg(long, global = true, env = "AMPQ_CONFIG")]
    pub config: Option<PathBuf>,
    /// Share the project's rate budget with every other ampq or SDK process using this Redis
    /// (redis://HOST:PORT/), under the namespace --redis-namespace.
    #[arg(long, global = true, env = "AMPQ_REDIS_URL", value_name = "URL")]
    pub redis_url: Option<String>,
    /// The shared budget's namespace: one per Amplitude project.
    #[arg(
        long,
        global = true,
        env = "AMPQ_REDIS_NAMESPACE",
        default_value = "ampq"
    )]
    pub redis_namespace: String,
    /// The longest a query may take, retries included, in seconds; each attempt is cut at 30 s
    /// or less and tried again within it.
    #[arg(
        long,
        global = true,
        env = "AMPQ_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 120
    )]
    pub timeout: u64,
}

/// How to show answers.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Same as --format json.
    #[arg(long, global = true, conflicts_with = "format")]
    pub json: bool,
    /// Draw the answer in the terminal after the table: time series and retention curves as
    /// lines, funnels as horizontal bars.
    #[arg(long, global = true)]
    pub chart: bool,
    /// Write a picture to FILE (.svg or .png): time series as lines, a funnel as bars,
    /// retention as a heatmap.
    #[arg(long, global = true, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Send nothing: print the request (`GET https://...`) and its cost.
    #[arg(long, global = true)]
    pub dry_run: bool,
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// The response as Amplitude sent it: every key, numbers as written.
    Json,
    /// The tidy rows, one per value.
    Csv,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Query(Query),
    /// Print a query's cost against the project's limits, and nothing else.
    #[command(
        after_help = "Example:\n  ampq cost segmentation -e 'Play Song' --last 30d --group-by country"
    )]
    Cost {
        #[command(subcommand)]
        query: Query,
    },
    /// Run a file of queries (JSON Lines) concurrently under the rate governor.
    ///
    /// Each line is one subcommand's arguments as a JSON array (["users", "--last", "7d"]) or a
    /// raw endpoint ({"path": "/api/2/users", "params": {"start": "20240101", ...}}). Results are
    /// JSON Lines in input order; a failed line is reported and the rest go on.
    #[command(after_help = "Example:\n  ampq batch queries.jsonl > results.jsonl")]
    Batch {
        /// The file; `-` reads standard input.
        file: PathBuf,
        /// Queries in flight at once (the governor still keeps to the limits).
        #[arg(long, default_value_t = 5)]
        in_flight: usize,
    },
    /// Every raw event of a range of UTC hours (the Export API), one JSON line per event.
    ///
    /// The range is walked a window at a time (a day by default); a window Amplitude finds too
    /// large is halved, an hour without data skipped. With --checkpoint FILE, progress is kept
    /// after each window and a run started again with the same FILE resumes where the last one
    /// stopped (truncating --out to the last whole window, so no event is written twice).
    #[command(after_help = "Examples:
  ampq export --start 2024-03-01T00 --end 2024-03-31T23 --out march.jsonl.gz --checkpoint march.json
  ampq export --start 20240301T05 --end 20240301T05 | jq .event_type")]
    Export(Export),
    /// Behavioral cohorts: list them, download one's members as CSV, upload a cohort of ids,
    /// add or remove members.
    #[command(
        subcommand,
        after_help = "Examples:\n  ampq cohorts list\n  ampq cohorts download abc123 --prop-key plan > members.csv\n  ampq cohorts upload --name 'Beta testers' --id-type user-id --app-id 123 --owner me@example.com ids.txt\n  ampq cohorts add abc123 --ids alice,bob"
    )]
    Cohorts(Cohorts),
    /// Chart annotations: list, create, update, delete; their categories.
    #[command(
        subcommand,
        after_help = "Examples:\n  ampq annotations create --label 'v2.3 released' --start 2025-11-01T07:00:00+00:00 --category Releases\n  ampq annotations list --category Releases\n  ampq annotations update 12345 --end 2025-11-02 \n  ampq annotations delete 12345"
    )]
    Annotations(Annotations),
    /// Releases: record one, shown on charts as an annotation unless --hidden.
    #[command(
        subcommand,
        after_help = "Example:\n  ampq releases create --version 2.3.0 --title 'Big player update' --start '2025-11-01 07:00:00' --platform iOS"
    )]
    Releases(Releases),
    /// User privacy: ask for users' data to be deleted, list the deletion jobs of a range of days.
    #[command(
        subcommand,
        after_help = "Examples:\n  ampq deletions create --user-id alice --requester privacy@example.com\n  ampq deletions list --start 2024-03-01 --end 2024-03-31"
    )]
    Deletions(Deletions),
    /// The tracking plan (Taxonomy API): event categories, event types, event, user and group
    /// properties; list, get, create, update, delete, restore.
    #[command(
        subcommand,
        after_help = "Examples:\n  ampq taxonomy categories create Onboarding\n  ampq taxonomy events create 'Onboard Start' --category Onboarding --description 'First screen'\n  ampq taxonomy event-properties create 'Completed Task' --event-type 'Onboard Start' --type boolean --required true\n  ampq taxonomy user-properties list --show-deleted\n  ampq taxonomy events delete 'Onboard Start'"
    )]
    Taxonomy(Taxonomy),
    /// Run the emulator: a local Amplitude (same options as the amp-emulator binary).
    #[command(after_help = "Example:\n  ampq emulator --demo --port 8080")]
    Emulator(amp_emulator::cli::Options),
    /// A tour against an emulator with demo data started in this process: no account needed.
    #[command(after_help = "Example:\n  ampq demo\n  ampq demo --plots docs")]
    Demo {
        /// Also draw each step's picture, as PNG, into this folder (the README's are made so).
        #[arg(long, value_name = "DIR")]
        plots: Option<PathBuf>,
    },
    /// Print shell completions.
    #[command(after_help = "Example:\n  ampq completions bash > /etc/bash_completion.d/ampq")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `ampq cohorts`.
#[derive(Debug, Clone, Subcommand)]
pub enum Cohorts {
    /// Every cohort of the project, with its size.
    List {
        /// Also ask for each cohort's sync metadata (in the JSON output).
        #[arg(long)]
        sync_info: bool,
    },
    /// One cohort's members as CSV on standard output: user_id, amplitude_id, then the
    /// properties asked for. Progress goes to stderr while Amplitude prepares the file.
    Download {
        /// The cohort's id (from its URL, or `ampq cohorts list`).
        id: String,
        /// Include every user property of the members.
        #[arg(long)]
        props: bool,
        /// Include this user property (repeatable; implies --props).
        #[arg(long = "prop-key", value_name = "KEY")]
        prop_keys: Vec<String>,
        /// Give up waiting for Amplitude's file after this many seconds.
        #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
        deadline: u64,
    },
    /// Upload a cohort of the ids in FILE: one id per line, or a CSV with a `user_id` or
    /// `amplitude_id` column (what `ampq cohorts download` writes). Prints the new cohort's id
    /// and how the ids matched.
    Upload(Upload),
    /// Add users to an uploaded cohort.
    Add(MembershipChange),
    /// Remove users from an uploaded cohort.
    Remove(MembershipChange),
}

/// Which ids a cohort command lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdType {
    /// User IDs.
    UserId,
    /// Amplitude IDs.
    AmplitudeId,
}

/// `ampq cohorts upload`.
#[derive(Debug, Clone, Args)]
pub struct Upload {
    /// The cohort's name.
    #[arg(long)]
    pub name: String,
    /// Which ids FILE lists.
    #[arg(long, value_enum)]
    pub id_type: IdType,
    /// The project's id (app id), as Amplitude requires it.
    #[arg(long, env = "AMPLITUDE_APP_ID")]
    pub app_id: u64,
    /// The owner's login email.
    #[arg(long, env = "AMPLITUDE_OWNER")]
    pub owner: String,
    /// Make the cohort discoverable by others.
    #[arg(long)]
    pub published: bool,
    /// Replace the members of this uploaded cohort instead of creating one.
    #[arg(long, value_name = "COHORT_ID")]
    pub replace: Option<String>,
    /// Only check how the ids match; save nothing.
    #[arg(long)]
    pub check: bool,
    /// Refuse the whole upload if any id matches no user (by default such ids are skipped).
    #[arg(long)]
    pub strict: bool,
    /// The ids; `-` reads standard input.
    pub file: PathBuf,
}

/// `ampq cohorts add|remove`.
#[derive(Debug, Clone, Args)]
pub struct MembershipChange {
    /// The uploaded cohort's id.
    pub id: String,
    /// The ids, comma-separated.
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    pub ids: Vec<String>,
    /// Which ids --ids lists.
    #[arg(long, value_enum, default_value = "user-id")]
    pub id_type: IdType,
    /// Refuse the whole change if any id matches no user (by default such ids are skipped).
    #[arg(long)]
    pub strict: bool,
}

/// `ampq annotations`. Times are ISO 8601 with an offset (2025-11-01T07:00:00+00:00), or
/// `YYYY-MM-DD[THH:MM[:SS]]` in UTC.
#[derive(Debug, Clone, Subcommand)]
pub enum Annotations {
    /// The annotations, optionally of one category or chart, within a time range.
    List {
        /// Only this category's (by name).
        #[arg(long, conflicts_with = "chart_id")]
        category: Option<String>,
        /// Only this chart's.
        #[arg(long)]
        chart_id: Option<String>,
        /// Only those from this time on.
        #[arg(long, value_parser = time)]
        start: Option<Timestamp>,
        /// Only those up to this time (a range must end before it).
        #[arg(long, value_parser = time)]
        end: Option<Timestamp>,
    },
    /// Create an annotation: global, or on one chart (--chart-id).
    Create {
        /// Its label.
        #[arg(long)]
        label: String,
        /// When it starts.
        #[arg(long, value_parser = time)]
        start: Timestamp,
        /// When it ends, for a range.
        #[arg(long, value_parser = time)]
        end: Option<Timestamp>,
        /// Its category, by name (it must exist).
        #[arg(long)]
        category: Option<String>,
        /// The chart it is on.
        #[arg(long)]
        chart_id: Option<String>,
        /// Its details.
        #[arg(long)]
        details: Option<String>,
    },
    /// Change the given fields of an annotation; the others stay.
    Update {
        /// The annotation's id.
        id: u64,
        /// Its new label.
        #[arg(long)]
        label: Option<String>,
        /// Its new start.
        #[arg(long, value_parser = time)]
        start: Option<Timestamp>,
        /// Its new end.
        #[arg(long, value_parser = time, conflicts_with = "no_end")]
        end: Option<Timestamp>,
        /// Remove its end.
        #[arg(long)]
        no_end: bool,
        /// Its new category, by name.
        #[arg(long)]
        category: Option<String>,
        /// Move it to this chart.
        #[arg(long, conflicts_with = "global")]
        chart_id: Option<String>,
        /// Make it global (on no one chart).
        #[arg(long)]
        global: bool,
        /// Its new details.
        #[arg(long)]
        details: Option<String>,
    },
    /// Delete an annotation.
    Delete {
        /// The annotation's id.
        id: u64,
    },
    /// One annotation.
    Get {
        /// The annotation's id.
        id: u64,
    },
    /// The legacy (v2) list, for projects that still use it.
    ListV2,
    /// The annotation categories.
    Categories,
    /// One annotation category.
    Category {
        /// The category's id.
        id: u64,
    },
    /// Create an annotation category.
    AddCategory {
        /// Its name.
        name: String,
    },
    /// Rename an annotation category.
    RenameCategory {
        /// The category's id.
        id: u64,
        /// Its new name.
        name: String,
    },
    /// Delete an annotation category; its annotations lose it.
    DeleteCategory {
        /// The category's id.
        id: u64,
    },
    /// Put annotations in a category, all at once.
    Assign {
        /// The category's id.
        category_id: u64,
        /// The annotations' ids (repeatable, or comma-separated).
        #[arg(long, value_delimiter = ',', required = true, value_name = "ID")]
        ids: Vec<u64>,
    },
}

/// `ampq releases`.
#[derive(Debug, Clone, Subcommand)]
pub enum Releases {
    /// Record a release. Times are UTC (`yyyy-MM-dd HH:mm:ss`), or any form annotations take.
    Create {
        /// The version released.
        #[arg(long)]
        version: String,
        /// Its title.
        #[arg(long)]
        title: String,
        /// When it started.
        #[arg(long, value_parser = release_time)]
        start: ReleaseTime,
        /// When it ended.
        #[arg(long, value_parser = release_time)]
        end: Option<ReleaseTime>,
        /// Its description.
        #[arg(long)]
        description: Option<String>,
        /// A platform it is for (repeatable).
        #[arg(long = "platform", value_name = "PLATFORM")]
        platforms: Vec<String>,
        /// Who made it.
        #[arg(long)]
        created_by: Option<String>,
        /// Do not show it on charts.
        #[arg(long)]
        hidden: bool,
    },
}

/// `ampq deletions`.
#[derive(Debug, Clone, Subcommand)]
pub enum Deletions {
    /// Ask for users' data to be deleted (at most 100 ids in all): they join today's job.
    Create {
        /// A user to delete, by user ID (repeatable, or comma-separated).
        #[arg(long = "user-id", value_delimiter = ',', value_name = "USER_ID")]
        user_ids: Vec<String>,
        /// A user to delete, by Amplitude ID (repeatable, or comma-separated).
        #[arg(
            long = "amplitude-id",
            value_delimiter = ',',
            value_name = "AMPLITUDE_ID"
        )]
        amplitude_ids: Vec<u64>,
        /// Who asks, for the record.
        #[arg(long)]
        requester: Option<String>,
        /// Delete the valid ids when some name no user, instead of refusing.
        #[arg(long)]
        ignore_invalid: bool,
    },
    /// The deletion jobs of a range of days (at most 6 months), with their users and status.
    List {
        /// The first day, YYYY-MM-DD.
        #[arg(long, value_parser = day)]
        start: Day,
        /// The last day, YYYY-MM-DD.
        #[arg(long, value_parser = day)]
        end: Day,
    },
    /// Take one user out of a deletion job that has not run.
    Remove {
        /// The user's Amplitude ID.
        amplitude_id: u64,
        /// The job's day, YYYY-MM-DD.
        #[arg(long, value_parser = day)]
        day: Day,
    },
}

/// A day, `YYYY-MM-DD`.
fn day(text: &str) -> Result<Day, String> {
    text.parse()
        .map_err(|problem| format!("`{text}`: {problem}"))
}

/// A release time: Amplitude's `yyyy-MM-dd HH:mm:ss` (UTC), or any form [`time`] reads.
fn release_time(text: &str) -> Result<ReleaseTime, String> {
    text.parse()
        .or_else(|_| time(text).map(|time| ReleaseTime(time.0.naive_utc())))
}

/// A time as `ampq` takes it: ISO 8601 with an offset, or a UTC date or date and time.
fn time(text: &str) -> Result<Timestamp, String> {
    if let Ok(time) = text.parse() {
        return Ok(time);
    }
    let utc = |naive: chrono::NaiveDateTime| Timestamp(naive.and_utc().fixed_offset());
    for form in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, form) {
            return Ok(utc(naive));
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|day| utc(day.and_time(chrono::NaiveTime::MIN)))
        .map_err(|_| {
            format!("`{text}` is not a time: write 2025-11-01T07:00:00+00:00, 2025-11-01T07:00 (UTC) or 2025-11-01")
        })
}

/// `ampq export`.
#[derive(Debug, Clone, Args)]
pub struct Export {
    /// First hour, UTC, included: YYYY-MM-DDTHH or YYYYMMDDTHH.
    #[arg(long)]
    pub start: String,
    /// Last hour, UTC, included (at most 365 days after --start).
    #[arg(long)]
    pub end: String,
    /// Write to FILE instead of standard output; gzip when its name ends in .gz.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Keep progress in FILE after each window, and resume from it.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Hours per request.
    #[arg(long, default_value_t = 24, value_name = "HOURS")]
    pub window_hours: u32,
}

/// A query subcommand: one per endpoint.
#[derive(Debug, Clone, Subcommand)]
pub enum Query {
    /// One user's profile: properties, cohorts, computations, recommendations, propensities.
    #[command(
        after_help = "Example:\n  ampq profile --user-id user-42 --recs home-feed --cohorts --props"
    )]
    Profile(Profile),
    /// Event segmentation: counts of one or two events over time.
    #[command(
        after_help = "Example:\n  ampq segmentation -e 'Play Song' --metric totals --group-by platform --last 7d"
    )]
    Segmentation(Segmentation),
    /// A funnel: how many users go through the steps, in order.
    #[command(
        after_help = "Example:\n  ampq funnel -e 'Search Song' -e 'Play Song' --mode ordered --last 30d"
    )]
    Funnel(Funnel),
    /// Retention: of users who did one event, how many come back to do another.
    #[command(
        after_help = "Example:\n  ampq retention --start-event _new --return-event 'Play Song' --mode n-day --last 30d"
    )]
    Retention(Retention),
    /// Active or new users over time.
    #[command(after_help = "Example:\n  ampq users --metric new --interval weekly --last 90d")]
    Users(Users),
    /// Session lengths, averages, or sessions per user.
    #[command(after_help = "Example:\n  ampq sessions average --last 7d")]
    Sessions {
        #[command(subcommand)]
        kind: Sessions,
    },
    /// Users by the values of one property.
    #[command(after_help = "Example:\n  ampq composition --property country --last 7d")]
    Composition(Composition),
    /// The project's events, with this week's totals.
    #[command(after_help = "Example:\n  ampq events")]
    Events,
    /// One user's events, latest first.
    #[command(after_help = "Example:\n  ampq activity --user 12345 --limit 20")]
    Activity(Activity),
    /// Find users by user ID, device ID or Amplitude ID.
    #[command(after_help = "Example:\n  ampq search user-42")]
    Search {
        /// A user ID, device ID, Amplitude ID, or the start of a user ID.
        query: String,
    },
    /// Active users in the last day, in five-minute buckets.
    #[command(after_help = "Example:\n  ampq realtime --chart")]
    Realtime,
    /// Revenue lifetime value.
    #[command(after_help = "Example:\n  ampq ltv --metric arpu --last 30d")]
    Ltv(Ltv),
    /// A saved chart's results.
    #[command(after_help = "Example:\n  ampq chart abc123 --csv")]
    Chart {
        /// The chart ID (from its URL).
        id: String,
        /// Ask for the chart's CSV export instead of its JSON.
        #[arg(long)]
        csv: bool,
    },
}

/// The days a query covers.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Dates")]
pub struct Dates {
    /// First day, YYYY-MM-DD.
    #[arg(long, requires = "end", conflicts_with = "last")]
    pub start: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[arg(long, requires = "start")]
    pub end: Option<String>,
    /// The last N days (7d), weeks (4w) or months (3m, 30 days each) up to today (UTC)
    /// [default: 30d].
    #[arg(long, value_name = "N{d|w|m}")]
    pub last: Option<String>,
}

/// Who to count: segments compared side by side, in this order: each --segment, the --where
/// conditions joining the first of them (or making one of their own), then each --vs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Who")]
pub struct Who {
    /// A segment condition on a user property: "country is United States",
    /// "platform is not iOS,Android", "gp:age greater 30". Repeatable; all apply, to the first
    /// segment.
    #[arg(long = "where", value_name = "CONDITION")]
    pub conditions: Vec<String>,
    /// Compare with another segment, of this one condition (written as for --where); without
    /// --where or --segment, the first segment is all users. Repeatable.
    #[arg(long = "vs", value_name = "CONDITION")]
    pub versus: Vec<String>,
    /// A raw segment, as Amplitude's `s` JSON array. Repeatable: one segment each.
    #[arg(long, value_name = "JSON")]
    pub segment: Vec<String>,
    /// Group by this user property; twice for two (segmentation and users). Amplitude allows a
    /// group-by only with a single segment.
    #[arg(long, value_name = "PROPERTY")]
    pub group_by: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct Profile {
    /// The user's user ID.
    #[arg(long, required_unless_present = "device_id")]
    pub user_id: Option<String>,
    /// The user's device ID.
    #[arg(long)]
    pub device_id: Option<String>,
    /// Recommendation IDs to fetch.
    #[arg(long, value_delimiter = ',', value_name = "ID,ID")]
    pub recs: Vec<String>,
    /// Recommendation type: model or random.
    #[arg(long, requires = "recs")]
    pub rec_type: Option<String>,
    /// Include the user's properties.
    #[arg(long)]
    pub props: bool,
    /// Include the cohorts the user is in.
    #[arg(long)]
    pub cohorts: bool,
    /// Include every computation.
    #[arg(long)]
    pub computations: bool,
    /// Include these computations.
    #[arg(long, value_delimiter = ',', value_name = "ID,ID")]
    pub comp_id: Vec<String>,
    /// Include these predictions' propensities.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ID,ID",
        requires = "propensity_type"
    )]
    pub propensity: Vec<String>,
    /// How propensities are given: score or pct.
    #[arg(long)]
    pub propensity_type: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct Segmentation {
    /// An event: a name ('Play Song', _active, _all) or Amplitude's JSON. Twice for a second
    /// event.
    #[arg(short = 'e', long = "event", value_name = "EVENT", required = true)]
    pub events: Vec<String>,
    /// A filter on the first event's properties: "genre is jazz". Repeatable.
    #[arg(long, value_name = "CONDITION")]
    pub filter: Vec<String>,
    /// uniques, totals, pct_dau, average, histogram, sums, value_avg or formula.
    #[arg(long)]
    pub metric: Option<String>,
    /// realtime, hourly, daily, weekly or monthly (or Amplitude's number).
    #[arg(long)]
    pub interval: Option<String>,
    /// any or active.
    #[arg(long)]
    pub user_type: Option<String>,
    /// A formula over the events, with --metric formula: "UNIQUES(A) / UNIQUES(B)".
    #[arg(long)]
    pub formula: Option<String>,
    /// Most groups to return.
    #[arg(long)]
    pub limit: Option<u32>,
    #[command(flatten)]
    pub dates: Dates,
    #[command(flatten)]
    pub who: Who,
}

#[derive(Debug, Clone, Args)]
pub struct Funnel {
    /// A step: an event name or Amplitude's JSON. Two or more, in order.
    #[arg(short = 'e', long = "event", value_name = "EVENT", required = true)]
    pub events: Vec<String>,
    /// ordered, unordered or sequential.
    #[arg(long)]
    pub mode: Option<String>,
    /// active or new.
    #[arg(long)]
    pub user_type: Option<String>,
    /// How long users have to convert, in days.
    #[arg(long, value_name = "DAYS")]
    pub conversion_days: Option<u64>,
    /// realtime, hourly, daily, weekly or monthly.
    #[arg(long)]
    pub interval: Option<String>,
    #[command(flatten)]
    pub dates: Dates,
    #[command(flatten)]
    pub who: Who,
}

#[derive(Debug, Clone, Args)]
pub struct Retention {
    /// The starting event: a name (_new for new users) or Amplitude's JSON.
    #[arg(long, value_name = "EVENT")]
    pub start_event: String,
    /// The returning event: a name (_all for any event) or Amplitude's JSON.
    #[arg(long, value_name = "EVENT")]
    pub return_event: String,
    /// n-day, rolling or bracket.
    #[arg(long)]
    pub mode: Option<String>,
    /// A bracket of days, with --mode bracket: 0,7 for day 0 to day 6. Repeatable: one bracket
    /// each, in order.
    #[arg(long, value_name = "FROM,TO")]
    pub bracket: Vec<String>,
    /// daily, weekly or monthly.
    #[arg(long)]
    pub interval: Option<String>,
    #[command(flatten)]
    pub dates: Dates,
    #[command(flatten)]
    pub who: Who,
}

#[derive(Debug, Clone, Args)]
pub struct Users {
    /// active or new.
    #[arg(long)]
    pub metric: Option<String>,
    /// realtime, hourly, daily, weekly or monthly.
    #[arg(long)]
    pub interval: Option<String>,
    #[command(flatten)]
    pub dates: Dates,
    #[command(flatten)]
    pub who: Who,
}

/// Which session figure.
#[derive(Debug, Clone, Subcommand)]
pub enum Sessions {
    /// How many sessions fall in each length bin.
    Length(Dates),
    /// Average session length per day.
    Average(Dates),
    /// Average sessions per user per day.
    Peruser(Dates),
}

#[derive(Debug, Clone, Args)]
pub struct Composition {
    /// The user property.
    #[arg(long)]
    pub property: String,
    #[command(flatten)]
    pub dates: Dates,
}

#[derive(Debug, Clone, Args)]
pub struct Activity {
    /// The user's Amplitude ID (ampq search finds it).
    #[arg(long, value_name = "AMPLITUDE_ID")]
    pub user: u64,
    /// Most events to return.
    #[arg(long)]
    pub limit: Option<u32>,
    /// Events to skip.
    #[arg(long)]
    pub offset: Option<u32>,
    /// latest or earliest first.
    #[arg(long)]
    pub direction: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct Ltv {
    /// arpu, arppu, total_revenue or paying_users.
    #[arg(long)]
    pub metric: Option<String>,
    /// daily, weekly or monthly.
    #[arg(long)]
    pub interval: Option<String>,
    #[command(flatten)]
    pub dates: Dates,
    #[command(flatten)]
    pub who: Who,
}

impl Query {
    /// A title for a picture of the answer.
    pub fn title(&self) -> String {
        match self {
            Self::Segmentation(args) => format!("Event segmentation: {}", args.events.join(" vs ")),
            Self::Users(_) => "Users".to_owned(),
            Self::Sessions { kind } => match kind {
                Sessions::Length(_) => "Session length".to_owned(),
                Sessions::Average(_) => "Average session length".to_owned(),
                Sessions::Peruser(_) => "Sessions per user".to_owned(),
            },
            Self::Composition(args) => format!("Users by {}", args.property),
            Self::Realtime => "Realtime active users".to_owned(),
            Self::Chart { id, .. } => format!("Chart {id}"),
            Self::Ltv(_) => "Revenue LTV".to_owned(),
            Self::Funnel(args) => format!("Funnel: {}", args.events.join(" → ")),
            Self::Retention(args) => {
                format!("Retention: {} then {}", args.start_event, args.return_event)
            }
            _ => "ampq".to_owned(),
        }
    }
}

/// `ampq taxonomy`.
#[derive(Debug, Clone, Subcommand)]
pub enum Taxonomy {
    /// Event categories.
    #[command(subcommand)]
    Categories(TaxonomyCategories),
    /// Event types.
    #[command(subcommand)]
    Events(TaxonomyEvents),
    /// Event properties, shared or on one event type.
    #[command(subcommand)]
    EventProperties(TaxonomyEventProperties),
    /// User properties; custom ones are named gp:NAME.
    #[command(subcommand)]
    UserProperties(TaxonomyUserProperties),
    /// Group properties, shared or on one group type; custom ones are named grp:NAME.
    #[command(subcommand)]
    GroupProperties(TaxonomyGroupProperties),
}

/// `ampq taxonomy categories`.
#[derive(Debug, Clone, Subcommand)]
pub enum TaxonomyCategories {
    /// The event categories, with their ids.
    List,
    /// One, by name, with its id.
    Get {
        /// Its name.
        name: String,
    },
    /// Create one.
    Create {
        /// Its name.
        name: String,
    },
    /// Rename one.
    Rename {
        /// Its id.
        id: u64,
        /// Its new name.
        name: String,
    },
    /// Delete one; its event types lose their category.
    Delete {
        /// Its id.
        id: u64,
    },
}

/// `ampq taxonomy events`.
#[derive(Debug, Clone, Subcommand)]
pub enum TaxonomyEvents {
    /// The event types, planned and seen.
    List {
        /// Include deleted ones.
        #[arg(long)]
        show_deleted: bool,
    },
    /// One event type.
    Get {
        /// Its name.
        name: String,
    },
    /// Plan an event type.
    Create {
        /// Its name.
        name: String,
        /// Its category, by name.
        #[arg(long)]
        category: Option<String>,
        /// Its description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Change the fields given of an event type.
    Update {
        /// Its name.
        name: String,
        /// Its new name.
        #[arg(long = "rename", value_name = "NEW_NAME")]
        rename: Option<String>,
        /// Its category, by name.
        #[arg(long)]
        category: Option<String>,
        /// Its description.
        #[arg(long)]
        description: Option<String>,
        /// Its display name.
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Delete an event type (a planned one leaves the plan; a live one is marked deleted).
    Delete {
        /// Its name.
        name: String,
    },
    /// Restore a deleted event type.
    Restore {
        /// Its name.
        name: String,
    },
}

/// What a property create or update sets.
#[derive(Debug, Clone, Args)]
pub struct PropertyFields {
    /// Its description.
    #[arg(long)]
    pub description: Option<String>,
    /// Its data type: string, number, boolean, enum or any.
    #[arg(long = "type", value_name = "TYPE")]
    pub data_type: Option<String>,
    /// A regular expression its values must match (for string).
    #[arg(long)]
    pub regex: Option<String>,
    /// A value it allows, for enum (repeatable, or comma-separated).
    #[arg(long = "enum-value", value_delimiter = ',', value_name = "VALUE")]
    pub enum_values: Vec<String>,
    /// Whether its value is an array of TYPE.
    #[arg(long, value_name = "true|false")]
    pub array: Option<bool>,
    /// A classification: PII, SENSITIVE or REVENUE (repeatable, or comma-separated).
    #[arg(long = "classification", value_delimiter = ',', value_name = "CLASS")]
    pub classifications: Vec<String>,
}

/// `ampq taxonomy event-properties`.
#[derive(Debug, Clone, Subcommand)]
pub enum TaxonomyEventProperties {
    /// The shared event properties, or one event type's.
    List {
        /// Only this event type's.
        #[arg(long)]
        event_type: Option<String>,
    },
    /// One event property, shared or of one event type.
    Get {
        /// Its name.
        name: String,
        /// The event type it is on.
        #[arg(long)]
        event_type: Option<String>,
    },
    /// Plan an event property, shared or on one event type.
    Create {
        /// Its name.
        name: String,
        /// The event type it is on.
        #[arg(long)]
        event_type: Option<String>,
        /// Whether events must carry it.
        #[arg(long, value_name = "true|false")]
        required: Option<bool>,
        #[command(flatten)]
        fields: PropertyFields,
    },
    /// Change the fields given of an event property.
    Update {
        /// Its name.
        name: String,
        /// The event type whose property (or override) to change.
        #[arg(long)]
        event_type: Option<String>,
        /// With --event-type: change the override (made if none) or the shared property.
        #[arg(long, value_name = "override|shared", requires = "event_type")]
        scope: Option<String>,
        /// Its new name.
        #[arg(long = "rename", value_name = "NEW_NAME")]
        rename: Option<String>,
        /// Whether events must carry it.
        #[arg(long, value_name = "true|false")]
        required: Option<bool>,
        #[command(flatten)]
        fields: PropertyFields,
    },
    /// Delete an event property, or take it off one event type.
    Delete {
        /// Its name.
        name: String,
        /// Take it off this event type only.
        #[arg(long)]
        event_type: Option<String>,
    },
    /// Restore a deleted event property.
    Restore {
        /// Its name.
        name: String,
    },
}

/// `ampq taxonomy user-properties`.
#[derive(Debug, Clone, Subcommand)]
pub enum TaxonomyUserProperties {
    /// The user properties, Amplitude's own and custom (gp:NAME).
    List {
        /// Include deleted ones.
        #[arg(long)]
        show_deleted: bool,
    },
    /// One user property.
    Get {
        /// Its name (gp:NAME for a custom one).
        name: String,
    },
    /// Plan a user property.
    Create {
        /// Its name.
        name: String,
        #[command(flatten)]
        fields: PropertyFields,
    },
    /// Change the fields given of a user property.
    Update {
        /// Its name (gp:NAME for a custom one).
        name: String,
        /// Its new name.
        #[arg(long = "rename", value_name = "NEW_NAME")]
        rename: Option<String>,
        #[command(flatten)]
        fields: PropertyFields,
    },
    /// Delete a user property.
    Delete {
        /// Its name (gp:NAME for a custom one).
        name: String,
    },
    /// Restore a deleted user property.
    Restore {
        /// Its name (gp:NAME for a custom one).
        name: String,
    },
}

/// `ampq taxonomy group-properties`.
#[derive(Debug, Clone, Subcommand)]
pub enum TaxonomyGroupProperties {
    /// The shared group properties, or one group type's.
    List {
        /// Only this group type's.
        #[arg(long)]
        group_type: Option<String>,
    },
    /// One group property, shared or of one group type.
    Get {
        /// Its name (grp:NAME for a custom one).
        name: String,
        /// The group type it is on.
        #[arg(long)]
        group_type: Option<String>,
    },
    /// Plan a group property, shared or on one group type.
    Create {
        /// Its name.
        name: String,
        /// The group type it is on.
        #[arg(long)]
        group_type: Option<String>,
        #[command(flatten)]
        fields: PropertyFields,
    },
    /// Change the fields given of a group property.
    Update {
        /// Its name (grp:NAME for a custom one).
        name: String,
        /// The group type whose property (or override) to change.
        #[arg(long)]
        group_type: Option<String>,
        /// With --group-type: change the override (made if none) or the shared property.
        #[arg(long, value_name = "override|shared", requires = "group_type")]
        scope: Option<String>,
        /// Its new name.
        #[arg(long = "rename", value_name = "NEW_NAME")]
        rename: Option<String>,
        #[command(flatten)]
        fields: PropertyFields,
    },
}
