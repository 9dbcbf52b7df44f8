use std::borrow::Cow;

/// A query that must not be sent: it names the wire parameter at fault and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{param}`: {reason}")]
pub struct ValidationError {
    param: Cow<'static, str>,
    reason: String,
}

impl ValidationError {
    /// A new error about wire parameter `param`.
    pub fn new(param: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self {
            param: param.into(),
            reason: reason.into(),
        }
    }

    /// The wire name of the parameter at fault (`start`, `e`, `limit`, ...).
    pub fn param(&self) -> &str {
        &self.param
    }

    /// What is wrong and what is allowed instead.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
