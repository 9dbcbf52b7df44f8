//! How a query travels: every query writes itself to query pairs and reads itself back from them,
//! through code generated from `spec/endpoints.toml`. Writing is what the SDK sends; reading is
//! strict, for the emulator, which must refuse what Amplitude refuses: an unknown enum value,
//! malformed JSON, a wrong type, a missing required or a repeated single parameter.
//!
//! The hand-written part is here: how each kind of value is written and read ([`Param`]), and
//! how a value spread over several parameters is ([`Composite`]); no wire name is written here.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;

use crate::catalogue::EndpointSpec;
use crate::dashboard::{Event, Segment};
use crate::dates::{format_compact, parse_compact};
use crate::{QueryPairs, ValidationError};

/// A query's form on the wire, generated for every query type of the catalogue.
pub trait Wire: Sized {
    /// The endpoint's catalogue entry.
    const SPEC: &'static EndpointSpec;

    /// The endpoint's catalogue entry (path template, family, rate class, parameters).
    fn spec(&self) -> &'static EndpointSpec {
        Self::SPEC
    }

    /// The path on the API host, with path parameters filled in.
    fn path(&self) -> Cow<'static, str>;

    /// The query-string parameters, decoded, in the catalogue's order. Percent-encoding is the
    /// transport's job.
    fn query_pairs(&self) -> QueryPairs;

    /// The body of a write: its JSON object or form fields. `None` for a query.
    fn body(&self) -> Option<WireBody> {
        None
    }

    /// Refuses an enum parameter holding a value Amplitude does not define (an `Unknown`),
    /// since Amplitude refuses the request rather than read it as the default.
    ///
    /// # Errors
    ///
    /// The first parameter with such a value.
    fn check_values(&self) -> Result<(), ValidationError>;

    /// Reads a received request strictly: `path` is the request's path (for path parameters),
    /// `pairs` its decoded query string in order, `body` its body as received. Unknown
    /// parameters are ignored, as Amplitude ignores them.
    ///
    /// # Errors
    ///
    /// A [`ParamError`] naming the parameter and the value at fault.
    fn from_wire(path: &str, pairs: &[(String, String)], body: &[u8]) -> Result<Self, ParamError>;
}

/// A write's body, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum WireBody {
    /// An `application/json` object.
    Json(serde_json::Value),
    /// `application/x-www-form-urlencoded` fields, in order (the Taxonomy API's bodies).
    Form(QueryPairs),
}

/// A value set Amplitude defines (a generated enum): the values the SDK knows, and the word
/// people type for each.
pub trait ServerValue: fmt::Display + Clone + PartialEq + Sized + 'static {
    /// Every value the SDK knows, in the spec's order.
    const KNOWN: &'static [Self];

    /// The word people type for the value (`weekly` for 7); `None` for an unknown value.
    fn name(&self) -> Option<&'static str>;
}

/// A request parameter that cannot be read. Values are shown cut to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// A required parameter is absent.
    #[error("`{param}` is required")]
    Missing {
        /// The parameter's wire name.
        param: &'static str,
    },
    /// A parameter that takes one value was given several times.
    #[error("`{param}` is given {count} times; it takes one value")]
    Repeated {
        /// The parameter's wire name.
        param: &'static str,
        /// How many times it was given.
        count: usize,
    },
    /// A value of the wrong form.
    #[error("`{param}={}` is not valid: {problem}", shown(value))]
    Invalid {
        /// The parameter's wire name.
        param: &'static str,
        /// The value received.
        value: String,
        /// What is wrong with it.
        problem: Problem,
    },
}

impl ParamError {
    /// The wire name of the parameter at fault.
    pub fn param(&self) -> &'static str {
        match self {
            Self::Missing { param }
            | Self::Repeated { param, .. }
            | Self::Invalid { param, .. } => param,
        }
    }

    /// An error about `value` of `param`.
    pub fn invalid(param: &'static str, value: &str, problem: Problem) -> Self {
        Self::Invalid {
            param,
            value: value.to_owned(),
            problem,
        }
    }
}

/// What is wrong with a parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Not one of the values Amplitude defines; `known` lists them.
    UnknownValue {
        /// The accepted values.
        known: Vec<String>,
    },
    /// Not of the expected type (`expected` says which).
    WrongType {
        /// What was expected, e.g. "a whole number".
        expected: &'static str,
    },
    /// Not the JSON the parameter takes.
    Json(String),
    /// Anything else, said in words.
    Other(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownValue { known } => write!(formatter, "use one of {}", known.join(", ")),
            Self::WrongType { expected } => write!(formatter, "expected {expected}"),
            Self::Json(error) => write!(formatter, "not valid JSON for this parameter: {error}"),
            Self::Other(text) => formatter.write_str(text),
        }
    }
}

/// At most 100 characters of `value`, so a huge value does not flood an error.
fn shown(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(100) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &value[..cut])),
        None => Cow::Borrowed(value),
    }
}

/// A value carried by one parameter.
pub trait Param: Sized {
    /// The value's text, or `None` when it is left off (an empty segment, a false flag).
    fn to_wire(&self) -> Option<String>;

    /// Reads the value from its text.
    ///
    /// # Errors
    ///
    /// What is wrong with `text`.
    fn from_wire(text: &str) -> Result<Self, Problem>;
}

/// A value carried by `N` parameters at once (a date range, session bins, two group-bys). The
/// generated code passes the parameters' wire names in the spec's order.
pub trait Composite<const N: usize>: Sized {
    /// Each parameter's text, `None` where it is left off.
    fn to_wire(&self) -> [Option<String>; N];

    /// Reads the value from the parameters' texts.
    ///
    /// # Errors
    ///
    /// A [`ParamError`] naming one of `names`.
    fn from_wire(names: [&'static str; N], texts: [Option<&str>; N]) -> Result<Self, ParamError>;
}

impl Param for u32 {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        text.parse().map_err(|_| Problem::WrongType {
            expected: "a whole number from 0 to 4294967295",
        })
    }
}

impl Param for u64 {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        text.parse().map_err(|_| Problem::WrongType {
            expected: "a whole number of 0 or more",
        })
    }
}

impl Param for f64 {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        text.parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .ok_or(Problem::WrongType {
                expected: "a finite number",
            })
    }
}

impl Param for String {
    fn to_wire(&self) -> Option<String> {
        Some(self.clone())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        Ok(text.to_owned())
    }
}

/// A flag: written only when set, since Amplitude reads an absent flag as false.
impl Param for bool {
    fn to_wire(&self) -> Option<String> {
        self.then(|| "true".to_owned())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        match text {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            _ => Err(Problem::WrongType {
                expected: "true or false",
            }),
        }
    }
}

/// The Profile API's ID lists, comma-separated.
impl Param for Vec<String> {
    fn to_wire(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.join(","))
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        Ok(text.split(',').map(str::to_owned).collect())
    }
}

impl Param for NaiveDate {
    fn to_wire(&self) -> Option<String> {
        Some(format_compact(*self))
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        parse_compact(text).ok_or(Problem::WrongType {
            expected: "a date in the form YYYYMMDD (e.g. 20240131)",
        })
    }
}

impl Param for Event {
    fn to_wire(&self) -> Option<String> {
        Some(compact_json(self))
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        from_json(text)
    }
}

/// An empty segment is "Any users", Amplitude's default, so it is left off.
impl Param for Segment {
    fn to_wire(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| compact_json(self))
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        from_json(text)
    }
}

/// Retention brackets, `[[0,5],[5,10]]`; the single pair `[0,5]` that older clients send is
/// read as one bracket.
impl Param for Vec<[u32; 2]> {
    fn to_wire(&self) -> Option<String> {
        (!self.is_empty()).then(|| compact_json(self))
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        from_json(text).or_else(|error| {
            from_json::<[u32; 2]>(text)
                .map(|pair| vec![pair])
                .map_err(|_| error)
        })
    }
}

/// Up to `N` values over `N` parameters, in order (event segmentation's `g` and `g2`).
impl<const N: usize> Composite<N> for Vec<String> {
    fn to_wire(&self) -> [Option<String>; N] {
        std::array::from_fn(|index| self.get(index).cloned())
    }

    fn from_wire(names: [&'static str; N], texts: [Option<&str>; N]) -> Result<Self, ParamError> {
        let mut values = Vec::new();
        for (index, text) in texts.into_iter().enumerate() {
            match text {
                Some(text) if values.len() < index => {
                    return Err(ParamError::invalid(
                        names[index],
                        text,
                        Problem::Other(format!("given without `{}`", names[values.len()])),
                    ));
                }
                Some(text) => values.push(text.to_owned()),
                None => {}
            }
        }
        Ok(values)
    }
}

/// Refuses `value` of parameter `param` unless it is one of `known`.
///
/// # Errors
///
/// Names `param` and lists the known values.
pub fn check_known<T: PartialEq + fmt::Display>(
    param: &'static str,
    value: &T,
    known: &[T],
) -> Result<(), ValidationError> {
    if known.contains(value) {
        return Ok(());
    }
    Err(ValidationError::new(
        param,
        format!("`{value}` is unknown; use one of {}", listed(known)),
    ))
}

/// Refuses `value` of parameter `param` unless its wire form is one of `allowed`.
///
/// # Errors
///
/// Names `param` and what it accepts.
pub fn check_allowed(
    param: &'static str,
    value: &impl Param,
    allowed: &[&str],
) -> Result<(), ValidationError> {
    let text = value.to_wire().unwrap_or_default();
    if allowed.contains(&text.as_str()) {
        return Ok(());
    }
    Err(ValidationError::new(
        param,
        match allowed {
            [only] => format!("`{text}` is not accepted; the only value accepted is {only}"),
            _ => format!(
                "`{text}` is not accepted; use one of {}",
                allowed.join(", ")
            ),
        },
    ))
}

/// `a, b, c`.
fn listed<T: fmt::Display>(values: &[T]) -> String {
    let values: Vec<String> = values.iter().map(ToString::to_string).collect();
    values.join(", ")
}

fn compact_json(value: &impl serde::Serialize) -> String {
    // The model's types have string keys only, so serialising them cannot fail.
    serde_json::to_string(value).expect("model types serialise to JSON")
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Problem> {
    serde_json::from_str(text).map_err(|error| Problem::Json(error.to_string()))
}

/// Characters a path parameter keeps as they are: RFC 3986 unreserved ones.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path parameter percent-encoded, so that an id with `/`, `?` or a space stays one segment.
#[doc(hidden)]
pub fn path_segment(value: &impl Param) -> String {
    let text = value.to_wire().unwrap_or_default();
    percent_encoding::utf8_percent_encode(&text, PATH_SEGMENT).to_string()
}

/// Helpers the generated decoders call.
#[doc(hidden)]
pub mod decode {
    use super::{Param, ParamError, Problem};
    use crate::ValidationError;

    /// The one value of `name`, if given; a repeat is an error.
    pub fn single<'a>(
        pairs: &'a [(String, String)],
        name: &'static str,
    ) -> Result<Option<&'a str>, ParamError> {
        let mut values = pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str());
        let first = values.next();
        match values.count() {
            0 => Ok(first),
            more => Err(ParamError::Repeated {
                param: name,
                count: more + 1,
            }),
        }
    }

    /// `name` read as `T`, if given.
    pub fn optional<T: Param>(
        pairs: &[(String, String)],
        name: &'static str,
    ) -> Result<Option<T>, ParamError> {
        single(pairs, name)?
            .map(|text| value(name, text))
            .transpose()
    }

    /// `name` read as `T`; it must be given.
    pub fn required<T: Param>(
        pairs: &[(String, String)],
        name: &'static str,
    ) -> Result<T, ParamError> {
        optional(pairs, name)?.ok_or(ParamError::Missing { param: name })
    }

    /// Every value of the repeated `name`, in order; at least one when `required`.
    pub fn repeated<T: Param>(
        pairs: &[(String, String)],
        name: &'static str,
        required: bool,
    ) -> Result<Vec<T>, ParamError> {
        let values: Vec<T> = pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, text)| value(name, text))
            .collect::<Result<_, _>>()?;
        if required && values.is_empty() {
            return Err(ParamError::Missing { param: name });
        }
        Ok(values)
    }

    /// A parameter that is never sent: when received it must be `default`.
    pub fn fixed(
        pairs: &[(String, String)],
        name: &'static str,
        default: &'static str,
    ) -> Result<(), ParamError> {
        match single(pairs, name)? {
            Some(text) if text != default => Err(ParamError::invalid(
                name,
                text,
                Problem::Other(format!("the only value accepted is {default}")),
            )),
            _ => Ok(()),
        }
    }

    /// The path parameter `name` of `template`, read from `path`.
    pub fn path_param<T: Param>(
        template: &str,
        path: &str,
        name: &'static str,
    ) -> Result<T, ParamError> {
        let marker = format!("{{{name}}}");
        let segments: Vec<&str> = path.split('/').collect();
        let at = template.split('/').position(|segment| segment == marker);
        let text = at
            .filter(|_| template.split('/').count() == segments.len())
            .and_then(|at| segments.get(at).copied())
            .filter(|text| !text.is_empty())
            .ok_or(ParamError::Missing { param: name })?;
        let text = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(|_| {
                ParamError::invalid(
                    name,
                    text,
                    Problem::WrongType {
                        expected: "UTF-8 once percent-decoded",
                    },
                )
            })?;
        value(name, &text)
    }

    /// A form-encoded body's fields, decoded, in order.
    pub fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, ParamError> {
        if std::str::from_utf8(body).is_err() {
            return Err(ParamError::invalid(
                "body",
                &String::from_utf8_lossy(body),
                Problem::Other("the form body must be UTF-8".into()),
            ));
        }
        Ok(form_urlencoded::parse(body).into_owned().collect())
    }

    /// A JSON body's object; an empty body is an empty object, so that a missing key is
    /// reported as such.
    pub fn json_object(
        body: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, ParamError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Map::new());
        }
        match serde_json::from_slice(body) {
            Ok(serde_json::Value::Object(object)) => Ok(object),
            Ok(other) => Err(ParamError::invalid(
                "body",
                &other.to_string(),
                Problem::Other("the body must be a JSON object".into()),
            )),
            Err(error) => Err(ParamError::invalid(
                "body",
                &String::from_utf8_lossy(body),
                Problem::Json(error.to_string()),
            )),
        }
    }

    /// Key `name` of a JSON body read as `T`, if present (`null` is read as `T` reads it).
    pub fn json_optional<T: serde::de::DeserializeOwned>(
        object: &serde_json::Map<String, serde_json::Value>,
        name: &'static str,
    ) -> Result<Option<T>, ParamError> {
        object
            .get(name)
            .map(|value| {
                T::deserialize(value).map_err(|error| {
                    ParamError::invalid(name, &value.to_string(), Problem::Json(error.to_string()))
                })
            })
            .transpose()
    }

    /// Key `name` of a JSON body read as `T`; it must be present and not `null`.
    pub fn json_required<T: serde::de::DeserializeOwned>(
        object: &serde_json::Map<String, serde_json::Value>,
        name: &'static str,
    ) -> Result<T, ParamError> {
        match object.get(name) {
            None | Some(serde_json::Value::Null) => Err(ParamError::Missing { param: name }),
            Some(_) => json_optional(object, name)?.ok_or(ParamError::Missing { param: name }),
        }
    }

    /// `text` of parameter `name` read as `T`.
    pub fn value<T: Param>(name: &'static str, text: &str) -> Result<T, ParamError> {
        T::from_wire(text).map_err(|problem| ParamError::invalid(name, text, problem))
    }

    /// A range written as its first and last values (`start`, `end`), both required, read as
    /// `T` and put together by `new`, whose refusal is said about the first parameter.
    pub fn range<T: Param, R>(
        names: [&'static str; 2],
        texts: [Option<&str>; 2],
        new: impl FnOnce(T, T) -> Result<R, ValidationError>,
    ) -> Result<R, ParamError> {
        let [start, end] = [0, 1].map(|index| {
            let text = texts[index].ok_or(ParamError::Missing {
                param: names[index],
            })?;
            value::<T>(names[index], text)
        });
        new(start?, end?).map_err(|error| {
            ParamError::invalid(
                names[0],
                texts[0].unwrap_or_default(),
                Problem::Other(error.reason().to_owned()),
            )
        })
    }

    /// An enum value, refused when it is none of `known`.
    pub fn known<T: PartialEq + ToString>(value: T, known: &[T]) -> Result<T, Problem> {
        if known.contains(&value) {
            Ok(value)
        } else {
            Err(Problem::UnknownValue {
                known: known.iter().map(ToString::to_string).collect(),
            })
        }
    }
}

/// `value` as JSON, for a write's body. The SDK's body types are plain data that always
/// serialise, so a failure (a map with non-string keys) would be a bug: it is written `null`
/// rather than panic.
pub fn json_value(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
