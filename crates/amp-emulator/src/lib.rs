#![doc = include_str!("../README.md")]

mod calendar;
mod carried;
pub mod cli;
pub mod config;
pub mod demo;
mod endpoints;
mod error;
mod faults;
mod form;
mod http;
mod ingest;
mod journal;
mod limits;
mod load;
mod managed;
mod matcher;
mod plan;

mod predicate;
mod project;
mod request;
mod respond;
mod sessions;
mod state;
mod store;
mod throttle;
mod timeline;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

pub use config::Config;
pub use demo::DemoOptions;
pub use error::{ConfigError, Error};

use crate::faults::Faults;
use crate::journal::{Journal, Record};
use crate::limits::Limiter;
use crate::project::Project;
use crate::state::AppState;

/// Builds an emulator: configuration, data, and where to listen.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct EmulatorBuilder {
    config: Config,
    files: Vec<PathBuf>,
    lines: Vec<String>,
    demo: Option<DemoOptions>,
    address: Option<SocketAddr>,
    state_dir: Option<PathBuf>,
}

impl EmulatorBuilder {
    /// The project configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Loads events from a file: JSON Lines, gzip, or an Export API zip.
    pub fn data_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(path.into());
        self
    }

    /// Loads events from JSON Lines records.
    pub fn events<I: Into<String>>(mut self, lines: impl IntoIterator<Item = I>) -> Self {
        self.lines.extend(lines.into_iter().map(Into::into));
        self
    }

    /// Adds the demo dataset.
    pub fn demo(mut self, options: DemoOptions) -> Self {
        self.demo = Some(options);
        self
    }

    /// Keeps every acknowledged write in `dir` and replays it at start (`--state DIR`).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Where to listen; `127.0.0.1` on an ephemeral port by default.
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = Some(address);
        self
    }

    /// Loads the data and starts serving.
    pub async fn start(self) -> Result<Emulator, Error> {
        let mut project = Project::new(self.config.clone())?;
        let mut loaded = 0;
        for path in &self.files {
            loaded += load::load_file(&mut project, path)?;
        }
        let demo_lines = self.demo.as_ref().map(demo::events).unwrap_or_default();
        let text = self
            .lines
            .iter()
            .chain(&demo_lines)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        loaded += load::load_lines(&mut project, text.as_bytes()).map_err(Error::Events)?;
        // What was acknowledged before, on top of the loaded data (which the journal never holds).
        let journal = match &self.state_dir {
            Some(dir) => {
                let (journal, records) = Journal::open(dir)?;
                for record in &records {
                    replay(&mut project, record)?;
                }
                Some(journal)
            }
            None => None,
        };
        project.store.shrink();
        let state = Arc::new(AppState {
            project: RwLock::new(project),
            limiter: Limiter::new(&self.config.limits),
            faults: Faults::new(self.config.faults.clone()),
            journal,
            throttle: std::sync::Mutex::default(),
            cohort_jobs: std::sync::Mutex::default(),
        });
        let address = self
            .address
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listen = |source| Error::Listen { address, source };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(listen)?;
        let local = listener.local_addr().map_err(listen)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(endpoints::privacy::sweep(Arc::downgrade(&state)));
        let app = http::router(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        });
        Ok(Emulator {
            address: local,
            events: loaded,
            stop: Some(stop),
            server: Some(server),
            state,
        })
    }
}

/// Applies one journal record, as its request was applied when it was acknowledged.
fn replay(project: &mut Project, record: &Record) -> Result<(), Error> {
    let events = record
        .events
        .iter()
        .map(serde::Deserialize::deserialize)
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(|error| Error::Replay(error.to_string()))?;
    project
        .ingest(&events, record.now_ms)
        .map_err(Error::Replay)?;
    for change in &record.changes {
        project.apply(change).map_err(Error::Replay)?;
    }
    Ok(())
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    address: SocketAddr,
    events: usize,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    state: Arc<AppState>,
}

impl Emulator {
    /// A builder with the default configuration and no data.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:PORT`: the base URL of every API (Dashboard, Profile, ingestion).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many events were loaded at start.
    pub fn loaded_events(&self) -> usize {
        self.events
    }

    /// How many events and users the project holds now.
    pub fn counts(&self) -> (usize, usize) {
        let project = self.state.read();
        (project.store.events.len(), project.store.users.len())
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server
                .await
                .map_err(std::io::Error::other)
                .and_then(|served| served)
                .map_err(Error::Serve),
            None => Ok(()),
        }
    }

    /// Writes the demo dataset of `options` as JSON Lines, returning how many events.
    pub fn dump_demo(options: &DemoOptions, path: &std::path::Path) -> Result<usize, Error> {
        use std::io::Write as _;
        let fail = |source| Error::Write {
            path: path.to_owned(),
            source,
        };
        let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(fail)?);
        let mut count = 0;
        let mut failure = None;
        demo::generate(options, &mut |line| {
            if failure.is_none() {
                failure = writeln!(file, "{line}").err();
                count += 1;
            }
        });
        failure.map_or(Ok(()), |error| Err(fail(error)))?;
        file.flush().map_err(fail)?;
        Ok(count)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
