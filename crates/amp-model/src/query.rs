use std::fmt::Display;

use serde::de::DeserializeOwned;

use crate::wire::{Composite, Param, Wire};
use crate::{Cost, ValidationError};

/// A request to one endpoint, as plain data: its form on the wire ([`Wire`], generated from the
/// spec), whether it may be sent, and what it costs against Amplitude's limits. Nothing here
/// does I/O.
pub trait Query: Wire {
    /// What the endpoint answers.
    type Response: DeserializeOwned;

    /// Refuses a query Amplitude would reject, naming the parameter and what is allowed: a
    /// value Amplitude does not define ([`Wire::check_values`]), then the endpoint's own rules
    /// ([`Query::validate_rules`]). The emulator runs the same check on what it receives.
    ///
    /// # Errors
    ///
    /// The first rule the query breaks.
    fn validate(&self) -> Result<(), ValidationError> {
        self.check_values()?;
        self.validate_rules()
    }

    /// The endpoint's rules within and across parameters (ranges, combinations, the contents of
    /// events and segments); none by default.
    ///
    /// # Errors
    ///
    /// The first rule the query breaks.
    fn validate_rules(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    /// The query's cost against the project's limits (see [`crate::cost`]).
    fn cost(&self) -> Cost;
}

/// Query-string parameters in the order they are written; a name may repeat (funnel steps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryPairs(Vec<(&'static str, String)>);

impl QueryPairs {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name=value`.
    pub fn push(&mut self, name: &'static str, value: impl Display) {
        self.0.push((name, value.to_string()));
    }

    /// Appends `name` with `value`'s wire form, unless the value is left off (an empty
    /// segment, a false flag).
    pub fn put(&mut self, name: &'static str, value: &impl Param) {
        if let Some(text) = value.to_wire() {
            self.0.push((name, text));
        }
    }

    /// Appends the parameters `names` of a value spread over several.
    pub fn put_composite<const N: usize>(
        &mut self,
        names: [&'static str; N],
        value: &impl Composite<N>,
    ) {
        for (name, text) in names.into_iter().zip(value.to_wire()) {
            if let Some(text) = text {
                self.0.push((name, text));
            }
        }
    }

    /// The pairs, in order.
    pub fn as_slice(&self) -> &[(&'static str, String)] {
        &self.0
    }

    /// The value of the first pair named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for QueryPairs {
    type Item = (&'static str, String);
    type IntoIter = std::vec::IntoIter<Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// `Query` for queries of one request each, not cost queries: one unit, the request's share
/// of the five concurrent requests every REST endpoint shares.
macro_rules! one_unit {
    ($($query:ty => $response:ty),* $(,)?) => {$(
        impl $crate::Query for $query {
            type Response = $response;

            fn cost(&self) -> $crate::Cost {
                $crate::Cost::MINIMUM
            }
        }
    )*};
}
pub(crate) use one_unit;
