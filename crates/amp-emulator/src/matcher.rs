//! An event definition (a segmentation event, a funnel step, a retention action) resolved
//! against the store once, so that testing millions of events compares numbers, not strings.

use amp_model::dashboard::{Event, EventType, Filter};
use amp_model::{FilterOperator, PropertyType};

use crate::predicate::{compare, event_values, user_values};
use crate::store::{Event as Stored, Prop, Store, Sym};

/// Which events a definition takes, before filters.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `_active`, `_all`.
    Any,
    /// Events with revenue.
    Revenue,
    /// A user's first event (`_new`).
    First,
    /// One event type; `None` when the store has never seen it.
    Type(Option<Sym>),
}

/// A filter resolved against the store: its property's symbol, and the symbols of the values
/// it names (values the store has never seen match no event).
#[derive(Debug, Clone)]
struct Compiled<'a> {
    filter: &'a Filter,
    key: Option<Sym>,
    values: Vec<Sym>,
}

/// A compiled event definition.
#[derive(Debug, Clone)]
pub struct Matcher<'a> {
    kind: Kind,
    filters: Vec<Compiled<'a>>,
}

impl<'a> Matcher<'a> {
    /// Compiles `spec` against `store`.
    pub fn new(store: &Store, spec: &'a Event) -> Self {
        let kind = match &spec.event_type {
            EventType::AnyActive | EventType::Any => Kind::Any,
            EventType::Revenue | EventType::VerifiedRevenue | EventType::UnverifiedRevenue => {
                Kind::Revenue
            }
            EventType::New => Kind::First,
            other => Kind::Type(store.strings.get(other.as_str())),
        };
        let filters = spec
            .filters
            .iter()
            .map(|filter| Compiled {
                filter,
                key: store.strings.get(&filter.subprop_key),
                values: filter
                    .subprop_value
                    .iter()
                    .filter_map(|value| store.strings.get(value))
                    .collect(),
            })
            .collect();
        Self { kind, filters }
    }

    /// Whether `event` is of the definition's type and passes its filters.
    pub fn matches(&self, store: &Store, event: &Stored) -> bool {
        let typed = match self.kind {
            Kind::Any => true,
            Kind::Revenue => event.revenue().is_some(),
            Kind::First => store.users[event.user as usize].first_seen_ms == event.time_ms,
            Kind::Type(sym) => sym == Some(event.event_type),
        };
        typed
            && self
                .filters
                .iter()
                .all(|filter| passes(store, event, filter))
    }
}

/// One filter (a user property as it stood at the event); a string event property tested with
/// `is` or `is not` is compared by symbol.
fn passes(store: &Store, event: &Stored, compiled: &Compiled<'_>) -> bool {
    let Compiled {
        filter,
        key,
        values,
    } = compiled;
    if filter.subprop_type == PropertyType::User {
        return compare(
            &filter.subprop_op,
            &user_values(store, store.traits(event.state), &filter.subprop_key),
            &filter.subprop_value,
        );
    }
    let prop = key.and_then(|key| {
        store
            .props(event)
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    });
    if let Some(Prop::Str(text)) = prop {
        match filter.subprop_op {
            FilterOperator::Is => return values.contains(text),
            FilterOperator::IsNot => return !values.contains(text),
            _ => {}
        }
    }
    compare(
        &filter.subprop_op,
        &event_values(store, event, &filter.subprop_key),
        &filter.subprop_value,
    )
}
