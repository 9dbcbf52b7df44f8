//! Loading events from files: JSON Lines in Amplitude's Export format, gzip, or an Export API
//! archive (a zip of gzipped JSON Lines).

use std::io::{BufRead, BufReader, Read as _, Seek};
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
        load_lines(
            project,
            BufReader::new(flate2::read::MultiGzDecoder::new(file)),
        )
    } else {
        load_lines(project, BufReader::with_capacity(1 << 20, file))
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
        return load_lines(
            project,
            BufReader::new(flate2::read::MultiGzDecoder::new(bytes)),
        );
    }
    load_lines(project, bytes)
}

/// Loads every entry of an Export API archive.
fn load_zip(project: &mut Project, reader: impl std::io::Read + Seek) -> Result<usize, String> {
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
pub fn load_lines(project: &mut Project, reader: impl BufRead + Send) -> Result<usize, String> {
    let loaded = read_lines(project, reader);
    project.settle();
    loaded
}

/// A block of lines and the events read from them, which borrow the block's text.
#[derive(yoke::Yokeable)]
struct Block<'a> {
    /// Each event, with its line number.
    events: Vec<(usize, RawEvent<'a>)>,
    /// Why the line after the last event could not be read; nothing follows it.
    failure: Option<String>,
}

/// A block with the text it borrows from.
type Read = Yoke<Block<'static>, String>;

/// About this many bytes of lines go in one block.
const BLOCK_BYTES: usize = 1 << 20;
/// Blocks read ahead of the one being stored.
const BLOCKS_AHEAD: usize = 4;

/// Reading JSON is about half of loading: one thread reads and parses blocks of lines while
/// this one stores the events of the blocks before. Stored blocks go back to the reading
/// thread to be freed there, where they were allocated: freeing across threads costs more than
/// the parsing.
fn read_lines(project: &mut Project, reader: impl BufRead + Send) -> Result<usize, String> {
    let (sender, blocks) = sync_channel::<Read>(BLOCKS_AHEAD);
    let (done, stored) = channel::<Read>();
    std::thread::scope(|scope| {
        scope.spawn(move || read_blocks(reader, &sender, &stored));
        let mut count = 0;
        for block in blocks {
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
            // The reading thread may have finished; then this block is freed here.
            let _ = done.send(block);
        }
        Ok(count)
    })
}

/// Reads blocks of lines until the input ends, a line cannot be read, or the storing side
/// stops listening; frees the blocks it gets back as it goes.
fn read_blocks(mut reader: impl BufRead, sender: &SyncSender<Read>, stored: &Receiver<Read>) {
    let mut next_line = 1;
    loop {
        while stored.try_recv().is_ok() {}
        let first = next_line;
        let mut text = String::with_capacity(BLOCK_BYTES + 4096);
        let mut failure = None;
        while text.len() < BLOCK_BYTES {
            match reader.read_line(&mut text) {
                Ok(0) => break,
                Ok(_) => next_line += 1,
                Err(error) => {
                    failure = Some(format!("line {next_line}: {error}"));
                    break;
                }
            }
        }
        let ended = failure.is_some() || text.is_empty();
        let block: Read = Yoke::attach_to_cart(text, |text| parse_block(text, first, failure));
        let failed = block.get().failure.is_some();
        if (!block.get().events.is_empty() || failed) && sender.send(block).is_err() {
            return;
        }
        if ended || failed {
            return;
        }
    }
}

/// The events of the lines of `text`, the first being line `first`; stops at a line that is not
/// an event.
fn parse_block(text: &str, first: usize, failure: Option<String>) -> Block<'_> {
    let mut events = Vec::new();
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
}
