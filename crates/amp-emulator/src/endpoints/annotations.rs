//! Chart annotations (v3) and their categories, kept in the project's managed state (and its
//! journal with `--state`): 404 for an unknown annotation or category (a create naming an
//! unknown category too), 409 for a category name taken, 400 for an invalid field. The list
//! filters by category name or chart, and by time: an annotation starting before `start`, or
//! ending (starting, if it has no end) after `end`, is left out. The legacy v2 list shows the
//! same annotations with their start day as `date`. Releases with `chart_visibility` appear
//! here as annotations too (see `releases`).

#![allow(
    clippy::needless_pass_by_value,
    reason = "a handler takes its query by value whether or not it keeps it: one signature for all (`request::handler`)"
)]

use amp_model::Success;
use amp_model::annotations::{
    Annotation, AnnotationCategoryQuery, AnnotationQuery, AnnotationV2,
    AssignAnnotationCategoryQuery, CreateAnnotationCategoryQuery, CreateAnnotationQuery, Data,
    DeleteAnnotationCategoryQuery, DeleteAnnotationQuery, ListAnnotationCategoriesQuery,
    ListAnnotationsQuery, ListAnnotationsV2Query, RenameAnnotationCategoryQuery, RenamedCategory,
    UpdateAnnotationQuery,
};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::managed::Change;
use crate::project::Project;
use crate::respond::{commit, json_response, nested_error, not_found};
use crate::state::AppState;

/// 200 with `value` as JSON.
fn ok(value: &impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, &json!(value))
}

/// Applies `changes` and answers `then` of the project after them.
fn applied(
    state: &AppState,
    project: &mut Project,
    changes: &[Change],
    then: impl FnOnce(&Project) -> Response,
) -> Response {
    match commit(state, project, changes) {
        Ok(_) => then(project),
        Err(refused) => *refused,
    }
}

fn conflict(name: &str) -> Response {
    nested_error(
        StatusCode::CONFLICT,
        "conflict",
        "Category already exists",
        &format!("a category named `{name}` exists; choose another name"),
    )
}

/// `GET /api/3/annotations`.
pub fn list(query: ListAnnotationsQuery, _: &AppState, project: &mut Project) -> Response {
    let managed = &project.managed;
    let data: Vec<Annotation> = managed
        .annotations
        .keys()
        .filter_map(|id| managed.annotation(*id))
        .filter(|annotation| {
            let category = annotation.category.as_ref().map(|category| &category.name);
            query
                .category
                .as_ref()
                .is_none_or(|name| category == Some(name))
                && query
                    .chart_id
                    .as_ref()
                    .is_none_or(|chart| annotation.chart_id.as_ref() == Some(chart))
                && query.start.is_none_or(|start| annotation.start >= start)
                && query
                    .end
                    .is_none_or(|end| annotation.end.unwrap_or(annotation.start) <= end)
        })
        .collect();
    ok(&Data { data })
}

/// `GET /api/3/annotations/{annotation_id}`.
pub fn get(query: AnnotationQuery, _: &AppState, project: &mut Project) -> Response {
    answer_annotation(project, query.annotation_id)
}

/// `POST /api/3/annotations`.
pub fn create(query: CreateAnnotationQuery, state: &AppState, project: &mut Project) -> Response {
    let category = match &query.category {
        Some(name) => match project.managed.category_named(name) {
            Some(category) => Some(category),
            None => return not_found("annotation category", name),
        },
        None => None,
    };
    let mut annotation = Annotation::new(project.managed.next_id(), query.label, query.start);
    annotation.end = query.end;
    annotation.details = query.details;
    annotation.category = category;
    annotation.chart_id = query.chart_id;
    let id = annotation.id;
    applied(
        state,
        project,
        &[Change::PutAnnotation { annotation }],
        |project| answer_annotation(project, id),
    )
}

fn answer_annotation(project: &Project, id: u64) -> Response {
    match project.managed.annotation(id) {
        Some(data) => ok(&Data { data }),
        None => not_found("annotation", &id.to_string()),
    }
}

/// `PUT /api/3/annotations/{annotation_id}`: the fields given change, the others stay.
pub fn update(query: UpdateAnnotationQuery, state: &AppState, project: &mut Project) -> Response {
    let id = query.annotation_id;
    let Some(mut annotation) = project.managed.annotation(id) else {
        return not_found("annotation", &id.to_string());
    };
    if let Some(name) = &query.category {
        match project.managed.category_named(name) {
            Some(category) => annotation.category = Some(category),
            None => return not_found("annotation category", name),
        }
    }
    if let Some(label) = query.label {
        annotation.label = label;
    }
    if let Some(start) = query.start {
        annotation.start = start;
    }
    if let Some(chart_id) = query.chart_id {
        annotation.chart_id = chart_id;
    }
    if let Some(details) = query.details {
        annotation.details = Some(details);
    }
    if let Some(end) = query.end {
        annotation.end = end;
    }
    if annotation.end.is_some_and(|end| end < annotation.start) {
        return nested_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid request",
            "`end` would be before `start`",
        );
    }
    applied(
        state,
        project,
        &[Change::PutAnnotation { annotation }],
        |project| answer_annotation(project, id),
    )
}

/// `DELETE /api/3/annotations/{annotation_id}`.
pub fn delete(query: DeleteAnnotationQuery, state: &AppState, project: &mut Project) -> Response {
    let id = query.annotation_id;
    if !project.managed.annotations.contains_key(&id) {
        return not_found("annotation", &id.to_string());
    }
    applied(state, project, &[Change::DeleteAnnotation { id }], |_| {
        ok(&Success::DONE)
    })
}

/// `POST /api/3/annotation-categories`.
pub fn create_category(
    query: CreateAnnotationCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    if project.managed.category_named(&query.category).is_some() {
        return conflict(&query.category);
    }
    let id = project.managed.next_id();
    let change = Change::PutCategory {
        id,
        name: query.category,
    };
    applied(state, project, &[change], |project| {
        answer_category(project, id)
    })
}

fn answer_category(project: &Project, id: u64) -> Response {
    match project.managed.category(id) {
        Some(data) => ok(&Data { data }),
        None => not_found("annotation category", &id.to_string()),
    }
}

/// `GET /api/3/annotation-categories`.
pub fn list_categories(
    query: ListAnnotationCategoriesQuery,
    _: &AppState,
    project: &mut Project,
) -> Response {
    let managed = &project.managed;
    let data: Vec<_> = managed
        .categories
        .keys()
        .filter_map(|id| managed.category(*id))
        .filter(|category| {
            query
                .category
                .as_ref()
                .is_none_or(|name| &category.name == name)
        })
        .collect();
    ok(&Data { data })
}

/// `GET /api/3/annotation-categories/{category_id}`.
pub fn get_category(
    query: AnnotationCategoryQuery,
    _: &AppState,
    project: &mut Project,
) -> Response {
    answer_category(project, query.category_id)
}

/// `PUT /api/3/annotation-categories/{category_id}`: answered `{id, category}`, as Amplitude
/// documents it.
pub fn rename_category(
    query: RenameAnnotationCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let id = query.category_id;
    if project.managed.category(id).is_none() {
        return not_found("annotation category", &id.to_string());
    }
    if project
        .managed
        .category_named(&query.category)
        .is_some_and(|other| other.id != id)
    {
        return conflict(&query.category);
    }
    let name = query.category;
    let change = Change::PutCategory {
        id,
        name: name.clone(),
    };
    applied(state, project, &[change], |_| {
        ok(&Data {
            data: RenamedCategory::new(id, name),
        })
    })
}

/// `DELETE /api/3/annotation-categories/{category_id}`.
pub fn delete_category(
    query: DeleteAnnotationCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let id = query.category_id;
    if project.managed.category(id).is_none() {
        return not_found("annotation category", &id.to_string());
    }
    applied(state, project, &[Change::DeleteCategory { id }], |_| {
        ok(&Success::DONE)
    })
}

/// `PUT /api/3/annotation-categories/bulk/{category_id}`: every annotation named, or none
/// when one is unknown. The answer shows each category as `{id, category}`, as documented.
pub fn assign_category(
    query: AssignAnnotationCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let Some(category) = project.managed.category(query.category_id) else {
        return not_found("annotation category", &query.category_id.to_string());
    };
    let mut changes = Vec::new();
    for id in &query.annotation_ids {
        let Some(mut annotation) = project.managed.annotation(*id) else {
            return not_found("annotation", &id.to_string());
        };
        annotation.category = Some(category.clone());
        changes.push(Change::PutAnnotation { annotation });
    }
    let ids = query.annotation_ids;
    applied(state, project, &changes, |project| {
        let data: Vec<Value> = ids
            .iter()
            .filter_map(|id| project.managed.annotation(*id))
            .map(|annotation| {
                let mut value = json!(annotation);
                if let Some(category) = &annotation.category {
                    value["category"] = json!({"id": category.id, "category": category.name});
                }
                value
            })
            .collect();
        ok(&json!({ "data": data }))
    })
}

/// `GET /api/2/annotations`: the legacy list.
pub fn list_v2(_: ListAnnotationsV2Query, _: &AppState, project: &mut Project) -> Response {
    let managed = &project.managed;
    let data: Vec<AnnotationV2> = managed
        .annotations
        .values()
        .map(|annotation| {
            AnnotationV2::new(
                annotation.id,
                annotation.start.date().format("%Y-%m-%d").to_string(),
                annotation.label.clone(),
                annotation.details.clone(),
            )
        })
        .collect();
    ok(&Data { data })
}
