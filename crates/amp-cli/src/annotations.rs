//! `ampq annotations list|get|create|update|delete|list-v2|categories|category|add-category|
//! rename-category|delete-category|assign`: the Chart Annotations API (v3, and the v2 list).

use std::fmt::Write as _;

use amplitude_api::project::annotations::{
    Annotation, AssignAnnotationCategory, CreateAnnotation, CreateAnnotationCategory,
    DeleteAnnotation, DeleteAnnotationCategory, GetAnnotation, GetAnnotationCategory,
    ListAnnotationCategories, ListAnnotations, ListAnnotationsV2, RenameAnnotationCategory,
    UpdateAnnotation,
};
use amplitude_api::transport::Client;

use crate::cli::{Annotations, Format};
use crate::query::{self, Built};
use crate::run::{self, Failure, Show, answer};
use crate::write;

/// Runs `command`, reads shown as `show` says, writes' answers in `written`; with `dry_run`,
/// prints the request instead.
#[allow(
    clippy::too_many_lines,
    reason = "one short arm per subcommand of the API's twelve endpoints"
)]
pub async fn run(
    client: &Client,
    command: &Annotations,
    show: &Show,
    written: Format,
    dry_run: bool,
) -> Result<(), Failure> {
    match command.clone() {
        Annotations::List {
            category,
            chart_id,
            start,
            end,
        } => {
            let mut list = ListAnnotations::new();
            list.query_mut().category = category;
            list.query_mut().chart_id = chart_id;
            list.query_mut().start = start;
            list.query_mut().end = end;
            read(client, query::typed(list).as_ref(), show, dry_run).await
        }
        Annotations::Categories => {
            let list = query::typed(ListAnnotationCategories::new());
            read(client, list.as_ref(), show, dry_run).await
        }
        Annotations::Create {
            label,
            start,
            end,
            category,
            chart_id,
            details,
        } => {
            let mut create = CreateAnnotation::new(label, start);
            let fields = create.query_mut();
            fields.end = end;
            fields.category = category;
            fields.chart_id = chart_id;
            fields.details = details;
            write::send(client, &create, written, dry_run, |answer| {
                format!("created {}", described(&answer.data))
            })
            .await
        }
        Annotations::Update {
            id,
            label,
            start,
            end,
            no_end,
            category,
            chart_id,
            global,
            details,
        } => {
            let mut update = UpdateAnnotation::new(id);
            let fields = update.query_mut();
            fields.label = label;
            fields.start = start;
            fields.end = if no_end { Some(None) } else { end.map(Some) };
            fields.category = category;
            fields.chart_id = if global {
                Some(None)
            } else {
                chart_id.map(Some)
            };
            fields.details = details;
            write::send(client, &update, written, dry_run, |answer| {
                format!("updated {}", described(&answer.data))
            })
            .await
        }
        Annotations::AddCategory { name } => {
            let create = CreateAnnotationCategory::new(name);
            write::send(client, &create, written, dry_run, |answer| {
                format!(
                    "created category {} \"{}\"",
                    answer.data.id, answer.data.name
                )
            })
            .await
        }
        Annotations::Get { id } => {
            read(
                client,
                query::typed(GetAnnotation::new(id)).as_ref(),
                show,
                dry_run,
            )
            .await
        }
        Annotations::ListV2 => {
            read(
                client,
                query::typed(ListAnnotationsV2::new()).as_ref(),
                show,
                dry_run,
            )
            .await
        }
        Annotations::Category { id } => {
            let category = query::typed(GetAnnotationCategory::new(id));
            read(client, category.as_ref(), show, dry_run).await
        }
        Annotations::RenameCategory { id, name } => {
            let rename = RenameAnnotationCategory::new(id, name);
            write::send(client, &rename, written, dry_run, |answer| {
                format!(
                    "renamed category {} to \"{}\"",
                    answer.data.id, answer.data.category
                )
            })
            .await
        }
        Annotations::DeleteCategory { id } => {
            let delete = DeleteAnnotationCategory::new(id);
            write::send(client, &delete, written, dry_run, |_| {
                format!("deleted category {id}")
            })
            .await
        }
        Annotations::Assign { category_id, ids } => {
            let assign = AssignAnnotationCategory::new(category_id, ids);
            write::send(client, &assign, written, dry_run, |answer| {
                let ids: Vec<String> = answer.data.iter().map(|item| item.id.to_string()).collect();
                format!(
                    "put annotations {} in category {category_id}",
                    write::listed(&ids)
                )
            })
            .await
        }
        Annotations::Delete { id } => {
            write::send(client, &DeleteAnnotation::new(id), written, dry_run, |_| {
                format!("deleted annotation {id}")
            })
            .await
        }
    }
}

/// Answers `query`, or with `dry_run` prints its request line.
pub async fn read(
    client: &Client,
    query: &dyn Built,
    show: &Show,
    dry_run: bool,
) -> Result<(), Failure> {
    if dry_run {
        println!("{}", run::dry_run(client, query)?);
        return Ok(());
    }
    answer(client, query, show, "Annotations").await
}

/// `annotation 12 "v2.3" from 2025-11-01T07:00:00+00:00 to ..., category Releases, on chart
/// abc` for what changed.
fn described(annotation: &Annotation) -> String {
    let mut text = format!(
        "annotation {} \"{}\" at {}",
        annotation.id, annotation.label, annotation.start
    );
    if let Some(end) = annotation.end {
        let _ = write!(text, " to {end}");
    }
    if let Some(category) = &annotation.category {
        let _ = write!(text, ", category {}", category.name);
    }
    match &annotation.chart_id {
        Some(chart) => {
            let _ = write!(text, ", on chart {chart}");
        }
        None => text.push_str(", global"),
    }
    text
}
