//! The answer of a write that returns nothing but its outcome.

use serde::{Deserialize, Serialize};

/// `{"success": true}`: the answer of an annotation delete and of every Taxonomy API write.
/// Amplitude refuses with a 4xx and its errors, and documents a 200 `{"success": false}` for
/// user property writes too; the client reads either as an error (`ErrorBody::refusal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Success {
    /// Whether it was done.
    pub success: bool,
}

impl Success {
    /// The answer of a write done.
    pub const DONE: Self = Self { success: true };
}
