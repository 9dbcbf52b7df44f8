//! Durable state (`--state DIR`): every write the emulator acknowledges is appended to
//! `DIR/journal` and flushed to disk before the 200 goes out, and replayed at start.
//!
//! A record is its length (4 bytes, little-endian), the CRC-32 of its payload (4 bytes), and the
//! payload: one JSON object, `{"now_ms": ..., "events": [...]}`, the accepted request's events
//! and the time their missing times were read as, or `{"now_ms": ..., "changes": [...]}`, a
//! project API write's changes. A crash can leave the last record torn; it is
//! found by its length or checksum, dropped with a warning, and cut from the file, so what was
//! never acknowledged is never half-read.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::managed::Change;

/// The records a journal replays.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    /// "Now" when the request was accepted: the time of its events that carry none.
    pub now_ms: i64,
    /// The request's events, as received (`$identify` events for identifications).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Value>,
    /// A project API write's changes, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// An open journal, appended to under a lock.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

/// How many bytes a record's header takes.
const HEADER: usize = 8;

impl Journal {
    /// Opens (or creates) the journal in `dir`, returning it and every whole record in it.
    ///
    /// # Errors
    ///
    /// The directory or the file cannot be created, read or repaired.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Record>), Error> {
        let path = dir.join("journal");
        let fail = |source| Error::State {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| Error::State {
            path: dir.to_owned(),
            source,
        })?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(fail)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(fail)?;
        let (records, whole) = parse(&bytes);
        if whole < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                dropped_bytes = bytes.len() - whole,
                "the journal ends in a torn record, left by a crash before it was acknowledged; dropping it"
            );
            file.set_len(u64::try_from(whole).unwrap_or(u64::MAX))
                .map_err(fail)?;
            file.seek(SeekFrom::End(0)).map_err(fail)?;
        }
        Ok((
            Self {
                path,
                file: Mutex::new(file),
            },
            records,
        ))
    }

    /// Appends `record` and waits until it is on disk.
    ///
    /// # Errors
    ///
    /// The write or the flush failed; the record may then be torn, and is dropped at the next
    /// start.
    pub fn append(&self, record: &Record) -> Result<(), Error> {
        let payload = serde_json::to_vec(record).expect("records serialise");
        let length = u32::try_from(payload.len()).map_err(|_| Error::State {
            path: self.path.clone(),
            source: std::io::Error::other("a record over 4 GB"),
        })?;
        let mut framed = Vec::with_capacity(HEADER + payload.len());
        framed.extend_from_slice(&length.to_le_bytes());
        framed.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        framed.extend_from_slice(&payload);
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(&framed)
            .and_then(|()| file.sync_data())
            .map_err(|source| Error::State {
                path: self.path.clone(),
                source,
            })
    }
}

/// The whole records at the start of `bytes`, and where they end.
fn parse(bytes: &[u8]) -> (Vec<Record>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let length = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let checksum = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let start = at + HEADER;
        let Some(payload) = usize::try_from(length)
            .ok()
            .and_then(|length| bytes.get(start..start.checked_add(length)?))
        else {
            break;
        };
        if crc32fast::hash(payload) != checksum {
            break;
        }
        let Ok(record) = serde_json::from_slice(payload) else {
            break;
        };
        records.push(record);
        at = start + payload.len();
    }
    (records, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_record_is_dropped_and_cut_and_the_rest_replays() {
        let dir = std::env::temp_dir().join(format!("amp-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (journal, records) = Journal::open(&dir).unwrap();
        assert!(records.is_empty());
        for now_ms in [1, 2] {
            journal
                .append(&Record {
                    now_ms,
                    events: vec![serde_json::json!({"event_type": "x"})],
                    changes: Vec::new(),
                })
                .unwrap();
        }
        drop(journal);
        let path = dir.join("journal");
        let whole = std::fs::metadata(&path).unwrap().len();
        // A crash mid-write: half of a third record.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[40, 0, 0, 0, 1, 2, 3, 4, b'{']).unwrap();
        drop(file);
        let (_journal, records) = Journal::open(&dir).unwrap();
        assert_eq!(records.iter().map(|r| r.now_ms).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        // A flipped byte inside the last whole record is found by its checksum.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (_journal, records) = Journal::open(&dir).unwrap();
        assert_eq!(records.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_state_directory_that_cannot_be_used_is_an_error() {
        let file = std::env::temp_dir().join(format!("amp-journal-file-{}", std::process::id()));
        std::fs::write(&file, b"not a directory").unwrap();
        let error = Journal::open(&file).unwrap_err();
        assert!(error.to_string().contains("amp-journal-file"), "{error}");
        std::fs::remove_file(&file).unwrap();
    }
}
