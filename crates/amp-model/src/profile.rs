//! The User Profile API: `GET /v1/userprofile` on `profile-api.amplitude.com`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{DefaultOnNull, TimestampSeconds, serde_as};

pub use crate::generated::UserProfileQuery;
use crate::{Cost, PropensityType, Query, RecType, ValidationError, param};

impl UserProfileQuery {
    /// A query about the user with this user ID.
    pub fn for_user(user_id: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id.into()),
            ..Self::default()
        }
    }

    /// A query about the user with this device ID.
    pub fn for_device(device_id: impl Into<String>) -> Self {
        Self {
            device_id: Some(device_id.into()),
            ..Self::default()
        }
    }

    /// Also identify the user by device ID.
    #[must_use]
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    /// Ask for these recommendations.
    #[must_use]
    pub fn recommendations<I: Into<String>>(
        mut self,
        rec_ids: impl IntoIterator<Item = I>,
    ) -> Self {
        self.get_recs = true;
        self.rec_ids.extend(rec_ids.into_iter().map(Into::into));
        self
    }

    /// Override the control assignment of the recommendations.
    #[must_use]
    pub fn rec_type(mut self, rec_type: RecType) -> Self {
        self.rec_type = Some(rec_type);
        self
    }

    /// Ask for the user's properties.
    #[must_use]
    pub fn user_properties(mut self) -> Self {
        self.get_amp_props = true;
        self
    }

    /// Ask for the user's cohort ids.
    #[must_use]
    pub fn cohort_ids(mut self) -> Self {
        self.get_cohort_ids = true;
        self
    }

    /// Ask for every enabled computation.
    #[must_use]
    pub fn all_computations(mut self) -> Self {
        self.get_computations = true;
        self
    }

    /// Ask for these computations.
    #[must_use]
    pub fn computations<I: Into<String>>(mut self, comp_ids: impl IntoIterator<Item = I>) -> Self {
        self.comp_ids.extend(comp_ids.into_iter().map(Into::into));
        self
    }

    /// Ask for the propensities of these predictions, as `propensity_type`.
    #[must_use]
    pub fn propensities<I: Into<String>>(
        mut self,
        prediction_ids: impl IntoIterator<Item = I>,
        propensity_type: PropensityType,
    ) -> Self {
        self.get_propensity = true;
        self.prediction_ids
            .extend(prediction_ids.into_iter().map(Into::into));
        self.propensity_type = Some(propensity_type);
        self
    }
}

fn check_id(param: &'static str, id: &str) -> Result<(), ValidationError> {
    if id.trim().is_empty() {
        return Err(ValidationError::new(
            param,
            "an ID is empty or blank; remove it or give the real ID",
        ));
    }
    Ok(())
}

fn check_list(param: &'static str, ids: &[String]) -> Result<(), ValidationError> {
    for id in ids {
        check_id(param, id)?;
        if id.contains(',') {
            return Err(ValidationError::new(
                param,
                format!(
                    "`{id}` contains a comma, which separates IDs on the wire; pass each ID separately"
                ),
            ));
        }
    }
    Ok(())
}

impl Query for UserProfileQuery {
    type Response = UserProfileResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        use param::{
            DEVICE_ID, GET_PROPENSITY, GET_RECS, PREDICTION_ID, PROPENSITY_TYPE, REC_ID, REC_TYPE,
            USER_ID,
        };
        if self.user_id.is_none() && self.device_id.is_none() {
            return Err(ValidationError::new(
                USER_ID,
                format!("neither `{USER_ID}` nor `{DEVICE_ID}` is set; give one of them"),
            ));
        }
        if let Some(id) = &self.user_id {
            check_id(USER_ID, id)?;
        }
        if let Some(id) = &self.device_id {
            check_id(DEVICE_ID, id)?;
        }
        check_list(REC_ID, &self.rec_ids)?;
        check_list(param::COMP_ID, &self.comp_ids)?;
        check_list(PREDICTION_ID, &self.prediction_ids)?;
        if self.get_recs && self.rec_ids.is_empty() {
            return Err(ValidationError::new(
                REC_ID,
                format!("`{GET_RECS}` needs at least one recommendation ID"),
            ));
        }
        if !self.get_recs && (!self.rec_ids.is_empty() || self.rec_type.is_some()) {
            return Err(ValidationError::new(
                GET_RECS,
                format!("`{REC_ID}` and `{REC_TYPE}` are only read with `{GET_RECS}=true`"),
            ));
        }
        if self.get_propensity && self.prediction_ids.is_empty() {
            return Err(ValidationError::new(
                PREDICTION_ID,
                format!("`{GET_PROPENSITY}` needs at least one prediction ID"),
            ));
        }
        if !self.get_propensity
            && (!self.prediction_ids.is_empty() || self.propensity_type.is_some())
        {
            return Err(ValidationError::new(
                GET_PROPENSITY,
                format!(
                    "`{PREDICTION_ID}` and `{PROPENSITY_TYPE}` are only read with `{GET_PROPENSITY}=true`"
                ),
            ));
        }
        Ok(())
    }

    /// Profile requests are limited by count (600 a minute per organisation), not by cost.
    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// The answer: `{"userData": {...}}`. Keys not asked for come back `null` and decode as
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserProfileResponse {
    /// The profile.
    pub user_data: UserData,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// One user's profile. The first five keys are always sent, `null` when not asked for, and are
/// written back so; `propensity` and `propensities` only when propensities were asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserData {
    /// One per requested recommendation ID, in request order.
    #[serde(default)]
    pub recommendations: Option<Vec<Recommendation>>,
    /// The user ID.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The device ID.
    #[serde(default)]
    pub device_id: Option<String>,
    /// User properties, and computations (values as strings) under their names.
    #[serde(default)]
    pub amp_props: Option<Map<String, Value>>,
    /// Ids of the tracked cohorts the user is in.
    #[serde(default)]
    pub cohort_ids: Option<Vec<String>>,
    /// The propensity: `Some(Some(p))` when one prediction was asked for, `Some(None)` (sent as
    /// `null`) when several were (read them from `propensities`), `None` when none was.
    #[serde(
        default,
        with = "::serde_with::rust::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub propensity: Option<Option<f64>>,
    /// Every propensity asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propensities: Option<Vec<Propensity>>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl UserData {
    /// The recommendation with this ID.
    pub fn recommendation(&self, rec_id: &str) -> Option<&Recommendation> {
        self.recommendations
            .as_deref()?
            .iter()
            .find(|rec| rec.rec_id == rec_id)
    }

    /// A user property or computation by name.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.amp_props.as_ref()?.get(name)
    }

    /// Whether the user is in the cohort with this ID (false when cohort ids were not asked for).
    pub fn in_cohort(&self, cohort_id: &str) -> bool {
        self.cohort_ids
            .as_deref()
            .is_some_and(|ids| ids.iter().any(|id| id == cohort_id))
    }

    /// The propensity of this prediction.
    pub fn propensity_of(&self, prediction_id: &str) -> Option<f64> {
        self.propensities
            .as_deref()?
            .iter()
            .find(|p| p.pred_id == prediction_id)
            .map(|p| p.prop)
    }
}

/// One recommendation.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recommendation {
    /// The requested ID.
    pub rec_id: String,
    /// A finer ID Amplitude uses for experiments; usually `rec_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_rec_id: Option<String>,
    /// Items, most likely first.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub items: Vec<String>,
    /// The user is in the control group: serve the default experience (items are random).
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub is_control: bool,
    /// The model that produced the items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation_source: Option<String>,
    /// When the recommendation was last generated.
    #[serde_as(as = "Option<TimestampSeconds<i64>>")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<DateTime<Utc>>,
}

impl Recommendation {
    /// The recommendation `rec_id`, with no item yet.
    pub fn new(rec_id: impl Into<String>) -> Self {
        Self {
            rec_id: rec_id.into(),
            child_rec_id: None,
            items: Vec::new(),
            is_control: false,
            recommendation_source: None,
            last_updated: None,
        }
    }
}

/// One prediction's propensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Propensity {
    /// The value: a probability for `score`, a percentile for `pct`.
    pub prop: f64,
    /// The prediction ID.
    pub pred_id: String,
    /// Score or percentile.
    pub prop_type: PropensityType,
}

impl Propensity {
    /// Prediction `pred_id`'s value `prop`, expressed as `prop_type`.
    pub fn new(prop: f64, pred_id: impl Into<String>, prop_type: PropensityType) -> Self {
        Self {
            prop,
            pred_id: pred_id.into(),
            prop_type,
        }
    }
}
