//! The cohort file: CSV whose header row names the columns (`user_id`, `amplitude_id`, then
//! the properties asked for; values may be quoted), read whole or as its bytes arrive.

use amp_model::cohorts::{CohortFile, CohortMember};
use amp_transport::{DecodeError, HttpResponse};

/// What went wrong reading a cohort file: the line, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cohort file, line {line}: {reason}")]
pub struct FileError {
    /// The line (1 is the header).
    pub line: u64,
    /// Why it could not be read.
    pub reason: String,
}

/// Reads a whole cohort file (what [`crate::GetCohortFile`] decodes).
///
/// # Errors
///
/// A row that cannot be read, with its line.
pub fn parse(response: &HttpResponse) -> Result<CohortFile, DecodeError> {
    let failed = |error: FileError| DecodeError::new(error.to_string(), &response.body);
    let mut rows = Rows::default();
    let mut members = rows.feed(&response.body).map_err(failed)?;
    members.extend(rows.finish().map_err(failed)?);
    Ok(CohortFile::new(rows.columns.unwrap_or_default(), members))
}

/// A cohort file read as it arrives: bytes go in, members of the whole rows so far come out.
#[derive(Debug, Default)]
pub struct Rows {
    /// The header's names, once read.
    columns: Option<Vec<String>>,
    /// Bytes of a row not yet ended.
    pending: Vec<u8>,
    /// Rows read so far, the header included.
    lines: u64,
}

impl Rows {
    /// The header's column names, once the header has arrived.
    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    /// Takes the next bytes of the file; gives the members of the rows they complete.
    ///
    /// # Errors
    ///
    /// A row that cannot be read, with its line.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<CohortMember>, FileError> {
        self.pending.extend_from_slice(bytes);
        let Some(end) = last_row_end(&self.pending) else {
            return Ok(Vec::new());
        };
        let whole: Vec<u8> = self.pending.drain(..=end).collect();
        self.read(&whole)
    }

    /// Ends the file: the members of a last row without a line break.
    ///
    /// # Errors
    ///
    /// A row that cannot be read, with its line.
    pub fn finish(&mut self) -> Result<Vec<CohortMember>, FileError> {
        let rest = std::mem::take(&mut self.pending);
        if rest.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        self.read(&rest)
    }

    fn read(&mut self, whole: &[u8]) -> Result<Vec<CohortMember>, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(whole);
        let mut members = Vec::new();
        for record in reader.records() {
            self.lines += 1;
            let failed = |reason: String| FileError {
                line: self.lines,
                reason,
            };
            let record = record.map_err(|error| failed(error.to_string()))?;
            match &self.columns {
                None => {
                    let columns: Vec<String> =
                        record.iter().map(|name| name.trim().to_owned()).collect();
                    if !columns
                        .iter()
                        .any(|name| name == amp_model::cohorts::USER_ID)
                        && !columns
                            .iter()
                            .any(|name| name == amp_model::cohorts::AMPLITUDE_ID)
                    {
                        return Err(failed(format!(
                            "the header {columns:?} has neither `user_id` nor `amplitude_id`"
                        )));
                    }
                    self.columns = Some(columns);
                }
                Some(columns) => {
                    members.push(CohortMember::from_row(columns, record.iter()).map_err(failed)?);
                }
            }
        }
        Ok(members)
    }
}

/// The index of the last line break that ends a row: one outside quotes (a quoted value may
/// hold line breaks; a doubled quote inside one toggles twice).
fn last_row_end(bytes: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut end = None;
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => end = Some(index),
            _ => {}
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "user_id,amplitude_id,plan\n\"user-1\",101,premium\nuser-2,102,\"free, \"\"trial\"\"\nplan\"\n,103,\n";

    #[test]
    fn a_file_read_in_any_pieces_gives_the_same_members() {
        let whole = parse(&HttpResponse::new(200, FILE)).unwrap();
        assert_eq!(whole.columns, ["user_id", "amplitude_id", "plan"]);
        assert_eq!(whole.members.len(), 3);
        assert_eq!(whole.members[0].user_id.as_deref(), Some("user-1"));
        assert_eq!(whole.members[0].property("plan"), Some("premium"));
        assert_eq!(
            whole.members[1].property("plan"),
            Some("free, \"trial\"\nplan")
        );
        assert_eq!(whole.members[2].user_id, None);
        assert_eq!(whole.members[2].amplitude_id, Some(103));
        for size in 1..FILE.len() {
            let mut rows = Rows::default();
            let mut members = Vec::new();
            for piece in FILE.as_bytes().chunks(size) {
                members.extend(rows.feed(piece).unwrap());
            }
            members.extend(rows.finish().unwrap());
            assert_eq!(members, whole.members, "pieces of {size} bytes");
        }
    }

    #[test]
    fn a_bad_row_or_header_names_its_line() {
        let bad = parse(&HttpResponse::new(200, "user_id,amplitude_id\nu,1\nv,x\n")).unwrap_err();
        assert!(
            bad.message.contains("line 3") && bad.message.contains("`x`"),
            "{bad}"
        );
        let header = parse(&HttpResponse::new(200, "name,plan\na,b\n")).unwrap_err();
        assert!(header.message.contains("line 1"), "{header}");
    }
}
