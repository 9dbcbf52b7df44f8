use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_with::{DefaultOnNull, serde_as};

use crate::dashboard::UserSearchQuery;
use crate::dates::IsoDate;
use crate::{Cost, MatchType, Query, ValidationError, param};

impl Query for UserSearchQuery {
    type Response = UserSearchResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if self.user.trim().is_empty() {
            return Err(ValidationError::new(
                param::USER,
                "empty; give an Amplitude ID, device ID, user ID or user ID prefix",
            ));
        }
        Ok(())
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// The answer of `/api/2/usersearch` (not wrapped in `data`); no match is a 200 with
/// `nomatch`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserSearchResponse {
    /// How the query matched.
    #[serde(rename = "type")]
    pub match_type: MatchType,
    /// The users found.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub matches: Vec<UserMatch>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl UserSearchResponse {
    /// An answer of `match_type` with no user in it yet.
    pub fn new(match_type: MatchType) -> Self {
        Self {
            match_type,
            matches: Vec::new(),
            extra: crate::dashboard::Extra::new(),
        }
    }
}

/// One user found by user search.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserMatch {
    /// Amplitude ID, for user activity.
    pub amplitude_id: u64,
    /// User ID.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Last device ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_device_id: Option<String>,
    /// Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Last day seen.
    #[serde_as(as = "Option<IsoDate>")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<NaiveDate>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl UserMatch {
    /// The user with this Amplitude ID, nothing else known yet.
    pub fn new(amplitude_id: u64) -> Self {
        Self {
            amplitude_id,
            user_id: None,
            last_device_id: None,
            platform: None,
            country: None,
            last_seen: None,
            extra: crate::dashboard::Extra::new(),
        }
    }
}
