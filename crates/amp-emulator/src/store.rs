//! The event store: every event, compactly, and one record per user with their latest
//! properties. Strings that repeat (event types, property names and values, device IDs) are
//! interned, so a million events fit in a few hundred megabytes.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// An interned string.
pub type Sym = u32;

/// Interns strings.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The symbol of `text`, adding it if new.
    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(&sym) = self.ids.get(text) {
            return sym;
        }
        let sym = Sym::try_from(self.names.len()).expect("fewer than 4 billion distinct strings");
        self.names.push(text.into());
        self.ids.insert(text.into(), sym);
        sym
    }

    /// The symbol of `text`, if interned.
    pub fn get(&self, text: &str) -> Option<Sym> {
        self.ids.get(text).copied()
    }

    /// The text of `sym`.
    pub fn name(&self, sym: Sym) -> &str {
        &self.names[sym as usize]
    }
}

/// An event property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// A string.
    Str(Sym),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// Anything else (arrays, objects, null), as sent.
    Json(Box<Value>),
}

/// One event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Index of the user in [`Store::users`].
    pub user: u32,
    /// The event type.
    pub event_type: Sym,
    /// When, in milliseconds since the epoch (UTC).
    pub time_ms: i64,
    /// The session (its start in ms), or -1 outside a session.
    pub session_id: i64,
    /// The device it came from.
    pub device: Sym,
    /// Revenue carried by the event; NaN when it carries none.
    revenue: f64,
    /// Where the event's properties start in [`Store::props`].
    props_start: u32,
    /// How many properties it has.
    props_len: u32,
}

/// The built-in user properties Amplitude keeps for each user, by name.
pub const ATTRIBUTES: [&str; 14] = [
    "country",
    "city",
    "region",
    "DMA",
    "language",
    "platform",
    "version",
    "os",
    "device",
    "device_type",
    "carrier",
    "start_version",
    "library",
    "paying",
];

/// A user's built-in properties, interned, in the order of [`ATTRIBUTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs([Option<Sym>; ATTRIBUTES.len()]);

impl Default for Attrs {
    fn default() -> Self {
        Self([None; ATTRIBUTES.len()])
    }
}

impl Attrs {
    /// The value of built-in property `key`, if it is one and is set.
    pub fn get<'a>(&self, strings: &'a Interner, key: &str) -> Option<&'a str> {
        let slot = ATTRIBUTES.iter().position(|name| *name == key)?;
        self.0[slot].map(|sym| strings.name(sym))
    }

    /// Sets built-in property `key`; other names are ignored.
    pub fn set(&mut self, strings: &mut Interner, key: &str, value: &str) {
        if let Some(slot) = ATTRIBUTES.iter().position(|name| *name == key) {
            self.0[slot] = Some(strings.intern(value));
        }
    }
}

impl Event {
    /// Revenue carried by the event, if any.
    pub fn revenue(&self) -> Option<f64> {
        (!self.revenue.is_nan()).then_some(self.revenue)
    }
}

/// Custom user properties: a short list, where a map would reserve a node per user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props(Vec<(Box<str>, Value)>);

impl Props {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(name, _)| &**name == key)
            .map(|(_, value)| value)
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, key: &str, value: &Value) {
        match self.0.iter_mut().find(|(name, _)| &**name == key) {
            Some((_, current)) if current != value => *current = value.clone(),
            Some(_) => {}
            None => self.0.push((key.into(), value.clone())),
        }
    }

    /// The properties as a JSON map.
    pub fn to_map(&self) -> Map<String, Value> {
        self.0
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect()
    }

    /// Properties from a JSON map.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self(
            map.into_iter()
                .map(|(key, value)| (key.into_boxed_str(), value))
                .collect(),
        )
    }
}

impl serde::Serialize for Props {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (&**key, value)))
    }
}

/// One user.
#[derive(Debug, Clone, Default)]
pub struct User {
    /// Amplitude ID.
    pub amplitude_id: u64,
    /// User ID, if the user was identified.
    pub user_id: Option<String>,
    /// Device IDs seen, in order.
    device_ids: Vec<Sym>,
    /// Built-in properties (`country`, `platform`, `version`, ...) from the newest event.
    pub attrs: Attrs,
    /// Custom user properties, as set by events and identify calls.
    pub props: Props,
    /// Time of the newest event applied to `attrs`, ms.
    pub last_seen_ms: i64,
    /// Time of the first event, ms.
    pub first_seen_ms: i64,
    /// This user's events, indices into [`Store::events`], in the order they arrived.
    pub events: Vec<u32>,
}

/// Everything the emulator knows.
#[derive(Debug, Default)]
pub struct Store {
    /// Interned strings.
    pub strings: Interner,
    /// Users; an event's `user` indexes here.
    pub users: Vec<User>,
    /// Events, in the order they arrived.
    pub events: Vec<Event>,
    /// Every event's property names, one run per event; `prop_values` holds their values.
    prop_keys: Vec<Sym>,
    /// The values of `prop_keys`, kept apart so that no padding sits between a name and a value.
    prop_values: Vec<Prop>,
    by_user_id: HashMap<String, u32>,
    by_device: HashMap<Sym, u32>,
    by_amplitude_id: HashMap<u64, u32>,
    next_amplitude_id: u64,
}

/// The first Amplitude ID handed out to a user whose events carry none.
const FIRST_AMPLITUDE_ID: u64 = 100_001;

impl Store {
    /// The user with this identity, created if new. A user ID wins over a device ID; a device
    /// first seen anonymously and later with a user ID stays with its first user.
    pub fn user_for(
        &mut self,
        user_id: Option<&str>,
        device_id: Option<&str>,
        amplitude_id: Option<u64>,
    ) -> u32 {
        let found = user_id
            .and_then(|id| self.by_user_id.get(id))
            .or_else(|| device_id.and_then(|id| self.by_device.get(&self.strings.get(id)?)))
            .or_else(|| amplitude_id.and_then(|id| self.by_amplitude_id.get(&id)))
            .copied();
        let index = found.unwrap_or_else(|| {
            let index = u32::try_from(self.users.len()).expect("fewer than 4 billion users");
            let amplitude_id = amplitude_id
                .filter(|id| !self.by_amplitude_id.contains_key(id))
                .unwrap_or_else(|| {
                    self.next_amplitude_id = self.next_amplitude_id.max(FIRST_AMPLITUDE_ID);
                    while self.by_amplitude_id.contains_key(&self.next_amplitude_id) {
                        self.next_amplitude_id += 1;
                    }
                    self.next_amplitude_id
                });
            self.by_amplitude_id.insert(amplitude_id, index);
            self.users.push(User {
                amplitude_id,
                first_seen_ms: i64::MAX,
                last_seen_ms: i64::MIN,
                ..User::default()
            });
            index
        });
        let user = &mut self.users[index as usize];
        if let Some(id) = user_id.filter(|_| user.user_id.is_none()) {
            user.user_id = Some(id.to_owned());
            self.by_user_id.insert(id.to_owned(), index);
        }
        if let Some(id) = device_id {
            let sym = self.strings.intern(id);
            let user = &mut self.users[index as usize];
            if !user.device_ids.contains(&sym) {
                user.device_ids.push(sym);
                self.by_device.entry(sym).or_insert(index);
            }
        }
        index
    }

    /// The user with this user ID.
    pub fn by_user_id(&self, user_id: &str) -> Option<u32> {
        self.by_user_id.get(user_id).copied()
    }

    /// The user with this device ID.
    pub fn by_device(&self, device_id: &str) -> Option<u32> {
        self.by_device.get(&self.strings.get(device_id)?).copied()
    }

    /// A user's device IDs, first seen first.
    pub fn device_ids<'a>(
        &'a self,
        user: &'a User,
    ) -> impl DoubleEndedIterator<Item = &'a str> + 'a {
        user.device_ids.iter().map(|sym| self.strings.name(*sym))
    }

    /// The user with this Amplitude ID.
    pub fn by_amplitude_id(&self, amplitude_id: u64) -> Option<u32> {
        self.by_amplitude_id.get(&amplitude_id).copied()
    }

    /// Adds an event with its properties and indexes it under its user.
    #[allow(clippy::too_many_arguments, reason = "an event's fields")]
    pub fn push_event(
        &mut self,
        user: u32,
        event_type: Sym,
        time_ms: i64,
        session_id: i64,
        device: Sym,
        revenue: Option<f64>,
        props: impl IntoIterator<Item = (Sym, Prop)>,
    ) {
        let index = u32::try_from(self.events.len()).expect("fewer than 4 billion events");
        let props_start =
            u32::try_from(self.prop_keys.len()).expect("fewer than 4 billion properties");
        for (key, value) in props {
            self.prop_keys.push(key);
            self.prop_values.push(value);
        }
        let props_len = u32::try_from(self.prop_keys.len())
            .expect("fewer than 4 billion properties")
            - props_start;
        let record = &mut self.users[user as usize];
        record.first_seen_ms = record.first_seen_ms.min(time_ms);
        record.events.push(index);
        self.events.push(Event {
            user,
            event_type,
            time_ms,
            session_id,
            device,
            revenue: revenue.unwrap_or(f64::NAN),
            props_start,
            props_len,
        });
    }

    /// An event's properties.
    pub fn props(&self, event: &Event) -> impl Iterator<Item = (Sym, &Prop)> {
        let run = event.props_start as usize..(event.props_start + event.props_len) as usize;
        self.prop_keys[run.clone()]
            .iter()
            .copied()
            .zip(&self.prop_values[run])
    }

    /// A user's built-in property `key`.
    pub fn attr(&self, user: &User, key: &str) -> Option<&str> {
        user.attrs.get(&self.strings, key)
    }

    /// Gives back memory held in reserve after a bulk load.
    pub fn shrink(&mut self) {
        self.events.shrink_to_fit();
        self.prop_keys.shrink_to_fit();
        self.prop_values.shrink_to_fit();
        for user in &mut self.users {
            user.events.shrink_to_fit();
        }
    }

    /// The text of a property value.
    pub fn prop_text(&self, prop: &Prop) -> String {
        match prop {
            Prop::Str(sym) => self.strings.name(*sym).to_owned(),
            Prop::Num(number) => number_text(*number),
            Prop::Bool(flag) => flag.to_string(),
            Prop::Json(value) => value_text(value),
        }
    }

    /// A property value as JSON.
    pub fn prop_json(&self, prop: &Prop) -> Value {
        match prop {
            Prop::Str(sym) => Value::String(self.strings.name(*sym).to_owned()),
            Prop::Num(number) => {
                serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number)
            }
            Prop::Bool(flag) => Value::Bool(*flag),
            Prop::Json(value) => (**value).clone(),
        }
    }

    /// An event's property `key`, if it has one.
    pub fn event_prop(&self, event: &Event, key: &str) -> Option<&Prop> {
        let sym = self.strings.get(key)?;
        self.props(event)
            .find(|(name, _)| *name == sym)
            .map(|(_, value)| value)
    }
}

/// A number as Amplitude shows it: no `.0` on whole numbers.
pub fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{number:.0}")
    } else {
        number.to_string()
    }
}

/// A JSON value as text: strings bare, everything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number
            .as_f64()
            .map_or_else(|| number.to_string(), number_text),
        other => other.to_string(),
    }
}
