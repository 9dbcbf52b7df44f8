//! A cohort's members in one call: the request, its status polled with a backoff until the
//! job completes or a deadline passes, then the file streamed into typed rows. A file Amplitude
//! answers with a 302 to a pre-signed URL is fetched from there without credentials (the
//! client follows redirects so).

use std::collections::VecDeque;
use std::time::Duration;

use amp_model::cohorts::{CohortJob, CohortMember, JobStatus};
use amp_transport::{Client, Download};
use tokio::time::Instant;

use crate::error::CohortError;
use crate::file::Rows;
use crate::{GetCohortFile, GetCohortRequestStatus, RequestCohort};

/// How long a download waits for its job by default: Amplitude gives no figure; large cohorts
/// with properties take minutes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// The download of one cohort's members: [`DownloadCohort::start`] runs it.
#[derive(Debug, Clone)]
pub struct DownloadCohort {
    request: RequestCohort,
    first_poll: Duration,
    longest_poll: Duration,
    deadline: Duration,
}

impl DownloadCohort {
    /// The members of cohort `cohort_id`, ids only.
    pub fn new(cohort_id: impl Into<String>) -> Self {
        Self {
            request: RequestCohort::new(cohort_id),
            first_poll: Duration::from_secs(1),
            longest_poll: Duration::from_secs(30),
            deadline: DEFAULT_DEADLINE,
        }
    }

    /// With the members' user properties: those of `keys`, or all of them when `keys` is
    /// empty (`props=1`, one `propKeys` per key).
    #[must_use]
    pub fn props<K: Into<String>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.request = self.request.props(1);
        for key in keys {
            self.request = self.request.prop_key(key);
        }
        self
    }

    /// Polls first after `first`, then twice as long each time up to `longest`.
    #[must_use]
    pub fn poll(mut self, first: Duration, longest: Duration) -> Self {
        self.first_poll = first;
        self.longest_poll = longest.max(first);
        self
    }

    /// Gives up waiting for the job after `deadline` ([`DEFAULT_DEADLINE`] by default).
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The request it starts with.
    pub fn request(&self) -> &RequestCohort {
        &self.request
    }

    /// Requests the cohort, polls until its file is ready (telling `progress` of each status),
    /// and opens the file.
    ///
    /// # Errors
    ///
    /// A request refused or failed, a job Amplitude reports in a state other than in progress
    /// or completed, the deadline passed, or the file's head refused.
    pub async fn start(
        &self,
        client: &Client,
        mut progress: impl FnMut(&CohortJob),
    ) -> Result<Members, CohortError> {
        let started = Instant::now();
        let mut job = client.send(&self.request).await?;
        progress(&job);
        let mut wait = self.first_poll;
        loop {
            match &job.async_status {
                Some(JobStatus::Completed) => break,
                None | Some(JobStatus::InProgress) => {}
                Some(other) => {
                    return Err(CohortError::Job {
                        request_id: job.request_id,
                        status: other.to_string(),
                    });
                }
            }
            if started.elapsed() + wait > self.deadline {
                return Err(CohortError::Deadline {
                    request_id: job.request_id,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.longest_poll);
            job = client
                .send(&GetCohortRequestStatus::new(job.request_id.clone()))
                .await?;
            progress(&job);
        }
        let download = client
            .send_streaming(&GetCohortFile::new(job.request_id.clone()))
            .await?;
        Ok(Members {
            download,
            rows: Rows::default(),
            ready: VecDeque::new(),
            ended: false,
        })
    }
}

/// A cohort file's members as the file arrives.
#[derive(Debug)]
pub struct Members {
    download: Download,
    rows: Rows,
    ready: VecDeque<CohortMember>,
    ended: bool,
}

impl Members {
    /// The file's column names, once its header has arrived (after the first member).
    pub fn columns(&self) -> Option<&[String]> {
        self.rows.columns()
    }

    /// Bytes of the file received so far.
    pub fn received(&self) -> u64 {
        self.download.received()
    }

    /// The next member; `None` at the end of the file.
    ///
    /// # Errors
    ///
    /// The download failed or stalled, or a row cannot be read (with its line).
    pub async fn next(&mut self) -> Result<Option<CohortMember>, CohortError> {
        loop {
            if let Some(member) = self.ready.pop_front() {
                return Ok(Some(member));
            }
            if self.ended {
                return Ok(None);
            }
            if let Some(bytes) = self.download.chunk().await? {
                self.ready.extend(self.rows.feed(&bytes)?);
            } else {
                self.ended = true;
                self.ready.extend(self.rows.finish()?);
            }
        }
    }

    /// Every remaining member.
    ///
    /// # Errors
    ///
    /// As [`Members::next`].
    pub async fn collect(mut self) -> Result<Vec<CohortMember>, CohortError> {
        let mut members = Vec::new();
        while let Some(member) = self.next().await? {
            members.push(member);
        }
        Ok(members)
    }
}
