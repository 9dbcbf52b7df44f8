use std::borrow::Cow;
use std::fmt::Display;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::catalogue::EndpointSpec;
use crate::{Cost, ValidationError};

/// A request to one endpoint, as plain data: it knows its path, its wire parameters, whether it
/// may be sent, and what it costs against Amplitude's limits. Nothing here does I/O.
pub trait Query {
    /// What the endpoint answers.
    type Response: DeserializeOwned;

    /// The endpoint's catalogue entry (path template, family, rate class, parameters).
    fn spec(&self) -> &'static EndpointSpec;

    /// The path on the API host, with path parameters filled in.
    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.spec().path)
    }

    /// Refuses a query Amplitude would reject, naming the parameter and what is allowed.
    fn validate(&self) -> Result<(), ValidationError>;

    /// The query-string parameters, decoded, in a stable order. Percent-encoding is the
    /// transport's job.
    fn query_pairs(&self) -> QueryPairs;

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

    /// Appends `name=value` when there is a value.
    pub fn push_opt(&mut self, name: &'static str, value: Option<impl Display>) {
        if let Some(value) = value {
            self.push(name, value);
        }
    }

    /// Appends `name` with `value` as compact JSON, the form of `e`, `s`, `rb` and friends.
    pub fn push_json(&mut self, name: &'static str, value: &impl Serialize) {
        // The model's types have string keys only, so serialising them cannot fail.
        let json = serde_json::to_string(value).expect("model types serialise to JSON");
        self.0.push((name, json));
    }

    /// Appends `name=v1,v2,...` when `values` is not empty (the Profile API's lists).
    pub fn push_list(&mut self, name: &'static str, values: &[String]) {
        if !values.is_empty() {
            self.0.push((name, values.join(",")));
        }
    }

    /// Appends `name=true` when `flag` is set; Amplitude reads an absent flag as false.
    pub fn push_flag(&mut self, name: &'static str, flag: bool) {
        if flag {
            self.push(name, "true");
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
