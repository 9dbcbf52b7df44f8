use std::fmt;
use std::str::FromStr;

/// Where a project's data lives. It decides the Dashboard API host; the Profile API exists in
/// the US only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Region {
    /// Amplitude's standard (US) data centre.
    #[default]
    Us,
    /// The EU data-residency data centre.
    Eu,
}

impl Region {
    /// The Dashboard REST API host.
    pub fn dashboard_base_url(self) -> &'static str {
        match self {
            Self::Us => "https://amplitude.com",
            Self::Eu => "https://analytics.eu.amplitude.com",
        }
    }

    /// The User Profile API host; `None` in the EU, where Amplitude offers none.
    pub fn profile_base_url(self) -> Option<&'static str> {
        match self {
            Self::Us => Some("https://profile-api.amplitude.com"),
            Self::Eu => None,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Us => "us",
            Self::Eu => "eu",
        })
    }
}

/// A region name that is neither `us` nor `eu`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region `{0}`; use `us` or `eu`")]
pub struct UnknownRegion(String);

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "us" => Ok(Self::Us),
            "eu" => Ok(Self::Eu),
            _ => Err(UnknownRegion(text.to_owned())),
        }
    }
}
