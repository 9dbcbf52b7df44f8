#![doc = include_str!("../README.md")]

pub mod annotations;
pub mod privacy;
pub mod releases;
pub mod taxonomy;

pub use amp_model::Success;
