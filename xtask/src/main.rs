//! `cargo xtask <task>`: the project's chores. Run `cargo xtask help` for the list.

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  codegen          regenerate code from spec/endpoints.toml
  codegen --check  fail if the generated code is stale
  bench overhead   Client::send against raw reqwest on loopback (release build)
  bench decode     typed decode of large Dashboard responses against serde_json::Value
  bench emulator   load a million events into the emulator: time and memory
  bench analytics  the emulator against DuckDB over ten million events
  bench export     decoding a 1 GB export: the SDK against gunzip alone and Python
  bench governor   three hours of budget against the emulator: one process, four sharing
                   through Redis (needs redis-server), and naive";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["codegen"] => xtask::codegen::write(),
        ["codegen", "--check"] => xtask::codegen::check(),
        ["bench", "overhead"] => xtask::bench::run("amp-transport", "overhead"),
        ["bench", "decode"] => xtask::bench::run("amp-dashboard", "decode"),
        ["bench", "emulator"] => xtask::bench::run("amp-emulator", "load"),
        ["bench", "analytics"] => xtask::bench::run("amp-emulator", "analytics"),
        ["bench", "export"] => xtask::bench::run("amp-export", "export"),
        ["bench", "governor"] => xtask::bench::run("amp-governor-redis", "governor"),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown task `{}`\n\n{USAGE}", args.join(" "))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
