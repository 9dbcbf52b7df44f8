//! `ampq cohorts list` and `ampq cohorts download ID`: the Behavioral Cohorts API. A download
//! shows a spinner with the job's status on a terminal's stderr while Amplitude prepares the
//! file, then writes the members as CSV (the file's own columns) to standard output.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use amplitude_api::cohorts::{
    AMPLITUDE_ID, CohortMember, DownloadCohort, JobStatus, ListCohorts, USER_ID,
};
use amplitude_api::transport::{Client, Endpoint as _};

use crate::cli::Cohorts;
use crate::query;
use crate::run::{Failure, Show, answer};

/// Runs `command`; with `dry_run`, prints the request it would send first.
pub async fn run(
    client: &Client,
    command: &Cohorts,
    show: &Show,
    dry_run: bool,
) -> Result<(), Failure> {
    match command {
        Cohorts::List { sync_info } => {
            let mut list = ListCohorts::new();
            if *sync_info {
                list = list.include_sync_info(true);
            }
            let built = query::typed(list);
            if dry_run {
                let http = client
                    .http_request(&built.request()?)
                    .map_err(Failure::Api)?;
                println!("{} {}", http.method, http.url);
                return Ok(());
            }
            answer(client, built.as_ref(), show, "Cohorts").await
        }
        Cohorts::Download {
            id,
            props,
            prop_keys,
            deadline,
        } => {
            let mut download =
                DownloadCohort::new(id.clone()).deadline(Duration::from_secs(*deadline));
            if *props || !prop_keys.is_empty() {
                download = download.props(prop_keys.iter().cloned());
            }
            if dry_run {
                let request = download.request();
                request
                    .validate()
                    .map_err(|error| Failure::Usage(format!("{}: {error}", request.name())))?;
                let http = client
                    .http_request(&request.to_request())
                    .map_err(Failure::Api)?;
                println!("{} {}", http.method, http.url);
                return Ok(());
            }
            write(client, &download).await
        }
    }
}

/// Downloads the cohort and writes its members as CSV to standard output.
async fn write(client: &Client, download: &DownloadCohort) -> Result<(), Failure> {
    let spinner = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    spinner.enable_steady_tick(Duration::from_millis(200));
    let failed = |error| Failure::Cohort(Box::new(error));
    let mut members = download
        .start(client, |job| {
            let status = job
                .async_status
                .as_ref()
                .map_or("requested", JobStatus::as_str);
            spinner.set_message(format!("cohort {}: {status}", job.cohort_id));
        })
        .await
        .map_err(failed)?;
    spinner.set_message("downloading");
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    let mut columns: Option<Vec<String>> = None;
    let mut count = 0_u64;
    loop {
        let member = members.next().await.map_err(failed)?;
        if columns.is_none() {
            let header = members.columns().unwrap_or_default().to_vec();
            if !goes_on(out.write_record(&header))? {
                return Ok(());
            }
            columns = Some(header);
        }
        let Some(member) = member else { break };
        let cells = columns.iter().flatten().map(|column| cell(&member, column));
        if !goes_on(out.write_record(cells))? {
            return Ok(());
        }
        count += 1;
    }
    if !goes_on(out.flush().map_err(csv::Error::from))? {
        return Ok(());
    }
    spinner.finish_and_clear();
    let _ = writeln!(std::io::stderr(), "ampq: {count} members");
    Ok(())
}

/// Whether writing goes on after `written`: not when the reader stopped early (`| head`),
/// which got what it wanted.
fn goes_on(written: csv::Result<()>) -> Result<bool, Failure> {
    match written {
        Ok(()) => Ok(true),
        Err(error) => match error.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            _ => Err(Failure::Local(format!("cannot write the members: {error}"))),
        },
    }
}

/// The member's value in `column`, empty when it has none.
fn cell(member: &CohortMember, column: &str) -> String {
    match column {
        USER_ID => member.user_id.clone().unwrap_or_default(),
        AMPLITUDE_ID => member
            .amplitude_id
            .map_or_else(String::new, |id| id.to_string()),
        property => member.property(property).unwrap_or_default().to_owned(),
    }
}
