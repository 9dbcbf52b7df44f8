//! `ampq releases create`: the Releases API.

use amplitude_api::project::releases::CreateRelease;
use amplitude_api::transport::Client;

use crate::cli::{Format, Releases};
use crate::run::Failure;
use crate::write;

/// Runs `command`, its answer in `written`; with `dry_run`, prints the request instead.
pub async fn run(
    client: &Client,
    command: Releases,
    written: Format,
    dry_run: bool,
) -> Result<(), Failure> {
    let Releases::Create {
        version,
        title,
        start,
        end,
        description,
        platforms,
        created_by,
        hidden,
    } = command;
    let mut create = CreateRelease::new(version, start, title);
    let fields = create.query_mut();
    fields.release_end = end;
    fields.description = description;
    fields.platforms = platforms;
    fields.created_by = created_by;
    if hidden {
        fields.chart_visibility = Some(false);
    }
    write::send(client, &create, written, dry_run, |answer| {
        let release = &answer.release;
        let shown = if release.chart_visibility == Some(false) {
            "not shown on charts"
        } else {
            "shown on charts"
        };
        format!(
            "recorded release {} of version {} \"{}\" at {} UTC, {shown}",
            release.id, release.version, release.title, release.release_start
        )
    })
    .await
}
