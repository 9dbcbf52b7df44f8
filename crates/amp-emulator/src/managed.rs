//! What the project APIs write: uploaded cohorts (and their membership changes), chart
//! annotations and their categories, releases, deletion jobs and the tracking plan. Every write is a [`Change`]:
//! checked against the project first, then journalled with `--state` before it is applied
//! and answered, and applied again, in order, at start. Applying is deterministic (ids come
//! from counters), so a replay rebuilds the same ids.

use std::collections::{BTreeMap, BTreeSet};

use amp_model::annotations::{Annotation, Category};
use amp_model::privacy::{Day, DeletionJob, DeletionStatus, DeletionUser};
use amp_model::releases::Release;
use serde::{Deserialize, Serialize};

use crate::plan::{Plan, PlanEdit};

/// The project APIs' state.
#[derive(Debug, Default)]
pub struct Managed {
    /// Uploaded cohorts, by id.
    pub cohorts: BTreeMap<String, Uploaded>,
    /// How many cohorts were ever uploaded: the next id's number.
    cohorts_made: u64,
    /// Chart annotations, by id; a category is kept by id and named when answered.
    pub annotations: BTreeMap<u64, Annotation>,
    /// Annotation categories' names, by id.
    pub categories: BTreeMap<u64, String>,
    /// The largest id given to an annotation or a category.
    last_id: u64,
    /// Releases, in the order recorded.
    pub releases: Vec<Release>,
    /// Deletion jobs, in the order created, with when each is due to run.
    pub deletions: Vec<(DeletionJob, i64)>,
    /// The tracking plan the Taxonomy API edits.
    pub plan: Plan,
}

/// An uploaded cohort: a fixed list of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// Its name.
    pub name: String,
    /// Its owner's login.
    pub owner: String,
    /// Whether it is published.
    pub published: bool,
    /// Its members' Amplitude IDs.
    pub members: BTreeSet<u64>,
}

/// One write, as journalled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A cohort uploaded, new or replacing an uploaded one's members.
    UploadCohort {
        /// The uploaded cohort it replaces, if any.
        replacing: Option<String>,
        /// Its name.
        name: String,
        /// Its owner.
        owner: String,
        /// Whether it is published.
        published: bool,
        /// Its members' Amplitude IDs.
        members: Vec<u64>,
    },
    /// Users added to or removed from an uploaded cohort.
    Membership {
        /// The cohort.
        cohort_id: String,
        /// Added, else removed.
        add: bool,
        /// The users' Amplitude IDs.
        members: Vec<u64>,
    },
    /// An annotation created or changed: its whole new state.
    PutAnnotation {
        /// The annotation.
        annotation: Annotation,
    },
    /// An annotation deleted.
    DeleteAnnotation {
        /// Its id.
        id: u64,
    },
    /// A category created or renamed.
    PutCategory {
        /// Its id.
        id: u64,
        /// Its name.
        name: String,
    },
    /// A category deleted; its annotations lose it.
    DeleteCategory {
        /// Its id.
        id: u64,
    },
    /// A release recorded (its annotation, if shown on charts, is a change of its own).
    AddRelease {
        /// The release.
        release: Release,
    },
    /// Users asked to be deleted: they join the day's job that has not run, or a new one.
    RequestDeletion {
        /// The day asked on.
        day: Day,
        /// The users.
        users: Vec<DeletionUser>,
        /// When a new job runs, in wall-clock Unix milliseconds.
        due_ms: i64,
    },
    /// A user taken out of the day's job that has not run.
    RemoveFromDeletion {
        /// The job's day.
        day: Day,
        /// The user.
        amplitude_id: u64,
    },
    /// The day's job run: its users' data deleted from the store.
    CompleteDeletion {
        /// The job's day.
        day: Day,
        /// The day it ran.
        done: Day,
    },
    /// The tracking plan edited.
    Plan {
        /// How.
        edit: PlanEdit,
    },
}

impl crate::project::Project {
    /// Applies `change`: to the store for a deletion job that runs, to [`Managed`] in every
    /// case. Returns the id of what it created or changed.
    ///
    /// # Errors
    ///
    /// A change that names something that does not exist.
    pub fn apply(&mut self, change: &Change) -> Result<String, String> {
        if let Change::CompleteDeletion { day, .. } = change {
            let users: Vec<u64> = self
                .managed
                .pending(*day)
                .map(|job| {
                    job.amplitude_ids
                        .iter()
                        .map(|user| user.amplitude_id)
                        .collect()
                })
                .unwrap_or_default();
            let id = self.managed.apply(change)?;
            self.store.scrub(&users);
            return Ok(id);
        }
        self.managed.apply(change)
    }
}

impl Managed {
    /// Applies `change`, returning the id of what it created or changed.
    ///
    /// # Errors
    ///
    /// A change that names something that does not exist: the journal does not replay.
    pub fn apply(&mut self, change: &Change) -> Result<String, String> {
        match change {
            Change::UploadCohort {
                replacing,
                name,
                owner,
                published,
                members,
            } => {
                let cohort = Uploaded {
                    name: name.clone(),
                    owner: owner.clone(),
                    published: *published,
                    members: members.iter().copied().collect(),
                };
                Ok(self.upload(replacing.as_deref(), cohort))
            }
            Change::Membership {
                cohort_id,
                add,
                members,
            } => {
                let cohort = self
                    .cohorts
                    .get_mut(cohort_id)
                    .ok_or_else(|| format!("no uploaded cohort `{cohort_id}`"))?;
                for member in members {
                    if *add {
                        cohort.members.insert(*member);
                    } else {
                        cohort.members.remove(member);
                    }
                }
                Ok(cohort_id.clone())
            }
            Change::PutAnnotation { annotation } => {
                self.last_id = self.last_id.max(annotation.id);
                self.annotations.insert(annotation.id, annotation.clone());
                Ok(annotation.id.to_string())
            }
            Change::DeleteAnnotation { id } => {
                self.annotations
                    .remove(id)
                    .ok_or_else(|| format!("no annotation {id}"))?;
                Ok(id.to_string())
            }
            Change::PutCategory { id, name } => {
                self.last_id = self.last_id.max(*id);
                self.categories.insert(*id, name.clone());
                Ok(id.to_string())
            }
            Change::DeleteCategory { id } => {
                self.categories
                    .remove(id)
                    .ok_or_else(|| format!("no category {id}"))?;
                for annotation in self.annotations.values_mut() {
                    if annotation
                        .category
                        .as_ref()
                        .is_some_and(|category| category.id == *id)
                    {
                        annotation.category = None;
                    }
                }
                Ok(id.to_string())
            }
            Change::AddRelease { release } => {
                self.releases.push(release.clone());
                Ok(release.id.clone())
            }
            Change::RequestDeletion { day, users, due_ms } => {
                self.request_deletion(*day, users, *due_ms);
                Ok(day.to_string())
            }
            Change::RemoveFromDeletion { day, amplitude_id } => {
                let job = self
                    .pending_mut(*day)
                    .ok_or_else(|| format!("no deletion job of {day} that has not run"))?;
                let before = job.amplitude_ids.len();
                job.amplitude_ids
                    .retain(|user| user.amplitude_id != *amplitude_id);
                if job.amplitude_ids.len() == before {
                    return Err(format!("user {amplitude_id} is not in the job of {day}"));
                }
                Ok(amplitude_id.to_string())
            }
            Change::CompleteDeletion { day, done } => {
                let job = self
                    .pending_mut(*day)
                    .ok_or_else(|| format!("no deletion job of {day} that has not run"))?;
                job.status = DeletionStatus::Done;
                job.active_scrub_done_date = Some(done.to_string());
                Ok(day.to_string())
            }
            Change::Plan { edit } => Ok(self.plan.apply(edit)),
        }
    }

    /// Keeps `cohort` as a new uploaded cohort, or as `replacing`; returns its id.
    fn upload(&mut self, replacing: Option<&str>, cohort: Uploaded) -> String {
        let id = if let Some(id) = replacing {
            id.to_owned()
        } else {
            self.cohorts_made += 1;
            short_id('u', self.cohorts_made)
        };
        self.cohorts.insert(id.clone(), cohort);
        id
    }

    /// Puts `users` in the job of `day` that has not run, or in a new one due at `due_ms`.
    fn request_deletion(&mut self, day: Day, users: &[DeletionUser], due_ms: i64) {
        let at = self
            .deletions
            .iter()
            .position(|(job, _)| job.day == day && job.status == DeletionStatus::Staging);
        let at = at.unwrap_or_else(|| {
            let job = DeletionJob::new(day, DeletionStatus::Staging, None);
            self.deletions.push((job, due_ms));
            self.deletions.len() - 1
        });
        let job = &mut self.deletions[at].0;
        for user in users {
            if !job
                .amplitude_ids
                .iter()
                .any(|known| known.amplitude_id == user.amplitude_id)
            {
                job.amplitude_ids.push(user.clone());
            }
        }
    }

    /// The job of `day` that has not run.
    pub fn pending(&self, day: Day) -> Option<&DeletionJob> {
        self.deletions
            .iter()
            .map(|(job, _)| job)
            .find(|job| job.day == day && job.status == DeletionStatus::Staging)
    }

    fn pending_mut(&mut self, day: Day) -> Option<&mut DeletionJob> {
        self.deletions
            .iter_mut()
            .map(|(job, _)| job)
            .find(|job| job.day == day && job.status == DeletionStatus::Staging)
    }

    /// The days of the jobs due to run by `now_ms` (wall clock) that have not.
    pub fn due(&self, now_ms: i64) -> Vec<Day> {
        self.deletions
            .iter()
            .filter(|(job, due)| job.status == DeletionStatus::Staging && *due <= now_ms)
            .map(|(job, _)| job.day)
            .collect()
    }

    /// The id the next release gets.
    pub fn next_release_id(&self) -> String {
        short_id('r', self.releases.len() as u64 + 1)
    }

    /// The id the next annotation or category gets.
    pub fn next_id(&self) -> u64 {
        self.last_id + 1
    }

    /// Annotation `id` as answered: its category named as it is now.
    pub fn annotation(&self, id: u64) -> Option<Annotation> {
        let mut annotation = self.annotations.get(&id)?.clone();
        annotation.category = annotation
            .category
            .and_then(|category| self.category(category.id));
        Some(annotation)
    }

    /// Category `id`.
    pub fn category(&self, id: u64) -> Option<Category> {
        self.categories
            .get(&id)
            .map(|name| Category::new(id, name.clone()))
    }

    /// The category named `name`.
    pub fn category_named(&self, name: &str) -> Option<Category> {
        self.categories
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(id, name)| Category::new(*id, name.clone()))
    }
}

/// The `number`th id of a kind: `kind` then six lowercase letters and digits, as Amplitude's
/// cohort and release ids are seven such characters.
fn short_id(kind: char, number: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    // A fixed odd multiplier spreads consecutive numbers over the id space (36^6 is even, so
    // distinct numbers below it stay distinct).
    let mut value = number.wrapping_mul(0x9E37_79B9) % 36u64.pow(6);
    let mut id = vec![b'0'; 6];
    for slot in id.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    format!("{kind}{}", String::from_utf8_lossy(&id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_get_distinct_ids_and_membership_changes_apply_in_order() {
        let mut managed = Managed::default();
        let upload = |replacing: Option<String>, members: Vec<u64>| Change::UploadCohort {
            replacing,
            name: "n".into(),
            owner: "o@example.com".into(),
            published: true,
            members,
        };
        let first = managed.apply(&upload(None, vec![1, 2])).unwrap();
        let second = managed.apply(&upload(None, vec![3])).unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 7);
        let change = |add, members| Change::Membership {
            cohort_id: first.clone(),
            add,
            members,
        };
        managed.apply(&change(true, vec![5])).unwrap();
        managed.apply(&change(false, vec![1])).unwrap();
        let members: Vec<u64> = managed.cohorts[&first].members.iter().copied().collect();
        assert_eq!(members, [2, 5]);
        assert_eq!(
            managed
                .apply(&upload(Some(first.clone()), vec![9]))
                .unwrap(),
            first
        );
        assert_eq!(managed.cohorts[&first].members.len(), 1);
        let missing = Change::Membership {
            cohort_id: "nope".into(),
            add: true,
            members: vec![],
        };
        assert!(managed.apply(&missing).is_err());
    }
}
