//! Loading events from files: JSON Lines in Amplitude's Export format, gzip, or an Export API
//! archive (a zip of gzipped JSON Lines).

use std::io::{BufRead, BufReader, Read, Seek};

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

/// Loads JSON Lines; blank lines are skipped, a bad line is an error naming it.
pub fn load_lines(project: &mut Project, reader: impl BufRead) -> Result<usize, String> {
    let loaded = read_lines(project, reader);
    project.settle();
    loaded
}

fn read_lines(project: &mut Project, mut reader: impl BufRead) -> Result<usize, String> {
    let mut line = String::new();
    let mut count = 0;
    for number in 1.. {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|error| format!("line {number}: {error}"))?
            == 0
        {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let raw: RawEvent<'_> =
            serde_json::from_str(text).map_err(|error| format!("line {number}: {error}"))?;
        project
            .load(raw)
            .map_err(|error| format!("line {number}: {error}"))?;
        count += 1;
    }
    Ok(count)
}
