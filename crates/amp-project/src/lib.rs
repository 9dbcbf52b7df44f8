#![doc = include_str!("../README.md")]

pub mod annotations;
pub mod releases;
