//! The emulated project: its configuration, calendar and events.

use std::collections::HashSet;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::error::ConfigError;
use crate::ingest::{self, RawEvent};
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
            insert_ids: HashSet::new(),
            fixed_now_ms,
        })
    }

    /// "Now": the configured time, or the clock.
    pub fn now_ms(&self) -> i64 {
        self.fixed_now_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }

    /// Adds an event read from a file.
    pub fn load(&mut self, raw: &RawEvent<'_>) -> Result<(), String> {
        let now = self.now_ms();
        ingest::apply(&mut self.store, raw, now)
    }

    /// Adds an event received over HTTP, reading one without a time as happening at `now_ms`
    /// (when its request was accepted); a repeated insert ID is dropped as Amplitude does.
    /// Returns whether it was kept.
    pub fn ingest(&mut self, raw: &RawEvent<'_>, now_ms: i64) -> Result<bool, String> {
        if let Some(id) = raw.insert_id() {
            if self.insert_ids.contains(id) {
                return Ok(false);
            }
            self.insert_ids.insert(id.to_owned());
        }
        ingest::apply(&mut self.store, raw, now_ms).map(|()| true)
    }
}
