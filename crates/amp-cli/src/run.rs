//! Running a parsed command: answering a query, dry runs and costs, batches, the emulator and
//! the demo, and the exit code each failure maps to.

use std::fmt;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use amplitude_api::cohorts::CohortError;
use amplitude_api::export::ExportError;
use amplitude_api::transport::{Client, Error, ErrorKind};
use clap::CommandFactory as _;

use crate::cli::{Cli, Command, Format, OutputArgs};
use crate::query::{Built, Usage};
use crate::{
    annotations, batch, chart, cohorts, deletions, demo, export, output, plot, query, releases,
    target, taxonomy,
};

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The user can fix it by changing the command line or the environment.
    Usage(String),
    /// The request went wrong, at Amplitude or on the way.
    Api(Error),
    /// A local file could not be read or written.
    Local(String),
    /// An export failed.
    Export(Box<ExportError>),
    /// A cohort download failed.
    Cohort(Box<CohortError>),
}

impl fmt::Display for Failure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::Local(message) => formatter.write_str(message),
            Self::Api(error) => write!(formatter, "{error}"),
            Self::Export(error) => write!(formatter, "{error}"),
            Self::Cohort(error) => write!(formatter, "{error}"),
        }
    }
}

impl From<Usage> for Failure {
    fn from(Usage(message): Usage) -> Self {
        Self::Usage(message)
    }
}

/// The exit code for a failure (see the module documentation).
pub fn exit_code(failure: &Failure) -> i32 {
    match failure {
        Failure::Local(_) => 1,
        Failure::Usage(_) => 2,
        Failure::Api(error) => api_exit_code(error),
        Failure::Export(error) => match error.as_ref() {
            ExportError::Request(error) => api_exit_code(error),
            ExportError::Spool(_) => 1,
            // Amplitude's answer: an hour too large for it, or an archive that does not read.
            _ => 3,
        },
        Failure::Cohort(error) => match error.as_ref() {
            CohortError::Request(error) => api_exit_code(error),
            // Amplitude's answer: a job that failed or is not done, a file that does not read.
            _ => 3,
        },
    }
}

fn api_exit_code(error: &Error) -> i32 {
    match error.kind() {
        ErrorKind::NotBuilt => 2,
        ErrorKind::Transport | ErrorKind::Timeout => 4,
        _ => 3,
    }
}

/// How answers are shown.
#[derive(Debug, Clone)]
pub struct Show {
    /// The output format.
    pub format: Format,
    /// Draw a terminal chart.
    pub chart: bool,
    /// Write a picture here.
    pub plot: Option<PathBuf>,
}

impl Show {
    /// What the flags ask for; without a format, `default`.
    pub fn of(args: &OutputArgs, default: Format) -> Self {
        let format = match (args.json, args.format) {
            (true, _) => Format::Json,
            (false, Some(format)) => format,
            (false, None) => default,
        };
        Self {
            format,
            chart: args.chart,
            plot: args.plot.clone(),
        }
    }
}

/// Sends `query` and shows its answer.
pub async fn answer(
    client: &Client,
    query: &dyn Built,
    show: &Show,
    title: &str,
) -> Result<(), Failure> {
    let answer = query.send(client).await.map_err(Failure::Api)?;
    for warning in &answer.warnings {
        eprintln!("ampq: warning: {warning}");
    }
    let mut out = std::io::stdout().lock();
    let local = |error: std::io::Error| Failure::Local(format!("cannot write the answer: {error}"));
    match output::write(&mut out, &answer, show.format) {
        // A reader that stopped early (`| head`) got what it wanted.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        written => written.map_err(local)?,
    }
    if show.chart || show.plot.is_some() {
        if answer.drawable() {
            if show.chart {
                let drawn = chart::terminal(&answer);
                // The chart goes beside a table; it must not corrupt JSON or CSV.
                if show.format == Format::Table {
                    writeln!(out, "\n{drawn}").map_err(local)?;
                } else {
                    eprintln!("{drawn}");
                }
            }
            if let Some(path) = &show.plot {
                plot::write(path, &answer, title).map_err(Failure::Local)?;
                eprintln!("ampq: wrote {}", path.display());
            }
        } else {
            eprintln!("ampq: this answer has nothing to draw");
        }
    }
    Ok(())
}

/// What a dry run prints: the request line, then the cost (the Profile API has none).
pub fn dry_run(client: &Client, query: &dyn Built) -> Result<String, Failure> {
    let request = query.request()?;
    let http = client.http_request(&request).map_err(Failure::Api)?;
    let mut shown = format!("{} {}", http.method, http.url);
    if let Some(cost) = cost_line(&request) {
        shown = format!("{shown}\n{cost}");
    }
    Ok(shown)
}

/// `cost: ...` for a request against the query-cost budget; `None` for the Profile API, which
/// counts requests (600 a minute), not cost.
pub fn cost_line(request: &amplitude_api::transport::Request) -> Option<String> {
    (request.family != amplitude_api::transport::ApiFamily::Profile)
        .then(|| format!("cost: {}", request.cost))
}

/// Today in UTC, where relative date ranges end.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Runs the command `cli` names; its exit code when it ends without a failure.
pub async fn run(cli: Cli) -> Result<i32, Failure> {
    let terminal = if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    };
    let show = Show::of(&cli.output, terminal);
    if let Some(path) = &show.plot {
        plot::Picture::of(path).map_err(Failure::Usage)?;
    }
    match cli.command {
        Command::Query(query) => {
            let built = query::build(&query, today())?;
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            if cli.output.dry_run {
                println!("{}", dry_run(&client, built.as_ref())?);
            } else {
                answer(&client, built.as_ref(), &show, &query.title()).await?;
            }
        }
        Command::Cost { query } => {
            println!("{}", query::build(&query, today())?.request()?.cost.total());
        }
        Command::Batch { file, in_flight } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(&file)
            }
            .map_err(|error| Failure::Local(format!("{}: {error}", file.display())))?;
            let client = target::client(&cli.target, false).map_err(Failure::Usage)?;
            return Ok(batch::run(&client, &text, in_flight, today()).await);
        }
        Command::Export(args) => {
            let range = export::range(&args)?;
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            if cli.output.dry_run {
                let request = export::request(range);
                let http = client.http_request(&request).map_err(Failure::Api)?;
                println!("{} {}", http.method, http.url);
            } else {
                export::run(&client, &args).await?;
            }
        }
        Command::Cohorts(command) => {
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            let written = Show::of(&cli.output, Format::Table).format;
            cohorts::run(&client, &command, &show, written, cli.output.dry_run).await?;
        }
        Command::Annotations(command) => {
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            let written = Show::of(&cli.output, Format::Table).format;
            annotations::run(&client, &command, &show, written, cli.output.dry_run).await?;
        }
        Command::Releases(command) => {
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            let written = Show::of(&cli.output, Format::Table).format;
            releases::run(&client, command, written, cli.output.dry_run).await?;
        }
        Command::Deletions(command) => {
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            let written = Show::of(&cli.output, Format::Table).format;
            deletions::run(&client, command, &show, written, cli.output.dry_run).await?;
        }
        Command::Taxonomy(command) => {
            let client = target::client(&cli.target, cli.output.dry_run).map_err(Failure::Usage)?;
            let written = Show::of(&cli.output, Format::Table).format;
            taxonomy::run(&client, command, &show, written, cli.output.dry_run).await?;
        }
        Command::Emulator(options) => {
            amp_emulator::cli::serve(options)
                .await
                .map_err(|error| Failure::Local(error.to_string()))?;
        }
        Command::Demo { plots } => {
            demo::run(
                Show::of(&cli.output, Format::Table).format,
                plots.as_deref(),
            )
            .await?;
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ampq", &mut script);
            match std::io::stdout().write_all(&script) {
                Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(Failure::Local(format!("cannot write: {error}")));
                }
                _ => {}
            }
        }
    }
    Ok(0)
}
