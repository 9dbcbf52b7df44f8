//! The User Privacy API (reference 6.8): deletion jobs, created, listed by day, and one user
//! taken out of a job that has not run. Creating and removing are never repeated by the
//! client once they may have reached Amplitude.

mod generated;

pub use amp_model::privacy::{
    Day, DeletionJob, DeletionStatus, DeletionUser, MAX_DELETION_IDS, MAX_LIST_MONTHS,
};
pub use generated::*;
