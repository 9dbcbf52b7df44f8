//! Amplitude's error bodies, in the three forms it sends them.
//!
//! - nested: `{"error": {"http_code": 400, "type": "invalid", "message": "...",
//!   "metadata": {"details": "..."}}}` (Dashboard API, cohorts);
//! - flat: `{"error": "User id and device id not seen before"}` (Profile API);
//! - a list: `{"success": false, "errors": [{"message": "Not found"}]}` (Taxonomy API);
//! - plain text: `Invalid Api-Key` (Profile API authentication).

use serde::{Deserialize, Serialize};

/// Which of Amplitude's limits a 429 says was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExceededLimit {
    /// "Exceeded concurrent limit": too much in flight at once; frees as requests finish.
    Concurrent,
    /// "Exceeded rate limit": the cost budget of the window is spent; frees as it rolls.
    Rate,
}

impl std::fmt::Display for ExceededLimit {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Self::Concurrent => "the concurrent limit (queries in flight at once)",
            Self::Rate => "the rate limit (query cost per window)",
        })
    }
}

/// What a 401 or 403 body says is wrong with the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialProblem {
    /// "Invalid API Key": the key is unknown where the request went, usually the wrong region.
    UnknownApiKey,
    /// "Invalid API/Secret Key combination": the key is known and the secret key is wrong.
    WrongSecretKey,
}

/// An error body, read from whichever form Amplitude sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The status code Amplitude wrote into the body, when it did.
    pub http_code: Option<u16>,
    /// Amplitude's error type (`invalid`, `unspecified`, ...).
    pub kind: Option<String>,
    /// The message.
    pub message: String,
    /// `metadata.details`: the part that says what to fix.
    pub details: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: ErrorField,
}

/// `{"success": false, "errors": [...]}`; the list may be missing.
#[derive(Deserialize)]
struct Listed {
    success: bool,
    #[serde(default)]
    errors: Vec<ListedError>,
}

#[derive(Deserialize)]
struct ListedError {
    message: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Flat(String),
    Nested(Nested),
}

#[derive(Deserialize)]
struct Nested {
    #[serde(default)]
    http_code: Option<u16>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    details: Option<serde_json::Value>,
}

impl ErrorBody {
    /// Reads a body; anything that is not one of the JSON forms is taken as plain text.
    /// Returns `None` for an empty body.
    pub fn parse(body: &[u8]) -> Option<Self> {
        Self::from_json(body).or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            (!text.is_empty()).then(|| Self {
                message: text.to_owned(),
                ..Self::default()
            })
        })
    }

    /// Reads one of the JSON forms; `None` for anything else.
    pub fn from_json(body: &[u8]) -> Option<Self> {
        if let Some(listed) = Self::refusal(body) {
            return Some(listed);
        }
        let envelope = serde_json::from_slice::<Envelope>(body).ok()?;
        Some(match envelope.error {
            ErrorField::Flat(message) => Self {
                message,
                ..Self::default()
            },
            ErrorField::Nested(nested) => Self {
                http_code: nested.http_code,
                kind: nested.kind,
                message: nested.message.unwrap_or_default(),
                details: nested
                    .metadata
                    .and_then(|metadata| match metadata.details? {
                        serde_json::Value::String(text) => Some(text),
                        serde_json::Value::Null => None,
                        other => Some(other.to_string()),
                    }),
            },
        })
    }

    /// The error a `{"success": false[, "errors": [...]]}` body says, whatever its status: the
    /// Taxonomy API documents a 200 of `{"success": false}` for a refused write. `None` for any
    /// other body. Every 2xx answer passes here, so a body longer than a refusal could be (a
    /// data answer) is not read at all.
    pub fn refusal(body: &[u8]) -> Option<Self> {
        const LONGEST: usize = 1024;
        if body.len() > LONGEST {
            return None;
        }
        let listed = serde_json::from_slice::<Listed>(body)
            .ok()
            .filter(|listed| !listed.success)?;
        let messages: Vec<String> = listed
            .errors
            .into_iter()
            .map(|error| error.message)
            .collect();
        Some(Self {
            message: if messages.is_empty() {
                "refused (success: false) without saying why".to_owned()
            } else {
                messages.join("; ")
            },
            ..Self::default()
        })
    }

    /// The message a user needs: `message (details)`, or whichever of the two there is.
    pub fn summary(&self) -> String {
        match (&self.details, self.message.is_empty()) {
            (Some(details), false) => format!("{} ({details})", self.message),
            (Some(details), true) => details.clone(),
            (None, _) => self.message.clone(),
        }
    }

    /// Whether the body says a rate limit was hit, whatever the status: the Profile API's
    /// per-minute message, or the Dashboard API's "Too Many Requests".
    pub fn is_rate_limit(&self) -> bool {
        let text = self.summary();
        text.contains("exceeds system limit") || text.contains("Too Many Requests")
    }

    /// Which limit a 429 names: "Exceeded concurrent limit ..." or "Exceeded rate limit ...".
    pub fn exceeded_limit(&self) -> Option<ExceededLimit> {
        let text = self.summary().to_lowercase();
        if text.contains("exceeded concurrent limit") {
            Some(ExceededLimit::Concurrent)
        } else if text.contains("exceeded rate limit") {
            Some(ExceededLimit::Rate)
        } else {
            None
        }
    }

    /// What an authentication error says is wrong with the credentials, when it says.
    pub fn credential_problem(&self) -> Option<CredentialProblem> {
        let text = self.summary().to_lowercase();
        if text.contains("invalid api/secret key combination") {
            Some(CredentialProblem::WrongSecretKey)
        } else if text.contains("invalid api key") {
            Some(CredentialProblem::UnknownApiKey)
        } else {
            None
        }
    }

    /// The query cost a 429 names ("Exceeded rate limit with query of cost 1800").
    pub fn rate_limited_cost(&self) -> Option<u64> {
        let text = self.details.as_deref().unwrap_or(&self.message);
        let after = &text[text.find("cost")? + "cost".len()..];
        let digits: String = after
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_gives_the_message_a_user_needs() {
        let nested = br#"{"error":{"http_code":400,"type":"invalid","message":"Invalid chart definition","metadata":{"details":"Invalid user property country"}}}"#;
        let body = ErrorBody::parse(nested).unwrap();
        assert_eq!(
            body.summary(),
            "Invalid chart definition (Invalid user property country)"
        );
        assert_eq!(body.http_code, Some(400));
        let flat =
            ErrorBody::parse(br#"{"error":"User id and device id not seen before"}"#).unwrap();
        assert_eq!(flat.summary(), "User id and device id not seen before");
        let listed =
            br#"{"success":false,"errors":[{"message":"Not found"},{"message":"Try again"}]}"#;
        assert_eq!(
            ErrorBody::parse(listed).unwrap().summary(),
            "Not found; Try again"
        );
        assert!(
            ErrorBody::refusal(br#"{"success":false}"#)
                .unwrap()
                .summary()
                .contains("without saying why")
        );
        assert_eq!(ErrorBody::refusal(br#"{"success":true}"#), None);
        assert_eq!(ErrorBody::refusal(br#"{"data":[]}"#), None);
        assert_eq!(
            ErrorBody::parse(b"Invalid Api-Key\n").unwrap().summary(),
            "Invalid Api-Key"
        );
        assert_eq!(ErrorBody::parse(b"  "), None);
        assert_eq!(
            ErrorBody::parse(b"{\"unrelated\":1}").unwrap().message,
            "{\"unrelated\":1}"
        );
    }

    #[test]
    fn an_auth_error_names_its_likely_cause() {
        let unknown = ErrorBody::parse(b"Invalid API Key").unwrap();
        assert_eq!(
            unknown.credential_problem(),
            Some(CredentialProblem::UnknownApiKey)
        );
        let secret = ErrorBody::parse(b"Invalid API/Secret Key combination").unwrap();
        assert_eq!(
            secret.credential_problem(),
            Some(CredentialProblem::WrongSecretKey)
        );
        assert_eq!(
            ErrorBody::parse(b"Invalid Api-Key")
                .unwrap()
                .credential_problem(),
            None,
            "the Profile API's own wording is another case"
        );
    }

    #[test]
    fn a_429_names_its_cost() {
        let body = ErrorBody::parse(br#"{"error":{"http_code":429,"type":"unspecified","message":"Unspecified Error","metadata":{"details":"Too Many Requests: Exceeded rate limit with query of cost 1800"}}}"#).unwrap();
        assert_eq!(body.rate_limited_cost(), Some(1800));
        assert_eq!(body.exceeded_limit(), Some(ExceededLimit::Rate));
        assert!(body.is_rate_limit());
        let concurrent = ErrorBody::parse(br#"{"error":{"http_code":429,"type":"unspecified","message":"Unspecified Error","metadata":{"details":"Too Many Requests: Exceeded concurrent limit with query of cost 415"}}}"#).unwrap();
        assert_eq!(concurrent.exceeded_limit(), Some(ExceededLimit::Concurrent));
        assert_eq!(concurrent.rate_limited_cost(), Some(415));
        let profile = ErrorBody::parse(br#"{"error":"Number of requests per minute exceeds system limit. Contact Support if you need this limit raised"}"#).unwrap();
        assert!(profile.is_rate_limit());
        assert!(
            !ErrorBody::parse(b"Invalid Api-Key")
                .unwrap()
                .is_rate_limit()
        );
        assert_eq!(
            ErrorBody::parse(b"Too Many Requests")
                .unwrap()
                .rate_limited_cost(),
            None
        );
    }
}
