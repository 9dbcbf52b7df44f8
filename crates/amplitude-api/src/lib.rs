#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use amp_model as model;
pub use amp_transport as transport;

#[cfg(feature = "cohorts")]
pub use amp_cohorts as cohorts;
#[cfg(feature = "dashboard")]
pub use amp_dashboard as dashboard;
#[cfg(feature = "export")]
pub use amp_export as export;
#[cfg(feature = "profile")]
pub use amp_profile as profile;
#[cfg(feature = "project")]
pub use amp_project as project;
