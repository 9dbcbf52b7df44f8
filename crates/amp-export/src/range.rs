//! Ranges of any size: walked in windows, each halved when Amplitude finds it too large, each
//! followed by a checkpoint to resume from.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use amp_model::export::{ExportEvent, Hour, HourRange};
use amp_transport::{Client, Error, RetryDecision, RetryPolicy};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::archive::ArchiveError;
use crate::spool::spool;
use crate::{ExportError, ExportEvents};

/// Hours per window unless told otherwise: a day.
pub const DEFAULT_WINDOW_HOURS: u32 = 24;

/// A range of hours to export, walked window by window.
///
/// Each window is one request to `/api/2/export`, made through the client (its governor and
/// retries), downloaded whole to a temporary file before its events are handed on, so a window
/// whose download breaks off is asked again without repeating an event. A window Amplitude
/// finds too large (a 400 "too large", above 4 GB, or a 504) is cut in two halves, down to
/// single hours; a 404 ("Raw data files were not found") is a window without events. After
/// each window comes its [`WindowDone`], whose checkpoint resumes a later run just after it.
///
/// Limits: Amplitude documents none for the Export API beyond the five concurrent requests all
/// its REST endpoints share, so a window draws one unit of the client's cost budget, like
/// every endpoint outside the cost formula, and windows are asked for one at a time. (A third
/// party's "60 per hour" is undocumented; a 429 would pause and retry as for any endpoint.)
///
/// ```no_run
/// use amp_export::{ExportRange, Exported};
/// use futures_util::StreamExt as _;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = amp_transport::Client::from_env()?;
/// let range = amp_model::export::HourRange::new("20240301T00".parse()?, "20240307T23".parse()?)?;
/// let mut events = std::pin::pin!(ExportRange::new(range).events(&client));
/// while let Some(item) = events.next().await {
///     match item? {
///         Exported::Events(batch) => println!("{} events", batch.len()),
///         Exported::Window(done) => println!("through {}", done.checkpoint.through),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ExportRange {
    range: HourRange,
    from: Option<Hour>,
    window_hours: u32,
}

/// What an export yields, in order: each window's events in batches, then the window's end.
#[derive(Debug)]
#[non_exhaustive]
pub enum Exported {
    /// Events of the current window, in archive order.
    Events(Vec<ExportEvent>),
    /// A window is done: every one of its events has been yielded.
    Window(WindowDone),
}

/// A finished window.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WindowDone {
    /// Its hours.
    pub window: HourRange,
    /// Its events.
    pub events: u64,
    /// Its archive's size, compressed (0 for a window without data).
    pub archive_bytes: u64,
    /// Its events' JSON, uncompressed.
    pub json_bytes: u64,
    /// Where a later run resumes.
    pub checkpoint: Checkpoint,
}

/// How far an export got: every event of `start` through `through` has been yielded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The range's first hour.
    pub start: Hour,
    /// The range's last hour.
    pub end: Hour,
    /// The last hour done.
    pub through: Hour,
}

impl Checkpoint {
    /// Whether the whole range is done.
    pub fn is_complete(&self) -> bool {
        self.through >= self.end
    }
}

impl ExportRange {
    /// The whole of `range`, in windows of [`DEFAULT_WINDOW_HOURS`].
    pub fn new(range: HourRange) -> Self {
        Self {
            range,
            from: Some(range.start()),
            window_hours: DEFAULT_WINDOW_HOURS,
        }
    }

    /// Hours per window (at least 1).
    pub fn window_hours(mut self, hours: u32) -> Self {
        self.window_hours = hours.max(1);
        self
    }

    /// Continues after `checkpoint`, left by an earlier run over the same range.
    ///
    /// # Errors
    ///
    /// A checkpoint of another range, said with both ranges.
    pub fn resume(mut self, checkpoint: &Checkpoint) -> Result<Self, String> {
        if (checkpoint.start, checkpoint.end) != (self.range.start(), self.range.end()) {
            return Err(format!(
                "the checkpoint is for {} to {}, not for {} to {}",
                checkpoint.start,
                checkpoint.end,
                self.range.start(),
                self.range.end()
            ));
        }
        self.from = checkpoint
            .through
            .plus(1)
            .filter(|next| *next <= self.range.end());
        Ok(self)
    }

    /// Hours left to export.
    pub fn hours_left(&self) -> u64 {
        self.from.map_or(0, |from| {
            from.hours_until(self.range.end()).unsigned_abs() + 1
        })
    }

    /// The range's windows, in order.
    fn windows(&self) -> VecDeque<HourRange> {
        let mut windows = VecDeque::new();
        let mut next = self.from;
        while let Some(start) = next {
            let last = start
                .plus(i64::from(self.window_hours) - 1)
                .map_or(self.range.end(), |last| last.min(self.range.end()));
            windows.push_back(HourRange::new(start, last).expect("a window runs forwards"));
            next = last.plus(1).filter(|next| *next <= self.range.end());
        }
        windows
    }

    /// The events, window by window. The stream ends after its first error.
    pub fn events(
        self,
        client: &Client,
    ) -> impl Stream<Item = Result<Exported, ExportError>> + use<> {
        let walker = Walker {
            client: client.with_retry_policy(Arc::new(HalvesOn504(client.retry_policy()))),
            range: self.range,
            windows: self.windows(),
            current: None,
        };
        futures_util::stream::unfold(walker, |mut walker| async move {
            let item = walker.next().await?;
            if item.is_err() {
                walker.windows.clear();
                walker.current = None;
            }
            Some((item, walker))
        })
    }
}

/// The client's retry policy, except that a 504 is answered by halving the window, not by
/// asking again for the same one.
#[derive(Debug)]
struct HalvesOn504(Arc<dyn RetryPolicy>);

impl RetryPolicy for HalvesOn504 {
    fn decide(&self, attempt: u32, error: &Error, elapsed: Duration) -> RetryDecision {
        if error.status() == Some(504) {
            RetryDecision::Stop
        } else {
            self.0.decide(attempt, error, elapsed)
        }
    }
}

/// The window being read: its events arriving from the decoder's threads.
struct Current {
    window: HourRange,
    batches: mpsc::Receiver<Result<crate::Batch, ArchiveError>>,
    events: u64,
    archive_bytes: u64,
    json_bytes: u64,
}

struct Walker {
    client: Client,
    range: HourRange,
    windows: VecDeque<HourRange>,
    current: Option<Current>,
}

impl Walker {
    async fn next(&mut self) -> Option<Result<Exported, ExportError>> {
        loop {
            if let Some(current) = &mut self.current {
                return Some(match current.batches.recv().await {
                    Some(Ok(batch)) => {
                        current.events += batch.events.len() as u64;
                        current.json_bytes += batch.bytes;
                        Ok(Exported::Events(batch.events))
                    }
                    Some(Err(error)) => Err(error.into()),
                    None => {
                        let done = done(
                            self.range,
                            current.window,
                            current.events,
                            current.archive_bytes,
                            current.json_bytes,
                        );
                        self.current = None;
                        Ok(Exported::Window(done))
                    }
                });
            }
            let window = self.windows.pop_front()?;
            match spool(&self.client, &ExportEvents::new(window)).await {
                Ok(spooled) => {
                    let archive_bytes = spooled.bytes();
                    let batches = match spooled.batches() {
                        Ok(batches) => batches,
                        Err(error) => return Some(Err(ExportError::Spool(error))),
                    };
                    let (send, receive) = mpsc::channel(2);
                    tokio::task::spawn_blocking(move || {
                        for batch in batches {
                            if send.blocking_send(batch).is_err() {
                                return;
                            }
                        }
                    });
                    self.current = Some(Current {
                        window,
                        batches: receive,
                        events: 0,
                        archive_bytes,
                        json_bytes: 0,
                    });
                }
                Err(ExportError::Request(error)) if error.status() == Some(404) => {
                    return Some(Ok(Exported::Window(done(self.range, window, 0, 0, 0))));
                }
                Err(ExportError::Request(error)) if is_too_large(&error) => {
                    if window.hours() == 1 {
                        return Some(Err(ExportError::HourTooLarge {
                            hour: window.start(),
                            source: error,
                        }));
                    }
                    let half = i64::try_from(window.hours() / 2).unwrap_or(i64::MAX);
                    let cut = window.start().plus(half - 1).expect("inside the window");
                    tracing::debug!(%error, window = %window.start(), hours = window.hours(), "export window too large; halving");
                    let later = cut.plus(1).expect("inside the window");
                    self.windows
                        .push_front(HourRange::new(later, window.end()).expect("forwards"));
                    self.windows
                        .push_front(HourRange::new(window.start(), cut).expect("forwards"));
                }
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// The end of `window` of `range`.
fn done(
    range: HourRange,
    window: HourRange,
    events: u64,
    archive_bytes: u64,
    json_bytes: u64,
) -> WindowDone {
    WindowDone {
        window,
        events,
        archive_bytes,
        json_bytes,
        checkpoint: Checkpoint {
            start: range.start(),
            end: range.end(),
            through: window.end(),
        },
    }
}

/// Amplitude's answers for an export too large to make: a 400 saying so, or a 504.
fn is_too_large(error: &Error) -> bool {
    match error.status() {
        Some(504) => true,
        Some(400) => error.to_string().to_ascii_lowercase().contains("too large"),
        _ => false,
    }
}
