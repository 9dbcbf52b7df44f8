use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amp_model::profile::UserProfileResponse;
use amp_transport::{Client, Endpoint, Error};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::GetUserProfile;

/// How many distinct lookups a cache keeps unless told otherwise.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Profile lookups through a [`Client`], with an optional cache for the request path.
///
/// Without a cache every call is a request. With [`UserProfiles::with_cache`], an answer is kept
/// for a while and concurrent identical lookups share one request, which saves the
/// organisation's 600 requests a minute when many requests personalise for the same user.
#[derive(Clone)]
pub struct UserProfiles {
    client: Client,
    cache: Option<Arc<Cache>>,
}

impl fmt::Debug for UserProfiles {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("UserProfiles")
            .field("client", &self.client)
            .field("cache_ttl", &self.cache.as_ref().map(|cache| cache.ttl))
            .finish()
    }
}

impl UserProfiles {
    /// Lookups through `client`, uncached.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            cache: None,
        }
    }

    /// Keeps each answer for `ttl` and coalesces identical concurrent lookups. Errors are not
    /// kept: the next lookup asks again.
    #[must_use]
    pub fn with_cache(self, ttl: Duration) -> Self {
        self.with_cache_capacity(ttl, DEFAULT_CACHE_CAPACITY)
    }

    /// Like [`UserProfiles::with_cache`], keeping at most `capacity` lookups; when it is full of
    /// fresh answers, new lookups go uncached.
    #[must_use]
    pub fn with_cache_capacity(mut self, ttl: Duration, capacity: usize) -> Self {
        self.cache = Some(Arc::new(Cache {
            ttl,
            capacity,
            slots: Mutex::default(),
        }));
        self
    }

    /// Looks a user up.
    ///
    /// # Errors
    ///
    /// As [`Client::send`]; classify them with [`crate::ProfileError::of`].
    pub async fn get(&self, endpoint: &GetUserProfile) -> Result<Arc<UserProfileResponse>, Error> {
        let fetch = || async { self.client.send(endpoint).await.map(Arc::new) };
        let Some(cache) = &self.cache else {
            return fetch().await;
        };
        endpoint.validate()?;
        let key = endpoint.to_request().path_and_query();
        let Some(slot) = cache.slot(&key) else {
            return fetch().await;
        };
        let (result, _) = slot
            .cell
            .get_or_init(|| async { (fetch().await, Instant::now()) })
            .await;
        if result.is_err() {
            cache.forget(&key, &slot);
        }
        result.clone()
    }
}

struct Cache {
    ttl: Duration,
    capacity: usize,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

/// One lookup: empty while its request is in flight, then its answer and when it came.
#[derive(Default)]
struct Slot {
    cell: OnceCell<(Result<Arc<UserProfileResponse>, Error>, Instant)>,
}

impl Slot {
    fn expired(&self, now: Instant, ttl: Duration) -> bool {
        self.cell
            .get()
            .is_some_and(|(_, at)| now.duration_since(*at) >= ttl)
    }
}

impl Cache {
    /// The slot for `key`: a fresh or in-flight one, or a new one; `None` when the cache is full.
    fn slot(&self, key: &str) -> Option<Arc<Slot>> {
        let now = Instant::now();
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = slots.get(key).filter(|slot| !slot.expired(now, self.ttl)) {
            return Some(Arc::clone(slot));
        }
        if slots.len() >= self.capacity {
            slots.retain(|_, slot| !slot.expired(now, self.ttl));
            if slots.len() >= self.capacity {
                return None;
            }
        }
        let slot = Arc::new(Slot::default());
        slots.insert(key.to_owned(), Arc::clone(&slot));
        Some(slot)
    }

    /// Drops `slot` if it is still the one kept for `key`.
    fn forget(&self, key: &str, slot: &Arc<Slot>) {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.get(key).is_some_and(|kept| Arc::ptr_eq(kept, slot)) {
            slots.remove(key);
        }
    }
}
