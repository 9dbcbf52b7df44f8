use amp_transport::{Error, ErrorKind};

/// What went wrong with a profile request, in the User Profile API's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileError {
    /// The secret key is wrong (401 `Invalid Api-Key`).
    InvalidSecretKey,
    /// The `Authorization` header was missing or malformed (401 `Missing Api-Key ...`).
    MissingApiKey,
    /// Amplitude has never seen this user or device ID, or it belongs to another project
    /// (`User id and device id not seen before`, whatever the status). Serve the default
    /// experience.
    UnknownUser,
    /// The organisation's per-minute limit was hit; retried by the default policy.
    Throttled,
    /// Amplitude is unavailable (5xx); retried by the default policy. Serve the default
    /// experience if it persists.
    Unavailable,
}

impl ProfileError {
    /// Classifies a client error from a profile request; `None` for errors that are not the
    /// API's (invalid input, transport failures, other statuses).
    pub fn of(error: &Error) -> Option<Self> {
        let message = match error {
            Error::Api { message, .. } => message.as_str(),
            Error::Decode { source, .. } => source.message.as_str(),
            Error::RateLimited { .. } => return Some(Self::Throttled),
            _ => return None,
        };
        if message.contains("not seen before") {
            return Some(Self::UnknownUser);
        }
        match (error.kind(), error.status()) {
            (ErrorKind::Api, Some(401 | 403)) if message.contains("Missing Api-Key") => {
                Some(Self::MissingApiKey)
            }
            (ErrorKind::Api, Some(401 | 403)) => Some(Self::InvalidSecretKey),
            (ErrorKind::Api, Some(500..=599)) => Some(Self::Unavailable),
            _ => None,
        }
    }
}
