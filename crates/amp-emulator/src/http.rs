//! The HTTP surface: one route per catalogue endpoint, and ingestion.

use std::collections::BTreeMap;
use std::sync::Arc;

use amp_model::catalogue;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::endpoints;
use crate::endpoints::{Read, annotations, taxonomy};
use crate::request::{Pending, handler};
use crate::respond::{answer, invalid, nested_error, rate_limited, refused_credentials};
use crate::state::AppState;

/// Every route the emulator answers, one per catalogue endpoint, and ingestion; anything else
/// is a 404, and a method a route does not take a 405, both in Amplitude's error shape.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.read().config.ingestion.max_batch_bytes;
    // Endpoints sharing a path (a list and a create; a get by name and a rename by id) share
    // its route, one method each. Handlers read path parameters by position, so the route
    // names them by position too.
    let mut by_path: BTreeMap<String, MethodRouter<Arc<AppState>>> = BTreeMap::new();
    for spec in catalogue::ENDPOINTS {
        let Some(route) = route_of(spec) else {
            continue;
        };
        let path = route_path(spec.path);
        let merged = match by_path.remove(&path) {
            Some(existing) => existing.merge(route),
            None => route,
        };
        by_path.insert(path, merged);
    }
    let mut router = Router::new();
    for (path, route) in by_path {
        router = router.route(&path, route);
    }
    router
        .route(
            "/presigned/cohorts/{file}",
            get(endpoints::cohorts::presigned),
        )
        .route("/2/httpapi", post(endpoints::ingestion::http_api))
        .route("/batch", post(endpoints::ingestion::batch))
        .route("/identify", post(endpoints::ingestion::identify))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(limit_headers))
        .fallback(|| async {
            nested_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                "no such endpoint",
            )
        })
        .method_not_allowed_fallback(|| async {
            nested_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                "this endpoint does not take that method",
            )
        })
        .with_state(state)
}

/// `template` with its path parameters named by position (`/category/{1}`).
fn route_path(template: &str) -> String {
    let mut parameters = 0;
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                parameters += 1;
                format!("{{{parameters}}}")
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The route of endpoint `spec`, if the emulator serves it.
fn route_of(spec: &catalogue::EndpointSpec) -> Option<MethodRouter<Arc<AppState>>> {
    Some(match spec.name {
        name if name == catalogue::GET_USER_PROFILE.name => get(endpoints::profile::handle),
        name if name == catalogue::GET_CHART_RESULTS.name => get(endpoints::chart::query),
        name if name == catalogue::GET_CHART_CSV.name => get(endpoints::chart::csv),
        name if name == catalogue::EXPORT_EVENTS.name => get(endpoints::export::handle),
        name if name == catalogue::LIST_COHORTS.name => get(endpoints::cohorts::list),
        name if name == catalogue::REQUEST_COHORT.name => get(endpoints::cohorts::request),
        name if name == catalogue::GET_COHORT_REQUEST_STATUS.name => {
            get(endpoints::cohorts::status)
        }
        name if name == catalogue::GET_COHORT_FILE.name => get(endpoints::cohorts::file),
        name if name == catalogue::UPLOAD_COHORT.name => post(handler(endpoints::cohorts::upload)),
        name if name == catalogue::UPDATE_COHORT_MEMBERSHIP.name => {
            post(handler(endpoints::cohorts::membership))
        }
        name if name == catalogue::LIST_ANNOTATIONS.name => get(handler(annotations::list)),
        name if name == catalogue::GET_ANNOTATION.name => get(handler(annotations::get)),
        name if name == catalogue::CREATE_ANNOTATION.name => post(handler(annotations::create)),
        name if name == catalogue::UPDATE_ANNOTATION.name => put(handler(annotations::update)),
        name if name == catalogue::DELETE_ANNOTATION.name => delete(handler(annotations::delete)),
        name if name == catalogue::CREATE_ANNOTATION_CATEGORY.name => {
            post(handler(annotations::create_category))
        }
        name if name == catalogue::LIST_ANNOTATION_CATEGORIES.name => {
            get(handler(annotations::list_categories))
        }
        name if name == catalogue::GET_ANNOTATION_CATEGORY.name => {
            get(handler(annotations::get_category))
        }
        name if name == catalogue::RENAME_ANNOTATION_CATEGORY.name => {
            put(handler(annotations::rename_category))
        }
        name if name == catalogue::DELETE_ANNOTATION_CATEGORY.name => {
            delete(handler(annotations::delete_category))
        }
        name if name == catalogue::ASSIGN_ANNOTATION_CATEGORY.name => {
            put(handler(annotations::assign_category))
        }
        name if name == catalogue::LIST_ANNOTATIONS_V2.name => get(handler(annotations::list_v2)),
        name if name == catalogue::CREATE_RELEASE.name => {
            post(handler(endpoints::releases::create))
        }
        name if name == catalogue::CREATE_DELETION.name => {
            post(handler(endpoints::privacy::create))
        }
        name if name == catalogue::LIST_DELETIONS.name => get(handler(endpoints::privacy::list)),
        name if name == catalogue::REMOVE_FROM_DELETION.name => {
            delete(handler(endpoints::privacy::remove))
        }
        _ if spec.api == "taxonomy" => taxonomy_route(spec)?,
        _ => get(dashboard_route(endpoints::computed(spec.path)?)),
    })
}

/// The route of Taxonomy API endpoint `spec`.
fn taxonomy_route(spec: &catalogue::EndpointSpec) -> Option<MethodRouter<Arc<AppState>>> {
    Some(match spec.name {
        name if name == catalogue::CREATE_EVENT_CATEGORY.name => {
            post(handler(taxonomy::create_category))
        }
        name if name == catalogue::LIST_EVENT_CATEGORIES.name => {
            get(handler(taxonomy::list_categories))
        }
        name if name == catalogue::GET_EVENT_CATEGORY.name => get(handler(taxonomy::get_category)),
        name if name == catalogue::RENAME_EVENT_CATEGORY.name => {
            put(handler(taxonomy::rename_category))
        }
        name if name == catalogue::DELETE_EVENT_CATEGORY.name => {
            delete(handler(taxonomy::delete_category))
        }
        name if name == catalogue::CREATE_EVENT_TYPE.name => {
            post(handler(taxonomy::create_event_type))
        }
        name if name == catalogue::LIST_EVENT_TYPES.name => {
            get(handler(taxonomy::list_event_types))
        }
        name if name == catalogue::GET_EVENT_TYPE.name => get(handler(taxonomy::get_event_type)),
        name if name == catalogue::UPDATE_EVENT_TYPE.name => {
            put(handler(taxonomy::update_event_type))
        }
        name if name == catalogue::DELETE_EVENT_TYPE.name => {
            delete(handler(taxonomy::delete_event_type))
        }
        name if name == catalogue::RESTORE_EVENT_TYPE.name => {
            post(handler(taxonomy::restore_event_type))
        }
        name if name == catalogue::CREATE_EVENT_PROPERTY.name => {
            post(handler(taxonomy::create_event_property))
        }
        name if name == catalogue::LIST_EVENT_PROPERTIES.name => {
            get(handler(taxonomy::list_event_properties))
        }
        name if name == catalogue::GET_EVENT_PROPERTY.name => {
            get(handler(taxonomy::get_event_property))
        }
        name if name == catalogue::UPDATE_EVENT_PROPERTY.name => {
            put(handler(taxonomy::update_event_property))
        }
        name if name == catalogue::DELETE_EVENT_PROPERTY.name => {
            delete(handler(taxonomy::delete_event_property))
        }
        name if name == catalogue::RESTORE_EVENT_PROPERTY.name => {
            post(handler(taxonomy::restore_event_property))
        }
        name if name == catalogue::CREATE_USER_PROPERTY.name => {
            post(handler(taxonomy::create_user_property))
        }
        name if name == catalogue::LIST_USER_PROPERTIES.name => {
            get(handler(taxonomy::list_user_properties))
        }
        name if name == catalogue::GET_USER_PROPERTY.name => {
            get(handler(taxonomy::get_user_property))
        }
        name if name == catalogue::UPDATE_USER_PROPERTY.name => {
            put(handler(taxonomy::update_user_property))
        }
        name if name == catalogue::DELETE_USER_PROPERTY.name => {
            delete(handler(taxonomy::delete_user_property))
        }
        name if name == catalogue::RESTORE_USER_PROPERTY.name => {
            post(handler(taxonomy::restore_user_property))
        }
        name if name == catalogue::CREATE_GROUP_PROPERTY.name => {
            post(handler(taxonomy::create_group_property))
        }
        name if name == catalogue::LIST_GROUP_PROPERTIES.name => {
            get(handler(taxonomy::list_group_properties))
        }
        name if name == catalogue::GET_GROUP_PROPERTY.name => {
            get(handler(taxonomy::get_group_property))
        }
        name if name == catalogue::UPDATE_GROUP_PROPERTY.name => {
            put(handler(taxonomy::update_group_property))
        }
        _ => return None,
    })
}

/// The most header bytes a request may carry before it is answered 431 in Amplitude's error
/// shape. (A head beyond the HTTP server's own buffer, about 400 KB, gets the server's bare 431
/// before any of this runs.)
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses a request whose headers are too large.
async fn limit_headers(request: Request, next: Next) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        return nested_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "invalid",
            "Request header fields too large",
            &format!("the headers take {size} bytes; send at most {MAX_HEADER_BYTES}"),
        );
    }
    next.run(request).await
}

/// A Dashboard route: Basic auth, then the query read and validated as the SDK would, its
/// cost admitted by the limiter, faults, and the answer computed from the events.
fn dashboard_route(
    read: Read,
) -> impl Fn(State<Arc<AppState>>, HeaderMap, Uri) -> Pending + Clone + Send + Sync + 'static {
    move |State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri| {
        Box::pin(async move {
            if let Some(refused) = refused_credentials(&headers, &state.read()) {
                return refused;
            }
            let request = match read(uri.path(), uri.query()) {
                Ok(request) => request,
                Err(refusal) => return invalid(&refusal),
            };
            let _permit = match state.limiter.admit(request.class, request.cost) {
                Ok(permit) => permit,
                Err(refusal) => return rate_limited(request.class, &refusal.0),
            };
            let compute = request.compute;
            answer(&state, || compute(&state.read())).await
        })
    }
}
