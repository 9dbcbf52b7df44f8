//! Amplitude's per-user and per-device ingestion limit: at most `eps` events a second for one
//! `user_id` or `device_id`, measured as an average over a recent window (10 s here). Off
//! unless configured, since Amplitude measures it loosely and most tests need not think of it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The window the average is taken over.
const WINDOW: Duration = Duration::from_secs(10);

/// Events recently accepted per user and device.
#[derive(Debug, Default)]
pub struct Throttle {
    seen: HashMap<String, VecDeque<Instant>>,
}

/// What a throttled request answers with: the users and devices over the limit, with their
/// rate, and the indices of their events in the request.
#[derive(Debug, Default)]
pub struct Throttled {
    /// Users over the limit and their events a second.
    pub users: HashMap<String, u64>,
    /// Devices over the limit and their events a second.
    pub devices: HashMap<String, u64>,
    /// The request's events that belong to them.
    pub events: Vec<usize>,
}

impl Throttle {
    /// Admits a request whose events carry these `(user_id, device_id)` pairs, counting them,
    /// or says who is over `eps` and counts nothing.
    pub fn admit(
        &mut self,
        ids: &[(Option<&str>, Option<&str>)],
        eps: f64,
    ) -> Result<(), Throttled> {
        let now = Instant::now();
        let since = now.checked_sub(WINDOW).unwrap_or(now);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (user, device) in ids {
            for key in keys(*user, *device) {
                *counts.entry(key).or_default() += 1;
            }
        }
        let ceiling = eps * WINDOW.as_secs_f64();
        let mut throttled = Throttled::default();
        for (key, added) in &counts {
            let recent = self.seen.get_mut(key).map_or(0, |times| {
                while times.front().is_some_and(|at| *at < since) {
                    times.pop_front();
                }
                times.len()
            });
            #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
            let total = (recent + added) as f64;
            if total > ceiling {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a small positive rate"
                )]
                let rate = (total / WINDOW.as_secs_f64()).ceil() as u64;
                match key.split_once(':') {
                    Some(("user", id)) => throttled.users.insert(id.to_owned(), rate),
                    Some((_, id)) => throttled.devices.insert(id.to_owned(), rate),
                    None => None,
                };
            }
        }
        if !(throttled.users.is_empty() && throttled.devices.is_empty()) {
            throttled.events = ids
                .iter()
                .enumerate()
                .filter(|(_, (user, device))| {
                    user.is_some_and(|user| throttled.users.contains_key(user))
                        || device.is_some_and(|device| throttled.devices.contains_key(device))
                })
                .map(|(index, _)| index)
                .collect();
            return Err(throttled);
        }
        for (key, added) in counts {
            self.seen
                .entry(key)
                .or_default()
                .extend(std::iter::repeat_n(now, added));
        }
        Ok(())
    }
}

fn keys(user: Option<&str>, device: Option<&str>) -> impl Iterator<Item = String> {
    user.map(|user| format!("user:{user}"))
        .into_iter()
        .chain(device.map(|device| format!("device:{device}")))
}
