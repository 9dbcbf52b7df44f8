use amp_model::export::Hour;

use crate::archive::ArchiveError;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The request failed (refused, rate limited past the retries, broken off, timed out).
    #[error(transparent)]
    Request(#[from] amp_transport::Error),
    /// One hour's export is too large for Amplitude to answer (a 400 "too large" or a 504 even
    /// for a single hour): it cannot be had through this API; Amplitude points to its S3
    /// destination instead.
    #[error("the export of hour {hour} cannot be had: {source}")]
    HourTooLarge {
        /// The hour.
        hour: Hour,
        /// Amplitude's answer for it.
        #[source]
        source: amp_transport::Error,
    },
    /// The archive that came back cannot be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The temporary file the archive is downloaded to cannot be written or read.
    #[error("the temporary file the export is downloaded to: {0}")]
    Spool(#[source] std::io::Error),
}
