//! Reading a request's query string into amp-model values, with errors that name the parameter.

use std::str::FromStr;

use amp_model::ValidationError;
use amp_model::dashboard::{DateRange, Event, Segment};
use serde::de::DeserializeOwned;

/// The longest range the emulator computes, so that no request can make it build an absurd
/// number of buckets (Amplitude itself caps daily series at 365 days).
pub const MAX_DAYS: u64 = 3_660;

/// A request's decoded query parameters, repeats kept in order.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes a raw query string (`a=1&b=%20`).
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// Decodes a form body.
    pub fn from_form(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, which must be there.
    pub fn required(&self, name: &'static str) -> Result<&str, ValidationError> {
        self.get(name)
            .ok_or_else(|| ValidationError::new(name, "is required"))
    }

    /// `start` and `end`, at most [`MAX_DAYS`] apart.
    pub fn range(&self) -> Result<DateRange, ValidationError> {
        let range = DateRange::parse(self.required("start")?, self.required("end")?)?;
        if range.days() > MAX_DAYS {
            return Err(ValidationError::new(
                "end",
                format!(
                    "the range spans {} days; the emulator answers at most {MAX_DAYS}",
                    range.days()
                ),
            ));
        }
        Ok(range)
    }

    /// `name` parsed from text (numbers, enums).
    pub fn parsed<T: FromStr>(&self, name: &'static str) -> Result<Option<T>, ValidationError> {
        self.get(name)
            .map(|text| {
                text.trim().parse().map_err(|_| {
                    ValidationError::new(name, format!("`{text}` is not a valid value"))
                })
            })
            .transpose()
    }

    /// `name` as JSON.
    pub fn json<T: DeserializeOwned>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, ValidationError> {
        self.get(name).map(|text| json(name, text)).transpose()
    }

    /// The event in `name`.
    pub fn event(&self, name: &'static str) -> Result<Event, ValidationError> {
        json(name, self.required(name)?)
    }

    /// The segment in `s`, if any.
    pub fn segment(&self) -> Result<Option<Segment>, ValidationError> {
        self.json("s")
    }
}

/// Parses JSON text of parameter `name`.
pub fn json<T: DeserializeOwned>(name: &'static str, text: &str) -> Result<T, ValidationError> {
    serde_json::from_str(text).map_err(|error| {
        ValidationError::new(
            name,
            format!("is not valid JSON for this parameter: {error}"),
        )
    })
}
