//! Downloading an export into a temporary file before reading it: a zip keeps its directory at
//! its end, and a window whose download breaks off can be asked again before any of its events
//! has been handed on, so a window's events come out whole or not at all.

use std::io::{Seek as _, SeekFrom};
use std::time::Instant;

use amp_transport::{Client, RetryDecision};
use tokio::io::AsyncWriteExt as _;

use crate::archive::{Batches, decode};
use crate::{ExportError, ExportEvents};

/// Buffer between the network and the temporary file.
const WRITE_BUFFER: usize = 1 << 20;

/// An export archive downloaded to a temporary file, deleted when this is dropped.
#[derive(Debug)]
pub struct Spooled {
    file: std::fs::File,
    bytes: u64,
}

impl Spooled {
    /// The archive's size, compressed.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Its events, decoded on background threads (blocking: call it off the async runtime, or
    /// use [`crate::ExportRange`]).
    pub fn batches(mut self) -> std::io::Result<Batches> {
        self.file.seek(SeekFrom::Start(0))?;
        Ok(decode(self.file))
    }
}

/// Downloads `endpoint`'s archive into a temporary file (in `std::env::temp_dir()`), under the
/// client's governor and retries. A body that breaks off or stalls is asked for again, as the
/// client's retry policy allows.
///
/// # Errors
///
/// What [`Client::send_streaming`] fails with (a 404 for a range without data), a body that
/// broke off more often than the policy allows, or a temporary file that cannot be written.
pub async fn spool(client: &Client, endpoint: &ExportEvents) -> Result<Spooled, ExportError> {
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        let mut download = client.send_streaming(endpoint).await?;
        let file = tempfile::tempfile().map_err(ExportError::Spool)?;
        let mut writer =
            tokio::io::BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file));
        let copied = async {
            while let Some(chunk) = download.chunk().await? {
                writer.write_all(&chunk).await.map_err(ExportError::Spool)?;
            }
            writer.flush().await.map_err(ExportError::Spool)
        }
        .await;
        match copied {
            Ok(()) => {
                return Ok(Spooled {
                    file: writer.into_inner().into_std().await,
                    bytes: download.received(),
                });
            }
            Err(ExportError::Request(error)) if error.is_retryable() => {
                match client.retry_decision(attempt, &error, started.elapsed()) {
                    RetryDecision::Wait(wait) => {
                        tracing::debug!(%error, wait_ms = wait.as_millis(), "export download broke off; asking again");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    RetryDecision::Stop => return Err(error.into()),
                }
            }
            Err(error) => return Err(error),
        }
    }
}
