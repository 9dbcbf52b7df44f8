//! The emulated project: its configuration, calendar and events.

use std::collections::HashSet;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::error::ConfigError;
use crate::ingest::{self, RawEvent, Source};
use crate::managed::Managed;
use crate::store::Store;

/// One Amplitude project.
#[derive(Debug)]
pub struct Project {
    /// The configuration.
    pub config: Config,
    /// Days in the project time zone.
    pub calendar: Calendar,
    /// The events and users.
    pub store: Store,
    /// What the project APIs wrote.
    pub managed: Managed,
    /// Insert IDs of events ingested over HTTP, for deduplication.
    insert_ids: HashSet<String>,
    fixed_now_ms: Option<i64>,
}

impl Project {
    /// An empty project.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let calendar = Calendar::new(config.zone()?);
        let fixed_now_ms = config.now_ms()?;
        Ok(Self {
            config,
            calendar,
            store: Store::default(),
            managed: Managed::default(),
            insert_ids: HashSet::new(),
            fixed_now_ms,
        })
    }

    /// "Now": the configured time, or the clock.
    pub fn now_ms(&self) -> i64 {
        now_ms(self.fixed_now_ms)
    }

    /// Adds an event read from a file, whose `user_properties` are the user's whole set at
    /// that event. Call [`Project::settle`] once the file is read.
    pub fn load(&mut self, raw: &RawEvent<'_>) -> Result<(), String> {
        let fixed = self.fixed_now_ms;
        ingest::apply(&mut self.store, raw, || now_ms(fixed), Source::Export)
    }

    /// Adds the events of one request received over HTTP, reading one without a time as
    /// happening at `now_ms` (when its request was accepted); a repeated insert ID is dropped as
    /// Amplitude does. Returns how many were kept.
    pub fn ingest<'r, 'a: 'r>(
        &mut self,
        events: impl IntoIterator<Item = &'r RawEvent<'a>>,
        now_ms: i64,
    ) -> Result<u64, String> {
        let mut kept = 0;
        for raw in events {
            if let Some(id) = raw.insert_id() {
                if self.insert_ids.contains(id) {
                    continue;
                }
                self.insert_ids.insert(id.to_owned());
            }
            let applied = ingest::apply(&mut self.store, raw, || now_ms, Source::Api);
            if let Err(error) = applied {
                self.settle();
                return Err(error);
            }
            kept += 1;
        }
        self.settle();
        Ok(kept)
    }

    /// Works out again the user properties of events that arrived out of time order.
    pub fn settle(&mut self) {
        self.store.settle();
    }
}

/// The configured time, or the clock's.
fn now_ms(fixed: Option<i64>) -> i64 {
    fixed.unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
}
