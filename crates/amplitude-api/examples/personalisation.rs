//! What to show one user: their recommendations, cohorts and a computation, from the User
//! Profile API. Against the emulator (`ampq emulator --demo` prints its URL): set
//! `AMPLITUDE_PROFILE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example personalisation -- user-00042`.

use amplitude_api::profile::{GetUserProfile, UserProfileQuery};
use amplitude_api::transport::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let user = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "user-00042".into());
    let client = Client::from_env()?;
    let query = UserProfileQuery::for_user(&user)
        .recommendations(["home-feed"])
        .cohort_ids()
        .computations(["plays"]);
    let profile = client.send(&GetUserProfile::new(query)).await?.user_data;
    match profile.recommendation("home-feed") {
        Some(feed) if !feed.is_control => println!("{user}: show {}", feed.items.join(", ")),
        Some(_) => println!("{user}: in the control group; show the default feed"),
        None => println!("{user}: no recommendation"),
    }
    println!("premium listener: {}", profile.in_cohort("premium"));
    Ok(())
}
