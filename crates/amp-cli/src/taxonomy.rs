//! `ampq taxonomy categories|events|event-properties|user-properties|group-properties`: the
//! tracking plan, through the Taxonomy API.

use amplitude_api::model::DataType;
use amplitude_api::project::taxonomy::{
    CreateEventCategory, CreateEventProperty, CreateEventType, CreateGroupProperty,
    CreateUserProperty, DeleteEventCategory, DeleteEventProperty, DeleteEventType,
    DeleteUserProperty, GetEventCategory, GetEventProperty, GetEventType, GetGroupProperty,
    GetUserProperty, ListEventCategories, ListEventProperties, ListEventTypes, ListGroupProperties,
    ListUserProperties, OverrideScope, RenameEventCategory, RestoreEventProperty, RestoreEventType,
    RestoreUserProperty, UpdateEventProperty, UpdateEventType, UpdateGroupProperty,
    UpdateUserProperty,
};
use amplitude_api::transport::Client;

use crate::annotations::read;
use crate::cli::{
    Format, PropertyFields, Taxonomy, TaxonomyCategories, TaxonomyEventProperties, TaxonomyEvents,
    TaxonomyGroupProperties, TaxonomyUserProperties,
};
use crate::query::{self, known};
use crate::run::{Failure, Show};
use crate::write;

/// Sets a property query's schema fields from the flags (every property query has the same
/// fields, of its own type).
macro_rules! schema {
    ($query:expr, $fields:expr) => {{
        let fields = $fields;
        $query.data_type = data_type(&fields)?;
        $query.description = fields.description;
        $query.regex = fields.regex;
        $query.enum_values = fields.enum_values;
        $query.is_array_type = fields.array;
        $query.classifications = fields.classifications;
    }};
}

/// Runs `command`, reads shown as `show` says, writes' answers in `written`; with `dry_run`,
/// prints the request instead.
pub async fn run(
    client: &Client,
    command: Taxonomy,
    show: &Show,
    written: Format,
    dry_run: bool,
) -> Result<(), Failure> {
    let out = Out {
        client,
        show,
        written,
        dry_run,
    };
    match command {
        Taxonomy::Categories(command) => categories(&out, command).await,
        Taxonomy::Events(command) => events(&out, command).await,
        Taxonomy::EventProperties(command) => event_properties(&out, command).await,
        Taxonomy::UserProperties(command) => user_properties(&out, command).await,
        Taxonomy::GroupProperties(command) => group_properties(&out, command).await,
    }
}

/// Where and how answers go.
struct Out<'a> {
    client: &'a Client,
    show: &'a Show,
    written: Format,
    dry_run: bool,
}

impl Out<'_> {
    /// Sends a write, then says `done`.
    async fn write<E>(&self, endpoint: &E, done: String) -> Result<(), Failure>
    where
        E: amplitude_api::transport::Endpoint,
        E::Response: serde::Serialize,
    {
        write::send(self.client, endpoint, self.written, self.dry_run, |_| done).await
    }

    /// Answers a read.
    async fn read<E>(&self, endpoint: E) -> Result<(), Failure>
    where
        E: amplitude_api::transport::Endpoint + 'static,
        E::Response: crate::answer::Tidy + serde::Serialize,
    {
        read(
            self.client,
            query::typed(endpoint).as_ref(),
            self.show,
            self.dry_run,
        )
        .await
    }
}

async fn categories(out: &Out<'_>, command: TaxonomyCategories) -> Result<(), Failure> {
    match command {
        TaxonomyCategories::List => out.read(ListEventCategories::new()).await,
        TaxonomyCategories::Get { name } => out.read(GetEventCategory::new(name)).await,
        TaxonomyCategories::Create { name } => {
            let done = format!("created event category \"{name}\"");
            out.write(&CreateEventCategory::new(name), done).await
        }
        TaxonomyCategories::Rename { id, name } => {
            let done = format!("renamed event category {id} to \"{name}\"");
            out.write(&RenameEventCategory::new(id, name), done).await
        }
        TaxonomyCategories::Delete { id } => {
            let done = format!("deleted event category {id}");
            out.write(&DeleteEventCategory::new(id), done).await
        }
    }
}

async fn events(out: &Out<'_>, command: TaxonomyEvents) -> Result<(), Failure> {
    match command {
        TaxonomyEvents::List { show_deleted } => {
            let mut list = ListEventTypes::new();
            list.query_mut().show_deleted = show_deleted.then_some(true);
            out.read(list).await
        }
        TaxonomyEvents::Get { name } => out.read(GetEventType::new(name)).await,
        TaxonomyEvents::Create {
            name,
            category,
            description,
        } => {
            let done = format!("planned event type \"{name}\"");
            let mut create = CreateEventType::new(name);
            create.query_mut().category = category;
            create.query_mut().description = description;
            out.write(&create, done).await
        }
        TaxonomyEvents::Update {
            name,
            rename,
            category,
            description,
            display_name,
        } => {
            let done = changed("event type", &name, rename.as_deref());
            let mut update = UpdateEventType::new(name);
            let query = update.query_mut();
            query.new_event_type = rename;
            query.category = category;
            query.description = description;
            query.display_name = display_name;
            out.write(&update, done).await
        }
        TaxonomyEvents::Delete { name } => {
            let done = format!("deleted event type \"{name}\"");
            out.write(&DeleteEventType::new(name), done).await
        }
        TaxonomyEvents::Restore { name } => {
            let done = format!("restored event type \"{name}\"");
            out.write(&RestoreEventType::new(name), done).await
        }
    }
}

async fn event_properties(out: &Out<'_>, command: TaxonomyEventProperties) -> Result<(), Failure> {
    match command {
        TaxonomyEventProperties::List { event_type } => {
            let mut list = ListEventProperties::new();
            list.query_mut().event_type = event_type;
            out.read(list).await
        }
        TaxonomyEventProperties::Get { name, event_type } => {
            let mut get = GetEventProperty::new(name);
            get.query_mut().event_type = event_type;
            out.read(get).await
        }
        TaxonomyEventProperties::Create {
            name,
            event_type,
            required,
            fields,
        } => {
            let done = format!(
                "planned event property \"{name}\"{}",
                on(event_type.as_deref())
            );
            let mut create = CreateEventProperty::new(name);
            let query = create.query_mut();
            query.event_type = event_type;
            query.is_required = required;
            schema!(query, fields);
            out.write(&create, done).await
        }
        TaxonomyEventProperties::Update {
            name,
            event_type,
            scope,
            rename,
            required,
            fields,
        } => {
            let done = format!(
                "{}{}",
                changed("event property", &name, rename.as_deref()),
                on(event_type.as_deref())
            );
            let mut update = UpdateEventProperty::new(name);
            let query = update.query_mut();
            query.override_scope = override_scope(scope)?;
            query.event_type = event_type;
            query.new_event_property_value = rename;
            query.is_required = required;
            schema!(query, fields);
            out.write(&update, done).await
        }
        TaxonomyEventProperties::Delete { name, event_type } => {
            let done = format!(
                "deleted event property \"{name}\"{}",
                on(event_type.as_deref())
            );
            let mut delete = DeleteEventProperty::new(name);
            delete.query_mut().event_type = event_type;
            out.write(&delete, done).await
        }
        TaxonomyEventProperties::Restore { name } => {
            let done = format!("restored event property \"{name}\"");
            out.write(&RestoreEventProperty::new(name), done).await
        }
    }
}

async fn user_properties(out: &Out<'_>, command: TaxonomyUserProperties) -> Result<(), Failure> {
    match command {
        TaxonomyUserProperties::List { show_deleted } => {
            let mut list = ListUserProperties::new();
            list.query_mut().show_deleted = show_deleted.then_some(true);
            out.read(list).await
        }
        TaxonomyUserProperties::Get { name } => out.read(GetUserProperty::new(name)).await,
        TaxonomyUserProperties::Create { name, fields } => {
            let done = format!("planned user property \"{name}\"");
            let mut create = CreateUserProperty::new(name);
            let query = create.query_mut();
            schema!(query, fields);
            out.write(&create, done).await
        }
        TaxonomyUserProperties::Update {
            name,
            rename,
            fields,
        } => {
            let done = changed("user property", &name, rename.as_deref());
            let mut update = UpdateUserProperty::new(name);
            let query = update.query_mut();
            query.new_user_property_value = rename;
            schema!(query, fields);
            out.write(&update, done).await
        }
        TaxonomyUserProperties::Delete { name } => {
            let done = format!("deleted user property \"{name}\"");
            out.write(&DeleteUserProperty::new(name), done).await
        }
        TaxonomyUserProperties::Restore { name } => {
            let done = format!("restored user property \"{name}\"");
            out.write(&RestoreUserProperty::new(name), done).await
        }
    }
}

async fn group_properties(out: &Out<'_>, command: TaxonomyGroupProperties) -> Result<(), Failure> {
    match command {
        TaxonomyGroupProperties::List { group_type } => {
            let mut list = ListGroupProperties::new();
            list.query_mut().group_type = group_type;
            out.read(list).await
        }
        TaxonomyGroupProperties::Get { name, group_type } => {
            let mut get = GetGroupProperty::new(name);
            get.query_mut().group_type = group_type;
            out.read(get).await
        }
        TaxonomyGroupProperties::Create {
            name,
            group_type,
            fields,
        } => {
            let done = format!(
                "planned group property \"{name}\"{}",
                on(group_type.as_deref())
            );
            let mut create = CreateGroupProperty::new(name);
            let query = create.query_mut();
            query.group_type = group_type;
            schema!(query, fields);
            out.write(&create, done).await
        }
        TaxonomyGroupProperties::Update {
            name,
            group_type,
            scope,
            rename,
            fields,
        } => {
            let done = format!(
                "{}{}",
                changed("group property", &name, rename.as_deref()),
                on(group_type.as_deref())
            );
            let mut update = UpdateGroupProperty::new(name);
            let query = update.query_mut();
            query.override_scope = override_scope(scope)?;
            query.group_type = group_type;
            query.new_group_property_value = rename;
            schema!(query, fields);
            out.write(&update, done).await
        }
    }
}

/// The `--scope` given, read as an `overrideScope`.
fn override_scope(scope: Option<String>) -> Result<Option<OverrideScope>, Failure> {
    scope
        .map(|scope| known("--scope", &scope, OverrideScope::KNOWN))
        .transpose()
        .map_err(|usage| Failure::Usage(usage.0))
}

/// The `--type` given, read as one of Amplitude's data types.
fn data_type(fields: &PropertyFields) -> Result<Option<DataType>, Failure> {
    fields
        .data_type
        .as_deref()
        .map(|text| known("--type", text, DataType::KNOWN))
        .transpose()
        .map_err(|usage| Failure::Usage(usage.0))
}

/// `updated event property "a"`, or `... (now "b")` when renamed.
fn changed(kind: &str, name: &str, rename: Option<&str>) -> String {
    match rename {
        Some(new) => format!("updated {kind} \"{name}\" (now \"{new}\")"),
        None => format!("updated {kind} \"{name}\""),
    }
}

/// ` on "Play Song"` for a property of one event or group type.
fn on(scope: Option<&str>) -> String {
    scope.map_or(String::new(), |scope| format!(" on \"{scope}\""))
}
