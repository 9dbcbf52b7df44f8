//! Reading an export archive: a zip of gzip members, each holding JSON Lines, decoded into
//! typed events on every core while keeping the archive's order, in constant memory.
//!
//! One thread reads the zip's entries in order and inflates them, cutting the text into chunks
//! of whole lines; the chunks are dealt round-robin to one parser per core, and their events are
//! collected round-robin again, so they come out in the order they were written. Queues between
//! the threads are short, so memory stays a few megabytes per core however large the archive.

use std::io::{self, Read, Seek};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use amp_model::export::ExportEvent;
use amp_transport::{DecodeError, HttpResponse};

/// Uncompressed bytes per chunk handed to a parser.
const CHUNK: usize = 1 << 20;
/// Chunks (and their events) waiting between threads, per parser.
const QUEUED: usize = 2;
/// The most parser threads.
const MOST_PARSERS: usize = 4;

/// An archive that cannot be read: which entry, and which line, when it is a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Not a zip archive, or its directory cannot be read.
    #[error("the export is not a readable zip archive: {message}")]
    Zip {
        /// What the zip reader said.
        message: String,
    },
    /// An entry that cannot be read or inflated (a bad gzip member).
    #[error("export entry `{entry}` cannot be read: {message}")]
    Entry {
        /// The entry's name in the archive.
        entry: String,
        /// What went wrong.
        message: String,
    },
    /// A line that is not an export event.
    #[error("export entry `{entry}`, line {line}: {message}")]
    Line {
        /// The entry's name in the archive.
        entry: String,
        /// The line's number in its entry, from 1.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// The events of consecutive lines of one entry.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Batch {
    /// The entry they come from.
    pub entry: Arc<str>,
    /// The events, in the order of their lines.
    pub events: Vec<ExportEvent>,
    /// The JSON they were read from, in bytes.
    pub bytes: u64,
}

/// Lines of one entry, on their way to a parser.
struct Chunk {
    entry: Arc<str>,
    first_line: u64,
    text: Vec<u8>,
}

/// What a parser is handed: lines, or the reader's error, passed on in its place in the order.
type Dealt = Result<Chunk, ArchiveError>;

/// The archive's events, batch by batch, in archive order; see [`decode`]. After an error it
/// ends. Dropping it stops its threads.
#[derive(Debug)]
pub struct Batches {
    lanes: Vec<Receiver<Result<Batch, ArchiveError>>>,
    next: usize,
}

impl Iterator for Batches {
    type Item = Result<Batch, ArchiveError>;

    fn next(&mut self) -> Option<Self::Item> {
        let lane = self.lanes.get(self.next)?;
        // Chunks are dealt in turn, so the first lane to run dry means the archive has ended.
        let Ok(item) = lane.recv() else {
            self.lanes.clear();
            return None;
        };
        if item.is_err() {
            self.lanes.clear();
        } else {
            self.next = (self.next + 1) % self.lanes.len();
        }
        Some(item)
    }
}

/// Decodes the archive `source` on background threads; see the module docs.
pub fn decode<R: Read + Seek + Send + 'static>(source: R) -> Batches {
    let parsers = thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MOST_PARSERS);
    let mut inboxes = Vec::with_capacity(parsers);
    let mut lanes = Vec::with_capacity(parsers);
    let (give_back, spare) = sync_channel(parsers * (QUEUED + 1));
    for _ in 0..parsers {
        let (deal, inbox) = sync_channel::<Dealt>(QUEUED);
        let (send, lane) = sync_channel(QUEUED);
        let give_back = give_back.clone();
        thread::Builder::new()
            .name("export-parse".into())
            .spawn(move || parse_chunks(&inbox, &send, &give_back))
            .expect("a thread starts");
        inboxes.push(deal);
        lanes.push(lane);
    }
    let reader = thread::Builder::new().name("export-read".into());
    reader
        .spawn(move || {
            let mut dealer = Dealer {
                inboxes,
                next: 0,
                spare,
            };
            if let Err(error) = read_entries(source, &mut dealer) {
                dealer.deal(Err(error));
            }
        })
        .expect("a thread starts");
    Batches { lanes, next: 0 }
}

/// The whole archive in `response`, decoded: [`crate::ExportEvents`]'s answer when it is sent
/// with `Client::send`.
pub fn parse(response: &HttpResponse) -> Result<Vec<ExportEvent>, DecodeError> {
    let mut events = Vec::new();
    for batch in decode(io::Cursor::new(response.body.clone())) {
        let batch = batch.map_err(|error| DecodeError::new(error.to_string(), &[]))?;
        events.extend(batch.events);
    }
    Ok(events)
}

/// Hands chunks to the parsers in turn, in buffers the parsers hand back.
struct Dealer {
    inboxes: Vec<SyncSender<Dealt>>,
    next: usize,
    spare: Receiver<Vec<u8>>,
}

impl Dealer {
    /// An empty buffer for a chunk: one a parser is done with, or a new one. Reusing them
    /// spares the page faults of a fresh megabyte per chunk.
    fn buffer(&self) -> Vec<u8> {
        self.spare.try_recv().map_or_else(
            |_| Vec::with_capacity(CHUNK + CHUNK / 8),
            |mut buffer| {
                buffer.clear();
                buffer
            },
        )
    }

    /// Deals one item; `false` once the consumer has gone.
    fn deal(&mut self, item: Dealt) -> bool {
        let sent = self.inboxes[self.next].send(item).is_ok();
        self.next = (self.next + 1) % self.inboxes.len();
        sent
    }
}

/// Reads every entry in order, inflating gzip members, and deals their lines in chunks.
fn read_entries<R: Read + Seek>(source: R, dealer: &mut Dealer) -> Result<(), ArchiveError> {
    let mut archive = zip::ZipArchive::new(source).map_err(|error| ArchiveError::Zip {
        message: error.to_string(),
    })?;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|error| ArchiveError::Zip {
            message: format!("entry {index}: {error}"),
        })?;
        if entry.is_dir() {
            continue;
        }
        let name: Arc<str> = entry
            .name()
            .map_err(|error| ArchiveError::Zip {
                message: format!("entry {index}: {error}"),
            })?
            .as_ref()
            .into();
        let gzipped = std::path::Path::new(&*name)
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("gz"));
        let fail = |error: io::Error| ArchiveError::Entry {
            entry: name.to_string(),
            message: error.to_string(),
        };
        let more = if gzipped {
            deal_lines(
                &name,
                flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, entry)),
                dealer,
            )
        } else {
            deal_lines(&name, entry, dealer)
        }
        .map_err(fail)?;
        if !more {
            break;
        }
    }
    Ok(())
}

/// Deals the text of one entry in chunks of whole lines; `Ok(false)` once the consumer has gone.
fn deal_lines(entry: &Arc<str>, mut reader: impl Read, dealer: &mut Dealer) -> io::Result<bool> {
    let mut first_line = 1;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut text = dealer.buffer();
        text.append(&mut carry);
        let read = (&mut reader).take(CHUNK as u64).read_to_end(&mut text)?;
        let ended = read < CHUNK;
        if !ended {
            // Keep the line the chunk cuts for the next one.
            let Some(cut) = memchr::memrchr(b'\n', &text) else {
                carry = text;
                continue;
            };
            carry.extend_from_slice(&text[cut + 1..]);
            text.truncate(cut + 1);
        }
        if !text.is_empty() {
            let lines = count_lines(&text);
            let chunk = Chunk {
                entry: Arc::clone(entry),
                first_line,
                text,
            };
            first_line += lines;
            if !dealer.deal(Ok(chunk)) {
                return Ok(false);
            }
        }
        if ended {
            return Ok(true);
        }
    }
}

/// Lines in `text`, a last one without its newline included.
fn count_lines(text: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', text).count() as u64;
    newlines + u64::from(text.last().is_some_and(|&byte| byte != b'\n'))
}

/// A parser: reads each chunk's lines into events and passes them on, in the order dealt,
/// handing the chunk's buffer back to the reader.
fn parse_chunks(
    inbox: &Receiver<Dealt>,
    send: &SyncSender<Result<Batch, ArchiveError>>,
    give_back: &SyncSender<Vec<u8>>,
) {
    for dealt in inbox {
        let parsed = dealt.and_then(|chunk| {
            let batch = parse_chunk(&chunk);
            // The reader may have enough spare buffers already; then this one is freed.
            let _ = give_back.try_send(chunk.text);
            batch
        });
        if send.send(parsed).is_err() {
            return;
        }
    }
}

fn parse_chunk(chunk: &Chunk) -> Result<Batch, ArchiveError> {
    let failure = |line: u64, message: String| ArchiveError::Line {
        entry: chunk.entry.to_string(),
        line,
        message,
    };
    // Checked once for the chunk, so that reading each string does not check it again.
    let text = std::str::from_utf8(&chunk.text).map_err(|error| {
        let before = &chunk.text[..error.valid_up_to()];
        let line = chunk.first_line + memchr::memchr_iter(b'\n', before).count() as u64;
        failure(line, format!("not UTF-8: {error}"))
    })?;
    let mut events = Vec::with_capacity(text.len() / 1_000 + 1);
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', chunk.text.as_slice()).chain(std::iter::once(text.len()));
    for (line, end) in (chunk.first_line..).zip(ends) {
        let json = &text[start..end];
        start = end + 1;
        if json.bytes().all(|byte| byte.is_ascii_whitespace()) {
            continue;
        }
        let event = serde_json::from_str(json).map_err(|error| failure(line, error.to_string()))?;
        events.push(event);
    }
    Ok(Batch {
        entry: Arc::clone(&chunk.entry),
        events,
        bytes: chunk.text.len() as u64,
    })
}
