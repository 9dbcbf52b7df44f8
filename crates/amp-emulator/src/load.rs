//! Loading events from files: JSON Lines in Amplitude's Export format, gzip, or an Export API
//! archive (a zip of gzipped JSON Lines).

use std::io::{Read, Seek};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use yoke::Yoke;

use crate::error::Error;
use crate::ingest::RawEvent;
use crate::project::Project;

/// Loads every event of the file at `path`, returning how many were read. The file is
/// streamed, never held in memory whole.
pub fn load_file(project: &mut Project, path: &std::path::Path) -> Result<usize, Error> {
    let unreadable = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let mut magic = [0_u8; 4];
    let read = file.read(&mut magic).map_err(unreadable)?;
    file.seek(std::io::SeekFrom::Start(0)).map_err(unreadable)?;
    let result = if magic[..read].starts_with(b"PK\x03\x04") {
        load_zip(project, file)
    } else if magic[..read].starts_with(&[0x1f, 0x8b]) {
        load_lines(project, flate2::read::MultiGzDecoder::new(file))
    } else {
        load_lines(project, file)
    };
    result.map_err(|reason| Error::Data {
        path: path.to_owned(),
        reason,
    })
}

/// Loads events from bytes in any of the supported forms.
pub fn load_bytes(project: &mut Project, bytes: &[u8]) -> Result<usize, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return load_zip(project, std::io::Cursor::new(bytes));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return load_lines(project, flate2::read::MultiGzDecoder::new(bytes));
    }
    load_lines(project, bytes)
}

/// Loads every entry of an Export API archive.
fn load_zip(project: &mut Project, reader: impl Read + Seek) -> Result<usize, String> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|error| format!("not a readable zip: {error}"))?;
    let mut total = 0;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|error| format!("zip entry {index}: {error}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_or_else(|_| format!("entry {index}"), std::borrow::Cow::into_owned);
        let mut inner = Vec::new();
        entry
            .read_to_end(&mut inner)
            .map_err(|error| format!("{name}: {error}"))?;
        total += load_bytes(project, &inner).map_err(|error| format!("{name}: {error}"))?;
    }
    Ok(total)
}

/// Loads JSON Lines; blank lines are skipped, a bad line is an error naming it (the lines
/// before it are loaded).
pub fn load_lines(project: &mut Project, reader: impl Read + Send) -> Result<usize, String> {
    let loaded = read_lines(project, reader);
    project.settle();
    loaded
}

/// Whole lines of the input, as read.
struct Chunk {
    text: String,
    /// The number of its first line.
    first_line: usize,
    /// Why the input ends after this chunk, when it could not be read further.
    failure: Option<String>,
}

/// A chunk's lines and the events read from them, which borrow its text.
#[derive(yoke::Yokeable)]
struct Block<'a> {
    /// Each event, with its line number.
    events: Vec<(usize, RawEvent<'a>)>,
    /// Why the line after the last event could not be read; nothing follows it.
    failure: Option<String>,
}

/// A block with the text it borrows from.
type Parsed = Yoke<Block<'static>, String>;

/// About this many bytes of lines go in one chunk.
const BLOCK_BYTES: usize = 1 << 20;
/// Chunks and blocks queued between two threads: enough that a thread held up a moment does
/// not hold up the others.
const QUEUED: usize = 4;
/// The most threads parsing at once.
const MAX_PARSERS: usize = 4;

/// Parsing JSON is most of loading, so it runs on every core: one thread reads the input in
/// chunks of whole lines, dealing them in turn to the parsing threads, and this one stores the
/// parsed blocks in input order. Stored blocks go back to the thread that parsed them to be
/// freed there, as freeing memory another thread allocated is slow.
fn read_lines(project: &mut Project, reader: impl Read + Send) -> Result<usize, String> {
    let parsers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, MAX_PARSERS);
    std::thread::scope(|scope| {
        let mut chunks = Vec::new();
        let mut blocks = Vec::new();
        let mut returns = Vec::new();
        for _ in 0..parsers {
            let (chunk_sender, chunk_receiver) = sync_channel::<Chunk>(QUEUED);
            let (block_sender, block_receiver) = sync_channel::<Parsed>(QUEUED);
            let (done, stored) = channel::<Parsed>();
            scope.spawn(move || parse_chunks(&chunk_receiver, &block_sender, &stored));
            chunks.push(chunk_sender);
            blocks.push(block_receiver);
            returns.push(done);
        }
        scope.spawn(move || read_chunks(reader, &chunks));
        let mut count = 0;
        for turn in (0..parsers).cycle() {
            let Ok(block) = blocks[turn].recv() else {
                break;
            };
            let read = block.get();
            for (number, raw) in &read.events {
                project
                    .load(raw)
                    .map_err(|error| format!("line {number}: {error}"))?;
                count += 1;
            }
            if let Some(failure) = &read.failure {
                return Err(failure.clone());
            }
            // The parsing thread may have finished; then this block is freed here.
            let _ = returns[turn].send(block);
        }
        Ok(count)
    })
}

/// Reads the input in chunks of whole lines, dealt to `parsers` in turn, until it ends, cannot
/// be read, or the parsers stop listening.
fn read_chunks(mut reader: impl Read, parsers: &[SyncSender<Chunk>]) {
    let mut carried: Vec<u8> = Vec::new();
    let mut first_line = 1;
    for parser in (0..parsers.len()).cycle() {
        let mut bytes = std::mem::take(&mut carried);
        bytes.reserve(BLOCK_BYTES);
        let mut failure = None;
        let mut ended = false;
        let mut whole_line = memchr::memchr(b'\n', &bytes).is_some();
        // Read until the chunk is full and holds a whole line, or the input ends; straight into
        // the chunk, not through a buffer.
        while bytes.len() < BLOCK_BYTES || !whole_line {
            let before = bytes.len();
            let wanted = BLOCK_BYTES.saturating_sub(before).max(1 << 16);
            match reader
                .by_ref()
                .take(u64::try_from(wanted).unwrap_or(u64::MAX))
                .read_to_end(&mut bytes)
            {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(_) => whole_line |= memchr::memchr(b'\n', &bytes[before..]).is_some(),
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        if !ended && let Some(last) = memchr::memrchr(b'\n', &bytes) {
            carried = bytes.split_off(last + 1);
        }
        let newlines = |bytes: &[u8]| memchr::memchr_iter(b'\n', bytes).count();
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let mut bytes = error.into_bytes();
                let start = memchr::memrchr(b'\n', &bytes[..valid]).map_or(0, |at| at + 1);
                let line = first_line + newlines(&bytes[..start]);
                failure = Some(format!("line {line}: not UTF-8 text"));
                bytes.truncate(start);
                String::from_utf8(bytes).unwrap_or_default()
            }
        };
        let lines = newlines(text.as_bytes());
        let failure = failure.map(|reason| match reason.strip_prefix("line ") {
            Some(_) => reason,
            None => format!("line {}: {reason}", first_line + lines),
        });
        let last = ended || failure.is_some();
        let chunk = Chunk {
            text,
            first_line,
            failure,
        };
        first_line += lines;
        if parsers[parser].send(chunk).is_err() || last {
            return;
        }
    }
}

/// Parses chunks into blocks until there are no more or the storing side stops listening;
/// frees the blocks it gets back as it goes.
fn parse_chunks(chunks: &Receiver<Chunk>, blocks: &SyncSender<Parsed>, stored: &Receiver<Parsed>) {
    for chunk in chunks {
        while stored.try_recv().is_ok() {}
        let block: Parsed = Yoke::attach_to_cart(chunk.text, |text| {
            parse_block(text, chunk.first_line, chunk.failure)
        });
        if blocks.send(block).is_err() {
            return;
        }
    }
}

/// The events of the lines of `text`, the first being line `first`; stops at a line that is not
/// an event.
fn parse_block(text: &str, first: usize, failure: Option<String>) -> Block<'_> {
    let mut events = Vec::with_capacity(text.len() / 256);
    for (number, line) in (first..).zip(text.lines()) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(raw) => events.push((number, raw)),
            Err(error) => {
                return Block {
                    events,
                    failure: Some(format!("line {number}: {error}")),
                };
            }
        }
    }
    Block { events, failure }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    /// `count` events of one user, a second apart, one per line, with a blank line after each
    /// hundredth.
    fn lines(count: usize) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        for index in 0..count {
            writeln!(
                text,
                r#"{{"user_id":"reader","event_type":"Page {index}","event_time":"2024-03-01 00:00:{:02}.000000","event_properties":{{"n":{index}}}}}"#,
                index % 60
            )
            .unwrap();
            if index % 100 == 99 {
                text.push('\n');
            }
        }
        text
    }

    #[test]
    fn lines_load_across_blocks_and_a_bad_one_is_named() {
        // Far more than one block.
        let text = lines(20_000);
        assert!(text.len() > 2 * BLOCK_BYTES);
        let mut project = Project::new(Config::default()).unwrap();
        assert_eq!(load_lines(&mut project, text.as_bytes()), Ok(20_000));
        assert_eq!(project.store.events.len(), 20_000);

        // Line 9,002 is the 8,913th event: 89 blank lines come before it.
        let mut broken: Vec<&str> = text.split('\n').collect();
        broken[9_001] = r#"{"user_id": "reader", "event_type": "#;
        let broken = broken.join("\n");
        let mut project = Project::new(Config::default()).unwrap();
        let error = load_lines(&mut project, broken.as_bytes()).unwrap_err();
        assert!(error.starts_with("line 9002: "), "{error}");
        assert_eq!(
            project.store.events.len(),
            8_912,
            "the lines before it are loaded"
        );

        let mut project = Project::new(Config::default()).unwrap();
        let error = load_lines(&mut project, &b"{\"event_type\":\"x\"}\n"[..]).unwrap_err();
        assert!(error.starts_with("line 1: "), "{error}");
    }

    #[test]
    fn text_that_is_not_utf8_is_named_by_line_and_a_last_line_needs_no_newline() {
        let mut bytes = lines(3).into_bytes();
        bytes.extend_from_slice(b"{\"user_id\":\"r\",\"event_type\":\"\xff\"}\n");
        let mut project = Project::new(Config::default()).unwrap();
        let error = load_lines(&mut project, &bytes[..]).unwrap_err();
        assert_eq!(error, "line 4: not UTF-8 text");
        assert_eq!(project.store.events.len(), 3);
        let text = lines(2);
        let mut project = Project::new(Config::default()).unwrap();
        assert_eq!(load_lines(&mut project, text.trim_end().as_bytes()), Ok(2));
        let mut project = Project::new(Config::default()).unwrap();
        assert_eq!(load_lines(&mut project, &b""[..]), Ok(0));
    }
}
