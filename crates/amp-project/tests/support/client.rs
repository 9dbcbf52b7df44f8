//! The client the emulator tests share: a module of each test file, not a test itself.

use amp_emulator::Emulator;
use amp_transport::{Client, NoRetry};

/// A client of `emulator` with its default keys, for the Dashboard and Profile APIs alike;
/// nothing is retried, so a test sees every answer.
pub fn client(emulator: &Emulator) -> Client {
    Client::builder()
        .api_key(amp_emulator::config::DEFAULT_API_KEY)
        .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
        .base_url(emulator.base_url())
        .profile_base_url(emulator.base_url())
        .retry_policy(NoRetry)
        .build()
        .unwrap()
}
