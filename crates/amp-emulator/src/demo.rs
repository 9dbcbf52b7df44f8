//! A deterministic demo dataset: a music-streaming app whose users arrive over the period, come
//! back less and less, search, select and play songs (a funnel), like songs and sometimes pay
//! (a premium month makes them premium); one in ten moves to another country on the way.
//! The same seed and options give the same events, byte for byte.

use chrono::{Days, NaiveDate};
use serde_json::json;

/// The demo project's definitions, as a [`crate::Config`] TOML: a cohort of premium listeners,
/// a computation counting plays, home-feed recommendations, and a prediction of purchases.
pub const PROJECT: &str = r#"
[[cohorts]]
id = "premium"
name = "Premium listeners"
segment = [{ prop = "gp:plan", op = "is", values = ["premium"] }]

[[computations]]
id = "plays"
name = "songs-played"
kind = "count"
event = "Play Song or Video"

[[recommendations]]
id = "home-feed"
event = "Play Song or Video"
item_property = "song_id"
control_share = 0.1
model = "popular-songs"

[[predictions]]
id = "buyer"
event = "Purchase"
"#;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DemoOptions {
    /// The random seed.
    pub seed: u64,
    /// How many users.
    pub users: u32,
    /// How many days, ending on `as_of`.
    pub days: u32,
    /// The last day of data.
    pub as_of: NaiveDate,
}

impl DemoOptions {
    /// `users` users over `days` days ending on `as_of`, seed 42.
    pub fn new(users: u32, days: u32, as_of: NaiveDate) -> Self {
        Self {
            seed: 42,
            users,
            days,
            as_of,
        }
    }

    /// The same with another seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// A small fast generator (xorshift64*): stable across versions, unlike a library's.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
        let unit = (self.next() >> 11) as f64 / (1_u64 << 53) as f64;
        unit
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// An item of `items`, weighted.
    fn pick<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, weight)| weight).sum();
        let mut roll = u32::try_from(self.below(u64::from(total))).unwrap_or(0);
        for (item, weight) in items {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        &items[0].0
    }
}

const COUNTRIES: &[((&str, &str, &str), u32)] = &[
    (("United States", "San Francisco", "English"), 30),
    (("Germany", "Berlin", "German"), 14),
    (("France", "Paris", "French"), 12),
    (("United Kingdom", "London", "English"), 12),
    (("Japan", "Tokyo", "Japanese"), 10),
    (("Brazil", "São Paulo", "Portuguese"), 10),
    (("India", "Bengaluru", "English"), 7),
    (("Canada", "Toronto", "English"), 5),
];
const PLATFORMS: &[((&str, &str), u32)] = &[
    (("iOS", "ios"), 45),
    (("Android", "android"), 40),
    (("Web", "chrome"), 15),
];
const VERSIONS: &[(&str, u32)] = &[("3.4.9", 50), ("3.5.0", 35), ("3.3.2", 15)];
const GENRES: &[(&str, u32)] = &[
    ("pop", 30),
    ("rock", 20),
    ("hip-hop", 20),
    ("jazz", 10),
    ("classical", 8),
    ("electronic", 12),
];
const PLANS: &[(&str, u32)] = &[("free", 80), ("premium", 20)];
const SONGS: u64 = 60;

/// The events, one JSON Lines record each, in Amplitude's Export format.
pub fn events(options: &DemoOptions) -> Vec<String> {
    let mut lines = Vec::new();
    generate(options, &mut |line| lines.push(line));
    lines
}

/// Hands each event, as a JSON Lines record, to `sink`, in the order [`events`] lists them.
pub fn generate(options: &DemoOptions, sink: &mut dyn FnMut(String)) {
    let mut dice = Dice::new(options.seed);
    let mut writer = Writer {
        sink,
        inserted: 0,
        seed: options.seed,
    };
    let days = u64::from(options.days.max(1));
    let first_day = options.as_of - Days::new(days - 1);
    for user in 0..options.users {
        let mut person = Person::new(&mut dice, user);
        let signup = dice.below(days);
        // One user in ten moves abroad halfway through their time in the data.
        let moves = (user % 10 == 3).then_some(signup + (days - signup) / 2);
        for day in signup..days {
            if moves == Some(day) && day != signup {
                person.relocate();
            }
            let age = f64::from(u32::try_from(day - signup).unwrap_or(u32::MAX));
            if day != signup && !dice.chance(0.08 + 0.5 * 0.9_f64.powf(age)) {
                continue;
            }
            let midnight = (first_day + Days::new(day))
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_millis();
            for _ in 0..=dice.below(2) {
                let start = midnight
                    + i64::try_from((7 * 3600 + dice.below(16 * 3600)) * 1000).unwrap_or(0);
                session(&mut dice, &mut writer, &mut person, start);
            }
        }
    }
}

/// Who a demo user is.
struct Person {
    user_id: Option<String>,
    device_id: String,
    place: (&'static str, &'static str, &'static str),
    platform: (&'static str, &'static str),
    version: &'static str,
    plan: &'static str,
    favourite: &'static str,
}

impl Person {
    fn new(dice: &mut Dice, user: u32) -> Self {
        Self {
            place: *dice.pick(COUNTRIES),
            platform: *dice.pick(PLATFORMS),
            version: *dice.pick(VERSIONS),
            plan: *dice.pick(PLANS),
            favourite: *dice.pick(GENRES),
            user_id: dice.chance(0.8).then(|| format!("user-{user:05}")),
            device_id: format!("device-{user:05}"),
        }
    }

    /// Moves to the next country of the list.
    fn relocate(&mut self) {
        let here = COUNTRIES
            .iter()
            .position(|(place, _)| *place == self.place)
            .unwrap_or(0);
        self.place = COUNTRIES[(here + 1) % COUNTRIES.len()].0;
    }
}

/// Writes events as Export records.
struct Writer<'a> {
    sink: &'a mut dyn FnMut(String),
    inserted: u64,
    seed: u64,
}

impl Writer<'_> {
    fn event(
        &mut self,
        person: &Person,
        event_type: &str,
        at: i64,
        session: i64,
        properties: serde_json::Value,
        revenue: Option<f64>,
    ) {
        self.inserted += 1;
        let time = chrono::DateTime::from_timestamp_millis(at)
            .expect("in range")
            .format("%Y-%m-%d %H:%M:%S%.6f");
        let (country, city, language) = person.place;
        let mut line = json!({
            "user_id": person.user_id, "device_id": person.device_id, "event_type": event_type,
            "event_time": time.to_string(), "session_id": session,             "user_properties": {"plan": person.plan, "favourite_genre": person.favourite},
            "country": country, "city": city, "language": language, "platform": person.platform.0,
            "os_name": person.platform.1, "version_name": person.version, "start_version": "3.3.2",
            "$insert_id": format!("demo-{}-{}", self.seed, self.inserted),
        });
        line["event_properties"] = properties;
        if let Some(amount) = revenue {
            line["revenue"] = json!(amount);
        }
        (self.sink)(line.to_string());
    }
}

/// One session starting at `start`: open, then search, select and play (each step lost by some
/// users), sometimes a like or a purchase; buying a premium month makes the user premium.
fn session(dice: &mut Dice, writer: &mut Writer<'_>, person: &mut Person, start: i64) {
    let mut at = start;
    let mut emit =
        |dice: &mut Dice, event_type: &str, properties: serde_json::Value, revenue: Option<f64>| {
            writer.event(person, event_type, at, start, properties, revenue);
            at += i64::try_from(20_000 + dice.below(100_000)).unwrap_or(0);
        };
    emit(dice, "Open App", json!({}), None);
    if !dice.chance(0.8) {
        return;
    }
    let genre = if dice.chance(0.6) {
        person.favourite
    } else {
        *dice.pick(GENRES)
    };
    emit(dice, "Search Song or Video", json!({"genre": genre}), None);
    if !dice.chance(0.75) {
        return;
    }
    let song = format!(
        "song-{:02}",
        (dice.below(SONGS) * dice.below(SONGS)) / SONGS + 1
    );
    emit(
        dice,
        "Select Song or Video",
        json!({"genre": genre, "song_id": song}),
        None,
    );
    if !dice.chance(0.85) {
        return;
    }
    let duration = 90 + dice.below(240);
    emit(
        dice,
        "Play Song or Video",
        json!({"genre": genre, "song_id": song, "duration": duration}),
        None,
    );
    if dice.chance(0.3) {
        emit(dice, "Like Song", json!({"song_id": song}), None);
    }
    if dice.chance(0.04) {
        let (product, price) = if dice.chance(0.7) {
            ("premium_month", 9.99)
        } else {
            ("album", 4.99)
        };
        emit(
            dice,
            "Purchase",
            json!({"product": product, "price": price}),
            Some(price),
        );
        if product == "premium_month" {
            person.plan = "premium";
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_events() {
        let as_of = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
        let options = DemoOptions::new(40, 14, as_of);
        let first = events(&options);
        assert!(first.len() > 100, "{}", first.len());
        assert_eq!(first, events(&options));
        let other = options.clone().with_seed(7);
        assert_ne!(first, events(&other));
    }
}
