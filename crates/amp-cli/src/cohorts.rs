//! `ampq cohorts list|download|upload|add|remove`: the Behavioral Cohorts API. A download
//! shows a spinner with the job's status on a terminal's stderr while Amplitude prepares the
//! file, then writes the members as CSV (the file's own columns) to standard output; an upload
//! reads the ids of a text file or of such a CSV, so a downloaded cohort uploads back.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use std::path::Path;

use amplitude_api::cohorts::{
    AMPLITUDE_ID, CohortIdType, CohortMember, DownloadCohort, JobStatus, ListCohorts, Membership,
    MembershipIdType, USER_ID, UpdateCohortMembership, UploadCohort,
};
use amplitude_api::transport::{Client, Endpoint as _};

use crate::cli::{Cohorts, Format, IdType, MembershipChange, Upload};
use crate::query;
use crate::run::{Failure, Show, answer};
use crate::write::{self, listed};

/// Runs `command`, reads shown as `show` says, writes' answers in `written`; with `dry_run`,
/// prints the request instead.
pub async fn run(
    client: &Client,
    command: &Cohorts,
    show: &Show,
    written: Format,
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
        Cohorts::Upload(upload) => self::upload(client, upload, written, dry_run).await,
        Cohorts::Add(change) => membership(client, change, true, written, dry_run).await,
        Cohorts::Remove(change) => membership(client, change, false, written, dry_run).await,
    }
}

async fn upload(
    client: &Client,
    upload: &Upload,
    format: Format,
    dry_run: bool,
) -> Result<(), Failure> {
    let (id_type, column) = match upload.id_type {
        IdType::UserId => (CohortIdType::UserId, USER_ID),
        IdType::AmplitudeId => (CohortIdType::AmplitudeId, AMPLITUDE_ID),
    };
    let ids = read_ids(&upload.file, column)?;
    let mut endpoint = UploadCohort::new(
        upload.name.clone(),
        upload.app_id,
        id_type,
        ids,
        upload.owner.clone(),
        upload.published,
    );
    if let Some(existing) = &upload.replace {
        endpoint = endpoint.replacing(existing.clone());
    }
    if upload.check {
        endpoint = endpoint.skip_save(true);
    }
    if upload.strict {
        endpoint = endpoint.skip_invalid_ids(false);
    }
    write::send(client, &endpoint, format, dry_run, |answer| {
        let metadata = &answer.metadata;
        let matched = format!(
            "{} of {} ids matched a user; not matched: {}",
            metadata.matched.unwrap_or_default(),
            metadata.totals.unwrap_or_default(),
            listed(&metadata.invalid_ids_sample)
        );
        match (&answer.cohort_id, &upload.replace) {
            (None, _) => format!("checked, nothing saved: {matched}"),
            (Some(id), Some(_)) => format!("replaced the members of cohort {id}: {matched}"),
            (Some(id), None) => format!("uploaded cohort {id} \"{}\": {matched}", upload.name),
        }
    })
    .await
}

async fn membership(
    client: &Client,
    change: &MembershipChange,
    add: bool,
    format: Format,
    dry_run: bool,
) -> Result<(), Failure> {
    let id_type = match change.id_type {
        IdType::UserId => MembershipIdType::Name,
        IdType::AmplitudeId => MembershipIdType::Id,
    };
    let ids = change.ids.clone();
    let count = ids.len();
    let membership = if add {
        Membership::add(id_type, ids)
    } else {
        Membership::remove(id_type, ids)
    };
    let mut endpoint = UpdateCohortMembership::new(change.id.clone(), vec![membership]);
    if change.strict {
        endpoint = endpoint.skip_invalid_ids(false);
    }
    write::send(client, &endpoint, format, dry_run, |answer| {
        let skipped: Vec<String> = answer
            .memberships_result
            .iter()
            .flat_map(|result| result.skipped_ids.iter().cloned())
            .collect();
        format!(
            "cohort {}: {} {} users; skipped (no such user): {}",
            answer.cohort_id,
            if add { "added" } else { "removed" },
            count - skipped.len(),
            listed(&skipped)
        )
    })
    .await
}

/// The ids in `path` (`-`: standard input): the `column` of a CSV whose header has it, else
/// one id per line. Blank lines are skipped.
fn read_ids(path: &Path, column: &str) -> Result<Vec<String>, Failure> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|error| Failure::Local(format!("cannot read {}: {error}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            return Err(Failure::Usage(format!("{}: {error}", path.display())));
        }
        None => return Err(Failure::Usage(format!("{}: no ids", path.display()))),
    };
    let ids: Vec<String> = match header.iter().position(|name| name == column) {
        Some(at) => records
            .map(|record| {
                record
                    .map(|record| record.get(at).unwrap_or_default().trim().to_owned())
                    .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))
            })
            .collect::<Result<_, _>>()?,
        None => text.lines().map(|line| line.trim().to_owned()).collect(),
    };
    let ids: Vec<String> = ids.into_iter().filter(|id| !id.is_empty()).collect();
    if ids.is_empty() {
        return Err(Failure::Usage(format!(
            "{}: no ids (one per line, or a CSV with a `{column}` column)",
            path.display()
        )));
    }
    Ok(ids)
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
