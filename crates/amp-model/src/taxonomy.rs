//! The Taxonomy API (reference 3.5): the project's tracking plan. Event categories, event
//! types, event properties (shared, or overridden on one event type), user properties (custom
//! ones named `gp:...`) and group properties (custom ones `grp:...`). Bodies are form-encoded;
//! answers are `{"success": true[, "data": ...]}`. Reads cost 1 and writes 2 against the API's
//! own budget (cost 4 in flight, 7,200 per hour).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::{Cost, Query, Success, ValidationError};

pub use crate::generated::{
    CreateEventCategoryQuery, CreateEventPropertyQuery, CreateEventTypeQuery,
    CreateGroupPropertyQuery, CreateUserPropertyQuery, DeleteEventCategoryQuery,
    DeleteEventPropertyQuery, DeleteEventTypeQuery, DeleteUserPropertyQuery, EventCategoryQuery,
    EventPropertyQuery, EventTypeQuery, GroupPropertyQuery, ListEventCategoriesQuery,
    ListEventPropertiesQuery, ListEventTypesQuery, ListGroupPropertiesQuery,
    ListUserPropertiesQuery, RenameEventCategoryQuery, RestoreEventPropertyQuery,
    RestoreEventTypeQuery, RestoreUserPropertyQuery, UpdateEventPropertyQuery,
    UpdateEventTypeQuery, UpdateGroupPropertyQuery, UpdateUserPropertyQuery, UserPropertyQuery,
};

/// What a write costs: 2, against the Taxonomy API's own budget.
const WRITE: Cost = Cost {
    days: 1,
    conditions: 1,
    type_cost: 2,
};

/// Refuses an empty name: Amplitude would read it as another path or no value at all.
fn named(param: &'static str, name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::new(param, "give a name, not an empty one"));
    }
    Ok(())
}

/// Each query's answer and cost, and the name it must not leave empty.
macro_rules! taxonomy {
    ($($query:ty => $answer:ty, $cost:expr $(, $field:ident: $param:ident)?;)*) => {$(
        impl Query for $query {
            type Response = $answer;

            fn validate_rules(&self) -> Result<(), ValidationError> {
                $(named(crate::param::$param, &self.$field)?;)?
                Ok(())
            }

            fn cost(&self) -> Cost {
                $cost
            }
        }
    )*};
}

taxonomy! {
    CreateEventCategoryQuery => Success, WRITE, category_name: CATEGORY_NAME;
    ListEventCategoriesQuery => Answer<Vec<Category>>, Cost::MINIMUM;
    EventCategoryQuery => Answer<Category>, Cost::MINIMUM, category_name: CATEGORY_NAME;
    RenameEventCategoryQuery => Success, WRITE, category_name: CATEGORY_NAME;
    DeleteEventCategoryQuery => Success, WRITE;
    CreateEventTypeQuery => Success, WRITE, event_type: EVENT_TYPE;
    ListEventTypesQuery => Answer<Vec<EventType>>, Cost::MINIMUM;
    EventTypeQuery => Answer<EventType>, Cost::MINIMUM, event_type: EVENT_TYPE;
    UpdateEventTypeQuery => Success, WRITE, event_type: EVENT_TYPE;
    DeleteEventTypeQuery => Success, WRITE, event_type: EVENT_TYPE;
    RestoreEventTypeQuery => Success, WRITE, event_type: EVENT_TYPE;
    CreateEventPropertyQuery => Success, WRITE, event_property: EVENT_PROPERTY;
    ListEventPropertiesQuery => Answer<Vec<EventProperty>>, Cost::MINIMUM;
    EventPropertyQuery => Answer<EventProperty>, Cost::MINIMUM, event_property: EVENT_PROPERTY;
    UpdateEventPropertyQuery => Success, WRITE, event_property: EVENT_PROPERTY;
    DeleteEventPropertyQuery => Success, WRITE, event_property: EVENT_PROPERTY;
    RestoreEventPropertyQuery => Success, WRITE, event_property: EVENT_PROPERTY;
    CreateUserPropertyQuery => Success, WRITE, user_property: USER_PROPERTY;
    ListUserPropertiesQuery => Answer<Vec<UserProperty>>, Cost::MINIMUM;
    UserPropertyQuery => Answer<UserProperty>, Cost::MINIMUM, user_property: USER_PROPERTY;
    UpdateUserPropertyQuery => Success, WRITE, user_property: USER_PROPERTY;
    DeleteUserPropertyQuery => Success, WRITE, user_property: USER_PROPERTY;
    RestoreUserPropertyQuery => Success, WRITE, user_property: USER_PROPERTY;
    CreateGroupPropertyQuery => Success, WRITE, group_property: GROUP_PROPERTY;
    ListGroupPropertiesQuery => Answer<Vec<GroupProperty>>, Cost::MINIMUM;
    GroupPropertyQuery => Answer<GroupProperty>, Cost::MINIMUM, group_property: GROUP_PROPERTY;
    UpdateGroupPropertyQuery => Success, WRITE, group_property: GROUP_PROPERTY;
}

/// The envelope of a Taxonomy API read: `{"success": true, "data": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer<T> {
    /// Whether it was done.
    pub success: bool,
    /// What was asked for.
    pub data: T,
}

/// An event category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Category {
    /// Its id, which renames and deletes take.
    pub id: u64,
    /// Its name.
    pub name: String,
}

impl Category {
    /// Category `id` named `name`.
    pub fn new(id: u64, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
        }
    }
}

/// An event type's category as event types show it: its name only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CategoryName {
    /// The category's name.
    pub name: String,
}

/// An event type of the tracking plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventType {
    /// Its name.
    pub event_type: String,
    /// Its category, if it has one.
    #[serde(default)]
    pub category: Option<CategoryName>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Every other key (activity, visibility, tags, owner), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EventType {
    /// Event type `event_type`, without category or description.
    pub fn new(event_type: impl Into<String>) -> Self {
        Self {
            event_type: event_type.into(),
            category: None,
            description: None,
            display_name: None,
            other: Map::new(),
        }
    }
}

/// What every kind of planned property has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PropertySchema {
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its data type, `None` when not planned.
    #[serde(default, rename = "type")]
    pub data_type: Option<crate::DataType>,
    /// The regular expression its values must match.
    #[serde(default)]
    pub regex: Option<String>,
    /// The values it allows, for `enum`; sent comma-separated, read from a list or a
    /// comma-separated string.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub enum_values: Option<Vec<String>>,
    /// Whether its value is an array of `data_type`.
    #[serde(default)]
    pub is_array_type: bool,
    /// Its classifications (`PII`, `SENSITIVE`, `REVENUE`).
    #[serde(default)]
    pub classifications: Vec<String>,
}

/// `["a", "b"]` or `"a, b"` read as a list; `null` as `None`.
fn list_or_commas<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        List(Vec<String>),
        Commas(String),
    }
    Ok(
        Option::<Form>::deserialize(deserializer)?.map(|form| match form {
            Form::List(values) => values,
            Form::Commas(text) => text
                .split(',')
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .collect(),
        }),
    )
}

/// An event property, shared or on one event type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventProperty {
    /// Its name.
    pub event_property: String,
    /// The event type it is on, for an event-specific property.
    #[serde(default)]
    pub event_type: Option<String>,
    /// Whether events must carry it.
    #[serde(default)]
    pub is_required: bool,
    /// Its description, type and values.
    #[serde(flatten)]
    pub schema: PropertySchema,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EventProperty {
    /// Property `event_property`, shared, with nothing planned.
    pub fn new(event_property: impl Into<String>) -> Self {
        Self {
            event_property: event_property.into(),
            event_type: None,
            is_required: false,
            schema: PropertySchema::default(),
            other: Map::new(),
        }
    }
}

/// A user property; custom ones are named `gp:...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserProperty {
    /// Its name.
    pub user_property: String,
    /// Its description, type and values.
    #[serde(flatten)]
    pub schema: PropertySchema,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl UserProperty {
    /// Property `user_property`, with nothing planned.
    pub fn new(user_property: impl Into<String>) -> Self {
        Self {
            user_property: user_property.into(),
            schema: PropertySchema::default(),
            other: Map::new(),
        }
    }
}

/// A group property, shared or on one group type; custom ones are named `grp:...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupProperty {
    /// Its name.
    pub group_property: String,
    /// The group type it is on.
    #[serde(default)]
    pub group_type: Option<String>,
    /// Its description, type and values.
    #[serde(flatten)]
    pub schema: PropertySchema,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl GroupProperty {
    /// Property `group_property`, shared, with nothing planned.
    pub fn new(group_property: impl Into<String>) -> Self {
        Self {
            group_property: group_property.into(),
            group_type: None,
            schema: PropertySchema::default(),
            other: Map::new(),
        }
    }
}
