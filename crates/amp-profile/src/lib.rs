#![doc = include_str!("../README.md")]

pub use amp_model::profile::*;
