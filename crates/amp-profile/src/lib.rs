#![doc = include_str!("../README.md")]

mod get_user_profile;
mod profile_error;
mod user_profiles;

pub use amp_model::profile::*;
pub use amp_model::{PropensityType, RecType};
pub use get_user_profile::GetUserProfile;
pub use profile_error::ProfileError;
pub use user_profiles::{DEFAULT_CACHE_CAPACITY, UserProfiles};
