//! `ampq export`: raw events as JSON Lines, to standard output or a file (gzip for `.gz`),
//! with a progress bar on a terminal and a checkpoint file to resume from.
//!
//! The checkpoint file is JSON: the SDK's checkpoint (`start`, `end`, `through`) and
//! `out_bytes`, the length of `--out` after the last whole window. A resumed run cuts `--out`
//! back to that length (a gzip file ends between members there: each window is one member), so
//! no event is written twice and none is lost. Standard output cannot be cut back: a resumed
//! run writes from the window after the checkpoint.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use amplitude_api::export::{Checkpoint, ExportEvents, ExportRange, Exported, Hour, HourRange};
use amplitude_api::transport::{Client, Endpoint as _};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::cli::Export;
use crate::run::Failure;

/// What the checkpoint file holds.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    #[serde(flatten)]
    checkpoint: Checkpoint,
    /// The length of `--out` after the last whole window.
    out_bytes: u64,
}

/// The range the flags name, refused with what to fix before anything is sent.
pub fn range(args: &Export) -> Result<HourRange, Failure> {
    let hour = |flag: &str, text: &str| {
        text.parse::<Hour>()
            .map_err(|error| Failure::Usage(format!("--{flag}: {error}")))
    };
    let range = HourRange::new(hour("start", &args.start)?, hour("end", &args.end)?)
        .map_err(|error| Failure::Usage(format!("--start: {}", error.reason())))?;
    range
        .check_span()
        .map_err(|error| Failure::Usage(format!("--end: {}", error.reason())))?;
    if args.window_hours == 0 {
        return Err(Failure::Usage("--window-hours: give at least 1".into()));
    }
    Ok(range)
}

/// The request of the whole range, for `--dry-run`.
pub fn request(range: HourRange) -> amplitude_api::transport::Request {
    ExportEvents::new(range).to_request()
}

/// Where lines go: a file (gzip or plain) that can be cut back, or standard output.
enum Sink {
    File {
        path: PathBuf,
        gzip: bool,
        /// The open window's writer; `None` between windows.
        open: Option<Open>,
    },
    Stdout(io::StdoutLock<'static>),
}

/// A window's writer into the output file: its own gzip member, or plain text.
enum Open {
    Gzip(Box<flate2::write::GzEncoder<BufWriter<File>>>),
    Plain(BufWriter<File>),
}

impl Sink {
    fn writer(&mut self) -> io::Result<&mut dyn Write> {
        match self {
            Self::Stdout(out) => Ok(out),
            Self::File { path, gzip, open } => {
                if open.is_none() {
                    let file = std::fs::OpenOptions::new().append(true).open(&*path)?;
                    let buffered = BufWriter::with_capacity(1 << 20, file);
                    *open = Some(if *gzip {
                        Open::Gzip(Box::new(flate2::write::GzEncoder::new(
                            buffered,
                            flate2::Compression::default(),
                        )))
                    } else {
                        Open::Plain(buffered)
                    });
                }
                Ok(match open.as_mut().expect("opened above") {
                    Open::Gzip(writer) => writer.as_mut(),
                    Open::Plain(writer) => writer,
                })
            }
        }
    }

    /// Ends the window: its gzip member finished, everything on disk. The output's length.
    fn end_window(&mut self) -> io::Result<u64> {
        match self {
            Self::Stdout(out) => {
                out.flush()?;
                Ok(0)
            }
            Self::File { path, open, .. } => {
                let buffered = match open.take() {
                    Some(Open::Gzip(writer)) => Some(writer.finish()?),
                    Some(Open::Plain(writer)) => Some(writer),
                    None => None,
                };
                if let Some(buffered) = buffered {
                    buffered
                        .into_inner()
                        .map_err(io::IntoInnerError::into_error)?
                        .sync_all()?;
                }
                Ok(std::fs::metadata(&*path)?.len())
            }
        }
    }
}

/// Runs `ampq export`.
pub async fn run(client: &Client, args: &Export) -> Result<(), Failure> {
    let range = range(args)?;
    let local = |what: &str, path: &Path, error: io::Error| {
        Failure::Local(format!("cannot {what} {}: {error}", path.display()))
    };
    let saved = match &args.checkpoint {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).map_err(|error| local("read", path, error))?;
            Some(serde_json::from_str::<Saved>(&text).map_err(|error| {
                Failure::Usage(format!(
                    "--checkpoint {}: not a checkpoint of ampq export ({error}); remove it to start over",
                    path.display()
                ))
            })?)
        }
        _ => None,
    };
    let mut walk = ExportRange::new(range).window_hours(args.window_hours);
    if let Some(saved) = &saved {
        walk = walk.resume(&saved.checkpoint).map_err(|error| {
            Failure::Usage(format!("--checkpoint: {error}; remove it to start over"))
        })?;
    }
    let mut sink = match &args.out {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(path)
                .map_err(|error| local("create", path, error))?;
            let keep = saved.as_ref().map_or(0, |saved| saved.out_bytes);
            let length = file
                .metadata()
                .map_err(|error| local("read", path, error))?
                .len();
            if length < keep {
                return Err(Failure::Usage(format!(
                    "--out {} holds {length} bytes, less than the {keep} the checkpoint counts; it is not this export's file",
                    path.display()
                )));
            }
            file.set_len(keep)
                .map_err(|error| local("cut back", path, error))?;
            let gzip = path
                .extension()
                .is_some_and(|extension| extension.eq_ignore_ascii_case("gz"));
            Sink::File {
                path: path.clone(),
                gzip,
                open: None,
            }
        }
        None => Sink::Stdout(io::stdout().lock()),
    };
    let progress = Progress::new(walk.hours_left());
    let mut stream = std::pin::pin!(walk.events(client));
    while let Some(item) = stream.next().await {
        match item.map_err(|error| Failure::Export(Box::new(error)))? {
            Exported::Events(events) => {
                let out = sink.writer().map_err(|error| write_failure(args, &error))?;
                for event in &events {
                    let written = serde_json::to_writer(&mut *out, event)
                        .map_err(io::Error::from)
                        .and_then(|()| out.write_all(b"\n"));
                    match written {
                        // A reader that stopped early (`| head`) got what it wanted.
                        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                        written => written.map_err(|error| write_failure(args, &error))?,
                    }
                }
                progress.events(events.len() as u64);
            }
            Exported::Window(done) => {
                let out_bytes = sink
                    .end_window()
                    .map_err(|error| write_failure(args, &error))?;
                if let Some(path) = &args.checkpoint {
                    save(
                        path,
                        &Saved {
                            checkpoint: done.checkpoint,
                            out_bytes,
                        },
                    )
                    .map_err(|error| local("write", path, error))?;
                }
                progress.window(done.window.hours(), done.archive_bytes);
            }
            _ => {}
        }
    }
    progress.finish();
    Ok(())
}

fn write_failure(args: &Export, error: &io::Error) -> Failure {
    let target = args.out.as_ref().map_or_else(
        || "standard output".to_owned(),
        |path| path.display().to_string(),
    );
    Failure::Local(format!("cannot write {target}: {error}"))
}

/// Writes the checkpoint whole or not at all.
fn save(path: &Path, saved: &Saved) -> io::Result<()> {
    let mut text = serde_json::to_vec(saved)?;
    text.push(b'\n');
    crate::output::replace(path, &text)
}

/// The progress bar on a terminal: hours done of all, events, bytes downloaded and their rate.
struct Progress {
    bar: indicatif::ProgressBar,
    started: Instant,
    events: std::cell::Cell<u64>,
    bytes: std::cell::Cell<u64>,
}

impl Progress {
    fn new(hours: u64) -> Self {
        let bar = if io::stderr().is_terminal() {
            indicatif::ProgressBar::new(hours)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} hours  {msg}  {elapsed_precise}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Self {
            bar,
            started: Instant::now(),
            events: std::cell::Cell::new(0),
            bytes: std::cell::Cell::new(0),
        }
    }

    fn events(&self, count: u64) {
        self.events.set(self.events.get() + count);
        self.show();
    }

    fn window(&self, hours: u64, bytes: u64) {
        self.bytes.set(self.bytes.get() + bytes);
        self.bar.inc(hours);
        self.show();
    }

    fn show(&self) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        #[allow(clippy::cast_precision_loss, reason = "a rate shown to one decimal")]
        let megabytes = self.bytes.get() as f64 / 1e6;
        self.bar.set_message(format!(
            "{} events  {megabytes:.1} MB  {:.1} MB/s",
            self.events.get(),
            megabytes / seconds
        ));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
