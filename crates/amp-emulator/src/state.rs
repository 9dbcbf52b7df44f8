//! What every handler shares: the project, the limiter, the faults and the journal.

use std::sync::{Arc, PoisonError, RwLock};

use crate::faults::Faults;
use crate::journal::Journal;
use crate::limits::Limiter;
use crate::project::Project;
use crate::throttle::Throttle;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The project.
    pub project: RwLock<Project>,
    /// Amplitude's limits.
    pub limiter: Arc<Limiter>,
    /// Injected faults.
    pub faults: Faults,
    /// Where acknowledged writes are kept (`--state`), if anywhere.
    pub journal: Option<Journal>,
    /// Recent events per user and device, for the per-user ingestion limit.
    pub throttle: std::sync::Mutex<Throttle>,
    /// Cohort download jobs.
    pub cohort_jobs: std::sync::Mutex<crate::endpoints::cohorts::Jobs>,
}

impl AppState {
    /// Reads the project.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Project> {
        self.project.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the project.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Project> {
        self.project.write().unwrap_or_else(PoisonError::into_inner)
    }
}
