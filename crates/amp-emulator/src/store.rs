//! The event store: every event, compactly, with the user properties it saw, and one record per
//! user. Strings that repeat (event types, property names and values, device IDs) are
//! interned, so a million events fit in a few hundred megabytes. Maps hash with `FxHash`: the
//! keys are the project's own strings and numbers, and loading hashes several per event.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde_json::Value;

use crate::timeline::{Attrs, Carried, Change, Custom, Props, PropsId, PropsTable, Traits};

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
    /// When it reached the project (Amplitude's `server_upload_time`), in ms: what the Export
    /// API selects by.
    pub uploaded_ms: i64,
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
    /// The user properties in force when it happened, its own payload applied.
    pub state: StateId,
}

impl Event {
    /// Revenue carried by the event, if any.
    pub fn revenue(&self) -> Option<f64> {
        (!self.revenue.is_nan()).then_some(self.revenue)
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
    /// The properties in force after the user's newest event or identify call.
    pub state: StateId,
    /// Time of the newest event or identify call, ms.
    pub last_seen_ms: i64,
    /// Time of the first event, ms.
    pub first_seen_ms: i64,
    /// This user's events, indices into [`Store::events`], in time order (in arrival order
    /// among events of the same time).
    pub events: Vec<u32>,
    /// What the user's events carried: `(event index, change)` for each event that carried
    /// something other than the user's event before it did.
    carried: Vec<(u32, ChangeId)>,
    /// Identify calls: their time, their place among arrivals, and what they carried.
    identifies: Vec<(i64, u64, ChangeId)>,
    /// The change last applied to `state`.
    last_applied: ChangeId,
    /// Deleted by a deletion job: no events, ids or properties left.
    pub deleted: bool,
}

/// Index of a user-property state in the store.
pub type StateId = u32;
/// Index of a carried [`Change`] in the store.
type ChangeId = u32;

/// The place of event `index` among arrivals; an identify call that arrived when `count` events
/// were stored sits at `2 * count`, between events `count - 1` and `count`.
fn event_order(index: u32) -> u64 {
    u64::from(index) * 2 + 1
}

/// Everything the emulator knows.
#[derive(Debug)]
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
    /// Every distinct set of custom user properties.
    props: PropsTable,
    /// Every distinct state of a user's properties; [`Event::state`] and [`User::state`]
    /// index here. The first is the empty state.
    states: Vec<Traits>,
    state_ids: HashMap<Traits, StateId>,
    /// What events and identify calls carried; [`User`]'s records index here. The first is
    /// nothing. Changes without identify operations are interned.
    changes: Vec<Change>,
    change_ids: HashMap<(Attrs, Option<PropsId>), ChangeId>,
    /// Users with an event or identify call older than one already applied, whose states are
    /// worked out again by [`Store::settle`].
    unsettled: Vec<u32>,
    by_user_id: HashMap<String, u32>,
    by_device: HashMap<Sym, u32>,
    by_amplitude_id: HashMap<u64, u32>,
    next_amplitude_id: u64,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            strings: Interner::default(),
            users: Vec::new(),
            events: Vec::new(),
            prop_keys: Vec::new(),
            prop_values: Vec::new(),
            props: PropsTable::default(),
            states: vec![Traits::default()],
            state_ids: std::iter::once((Traits::default(), 0)).collect(),
            changes: vec![Change {
                attrs: Attrs::default(),
                custom: Custom::Nothing,
            }],
            change_ids: std::iter::once(((Attrs::default(), None), 0)).collect(),
            unsettled: Vec::new(),
            by_user_id: HashMap::default(),
            by_device: HashMap::default(),
            by_amplitude_id: HashMap::default(),
            next_amplitude_id: 0,
        }
    }
}

/// The first Amplitude ID handed out to a user whose events carry none.
const FIRST_AMPLITUDE_ID: u64 = 100_001;

impl Store {
    /// The user with this identity (`device` an interned device ID), created if new. A user ID wins over a device ID: a user ID
    /// not seen before is a new user, unless its device's user has no user ID yet (a device
    /// first seen anonymously, then with a user ID, stays with its first user, who takes it).
    pub fn user_for(
        &mut self,
        user_id: Option<&str>,
        device: Option<Sym>,
        amplitude_id: Option<u64>,
    ) -> u32 {
        let by_device = device
            .and_then(|device| self.by_device.get(&device))
            .copied()
            .filter(|&user| user_id.is_none() || self.users[user as usize].user_id.is_none());
        let found = user_id
            .and_then(|id| self.by_user_id.get(id).copied())
            .or(by_device)
            .or_else(|| amplitude_id.and_then(|id| self.by_amplitude_id.get(&id).copied()));
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
        if let Some(device) = device {
            let user = &mut self.users[index as usize];
            if !user.device_ids.contains(&device) {
                user.device_ids.push(device);
                self.by_device.entry(device).or_insert(index);
            }
        }
        index
    }

    /// Deletes users' data, as a deletion job that is done does: their events go (so no
    /// endpoint, export included, sees them), their ids are forgotten and their properties
    /// cleared. Their records stay, empty and marked, so that user indices stay valid; the
    /// other users' event indices are renumbered.
    pub fn scrub(&mut self, amplitude_ids: &[u64]) {
        let gone: HashSet<u32> = amplitude_ids
            .iter()
            .filter_map(|id| self.by_amplitude_id.get(id).copied())
            .collect();
        if gone.is_empty() {
            return;
        }
        // `kept_before[i]`: how many of the first `i` events stay, the new index of event `i`.
        let mut kept_before = Vec::with_capacity(self.events.len() + 1);
        let mut kept = 0_u32;
        kept_before.push(0);
        for event in &self.events {
            kept += u32::from(!gone.contains(&event.user));
            kept_before.push(kept);
        }
        self.events.retain(|event| !gone.contains(&event.user));
        let renumbered = |old: u32| kept_before[old as usize];
        for (index, user) in (0_u32..).zip(self.users.iter_mut()) {
            if gone.contains(&index) {
                continue;
            }
            for event in &mut user.events {
                *event = renumbered(*event);
            }
            for (event, _) in &mut user.carried {
                *event = renumbered(*event);
            }
            // An identify call sits at twice the number of events stored when it arrived.
            for (_, order, _) in &mut user.identifies {
                let count = usize::try_from(*order / 2).unwrap_or(usize::MAX);
                *order = u64::from(kept_before.get(count).copied().unwrap_or(kept)) * 2;
            }
        }
        for &index in &gone {
            let user = &mut self.users[index as usize];
            if let Some(id) = user.user_id.take() {
                self.by_user_id.remove(&id);
            }
            for device in user.device_ids.drain(..) {
                if self.by_device.get(&device) == Some(&index) {
                    self.by_device.remove(&device);
                }
            }
            self.by_amplitude_id.remove(&user.amplitude_id);
            user.events.clear();
            user.carried.clear();
            user.identifies.clear();
            user.state = 0;
            user.last_applied = 0;
            user.deleted = true;
        }
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

    /// Adds an event with its properties and what it carries about its user, and indexes it
    /// under its user.
    #[allow(clippy::too_many_arguments, reason = "an event's fields")]
    pub fn push_event(
        &mut self,
        user: u32,
        event_type: Sym,
        time_ms: i64,
        uploaded_ms: i64,
        session_id: i64,
        device: Sym,
        revenue: Option<f64>,
        props: impl IntoIterator<Item = (Sym, Prop)>,
        change: Change<&impl Carried>,
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
        let carried = self.users[user as usize].carried.last().map(|&(_, id)| id);
        let like = carried.and_then(|id| match self.changes[id as usize].custom {
            Custom::Snapshot(props) => Some(props),
            _ => None,
        });
        let change = change.stored(&mut self.props, like);
        let change = match carried {
            Some(id) if self.changes[id as usize] == change => id,
            _ => {
                let id = self.add_change(change);
                self.users[user as usize].carried.push((index, id));
                id
            }
        };
        let state = self.advance(user, time_ms, change);
        let record = &mut self.users[user as usize];
        record.first_seen_ms = record.first_seen_ms.min(time_ms);
        record.events.push(index);
        self.events.push(Event {
            user,
            event_type,
            time_ms,
            uploaded_ms,
            session_id,
            device,
            revenue: revenue.unwrap_or(f64::NAN),
            props_start,
            props_len,
            state,
        });
    }

    /// Records an identify call: what it carries applies to the user's events after `time_ms`.
    pub fn identify(&mut self, user: u32, time_ms: i64, change: Change<&impl Carried>) {
        let order = u64::try_from(self.events.len()).unwrap_or(u64::MAX) * 2;
        let change = change.stored(&mut self.props, None);
        let change = self.add_change(change);
        self.users[user as usize]
            .identifies
            .push((time_ms, order, change));
        self.advance(user, time_ms, change);
    }

    fn add_change(&mut self, change: Change) -> ChangeId {
        let key = match change.custom {
            Custom::Nothing => Some((change.attrs, None)),
            Custom::Snapshot(props) => Some((change.attrs, Some(props))),
            Custom::Operations(_) => None,
        };
        if let Some(&id) = key.as_ref().and_then(|key| self.change_ids.get(key)) {
            return id;
        }
        let id = ChangeId::try_from(self.changes.len()).expect("fewer than 4 billion changes");
        self.changes.push(change);
        if let Some(key) = key {
            self.change_ids.insert(key, id);
        }
        id
    }

    fn add_state(&mut self, traits: Traits) -> StateId {
        *self.state_ids.entry(traits).or_insert_with(|| {
            let id = StateId::try_from(self.states.len()).expect("fewer than 4 billion states");
            self.states.push(traits);
            id
        })
    }

    /// Applies `change` on top of the user's newest properties and gives the state it makes.
    /// An arrival older than what was already applied leaves the user for [`Store::settle`].
    fn advance(&mut self, user: u32, time_ms: i64, change: ChangeId) -> StateId {
        let record = &self.users[user as usize];
        let (before, last) = (record.state, record.last_applied);
        if time_ms < record.last_seen_ms {
            self.unsettle(user);
            return before;
        }
        let after = self.step(before, last, change);
        let record = &mut self.users[user as usize];
        record.state = after;
        record.last_applied = change;
        record.last_seen_ms = time_ms;
        after
    }

    /// The state after `change`, from `state` reached by applying `last`: the same state when
    /// `change` is `last` again and applying it twice is applying it once.
    fn step(&mut self, state: StateId, last: ChangeId, id: ChangeId) -> StateId {
        let change = &self.changes[id as usize];
        if id == last && change.repeatable() {
            return state;
        }
        let next = change.apply(self.states[state as usize], &mut self.props);
        self.add_state(next)
    }

    fn unsettle(&mut self, user: u32) {
        if self.unsettled.last() != Some(&user) {
            self.unsettled.push(user);
        }
    }

    /// Puts the events of every user who received something out of time order back in time
    /// order, and works out again the properties each of their events saw.
    pub fn settle(&mut self) {
        let mut users = std::mem::take(&mut self.unsettled);
        users.sort_unstable();
        users.dedup();
        for user in users {
            self.replay(user);
        }
    }

    /// Applies everything a user's events and identify calls carried, in time order.
    fn replay(&mut self, user: u32) {
        let record = &self.users[user as usize];
        let mut arrivals: Vec<(i64, u64, ChangeId, Option<u32>)> = Vec::new();
        let mut carried = record.carried.iter().peekable();
        let mut change = 0;
        let mut in_arrival_order = record.events.clone();
        in_arrival_order.sort_unstable();
        for &event in &in_arrival_order {
            while let Some(&&(from, id)) = carried.peek() {
                if from > event {
                    break;
                }
                change = id;
                carried.next();
            }
            let time = self.events[event as usize].time_ms;
            arrivals.push((time, event_order(event), change, Some(event)));
        }
        arrivals.extend(
            record
                .identifies
                .iter()
                .map(|&(time, order, change)| (time, order, change, None)),
        );
        arrivals.sort_unstable_by_key(|&(time, order, ..)| (time, order));
        let mut state = 0;
        let mut last = 0;
        let mut events = Vec::with_capacity(in_arrival_order.len());
        for &(_, _, change, event) in &arrivals {
            state = self.step(state, last, change);
            last = change;
            if let Some(event) = event {
                self.events[event as usize].state = state;
                events.push(event);
            }
        }
        let record = &mut self.users[user as usize];
        record.events = events;
        record.state = state;
        record.last_applied = last;
        record.last_seen_ms = arrivals.last().map_or(i64::MIN, |arrival| arrival.0);
    }

    /// The user properties of state `id`.
    pub fn traits(&self, id: StateId) -> &Traits {
        &self.states[id as usize]
    }

    /// A user's properties now: after their newest event or identify call.
    pub fn latest(&self, user: &User) -> &Traits {
        self.traits(user.state)
    }

    /// The custom properties of `traits`.
    pub fn custom(&self, traits: &Traits) -> &Props {
        self.props.get(traits.props)
    }

    /// An event's properties.
    pub fn props(&self, event: &Event) -> impl Iterator<Item = (Sym, &Prop)> {
        let run = event.props_start as usize..(event.props_start + event.props_len) as usize;
        self.prop_keys[run.clone()]
            .iter()
            .copied()
            .zip(&self.prop_values[run])
    }

    /// Built-in property `key` of `traits`.
    pub fn attr<'a>(&'a self, traits: &Traits, key: &str) -> Option<&'a str> {
        traits.attrs.get(&self.strings, key)
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
