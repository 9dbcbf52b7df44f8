//! Releases (reference 3.4): record a version shipped. A create is never repeated by the
//! client once it may have reached Amplitude (a repeat would record it twice).

mod generated;

pub use amp_model::releases::{Release, ReleaseCreated, ReleaseTime};
pub use generated::*;
