//! The tracking plan the Taxonomy API edits: event categories, and planned event types and
//! properties, each an [`Entry`] of answer fields under a [`Key`]. What the data holds (event
//! types and properties sent, custom user properties set) is [`Seen`] on each request, so the
//! plan keeps only what the API wrote: a live item is planned once written, and a deleted live
//! item is kept, marked deleted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::store::Store;
use crate::timeline::ATTRIBUTES;

/// What kind of item of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An event type.
    EventType,
    /// An event property, shared or on one event type.
    EventProperty,
    /// A user property.
    UserProperty,
    /// A group property, shared or on one group type.
    GroupProperty,
}

impl Kind {
    /// The answer key naming an item (`event_type`, `event_property`, ...).
    pub fn name_key(self) -> &'static str {
        match self {
            Self::EventType => "event_type",
            Self::EventProperty => "event_property",
            Self::UserProperty => "user_property",
            Self::GroupProperty => "group_property",
        }
    }

    /// The answer key naming a scoped item's scope (`event_type`, `group_type`).
    pub fn scope_key(self) -> Option<&'static str> {
        match self {
            Self::EventProperty => Some("event_type"),
            Self::GroupProperty => Some("group_type"),
            Self::EventType | Self::UserProperty => None,
        }
    }

    /// How Amplitude's messages name the kind.
    pub fn noun(self) -> &'static str {
        match self {
            Self::EventType => "event type",
            Self::EventProperty => "event property",
            Self::UserProperty => "user property",
            Self::GroupProperty => "group property",
        }
    }
}

/// Where an item is in the plan: a property's scope is its event or group type, `None` for a
/// shared property (and for event types and user properties).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Its kind.
    pub kind: Kind,
    /// Its event or group type, for an item on one.
    pub scope: Option<String>,
    /// Its name.
    pub name: String,
}

impl Key {
    /// Item `name` of `kind`, shared or of `scope`.
    pub fn new(kind: Kind, scope: Option<&str>, name: &str) -> Self {
        Self {
            kind,
            scope: scope.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

/// A planned item: the fields written through the API, and whether it is deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its answer fields as written (`description`, `type`, `category`, ...).
    pub fields: Map<String, Value>,
    /// Deleted, and restorable.
    pub deleted: bool,
}

/// One edit of the plan, as journalled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum PlanEdit {
    /// An event category created or renamed, or deleted (`None`).
    Category {
        /// Its id.
        id: u64,
        /// Its name.
        name: Option<String>,
    },
    /// An item's whole new state, or its removal from the plan (`None`).
    Item {
        /// The item.
        key: Key,
        /// Its state.
        entry: Option<Entry>,
    },
}

/// The plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Event categories' names, by id.
    pub categories: BTreeMap<u64, String>,
    /// Planned items.
    pub entries: BTreeMap<Key, Entry>,
}

impl Plan {
    /// Applies `edit`; returns the id or name of what it changed.
    pub fn apply(&mut self, edit: &PlanEdit) -> String {
        match edit {
            PlanEdit::Category { id, name } => {
                self.put_category(*id, name.as_deref());
                id.to_string()
            }
            PlanEdit::Item { key, entry } => {
                match entry {
                    Some(entry) => self.entries.insert(key.clone(), entry.clone()),
                    None => self.entries.remove(key),
                };
                key.name.clone()
            }
        }
    }

    /// Category `id` named `name`, or deleted with `None`. An event type in it follows: renamed
    /// with it, or without a category.
    fn put_category(&mut self, id: u64, name: Option<&str>) {
        let old = match name {
            Some(name) => self.categories.insert(id, name.to_owned()),
            None => self.categories.remove(&id),
        };
        let Some(old) = old else { return };
        for (key, entry) in &mut self.entries {
            let in_it = entry.fields.get("category") == Some(&json!({ "name": old }));
            if key.kind == Kind::EventType && in_it {
                match name {
                    Some(name) => entry
                        .fields
                        .insert("category".into(), json!({ "name": name })),
                    None => entry.fields.remove("category"),
                };
            }
        }
    }

    /// The id of the category named `name`.
    pub fn category_named(&self, name: &str) -> Option<u64> {
        self.categories
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(id, _)| *id)
    }

    /// The id the next category gets.
    pub fn next_category_id(&self) -> u64 {
        self.categories
            .keys()
            .next_back()
            .map_or(1, |last| last + 1)
    }
}

/// The user properties Amplitude keeps itself: listed always, never deletable.
pub fn amplitude_user_properties() -> impl Iterator<Item = &'static str> {
    ["user_id", "device_id", "amplitude_id"]
        .into_iter()
        .chain(ATTRIBUTES)
}

/// What the project's data holds, as the plan sees it.
#[derive(Debug, Default)]
pub struct Seen {
    /// Event types sent, each with the properties its events carried.
    pub event_types: BTreeMap<String, BTreeSet<String>>,
    /// User properties: Amplitude's own, and custom ones set (named `gp:...`).
    pub user_properties: BTreeSet<String>,
}

impl Seen {
    /// What `store` holds.
    pub fn of(store: &Store) -> Self {
        let mut seen = Self::default();
        for event in &store.events {
            let properties = seen
                .event_types
                .entry(store.strings.name(event.event_type).to_owned())
                .or_default();
            for (key, _) in store.props(event) {
                let key = store.strings.name(key);
                if !properties.contains(key) {
                    properties.insert(key.to_owned());
                }
            }
        }
        seen.user_properties = amplitude_user_properties().map(str::to_owned).collect();
        for user in store.users.iter().filter(|user| !user.deleted) {
            for key in store.custom(store.latest(user)).to_map().keys() {
                seen.user_properties.insert(format!("gp:{key}"));
            }
        }
        seen
    }

    /// Whether the data holds the item `key` names.
    pub fn holds(&self, key: &Key) -> bool {
        match key.kind {
            Kind::EventType => self.event_types.contains_key(&key.name),
            Kind::EventProperty => match &key.scope {
                Some(event_type) => self
                    .event_types
                    .get(event_type)
                    .is_some_and(|properties| properties.contains(&key.name)),
                None => self
                    .event_types
                    .values()
                    .any(|properties| properties.contains(&key.name)),
            },
            Kind::UserProperty => self.user_properties.contains(&key.name),
            Kind::GroupProperty => false,
        }
    }

    /// The items of `kind` in `scope` the data holds.
    pub fn names(&self, kind: Kind, scope: Option<&str>) -> BTreeSet<String> {
        match (kind, scope) {
            (Kind::EventType, _) => self.event_types.keys().cloned().collect(),
            (Kind::EventProperty, Some(event_type)) => self
                .event_types
                .get(event_type)
                .cloned()
                .unwrap_or_default(),
            (Kind::EventProperty, None) => self.event_types.values().flatten().cloned().collect(),
            (Kind::UserProperty, _) => self.user_properties.clone(),
            (Kind::GroupProperty, _) => BTreeSet::new(),
        }
    }
}
