//! `ampq deletions create|list|remove`: the User Privacy API's deletion jobs.

use amplitude_api::project::privacy::{
    CreateDeletion, DeletionJob, DeletionStatus, ListDeletions, RemoveFromDeletion,
};
use amplitude_api::transport::Client;

use crate::annotations::read;
use crate::cli::{Deletions, Format};
use crate::query;
use crate::run::{Failure, Show};
use crate::write;

/// Runs `command`, reads shown as `show` says, writes' answers in `written`; with `dry_run`,
/// prints the request instead.
pub async fn run(
    client: &Client,
    command: Deletions,
    show: &Show,
    written: Format,
    dry_run: bool,
) -> Result<(), Failure> {
    match command {
        Deletions::Create {
            user_ids,
            amplitude_ids,
            requester,
            ignore_invalid,
        } => {
            let mut create = CreateDeletion::new();
            let fields = create.query_mut();
            fields.user_ids = user_ids;
            fields.amplitude_ids = amplitude_ids;
            fields.requester = requester;
            if ignore_invalid {
                fields.ignore_invalid_id = Some(true);
            }
            write::send(client, &create, written, dry_run, described).await
        }
        Deletions::List { start, end } => {
            let list = query::typed(ListDeletions::new(start, end));
            read(client, list.as_ref(), show, dry_run).await
        }
        Deletions::Remove { amplitude_id, day } => {
            let remove = RemoveFromDeletion::new(amplitude_id, day);
            write::send(client, &remove, written, dry_run, |_| {
                format!("took user {amplitude_id} out of the deletion job of {day}")
            })
            .await
        }
    }
}

/// `deletion job of 2024-03-06: 2 users, Done; not found: x` for what changed.
fn described(job: &DeletionJob) -> String {
    let status = match &job.status {
        DeletionStatus::Staging => "Staging (users can still be taken out)".to_owned(),
        DeletionStatus::Submitted => "Submitted".to_owned(),
        DeletionStatus::Done => "Done (their data is deleted)".to_owned(),
        DeletionStatus::Other(other) => other.clone(),
        _ => format!("{:?}", job.status),
    };
    let invalid: Vec<String> = job.invalid_ids.iter().map(ToString::to_string).collect();
    format!(
        "deletion job of {}: {} users, {status}; ids of no user: {}",
        job.day,
        job.amplitude_ids.len(),
        write::listed(&invalid)
    )
}
