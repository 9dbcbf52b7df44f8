//! Why a cohort download failed.

use std::time::Duration;

use crate::file::FileError;

/// Why a cohort download failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CohortError {
    /// A request was refused or failed (the client's own error: status, message, retries).
    #[error(transparent)]
    Request(#[from] amp_transport::Error),
    /// Amplitude reports the job in a state other than in progress or completed.
    #[error("cohort request {request_id}: the job is `{status}`, not `JOB COMPLETED`")]
    Job {
        /// The job.
        request_id: String,
        /// The status it reported.
        status: String,
    },
    /// The job was still in progress at the deadline.
    #[error(
        "cohort request {request_id}: still in progress after {}s; raise the deadline or ask without properties",
        waited.as_secs()
    )]
    Deadline {
        /// The job, whose status can still be polled.
        request_id: String,
        /// How long the download waited.
        waited: Duration,
    },
    /// A row of the file cannot be read.
    #[error(transparent)]
    File(#[from] FileError),
}
