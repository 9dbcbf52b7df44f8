//! The Taxonomy API over the project's tracking plan (`plan`): event categories, event types,
//! event properties, user properties and group properties. What the data holds is listed with
//! what the API planned: every event type sent, every property its events carried (shared, and
//! on its event type), Amplitude's own user properties and every custom one set (`gp:...`).
//! Group properties are planned ones only (the emulator keeps no group properties). A read's
//! event or group type is taken from the query string or, as Amplitude's examples send it,
//! from a GET's form body.
//!
//! A create names a custom user or group property without its prefix or with it; it is kept
//! and answered with it (`gp:`, `grp:`). Deletes follow Amplitude's table: a planned item with
//! no data leaves the plan, a live one is marked deleted (listed again with `showDeleted` for
//! event types and user properties), a deleted or unknown one is refused; restores bring back
//! a deleted one. Property updates with an event or group type follow `overrideScope`.
//!
//! Answers: `{"success": true}` for writes, `{"success": true, "data": ...}` for reads; a
//! failure is `{"success": false, "errors": [{"message": ...}]}`, 400 "Not found" for an
//! unknown item (404 for a user property, as documented), 409 for a conflict (a name taken, an
//! item not in the plan or not deleted, Amplitude's own user properties, which cannot be
//! deleted). The event category given to an event type is taken by name as sent.

#![allow(
    clippy::needless_pass_by_value,
    reason = "a handler takes its query by value whether or not it keeps it: one signature for all (`request::handler`)"
)]

use amp_model::OverrideScope;
use amp_model::taxonomy::{
    CreateEventCategoryQuery, CreateEventPropertyQuery, CreateEventTypeQuery,
    CreateGroupPropertyQuery, CreateUserPropertyQuery, DeleteEventCategoryQuery,
    DeleteEventPropertyQuery, DeleteEventTypeQuery, DeleteUserPropertyQuery, EventCategoryQuery,
    EventPropertyQuery, EventTypeQuery, GroupPropertyQuery, ListEventCategoriesQuery,
    ListEventPropertiesQuery, ListEventTypesQuery, ListGroupPropertiesQuery,
    ListUserPropertiesQuery, RenameEventCategoryQuery, RestoreEventPropertyQuery,
    RestoreEventTypeQuery, RestoreUserPropertyQuery, UpdateEventPropertyQuery,
    UpdateEventTypeQuery, UpdateGroupPropertyQuery, UpdateUserPropertyQuery, UserPropertyQuery,
};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::managed::Change;
use crate::plan::{Entry, Key, Kind, PlanEdit, Seen, amplitude_user_properties};
use crate::project::Project;
use crate::respond::{commit, json_response};
use crate::state::AppState;

/// The change making `key`'s state `entry`.
fn item(key: Key, entry: Option<Entry>) -> Change {
    Change::Plan {
        edit: PlanEdit::Item { key, entry },
    }
}

/// The change naming category `id` `name`, or deleting it.
fn category_edit(id: u64, name: Option<String>) -> Change {
    Change::Plan {
        edit: PlanEdit::Category { id, name },
    }
}

/// A Taxonomy API failure.
fn failure(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &json!({"success": false, "errors": [{"message": message}]}),
    )
}

/// The refusal of an item the project does not have.
fn not_found(kind: Kind) -> Response {
    let status = if kind == Kind::UserProperty {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    };
    failure(status, "Not found")
}

/// A read's answer.
fn data(value: Value) -> Response {
    json_response(StatusCode::OK, &json!({"success": true, "data": value}))
}

/// Journals and applies a write's changes, then answers `{"success": true}`.
fn write(state: &AppState, project: &mut Project, changes: &[Change]) -> Response {
    match commit(state, project, changes) {
        Ok(_) => json_response(StatusCode::OK, &json!({"success": true})),
        Err(refused) => *refused,
    }
}

/// The fields a write sets: its description, type and values, as a property's answer
/// carries them.
#[derive(Default)]
struct Fields(Map<String, Value>);

impl Fields {
    fn set(mut self, key: &str, value: Option<Value>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), value);
        }
        self
    }

    fn text(self, key: &str, value: Option<String>) -> Self {
        self.set(key, value.map(Value::String))
    }

    fn flag(self, key: &str, value: Option<bool>) -> Self {
        self.set(key, value.map(Value::Bool))
    }

    /// A list, sent comma-separated, if any value was.
    fn list(self, key: &str, values: Vec<String>) -> Self {
        let values: Vec<String> = values
            .iter()
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect();
        if values.is_empty() {
            return self;
        }
        self.set(key, Some(json!(values)))
    }
}

/// The schema fields a property write sets: every property query has them, each of its own
/// type.
macro_rules! schema {
    ($query:expr) => {
        Fields::default()
            .text("description", $query.description)
            .set("type", $query.data_type.map(|kind| json!(kind.to_string())))
            .text("regex", $query.regex)
            .list("enum_values", $query.enum_values)
            .flag("is_array_type", $query.is_array_type)
            .list("classifications", $query.classifications)
    };
}

/// `name` of a custom user or group property with its prefix.
fn prefixed(kind: Kind, name: &str) -> String {
    let prefix = match kind {
        Kind::UserProperty if !amplitude_user_properties().any(|own| own == name) => "gp:",
        Kind::GroupProperty => "grp:",
        _ => return name.to_owned(),
    };
    if name.starts_with(prefix) {
        name.to_owned()
    } else {
        format!("{prefix}{name}")
    }
}

/// The plan and the data, as one request sees them.
struct View<'a> {
    project: &'a Project,
    seen: Seen,
}

impl<'a> View<'a> {
    fn of(project: &'a Project) -> Self {
        Self {
            project,
            seen: Seen::of(&project.store),
        }
    }

    fn entry(&self, key: &Key) -> Option<&'a Entry> {
        self.project.managed.plan.entries.get(key)
    }

    /// Whether the item exists, deleted or not.
    fn exists(&self, key: &Key) -> bool {
        self.entry(key).is_some() || self.seen.holds(key)
    }

    fn deleted(&self, key: &Key) -> bool {
        self.entry(key).is_some_and(|entry| entry.deleted)
    }

    /// Whether it exists and is not deleted.
    fn present(&self, key: &Key) -> bool {
        self.exists(key) && !self.deleted(key)
    }

    /// The answer for `key`: its defaults, a scoped property's shared fields, then its own.
    fn answer(&self, key: &Key) -> Value {
        let mut object = Map::new();
        if let Some(scope_key) = key.kind.scope_key() {
            object.insert(scope_key.into(), json!(key.scope));
        }
        object.insert(key.kind.name_key().into(), json!(key.name));
        if key.kind == Kind::EventType {
            object.insert("category".into(), Value::Null);
            object.insert("description".into(), Value::Null);
        } else {
            for (field, value) in [
                ("description", Value::Null),
                ("type", Value::Null),
                ("regex", Value::Null),
                ("enum_values", Value::Null),
                ("is_array_type", json!(false)),
                ("classifications", json!([])),
            ] {
                object.insert(field.into(), value);
            }
            if key.kind == Kind::EventProperty {
                object.insert("is_required".into(), json!(false));
            }
        }
        let shared = Key::new(key.kind, None, &key.name);
        for source in [
            self.entry(&shared).filter(|_| key.scope.is_some()),
            self.entry(key),
        ] {
            for (field, value) in source.map(|entry| &entry.fields).into_iter().flatten() {
                object.insert(field.clone(), value.clone());
            }
        }
        Value::Object(object)
    }

    /// Every item of `kind` in `scope`, planned or in the data, by name.
    fn list(&self, kind: Kind, scope: Option<&str>, show_deleted: bool) -> Value {
        let mut names = self.seen.names(kind, scope);
        names.extend(
            self.project
                .managed
                .plan
                .entries
                .keys()
                .filter(|key| key.kind == kind && key.scope.as_deref() == scope)
                .map(|key| key.name.clone()),
        );
        let items: Vec<Value> = names
            .iter()
            .map(|name| Key::new(kind, scope, name))
            .filter(|key| show_deleted || !self.deleted(key))
            .map(|key| self.answer(&key))
            .collect();
        Value::Array(items)
    }
}

/// Plans `key` with `fields`: 409 when it is planned already.
fn create(state: &AppState, project: &mut Project, key: Key, fields: Fields) -> Response {
    let view = View::of(project);
    if view.entry(&key).is_some_and(|entry| !entry.deleted) {
        let on = key
            .scope
            .as_ref()
            .map_or(String::new(), |scope| format!(" for \"{scope}\""));
        return failure(
            StatusCode::CONFLICT,
            &format!(
                "Attempted to add a {}, \"{}\"{on}, that already exists.",
                key.kind.noun(),
                key.name
            ),
        );
    }
    let entry = Entry {
        fields: fields.0,
        deleted: false,
    };
    let change = item(key, Some(entry));
    write(state, project, &[change])
}

/// Changes the fields of `key` and renames it to `rename`, after `first` (an override
/// removed): 409 for an item not in the plan or the data (a new override needs its shared
/// property), or a new name taken.
fn update(
    state: &AppState,
    project: &mut Project,
    (key, first): (Key, Option<Change>),
    fields: Fields,
    rename: Option<String>,
) -> Response {
    let view = View::of(project);
    let shared = Key::new(key.kind, None, &key.name);
    let known = view.present(&key) || (key.scope.is_some() && view.present(&shared));
    if !known {
        return failure(
            StatusCode::CONFLICT,
            &format!(
                "Attempted to change the {} \"{}\", but it is not in schema.",
                key.kind.noun(),
                key.name
            ),
        );
    }
    let mut entry = view.entry(&key).cloned().unwrap_or_default();
    entry.fields.extend(fields.0);
    let mut changes: Vec<Change> = first.into_iter().collect();
    let key = match rename.filter(|name| *name != key.name) {
        Some(name) => {
            let renamed = Key::new(key.kind, key.scope.as_deref(), &name);
            if view.exists(&renamed) {
                return failure(
                    StatusCode::CONFLICT,
                    &format!("A {} named \"{name}\" already exists.", key.kind.noun()),
                );
            }
            changes.push(item(key, None));
            renamed
        }
        None => key,
    };
    changes.push(item(key, Some(entry)));
    write(state, project, &changes)
}

/// Deletes `key`: out of the plan when the data does not hold it, else marked deleted.
fn delete(state: &AppState, project: &mut Project, key: Key) -> Response {
    let view = View::of(project);
    if key.kind == Kind::UserProperty && amplitude_user_properties().any(|own| own == key.name) {
        return failure(
            StatusCode::CONFLICT,
            &format!(
                "\"{}\" is an Amplitude user property; those cannot be deleted.",
                key.name
            ),
        );
    }
    if !view.present(&key) {
        return not_found(key.kind);
    }
    let entry = view.seen.holds(&key).then(|| Entry {
        deleted: true,
        ..view.entry(&key).cloned().unwrap_or_default()
    });
    write(state, project, &[item(key, entry)])
}

/// Restores a deleted `key`.
fn restore(state: &AppState, project: &mut Project, key: Key) -> Response {
    let view = View::of(project);
    let Some(entry) = view.entry(&key).filter(|entry| entry.deleted) else {
        return if view.exists(&key) {
            failure(
                StatusCode::CONFLICT,
                &format!("The {} \"{}\" is not deleted.", key.kind.noun(), key.name),
            )
        } else {
            not_found(key.kind)
        };
    };
    let entry = Entry {
        deleted: false,
        ..entry.clone()
    };
    write(state, project, &[item(key, Some(entry))])
}

/// One item, or "Not found".
fn get(_state: &AppState, project: &mut Project, key: Key) -> Response {
    let view = View::of(project);
    if view.present(&key) {
        data(view.answer(&key))
    } else {
        not_found(key.kind)
    }
}

/// The key an update of a scoped property changes, and what changes first: with a scope,
/// `overrideScope` picks the override (made if there is none) or the shared property (the
/// override removed); without it, the override if there is one, else the shared property.
fn scoped_target(
    project: &Project,
    kind: Kind,
    name: &str,
    scope: Option<String>,
    override_scope: Option<OverrideScope>,
) -> (Key, Option<Change>) {
    let shared = Key::new(kind, None, name);
    let Some(scope) = scope else {
        return (shared, None);
    };
    let scoped = Key::new(kind, Some(&scope), name);
    let has_override = project.managed.plan.entries.contains_key(&scoped);
    match override_scope {
        Some(OverrideScope::Shared) => {
            let removed = has_override.then_some(item(scoped, None));
            (shared, removed)
        }
        Some(OverrideScope::Override) => (scoped, None),
        _ if has_override => (scoped, None),
        _ => (shared, None),
    }
}

/// `POST /api/2/taxonomy/category`.
pub fn create_category(
    query: CreateEventCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let plan = &project.managed.plan;
    if plan.category_named(&query.category_name).is_some() {
        return failure(
            StatusCode::CONFLICT,
            &format!(
                "Attempted to add an event category, \"{}\", that already exists.",
                query.category_name
            ),
        );
    }
    let change = category_edit(plan.next_category_id(), Some(query.category_name));
    write(state, project, &[change])
}

/// `GET /api/2/taxonomy/category`.
pub fn list_categories(
    _query: ListEventCategoriesQuery,
    _state: &AppState,
    project: &mut Project,
) -> Response {
    let categories: Vec<Value> = project
        .managed
        .plan
        .categories
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    data(Value::Array(categories))
}

/// `GET /api/2/taxonomy/category/{category_name}`.
pub fn get_category(
    query: EventCategoryQuery,
    _state: &AppState,
    project: &mut Project,
) -> Response {
    match project.managed.plan.category_named(&query.category_name) {
        Some(id) => data(json!({"id": id, "name": query.category_name})),
        None => failure(StatusCode::BAD_REQUEST, "Not found"),
    }
}

/// The 409 of a category id the plan does not have.
fn no_category(id: u64) -> Response {
    failure(
        StatusCode::CONFLICT,
        &format!(
            "Attempted to operate on entity event_category, id \"{id}\", that does not exist."
        ),
    )
}

/// `PUT /api/2/taxonomy/category/{category_id}`.
pub fn rename_category(
    query: RenameEventCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let plan = &project.managed.plan;
    if !plan.categories.contains_key(&query.category_id) {
        return no_category(query.category_id);
    }
    if plan
        .category_named(&query.category_name)
        .is_some_and(|other| other != query.category_id)
    {
        return failure(
            StatusCode::CONFLICT,
            &format!(
                "An event category named \"{}\" already exists.",
                query.category_name
            ),
        );
    }
    let change = category_edit(query.category_id, Some(query.category_name));
    write(state, project, &[change])
}

/// `DELETE /api/2/taxonomy/category/{category_id}`.
pub fn delete_category(
    query: DeleteEventCategoryQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    if !project
        .managed
        .plan
        .categories
        .contains_key(&query.category_id)
    {
        return no_category(query.category_id);
    }
    let change = category_edit(query.category_id, None);
    write(state, project, &[change])
}

/// An event type's category field.
fn category(name: Option<String>) -> Option<Value> {
    name.map(|name| json!({ "name": name }))
}

/// `POST /api/2/taxonomy/event`.
pub fn create_event_type(
    query: CreateEventTypeQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let key = Key::new(Kind::EventType, None, &query.event_type);
    let fields = Fields::default()
        .set("category", category(query.category))
        .text("description", query.description);
    create(state, project, key, fields)
}

/// `GET /api/2/taxonomy/event`.
pub fn list_event_types(
    query: ListEventTypesQuery,
    _state: &AppState,
    project: &mut Project,
) -> Response {
    let show_deleted = query.show_deleted == Some(true);
    data(View::of(project).list(Kind::EventType, None, show_deleted))
}

/// `PUT /api/2/taxonomy/event/{event_type}`.
pub fn update_event_type(
    query: UpdateEventTypeQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let key = Key::new(Kind::EventType, None, &query.event_type);
    let fields = Fields::default()
        .set("category", category(query.category))
        .text("description", query.description)
        .text("display_name", query.display_name)
        .flag("is_active", query.is_active)
        .flag("is_hidden_from_dropdowns", query.is_hidden_from_dropdowns)
        .flag(
            "is_hidden_from_persona_results",
            query.is_hidden_from_persona_results,
        )
        .flag("is_hidden_from_pathfinder", query.is_hidden_from_pathfinder)
        .flag("is_hidden_from_timeline", query.is_hidden_from_timeline)
        .list("tags", query.tags)
        .text("owner", query.owner);
    update(state, project, (key, None), fields, query.new_event_type)
}

/// `POST /api/2/taxonomy/event-property`.
pub fn create_event_property(
    query: CreateEventPropertyQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let key = Key::new(
        Kind::EventProperty,
        query.event_type.as_deref(),
        &query.event_property,
    );
    let fields = schema!(query).flag("is_required", query.is_required);
    create(state, project, key, fields)
}

/// `GET /api/2/taxonomy/event-property`.
pub fn list_event_properties(
    query: ListEventPropertiesQuery,
    _state: &AppState,
    project: &mut Project,
) -> Response {
    let scope = query.event_type.as_deref();
    data(View::of(project).list(Kind::EventProperty, scope, false))
}

/// `PUT /api/2/taxonomy/event-property/{event_property}`.
pub fn update_event_property(
    query: UpdateEventPropertyQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let target = scoped_target(
        project,
        Kind::EventProperty,
        &query.event_property,
        query.event_type,
        query.override_scope,
    );
    let fields = schema!(query).flag("is_required", query.is_required);
    update(
        state,
        project,
        target,
        fields,
        query.new_event_property_value,
    )
}

/// `POST /api/2/taxonomy/user-property`.
pub fn create_user_property(
    query: CreateUserPropertyQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let name = prefixed(Kind::UserProperty, &query.user_property);
    let key = Key::new(Kind::UserProperty, None, &name);
    let fields = schema!(query);
    create(state, project, key, fields)
}

/// `GET /api/2/taxonomy/user-property`.
pub fn list_user_properties(
    query: ListUserPropertiesQuery,
    _state: &AppState,
    project: &mut Project,
) -> Response {
    let show_deleted = query.show_deleted == Some(true);
    data(View::of(project).list(Kind::UserProperty, None, show_deleted))
}

/// `PUT /api/2/taxonomy/user-property/{user_property}`.
pub fn update_user_property(
    query: UpdateUserPropertyQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let key = Key::new(Kind::UserProperty, None, &query.user_property);
    let fields = schema!(query);
    let rename = query
        .new_user_property_value
        .map(|name| prefixed(Kind::UserProperty, &name));
    update(state, project, (key, None), fields, rename)
}

/// `POST /api/2/taxonomy/group-property`.
pub fn create_group_property(
    query: CreateGroupPropertyQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let name = prefixed(Kind::GroupProperty, &query.group_property);
    let key = Key::new(Kind::GroupProperty, query.group_type.as_deref(), &name);
    let fields = schema!(query);
    create(state, project, key, fields)
}

/// `GET /api/2/taxonomy/group-property`.
pub fn list_group_properties(
    query: ListGroupPropertiesQuery,
    _state: &AppState,
    project: &mut Project,
) -> Response {
    let scope = query.group_type.as_deref();
    data(View::of(project).list(Kind::GroupProperty, scope, false))
}

/// `PUT /api/2/taxonomy/group-property/{group_property}`.
pub fn update_group_property(
    query: UpdateGroupPropertyQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let target = scoped_target(
        project,
        Kind::GroupProperty,
        &query.group_property,
        query.group_type,
        query.override_scope,
    );
    let fields = schema!(query);
    let rename = query
        .new_group_property_value
        .map(|name| prefixed(Kind::GroupProperty, &name));
    update(state, project, target, fields, rename)
}

/// The handlers that find one item by the query's name (and event or group type) and get,
/// delete or restore it.
macro_rules! keyed {
    ($($path:literal $name:ident($query:ty) => $op:ident($kind:ident, $field:ident $(, $scope:ident)?);)*) => {$(
        #[doc = concat!("`", $path, "`.")]
        pub fn $name(query: $query, state: &AppState, project: &mut Project) -> Response {
            let key = Key::new(Kind::$kind, keyed!(@scope query $($scope)?), &query.$field);
            $op(state, project, key)
        }
    )*};
    (@scope $query:ident) => { None };
    (@scope $query:ident $scope:ident) => { $query.$scope.as_deref() };
}

keyed! {
    "GET /api/2/taxonomy/event/{event_type}"
    get_event_type(EventTypeQuery) => get(EventType, event_type);
    "DELETE /api/2/taxonomy/event/{event_type}"
    delete_event_type(DeleteEventTypeQuery) => delete(EventType, event_type);
    "POST /api/2/taxonomy/event/{event_type}/restore"
    restore_event_type(RestoreEventTypeQuery) => restore(EventType, event_type);
    "GET /api/2/taxonomy/event-property/{event_property}"
    get_event_property(EventPropertyQuery) => get(EventProperty, event_property, event_type);
    "DELETE /api/2/taxonomy/event-property/{event_property}"
    delete_event_property(DeleteEventPropertyQuery) => delete(EventProperty, event_property, event_type);
    "POST /api/2/taxonomy/event-property/{event_property}/restore"
    restore_event_property(RestoreEventPropertyQuery) => restore(EventProperty, event_property);
    "GET /api/2/taxonomy/user-property/{user_property}"
    get_user_property(UserPropertyQuery) => get(UserProperty, user_property);
    "DELETE /api/2/taxonomy/user-property/{user_property}"
    delete_user_property(DeleteUserPropertyQuery) => delete(UserProperty, user_property);
    "POST /api/2/taxonomy/user-property/{user_property}/restore"
    restore_user_property(RestoreUserPropertyQuery) => restore(UserProperty, user_property);
    "GET /api/2/taxonomy/group-property/{group_property}"
    get_group_property(GroupPropertyQuery) => get(GroupProperty, group_property, group_type);
}
