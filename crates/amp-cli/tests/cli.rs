//! The built `ampq` binary, run as a user would, against an emulator with demo data started
//! by this test binary.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use amp_emulator::{Config, DemoOptions, Emulator};
use serde_json::{Value, json};

/// Serves the emulator `start` builds on a thread of its own for the whole test binary; its URL.
fn serve<F>(start: fn() -> F) -> String
where
    F: std::future::Future<Output = Emulator> + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let emulator = start().await;
            sender.send(emulator.base_url()).unwrap();
            std::future::pending::<()>().await;
        });
    });
    receiver.recv().unwrap()
}

/// The URL of an emulator with demo data up to today and a saved chart of its last week.
fn emulator() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        serve(|| async {
            let today = chrono::Utc::now().date_naive();
            let week = today - chrono::Days::new(6);
            let project = format!(
                "{}\n[[charts]]\nid = \"daily-plays\"\ntitle = \"Daily plays\"\nquery = '/api/2/events/segmentation?e={{\"event_type\":\"Play Song or Video\"}}&start={}&end={}'\n",
                amp_emulator::demo::PROJECT,
                week.format("%Y%m%d"),
                today.format("%Y%m%d"),
            );
            Emulator::builder()
                .config(Config::from_toml(&project).unwrap())
                .demo(DemoOptions::new(300, 14, today))
                .start()
                .await
                .unwrap()
        })
    })
}

/// An emulator of the fixture project, whose clock stands at 2024-03-06 12:00 UTC.
async fn fixture_project() -> Emulator {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/emulator");
    let project = std::fs::read_to_string(fixtures.join("project.toml")).unwrap();
    Emulator::builder()
        .config(Config::from_toml(&project).unwrap())
        .data_file(fixtures.join("events.jsonl"))
        .start()
        .await
        .unwrap()
}

/// The URL of the fixture project's emulator shared by the tests that only read.
fn fixture_emulator() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| serve(fixture_project))
}

/// The URL of a new emulator with no data, for a test that writes and reads back.
fn empty_emulator() -> String {
    serve(|| async { Emulator::builder().start().await.unwrap() })
}

/// `ampq` with no credentials, config or target from this machine's environment.
fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ampq"));
    for name in [
        "AMPLITUDE_API_KEY",
        "AMPLITUDE_SECRET_KEY",
        "AMPLITUDE_REGION",
        "AMPLITUDE_BASE_URL",
        "AMPLITUDE_PROFILE_BASE_URL",
        "AMPQ_PROJECT",
        "AMPQ_CONFIG",
    ] {
        command.env_remove(name);
    }
    command.env("XDG_CONFIG_HOME", "/nonexistent-ampq-test-config");
    command
}

/// `ampq` pointed at the demo emulator with its keys.
fn ampq() -> Command {
    ampq_at(emulator())
}

/// `ampq` pointed at the emulator at `url` with the default keys.
fn ampq_at(url: &str) -> Command {
    let mut command = bare();
    command
        .env("AMPLITUDE_API_KEY", amp_emulator::config::DEFAULT_API_KEY)
        .env(
            "AMPLITUDE_SECRET_KEY",
            amp_emulator::config::DEFAULT_SECRET_KEY,
        )
        .env("AMPLITUDE_BASE_URL", url)
        .env("AMPLITUDE_PROFILE_BASE_URL", url);
    command
}

fn run(command: &mut Command, args: &[&str]) -> Output {
    command.args(args).output().unwrap()
}

/// `ampq batch -` with `lines` on its standard input.
fn batch(command: &mut Command, lines: &[&str]) -> Output {
    let mut child = command
        .args(["batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// One invocation per query subcommand.
const QUERIES: &[&[&str]] = &[
    &[
        "profile",
        "--user-id",
        "user-00042",
        "--recs",
        "home-feed",
        "--cohorts",
        "--props",
        "--comp-id",
        "plays",
    ],
    &[
        "segmentation",
        "-e",
        "Play Song or Video",
        "--where",
        "platform is iOS,Android",
        "--group-by",
        "country",
        "--last",
        "7d",
    ],
    &[
        "segmentation",
        "-e",
        r#"{"event_type":"Play Song or Video"}"#,
        "-e",
        "Like Song",
        "--metric",
        "totals",
        "--interval",
        "weekly",
        "--last",
        "14d",
    ],
    &[
        "funnel",
        "-e",
        "Search Song or Video",
        "-e",
        "Play Song or Video",
        "--mode",
        "ordered",
        "--last",
        "14d",
    ],
    &[
        "retention",
        "--start-event",
        "_new",
        "--return-event",
        "Play Song or Video",
        "--mode",
        "n-day",
        "--last",
        "7d",
    ],
    &["users", "--metric", "new", "--last", "7d"],
    &["sessions", "length", "--last", "7d"],
    &["sessions", "average", "--last", "7d"],
    &["sessions", "peruser", "--last", "7d"],
    &["composition", "--property", "country", "--last", "7d"],
    &["events"],
    &["activity", "--user", "100043", "--limit", "3"],
    &["search", "user-00042"],
    &["realtime"],
    &["ltv", "--metric", "arpu", "--last", "7d"],
    &["chart", "daily-plays"],
    &["chart", "daily-plays", "--csv"],
];

#[test]
fn every_query_subcommand_answers_in_every_format() {
    for args in QUERIES {
        for format in ["table", "json", "csv"] {
            let output = run(&mut ampq(), &[args, &["--format", format][..]].concat());
            let (out, err) = (stdout(&output), stderr(&output));
            assert!(output.status.success(), "{args:?} {format}: {err}");
            assert!(err.is_empty(), "{args:?} {format} wrote to stderr: {err}");
            match format {
                "json" => {
                    let value: Value = serde_json::from_str(&out)
                        .unwrap_or_else(|error| panic!("{args:?}: {error}\n{out}"));
                    assert!(value.is_object(), "{args:?}: {out}");
                }
                "csv" => {
                    let mut lines = out.lines();
                    let header = lines.next().unwrap_or_default();
                    assert!(header.contains(','), "{args:?}: {out}");
                    assert!(lines.next().is_some(), "{args:?} has no rows: {out}");
                }
                _ => assert!(out.contains("──"), "{args:?}: {out}"),
            }
        }
    }
}

#[test]
fn json_output_is_what_amplitude_sent_and_csv_its_tidy_rows() {
    let output = run(
        &mut ampq(),
        &[
            "users",
            "--start",
            "2020-01-01",
            "--end",
            "2020-01-02",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        json["data"]["xValues"],
        serde_json::json!(["2020-01-01", "2020-01-02"])
    );
    assert_eq!(
        json["data"]["series"],
        serde_json::json!([[0, 0]]),
        "integers stay integers"
    );

    let output = run(
        &mut ampq(),
        &[
            "users",
            "--start",
            "2020-01-01",
            "--end",
            "2020-01-02",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        stdout(&output),
        "series,segment,label,x,value\n0,0,,2020-01-01,0\n0,0,,2020-01-02,0\n"
    );
}

/// A week of plays by platform: a time series of three groups.
/// The demo's funnel from search to play, over 30 days.
const SEARCH_TO_PLAY: &[&str] = &[
    "funnel",
    "-e",
    "Search Song or Video",
    "-e",
    "Play Song or Video",
    "--last",
    "30d",
];

/// The demo's weekly retention of new users, over 28 days.
const WEEKLY_RETENTION: &[&str] = &[
    "retention",
    "--start-event",
    "_new",
    "--return-event",
    "Play Song or Video",
    "--interval",
    "weekly",
    "--last",
    "28d",
];

const PLAYS_BY_PLATFORM: &[&str] = &[
    "segmentation",
    "-e",
    "Play Song or Video",
    "--group-by",
    "platform",
    "--last",
    "7d",
];

#[test]
fn a_segmentation_table_has_a_column_per_group_and_a_chart() {
    let output = run(
        &mut ampq(),
        &[PLAYS_BY_PLATFORM, &["--format", "table", "--chart"]].concat(),
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    let header = out.lines().next().unwrap();
    for column in ["date", "iOS", "Android", "Web"] {
        assert!(
            header.split_whitespace().any(|word| word == column),
            "{out}"
        );
    }
    // Seven days, the header and its rule, then the chart with its legend.
    assert!(out.contains("┤") && out.contains("● "), "{out}");
    assert_eq!(out.lines().take_while(|line| !line.is_empty()).count(), 9);
}

/// Percent-decodes a URL, to compare it with the seeds' unencoded examples.
fn decoded(url: &str) -> String {
    let bytes = url.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let escaped = url
            .get(index + 1..index + 3)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let (b'%', Some(byte)) = (bytes[index], escaped) {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn dry_runs_print_the_seeds_requests_and_their_cost_and_no_secret() {
    let dates = ["--start", "2021-06-01", "--end", "2021-06-30"];
    let cases: &[(&[&str], &str)] = &[
        (
            &["segmentation", "-e", "YOUR EVENT"],
            r#"GET https://amplitude.com/api/2/events/segmentation?e={"event_type":"YOUR EVENT"}&start=20210601&end=20210630"#,
        ),
        (
            &["funnel", "-e", "EVENT_1", "-e", "EVENT_2"],
            r#"GET https://amplitude.com/api/2/funnels?e={"event_type":"EVENT_1"}&e={"event_type":"EVENT_2"}&start=20210601&end=20210630"#,
        ),
        (
            &[
                "retention",
                "--start-event",
                "STARTEVENT",
                "--return-event",
                "RETURNEVENT",
            ],
            r#"GET https://amplitude.com/api/2/retention?se={"event_type":"STARTEVENT"}&re={"event_type":"RETURNEVENT"}&start=20210601&end=20210630"#,
        ),
        (
            &["sessions", "average"],
            "GET https://amplitude.com/api/2/sessions/average?start=20210601&end=20210630",
        ),
        (
            &["composition", "--property", "PROPERTY"],
            "GET https://amplitude.com/api/2/composition?start=20210601&end=20210630&p=PROPERTY",
        ),
        (
            &["users"],
            "GET https://amplitude.com/api/2/users?start=20210601&end=20210630",
        ),
    ];
    for (args, expected) in cases {
        let output = run(
            bare().env("AMPLITUDE_SECRET_KEY", "hunter2-secret"),
            &[args, &dates[..], &["--dry-run"]].concat(),
        );
        let out = stdout(&output);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let mut lines = out.lines();
        assert_eq!(decoded(lines.next().unwrap()), *expected, "{args:?}");
        assert!(lines.next().unwrap().starts_with("cost: "), "{out}");
        assert!(!out.contains("hunter2"), "{out}");
    }
    let undated: &[(&[&str], &str)] = &[
        (
            &[
                "profile",
                "--user-id",
                "testUser",
                "--recs",
                "testRecId,testRecId2",
            ],
            "GET https://profile-api.amplitude.com/v1/userprofile?user_id=testUser&get_recs=true&rec_id=testRecId,testRecId2",
        ),
        (
            &[
                "profile",
                "--user-id",
                "testUser",
                "--comp-id",
                "testCompId",
            ],
            "GET https://profile-api.amplitude.com/v1/userprofile?user_id=testUser&comp_id=testCompId",
        ),
        (
            &["profile", "--user-id", "testUser", "--cohorts"],
            "GET https://profile-api.amplitude.com/v1/userprofile?user_id=testUser&get_cohort_ids=true",
        ),
        (
            &["search", "USER_ID"],
            "GET https://amplitude.com/api/2/usersearch?user=USER_ID",
        ),
        (
            &["activity", "--user", "12345"],
            "GET https://amplitude.com/api/2/useractivity?user=12345",
        ),
        (&["events"], "GET https://amplitude.com/api/2/events/list"),
        (&["realtime"], "GET https://amplitude.com/api/2/realtime"),
        (
            &["chart", "chart_id", "--csv"],
            "GET https://amplitude.com/api/3/chart/chart_id/csv",
        ),
    ];
    for (args, expected) in undated {
        // No keys at all: a dry run needs none.
        let output = run(&mut bare(), &[args, &["--dry-run"][..]].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let out = stdout(&output);
        assert_eq!(decoded(out.lines().next().unwrap()), *expected, "{args:?}");
        // The Profile API counts requests; it has no query cost to show.
        let profile = expected.contains("/v1/userprofile");
        assert_eq!(out.contains("\ncost: "), !profile, "{args:?}: {out}");
    }
    let output = run(
        bare().env("AMPLITUDE_REGION", "eu"),
        &["users", "--last", "7d", "--dry-run"],
    );
    assert!(stdout(&output).starts_with("GET https://analytics.eu.amplitude.com/api/2/users?"));
}

#[test]
fn cost_prints_only_the_cost() {
    let output = run(
        &mut bare(),
        &[
            "cost",
            "funnel",
            "-e",
            "A",
            "-e",
            "B",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-30",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // 30 days × 1 condition × 6 for a two-step funnel... as the cost model says.
    let cost: u64 = stdout(&output).trim().parse().unwrap();
    let dry = run(
        &mut bare(),
        &[
            "funnel",
            "-e",
            "A",
            "-e",
            "B",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-30",
            "--dry-run",
        ],
    );
    assert!(
        stdout(&dry).contains(&format!("cost: {cost} (30 days")),
        "{}",
        stdout(&dry)
    );
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["users", "--last", "7x"],
            "--last \"7x\": write a count and a unit",
        ),
        (
            &["users", "--start", "2024-13-01", "--end", "2024-12-01"],
            "write the date as YYYY-MM-DD",
        ),
        (
            &["users", "--start", "2024-02-01", "--end", "2024-01-01"],
            "start",
        ),
        (
            &["segmentation", "-e", "{nope"],
            "-e: the event JSON does not read",
        ),
        (
            &["segmentation", "-e", "A", "--metric", "most"],
            "use one of uniques, totals",
        ),
        (
            &["users", "--where", "country"],
            "write PROPERTY OPERATOR VALUE",
        ),
        (
            &["funnel", "-e", "A", "--mode", "sideways"],
            "use one of ordered, unordered, sequential",
        ),
        (
            &["users", "--segment", "[1"],
            "--segment: the segment JSON does not read",
        ),
        (&["ltv", "--metric", "gold"], "use one of arpu"),
        (&["users", "--bogus"], "unexpected argument '--bogus'"),
        (&["profile"], "--user-id"),
        (
            &["funnel", "-e", "A", "--dry-run"],
            "a funnel needs at least 2 steps",
        ),
        (&["cost", "search", ""], "invalid `user`"),
        (
            &[
                "retention",
                "--start-event",
                "A",
                "--return-event",
                "B",
                "--bracket",
                "1,2,3",
            ],
            "write two day counts",
        ),
        (
            &["users", "--plot", "chart.gif", "--last", "7d"],
            "name the file .svg or .png",
        ),
    ];
    for (args, message) in cases {
        let output = run(&mut ampq(), args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
}

#[test]
fn credentials_missing_or_wrong_say_what_to_do() {
    let output = run(&mut bare(), &["users", "--last", "7d"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("AMPLITUDE_SECRET_KEY"),
        "{}",
        stderr(&output)
    );

    let output = run(
        bare()
            .env("AMPLITUDE_SECRET_KEY", "s")
            .env("AMPLITUDE_BASE_URL", emulator()),
        &["users", "--last", "7d"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("AMPLITUDE_API_KEY"),
        "{}",
        stderr(&output)
    );

    let output = run(
        ampq().env("AMPLITUDE_SECRET_KEY", "wrong-secret"),
        &["users", "--last", "7d"],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("HTTP 403") && err.contains("check the secret key"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret"), "{err}");
    assert!(err.lines().count() <= 2, "{err}");

    let output = run(
        ampq().env("AMPLITUDE_API_KEY", "a-key-of-another-region"),
        &["users", "--last", "7d"],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains("check the region"), "{err}");
    assert!(!err.contains("a-key-of-another-region"), "{err}");
}

#[test]
fn an_unreachable_host_is_a_transport_error() {
    let output = run(
        ampq().env("AMPLITUDE_BASE_URL", "http://127.0.0.1:9"),
        &["users", "--last", "7d"],
    );
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
}

#[test]
fn verbose_logs_say_what_was_sent_and_how_long_it_took_and_never_a_secret() {
    let secrets = [
        amp_emulator::config::DEFAULT_SECRET_KEY,
        // `emulator-api-key:emulator-secret-key` in base64, the Basic credential.
        "ZW11bGF0b3ItYXBpLWtleTplbXVsYXRvci1zZWNyZXQta2V5",
    ];
    let quiet = run(&mut ampq(), &["users", "--last", "7d", "--json"]);
    assert!(stderr(&quiet).is_empty(), "{}", stderr(&quiet));
    let verbose = run(&mut ampq(), &["users", "--last", "7d", "--json", "-v"]);
    assert!(
        stderr(&verbose).contains("answered"),
        "{}",
        stderr(&verbose)
    );
    assert!(
        stderr(&verbose).contains("latency_ms"),
        "{}",
        stderr(&verbose)
    );
    let loudest = [
        run(&mut ampq(), &["users", "--last", "7d", "--json", "-vv"]),
        run(
            ampq().env("RUST_LOG", "trace"),
            &["users", "--last", "7d", "--json"],
        ),
        run(
            ampq().env("RUST_LOG", "trace"),
            &["profile", "--user-id", "user-00042", "--props"],
        ),
    ];
    for output in &loudest {
        let logs = stderr(output);
        assert_eq!(output.status.code(), Some(0), "{logs}");
        assert!(
            logs.contains("/api/2/users") || logs.contains("/v1/userprofile"),
            "{logs}"
        );
        for secret in secrets {
            assert!(!logs.contains(secret), "a secret in the logs:\n{logs}");
        }
        assert!(!logs.to_ascii_lowercase().contains("basic "), "{logs}");
        assert!(!logs.contains("Api-Key "), "{logs}");
    }
}

#[test]
fn a_server_that_never_answers_is_given_up_on_at_the_timeout() {
    // Accepts connections and holds them without a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let output = run(
        ampq().env("AMPLITUDE_BASE_URL", format!("http://{address}")),
        &["users", "--last", "7d", "--timeout", "2"],
    );
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("no answer"), "{}", stderr(&output));
    let output = run(
        ampq().env("AMPLITUDE_BASE_URL", format!("http://{address}")),
        &["users", "--last", "7d", "--timeout", "0"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_named_project_of_the_config_file_supplies_keys_and_hosts() {
    let dir = std::env::temp_dir().join(format!("ampq-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[projects.local]\napi_key = \"{}\"\nsecret_key = \"{}\"\nbase_url = \"{}\"\n",
            amp_emulator::config::DEFAULT_API_KEY,
            amp_emulator::config::DEFAULT_SECRET_KEY,
            emulator()
        ),
    )
    .unwrap();
    let config = path.to_str().unwrap();
    let output = run(
        &mut bare(),
        &[
            "--config",
            config,
            "--project",
            "local",
            "users",
            "--last",
            "3d",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(
        &mut bare(),
        &[
            "--config",
            config,
            "--project",
            "prod",
            "users",
            "--last",
            "3d",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no project named \"prod\"; the file has local"));
}

#[test]
fn a_batch_answers_in_order_and_reports_its_bad_line() {
    let dir = std::env::temp_dir().join(format!("ampq-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("queries.jsonl");
    std::fs::write(
        &file,
        [
            r#"["users", "--last", "3d"]"#,
            r#"["funnel", "-e", "Open App", "-e", "Play Song or Video", "--last", "7d"]"#,
            r#"["users", "--last", "forever"]"#,
            r#"{"path": "/api/2/usersearch", "params": {"user": "user-00042"}}"#,
            "",
            r#"["search", "user-00007"]"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let output = run(&mut ampq(), &["batch", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let records: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let lines: Vec<u64> = records
        .iter()
        .map(|record| record["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3, 4, 6]);
    let ok: Vec<bool> = records
        .iter()
        .map(|record| record["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, [true, true, false, true, true]);
    assert!(records[2]["error"].as_str().unwrap().contains("--last"));
    assert_eq!(records[0]["cost"], 3);
    assert!(records[1]["response"]["data"].is_array());
    assert_eq!(
        records[3]["response"]["matches"][0]["user_id"],
        "user-00042"
    );
    assert_eq!(
        records[4]["response"]["matches"][0]["user_id"],
        "user-00007"
    );
}

fn plot(path: &Path) -> Output {
    run(
        &mut ampq(),
        &[
            PLAYS_BY_PLATFORM,
            &["--format", "csv", "--plot", path.to_str().unwrap()],
        ]
        .concat(),
    )
}

/// A PNG's width, height and RGB pixels.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// How many pixels match `test`.
fn count(pixels: &[u8], test: impl Fn(u8, u8, u8) -> bool) -> usize {
    pixels
        .chunks(3)
        .filter(|pixel| test(pixel[0], pixel[1], pixel[2]))
        .count()
}

/// Whether a pixel is close to the first series' blue.
fn first_series(r: u8, g: u8, b: u8) -> bool {
    r.abs_diff(31) < 12 && g.abs_diff(119) < 12 && b.abs_diff(180) < 12
}

#[test]
fn plots_are_written_as_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("chart.svg");
    let output = plot(&svg);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{text}");
    for platform in ["iOS", "Android", "Web"] {
        assert!(
            text.contains(&format!("\n{platform}\n")),
            "{platform} in the legend"
        );
    }
    for color in ["#1F77B4", "#FF7F0E", "#2CA02C"] {
        let strokes = text
            .matches(&format!("stroke=\"{color}\" stroke-width=\"3\""))
            .count();
        assert_eq!(strokes, 2, "{color}: its line, unbroken, and its legend's");
    }

    let png = dir.path().join("chart.png");
    let output = plot(&png);
    assert!(output.status.success(), "{}", stderr(&output));
    let (width, height, pixels) = decode_png(&png);
    assert_eq!((width, height), (960, 540));
    assert!(
        count(&pixels, first_series) > 1_000,
        "the iOS line is drawn"
    );
    let inked = count(&pixels, |r, g, b| r.max(g).max(b) < 200);
    assert!(inked > 2_000, "axes and text are drawn: {inked}");
}

#[test]
fn funnels_are_drawn_as_bars_and_retention_as_curves_and_a_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let funnel = [
        SEARCH_TO_PLAY,
        &["--group-by", "platform", "--format", "table", "--chart"],
    ]
    .concat();
    let bars = dir.path().join("funnel.png");
    let output = run(
        &mut ampq(),
        &[&funnel[..], &["--plot", bars.to_str().unwrap()]].concat(),
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    // Under each step a bar per platform, the largest the full 40 characters.
    let ios: Vec<&str> = out
        .lines()
        .filter(|line| line.trim_start().starts_with("iOS "))
        .collect();
    assert_eq!(ios.len(), 2, "{out}");
    assert!(
        ios[0].contains(&"█".repeat(40)) && ios[0].ends_with("100.0%"),
        "{out}"
    );
    let (_, _, pixels) = decode_png(&bars);
    assert!(
        count(&pixels, first_series) > 10_000,
        "iOS's bars are areas"
    );

    let retention = [WEEKLY_RETENTION, &["--format", "table", "--chart"]].concat();
    let heatmap = dir.path().join("retention.png");
    let output = run(
        &mut ampq(),
        &[&retention[..], &["--plot", heatmap.to_str().unwrap()]].concat(),
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        out.contains("● retained %") && out.contains(" Week 0 "),
        "{out}"
    );
    let (_, height, pixels) = decode_png(&heatmap);
    // As tall as its rows: five weekly cohorts and combined, two more for the labels, of 40
    // pixels each, and 80 for the title.
    assert_eq!(height, (6 + 2) * 40 + 80);
    let blue = count(&pixels, |r, _, b| b > 200 && r < 200);
    assert!(blue > 40_000, "the cells are shaded: {blue}");
    let svg = dir.path().join("retention.svg");
    let output = run(
        &mut ampq(),
        &[&retention[..], &["--plot", svg.to_str().unwrap()]].concat(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("\ncombined ("), "{text}");
    assert!(text.contains("Week 4"), "{text}");
}

#[test]
fn completions_and_help_for_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let output = run(&mut bare(), &["completions", shell]);
        assert!(output.status.success());
        assert!(stdout(&output).contains("segmentation"), "{shell}");
    }
    for args in QUERIES {
        let output = run(&mut bare(), &[args[0], "--help"]);
        assert!(output.status.success());
        assert!(stdout(&output).contains("Example"), "{}", args[0]);
    }
    for subcommand in [
        "cost",
        "batch",
        "export",
        "emulator",
        "demo",
        "chart",
        "completions",
    ] {
        let output = run(&mut bare(), &[subcommand, "--help"]);
        assert!(stdout(&output).contains("Example"), "{subcommand}");
    }
}

#[test]
fn the_demo_tours_profile_segmentation_funnel_and_retention() {
    let output = run(&mut bare(), &["demo"]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    for step in [
        "$ ampq profile",
        "$ ampq segmentation",
        "$ ampq funnel",
        "$ ampq retention",
    ] {
        assert!(out.contains(step), "{out}");
    }
    assert_eq!(
        out.matches("\ncost: ").count(),
        3,
        "no cost for the profile: {out}"
    );
    assert!(
        out.contains("home-feed") && out.contains("premium"),
        "{out}"
    );
    assert!(out.contains("● iOS"), "{out}");
}

#[test]
fn ampq_shares_the_rate_budget_through_redis_and_works_alone_without_it() {
    use amp_governor_redis::RedisBudget;
    use amp_governor_redis::test_util::RedisServer;
    use amplitude_api::model::Limits;
    use amplitude_api::transport::{Governor, RateClass};

    let redis = RedisServer::start();
    let output = run(
        ampq().env("AMPQ_REDIS_URL", redis.url()),
        &["users", "--last", "3d", "--json"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // Another process of the fleet sees the 3 the query cost in the hour's window.
    let other = Governor::with_shared_budget(
        Limits::default(),
        RedisBudget::open(&redis.url(), "ampq").unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fleet = runtime
        .block_on(other.fleet_status(RateClass::Cost))
        .unwrap()
        .unwrap();
    assert_eq!(fleet.remaining, [Limits::default().cost_per_hour.value - 3]);

    // Redis unreachable: every query is answered, and one warning says so.
    let output = batch(
        ampq().env("AMPQ_REDIS_URL", "redis://127.0.0.1:9/"),
        &[r#"["users", "--last", "2d"]"#; 3],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 3);
    assert_eq!(
        stderr(&output).matches("unreachable").count(),
        1,
        "{}",
        stderr(&output)
    );
}

#[test]
fn realtime_prints_todays_values_then_blanks_for_what_is_still_to_come() {
    let csv = run(
        &mut ampq_at(fixture_emulator()),
        &["realtime", "--format", "csv"],
    );
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "series,segment,label,x,value");
    assert!(rows.contains(&"0,,Today,12:00,0"), "{text}");
    assert!(
        rows.contains(&"0,,Today,12:05,"),
        "after now, blank: {text}"
    );
    assert!(rows.contains(&"1,,Yesterday,12:05,0"), "{text}");

    let table = run(
        &mut ampq_at(fixture_emulator()),
        &["realtime", "--format", "table", "--chart"],
    );
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    let later = text
        .lines()
        .find(|line| line.starts_with("12:05"))
        .unwrap_or_else(|| panic!("no 12:05 row: {text}"));
    assert_eq!(
        later.split_whitespace().collect::<Vec<_>>(),
        ["12:05", "0"],
        "Today's cell is blank, Yesterday's 0: {later:?}"
    );

    let json = run(&mut ampq_at(fixture_emulator()), &["realtime", "--json"]);
    let sent: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(sent["data"]["series"][0][145], Value::Null);
}

const US: &str = r#"[{"prop":"country","op":"is","values":["United States"]}]"#;
const GERMANY: &str = r#"[{"prop":"country","op":"is","values":["Germany"]}]"#;

/// Segmentation of Open App over the fixture's week.
const OPEN_APP_WEEK: [&str; 7] = [
    "segmentation",
    "-e",
    "Open App",
    "--start",
    "2024-03-01",
    "--end",
    "2024-03-07",
];

/// [`OPEN_APP_WEEK`] compared across two segments.
fn two_segments(format: &str) -> Vec<&str> {
    [
        &OPEN_APP_WEEK[..],
        &["--segment", US, "--segment", GERMANY, "--format", format],
    ]
    .concat()
}

#[test]
fn two_segments_print_one_series_each_in_every_format_and_in_a_batch() {
    let json = run(&mut ampq_at(fixture_emulator()), &two_segments("json"));
    assert!(json.status.success(), "{}", stderr(&json));
    let sent: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        sent["data"]["series"].as_array().unwrap().len(),
        2,
        "{sent}"
    );
    assert_eq!(sent["data"]["seriesMeta"][1]["segmentIndex"], 1);
    assert_eq!(sent["minSampleRate"], 1, "the metadata is printed too");

    let csv = run(&mut ampq_at(fixture_emulator()), &two_segments("csv"));
    let text = stdout(&csv);
    assert!(text.starts_with("series,segment,label,x,value\n"), "{text}");
    assert!(text.contains("\n0,0,,2024-03-01,1\n"), "{text}");
    assert!(text.contains("\n1,1,,2024-03-02,1\n"), "{text}");

    let table = run(&mut ampq_at(fixture_emulator()), &two_segments("table"));
    let text = stdout(&table);
    let header = text.lines().next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["date", "segment", "1", "segment", "2"],
        "{text}"
    );

    // --where and --vs write the same request as two --segment flags.
    let dry = |args: &[&str]| {
        let output = run(&mut ampq_at(fixture_emulator()), args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let mut versus = [
        &OPEN_APP_WEEK[..],
        &[
            "--where",
            "country is United States",
            "--vs",
            "country is Germany",
            "--dry-run",
        ],
    ]
    .concat();
    let mut segments = two_segments("json");
    segments.push("--dry-run");
    assert_eq!(dry(&versus), dry(&segments));
    versus.extend(["--group-by", "platform"]);
    let refused = run(&mut ampq_at(fixture_emulator()), &versus);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("only with a single segment"),
        "{}",
        stderr(&refused)
    );

    let args: Vec<String> = two_segments("json")[..11]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
    let output = batch(
        &mut ampq_at(fixture_emulator()),
        &[serde_json::to_string(&args).unwrap().as_str()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let record: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(record["response"], sent, "the batch answers the same");
}

#[test]
fn brackets_repeat_into_one_rb_parameter() {
    let output = run(
        &mut bare(),
        &[
            "retention",
            "--start-event",
            "_new",
            "--return-event",
            "_all",
            "--mode",
            "bracket",
            "--bracket",
            "0,1",
            "--bracket",
            "1,7",
            "--bracket",
            "7,30",
            "--start",
            "2021-06-01",
            "--end",
            "2021-06-30",
            "--dry-run",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        decoded(stdout(&output).lines().next().unwrap()),
        r#"GET https://amplitude.com/api/2/retention?se={"event_type":"_new"}&re={"event_type":"_all"}&rm=bracket&rb=[[0,1],[1,7],[7,30]]&start=20210601&end=20210630"#
    );
}

#[test]
fn a_result_cut_at_the_group_by_limit_is_warned_of_on_stderr() {
    let args = [&OPEN_APP_WEEK[..], &["--group-by", "country"]].concat();
    let whole = run(
        &mut ampq_at(fixture_emulator()),
        &[&args[..], &["--json"]].concat(),
    );
    assert!(whole.status.success(), "{}", stderr(&whole));
    assert!(!stderr(&whole).contains("warning"), "{}", stderr(&whole));
    let cut = run(
        &mut ampq_at(fixture_emulator()),
        &[&args[..], &["--limit", "1", "--json"]].concat(),
    );
    assert!(cut.status.success(), "{}", stderr(&cut));
    assert!(
        stderr(&cut).contains("ampq: warning: the result was cut at the group-by limit"),
        "{}",
        stderr(&cut)
    );
    let sent: Value = serde_json::from_str(&stdout(&cut)).unwrap();
    assert_eq!(sent["hitChunkGroupByLimit"], true);
}

/// The fixture's events of March 1st to 4th, exported.
const MARCH: &[&str] = &["export", "--start", "2024-03-01T00", "--end", "20240304T23"];

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn export_writes_a_line_per_event_to_standard_output_or_a_gzip_file() {
    let output = run(&mut ampq_at(fixture_emulator()), MARCH);
    assert!(output.status.success(), "{}", stderr(&output));
    let events = lines(&stdout(&output));
    assert_eq!(events.len(), 8);
    assert_eq!(events[0]["event_type"], "Open App");
    assert_eq!(events[0]["user_id"], "alice");
    assert_eq!(
        events[0].as_object().unwrap().len(),
        amplitude_api::export::EXPORT_KEYS.len()
    );

    let directory = tempfile::tempdir().unwrap();
    let gzipped = directory.path().join("march.jsonl.gz");
    let mut args = MARCH.to_vec();
    args.extend(["--out", gzipped.to_str().unwrap(), "--window-hours", "6"]);
    let output = run(&mut ampq_at(fixture_emulator()), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&gzipped).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(
        lines(&text),
        events,
        "one gzip member per window, the same lines"
    );

    // A range without data is no error, and nothing is written.
    let output = run(
        &mut ampq_at(fixture_emulator()),
        &[
            "export",
            "--start",
            "2023-01-01T00",
            "--end",
            "2023-01-01T23",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());

    let output = run(
        &mut ampq_at(fixture_emulator()),
        &[
            "--dry-run",
            "export",
            "--start",
            "2024-03-01T00",
            "--end",
            "2024-03-01T05",
        ],
    );
    assert_eq!(
        stdout(&output).trim(),
        format!(
            "GET {}/api/2/export?start=20240301T00&end=20240301T05",
            fixture_emulator()
        )
    );
}

#[test]
fn export_refuses_a_backwards_or_too_long_range_before_sending() {
    for (args, says) in [
        (
            ["--start", "2024-03-02T00", "--end", "2024-03-01T23"],
            "on or before end",
        ),
        (
            ["--start", "2024-01-01T00", "--end", "2025-01-01T00"],
            "at most 365 days",
        ),
        (
            ["--start", "2024-03-01", "--end", "2024-03-01T23"],
            "YYYYMMDDTHH",
        ),
    ] {
        // An unreachable host: refused before anything is sent.
        let mut command = ampq_at("http://127.0.0.1:9");
        let output = run(&mut command, &[&["export"][..], &args[..]].concat());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn export_resumes_from_its_checkpoint_cutting_a_partial_window() {
    let directory = tempfile::tempdir().unwrap();
    let full = directory.path().join("full.jsonl");
    let checkpoint = directory.path().join("progress.json");
    let mut args = MARCH.to_vec();
    args.extend([
        "--out",
        full.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
    ]);
    let output = run(&mut ampq_at(fixture_emulator()), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(saved["through"], "20240304T23");
    let whole = std::fs::read_to_string(&full).unwrap();
    assert_eq!(saved["out_bytes"], whole.len());
    // Run again: done already, nothing added.
    let output = run(&mut ampq_at(fixture_emulator()), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&full).unwrap(), whole);

    // A run that stopped during March 3rd: two whole days, then part of a line.
    let kept: String = whole
        .lines()
        .filter(|line| {
            ["2024-03-01", "2024-03-02"]
                .iter()
                .any(|day| line.contains(&format!("\"server_upload_time\":\"{day}")))
        })
        .fold(String::new(), |kept, line| kept + line + "\n");
    assert!(!kept.is_empty() && kept.len() < whole.len());
    let broken = directory.path().join("broken.jsonl");
    std::fs::write(&broken, format!("{kept}{{\"event_type\":\"Pla")).unwrap();
    std::fs::write(
        &checkpoint,
        format!(r#"{{"start":"20240301T00","end":"20240304T23","through":"20240302T23","out_bytes":{}}}"#, kept.len()),
    )
    .unwrap();
    let mut args = MARCH.to_vec();
    args.extend([
        "--out",
        broken.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
    ]);
    let output = run(&mut ampq_at(fixture_emulator()), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        whole,
        "every event once"
    );

    // A checkpoint of another range is refused, saying what to do.
    let output = run(
        &mut ampq_at(fixture_emulator()),
        &[
            "export",
            "--start",
            "2024-03-01T00",
            "--end",
            "2024-03-01T23",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("remove it to start over"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn retention_prints_the_cohort_triangle_oldest_first() {
    let output = run(
        &mut ampq(),
        &[WEEKLY_RETENTION, &["--format", "table"]].concat(),
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<&str> = out.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(&header[..4], ["Cohort", "Users", "Week", "0"], "{out}");
    let cohorts: Vec<&str> = lines[2..]
        .iter()
        .take_while(|line| !line.starts_with("combined"))
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert!(cohorts.len() >= 4, "{out}");
    let dates: Vec<chrono::NaiveDate> = cohorts.iter().map(|date| date.parse().unwrap()).collect();
    assert!(
        dates.windows(2).all(|pair| pair[0] < pair[1]),
        "oldest first: {out}"
    );
    let cells = |line: &str| line.split_whitespace().count();
    // A triangle: each later cohort has fewer intervals that have begun.
    let widths: Vec<usize> = lines[2..2 + cohorts.len()]
        .iter()
        .map(|line| cells(line))
        .collect();
    assert!(widths.windows(2).all(|pair| pair[0] >= pair[1]), "{out}");
    assert!(widths[0] > *widths.last().unwrap(), "{out}");
    let combined = lines[2 + cohorts.len()];
    assert!(combined.starts_with("combined"), "{out}");
    // `76.2% 372`: the share, then the count; `*` marks a figure not final yet.
    let first = lines[2].split_whitespace().collect::<Vec<_>>();
    assert!(first[2].ends_with('%') && first[2].contains('.'), "{out}");
    assert!(
        first[3]
            .trim_end_matches('*')
            .replace(',', "")
            .parse::<u64>()
            .is_ok(),
        "{out}"
    );
    assert!(out.contains('*') && out.contains("not final yet"), "{out}");
}

#[test]
fn a_funnel_prints_shares_and_human_durations() {
    let output = run(
        &mut ampq(),
        &[SEARCH_TO_PLAY, &["--format", "table"]].concat(),
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(out.lines().next().unwrap().contains("Median time"), "{out}");
    let second = out.lines().nth(3).unwrap();
    assert!(second.contains('%'), "{out}");
    let words: Vec<&str> = second.split_whitespace().collect();
    let time = words.iter().rev().take(4).collect::<Vec<_>>();
    assert!(
        time.iter()
            .any(|word| word.ends_with('s') || word.ends_with('m') || word.ends_with('h')),
        "a duration in human units: {out}"
    );
    assert!(!out.contains("86300"), "{out}");
    // JSON keeps Amplitude's milliseconds.
    let json = run(&mut ampq(), &[SEARCH_TO_PLAY, &["--json"]].concat());
    let sent: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(sent["data"][0]["medianTransTimes"][1].is_number(), "{sent}");
}

#[test]
fn a_profile_prints_sections_and_no_cost() {
    let output = run(
        &mut ampq(),
        &[
            "profile",
            "--user-id",
            "user-00042",
            "--recs",
            "home-feed",
            "--cohorts",
            "--props",
            "--format",
            "table",
        ],
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    for section in [
        "User",
        "Properties and computations",
        "Cohorts",
        "Recommendations",
    ] {
        assert!(out.lines().any(|line| line == section), "{section}: {out}");
    }
    assert!(!out.contains("userData.") && !out.contains("cost"), "{out}");
}

#[test]
fn tables_print_thousands_separators_and_csv_raw_numbers() {
    let args = [
        "segmentation",
        "-e",
        "_all",
        "--metric",
        "totals",
        "--interval",
        "weekly",
        "--last",
        "28d",
    ];
    let table = stdout(&run(
        &mut ampq(),
        &[&args[..], &["--format", "table"]].concat(),
    ));
    let csv = stdout(&run(
        &mut ampq(),
        &[&args[..], &["--format", "csv"]].concat(),
    ));
    let big = csv
        .lines()
        .skip(1)
        .filter_map(|line| line.rsplit(',').next()?.parse::<u64>().ok())
        .find(|value| *value >= 1_000);
    if let Some(value) = big {
        let grouped = format!("{},{:03}", value / 1_000, value % 1_000);
        assert!(table.contains(&grouped), "{grouped} in\n{table}");
        assert!(!csv.contains(&grouped), "{csv}");
    } else {
        panic!("the demo has days of over 1,000 events: {csv}");
    }
}

#[test]
fn cohorts_are_listed_and_a_cohort_downloads_as_csv_of_its_members() {
    let listed = run(&mut ampq(), &["cohorts", "list", "--format", "table"]);
    let table = stdout(&listed);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        table.contains("premium") && table.contains("Premium listeners"),
        "{table}"
    );
    let json = run(&mut ampq(), &["cohorts", "list", "--json"]);
    let sent: Value = serde_json::from_slice(&json.stdout).unwrap();
    let premium = sent["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cohort| cohort["id"] == "premium")
        .unwrap();
    let size = premium["size"].as_u64().unwrap();
    assert!(size > 0, "{sent}");

    let downloaded = run(
        &mut ampq(),
        &["cohorts", "download", "premium", "--prop-key", "plan"],
    );
    let csv = stdout(&downloaded);
    assert!(downloaded.status.success(), "{}", stderr(&downloaded));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("user_id,amplitude_id,plan"), "{csv}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, size, "{csv}");
    assert!(rows.iter().all(|row| row.ends_with(",premium")), "{csv}");
    assert!(stderr(&downloaded).contains(&format!("{size} members")));

    let dry = run(
        &mut ampq(),
        &["cohorts", "download", "premium", "--props", "--dry-run"],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).ends_with("/api/5/cohorts/request/premium?props=1\n"),
        "{}",
        stdout(&dry)
    );
    let unknown = run(&mut ampq(), &["cohorts", "download", "no-such-cohort"]);
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("404"), "{}", stderr(&unknown));
}

/// The `user_id` column of a cohort CSV, sorted.
fn csv_user_ids(csv: &str) -> Vec<String> {
    let mut ids: Vec<String> = csv
        .lines()
        .skip(1)
        .filter_map(|row| row.split(',').next())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_cohort_uploaded_through_ampq_downloads_back_with_the_same_ids_after_an_add_and_a_remove() {
    let downloaded = run(&mut ampq(), &["cohorts", "download", "premium"]);
    assert!(downloaded.status.success(), "{}", stderr(&downloaded));
    let premium = csv_user_ids(&stdout(&downloaded));
    assert!(premium.len() >= 5, "{premium:?}");
    let dir = std::env::temp_dir().join(format!("ampq-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The first four of the download's own CSV, and one id of no user.
    let file = dir.join("members.csv");
    let mut csv = String::from("user_id,amplitude_id\n");
    for id in &premium[..4] {
        let _ = writeln!(csv, "{id},");
    }
    csv.push_str("nobody-at-all,\n");
    std::fs::write(&file, csv).unwrap();
    let upload = |extra: &[&str]| {
        let mut args = vec![
            "cohorts",
            "upload",
            "--name",
            "From ampq",
            "--id-type",
            "user-id",
            "--app-id",
            "1",
            "--owner",
            "me@example.com",
        ];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        run(&mut ampq(), &args)
    };

    let dry = upload(&["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let printed = stdout(&dry);
    assert!(printed.starts_with("POST http"), "{printed}");
    assert!(printed.contains("/api/3/cohorts/upload\n"), "{printed}");
    let body: Value = serde_json::from_str(printed.lines().nth(1).unwrap()).unwrap();
    assert_eq!(body["id_type"], "BY_USER_ID");
    assert_eq!(body["ids"].as_array().unwrap().len(), 5);
    assert!(!printed.contains(amp_emulator::config::DEFAULT_SECRET_KEY));

    let uploaded = upload(&[]);
    let said = stdout(&uploaded);
    assert!(uploaded.status.success(), "{}", stderr(&uploaded));
    assert!(
        said.contains("4 of 5 ids matched a user; not matched: nobody-at-all"),
        "{said}"
    );
    let id = said
        .strip_prefix("uploaded cohort ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{said}"))
        .to_owned();
    let members = |id: &str| {
        let output = run(&mut ampq(), &["cohorts", "download", id]);
        assert!(output.status.success(), "{}", stderr(&output));
        csv_user_ids(&stdout(&output))
    };
    assert_eq!(members(&id), premium[..4]);

    let added = run(
        &mut ampq(),
        &[
            "cohorts",
            "add",
            &id,
            "--ids",
            &format!("{},ghost", premium[4]),
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(
        stdout(&added),
        format!("cohort {id}: added 1 users; skipped (no such user): ghost\n")
    );
    let removed = run(
        &mut ampq(),
        &["cohorts", "remove", &id, "--ids", &premium[0]],
    );
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(members(&id), premium[1..5]);
    let strict = run(
        &mut ampq(),
        &["cohorts", "add", &id, "--ids", "ghost", "--strict"],
    );
    assert_eq!(strict.status.code(), Some(3), "{}", stderr(&strict));
    assert!(
        stderr(&strict).contains("match no user"),
        "{}",
        stderr(&strict)
    );

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cohort_writes_that_cannot_apply_are_refused_saying_why() {
    // Strict: an id of no user refuses the change; a computed cohort takes none.
    let strict = run(
        &mut ampq(),
        &["cohorts", "add", "premium", "--ids", "ghost", "--strict"],
    );
    assert_eq!(strict.status.code(), Some(3), "{}", stderr(&strict));
    assert!(
        stderr(&strict).contains("computed from its definition"),
        "{}",
        stderr(&strict)
    );
    let dir = std::env::temp_dir().join(format!("ampq-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "\n\n").unwrap();
    let nothing = run(
        &mut ampq(),
        &[
            "cohorts",
            "upload",
            "--name",
            "x",
            "--id-type",
            "user-id",
            "--app-id",
            "1",
            "--owner",
            "me@example.com",
            empty.to_str().unwrap(),
        ],
    );
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    assert!(stderr(&nothing).contains("no ids"), "{}", stderr(&nothing));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_annotation_created_through_ampq_is_listed_updated_and_deleted() {
    // An emulator of its own, so that the list holds only this test's annotations.
    let url = &empty_emulator();
    let ampq = || ampq_at(url);
    let category = run(&mut ampq(), &["annotations", "add-category", "Releases"]);
    assert!(category.status.success(), "{}", stderr(&category));
    let created = run(
        &mut ampq(),
        &[
            "annotations",
            "create",
            "--label",
            "v2.3 released",
            "--start",
            "2025-11-01T07:00",
            "--category",
            "Releases",
            "--chart-id",
            "abc123",
        ],
    );
    let said = stdout(&created);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(
        said.contains(
            "\"v2.3 released\" at 2025-11-01T07:00:00+00:00, category Releases, on chart abc123"
        ),
        "{said}"
    );
    let id = said
        .strip_prefix("created annotation ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{said}"))
        .to_owned();

    let listed = run(
        &mut ampq(),
        &["annotations", "list", "--category", "Releases", "--json"],
    );
    let sent: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(sent["data"][0]["id"].to_string(), id, "{sent}");
    assert_eq!(sent["data"][0]["start"], "2025-11-01T07:00:00+00:00");
    let table = run(&mut ampq(), &["annotations", "list", "--format", "table"]);
    assert!(
        stdout(&table).contains("v2.3 released"),
        "{}",
        stdout(&table)
    );

    let dry = run(
        &mut ampq(),
        &[
            "annotations",
            "update",
            &id,
            "--global",
            "--no-end",
            "--dry-run",
        ],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).starts_with("PUT http"), "{}", stdout(&dry));
    assert!(
        stdout(&dry).contains(r#"{"chart_id":null,"end":null}"#),
        "{}",
        stdout(&dry)
    );
    let updated = run(
        &mut ampq(),
        &[
            "annotations",
            "update",
            &id,
            "--label",
            "v2.3.1",
            "--global",
            "--end",
            "2025-11-02",
        ],
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    assert_eq!(
        stdout(&updated),
        format!(
            "updated annotation {id} \"v2.3.1\" at 2025-11-01T07:00:00+00:00 to 2025-11-02T00:00:00+00:00, category Releases, global\n"
        )
    );
    let deleted = run(&mut ampq(), &["annotations", "delete", &id]);
    assert_eq!(stdout(&deleted), format!("deleted annotation {id}\n"));
    let again = run(&mut ampq(), &["annotations", "delete", &id]);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(stderr(&again).contains("404"), "{}", stderr(&again));
}

#[test]
fn single_items_and_group_properties_are_read_through_ampq_taxonomy() {
    let url = &empty_emulator();
    let ampq = || ampq_at(url);
    let said = |args: &[&str]| {
        let output = run(&mut ampq(), args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    said(&["taxonomy", "categories", "create", "Growth"]);
    let category: Value = serde_json::from_str(&said(&[
        "taxonomy",
        "categories",
        "get",
        "Growth",
        "--json",
    ]))
    .unwrap();
    assert_eq!(category["data"]["name"], "Growth", "{category}");
    said(&[
        "taxonomy",
        "group-properties",
        "create",
        "Seats",
        "--group-type",
        "Company",
        "--type",
        "number",
    ]);
    assert_eq!(
        said(&[
            "taxonomy",
            "group-properties",
            "update",
            "grp:Seats",
            "--group-type",
            "Company",
            "--description",
            "Seats bought",
        ]),
        "updated group property \"grp:Seats\" on \"Company\"\n"
    );
    let table = said(&[
        "taxonomy",
        "group-properties",
        "get",
        "grp:Seats",
        "--group-type",
        "Company",
        "--format",
        "table",
    ]);
    assert!(
        table.contains("grp:Seats") && table.contains("Seats bought") && table.contains("number"),
        "{table}"
    );
    let missing = run(&mut ampq(), &["taxonomy", "events", "get", "Nothing"]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("Not found"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_taxonomy_write_dry_runs_as_a_form_and_a_bad_type_is_exit_2() {
    let ampq = || ampq_at(fixture_emulator());
    let dry = run(
        &mut ampq(),
        &[
            "taxonomy",
            "event-properties",
            "create",
            "Completed Task",
            "--event-type",
            "Onboarding Start",
            "--type",
            "boolean",
            "--required",
            "true",
            "--dry-run",
        ],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let dry = stdout(&dry);
    assert!(
        dry.starts_with("POST http") && dry.contains("/api/2/taxonomy/event-property\n"),
        "{dry}"
    );
    assert!(
        dry.ends_with(
            "event_property=Completed+Task&event_type=Onboarding+Start&type=boolean&is_required=true\n"
        ),
        "{dry}"
    );
    let bogus = run(
        &mut ampq(),
        &[
            "taxonomy",
            "user-properties",
            "create",
            "x",
            "--type",
            "text",
        ],
    );
    assert_eq!(bogus.status.code(), Some(2), "{}", stderr(&bogus));
    assert!(
        stderr(&bogus).contains("use one of string, number, boolean, enum, any"),
        "{}",
        stderr(&bogus)
    );
}

#[test]
fn the_tracking_plan_is_edited_through_ampq_taxonomy() {
    let url = &empty_emulator();
    let ampq = || ampq_at(url);
    let said = |args: &[&str]| {
        let output = run(&mut ampq(), args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(
        said(&["taxonomy", "categories", "create", "Onboarding"]),
        "created event category \"Onboarding\"\n"
    );
    let categories: Value =
        serde_json::from_str(&said(&["taxonomy", "categories", "list", "--json"])).unwrap();
    assert_eq!(categories["data"][0]["name"], "Onboarding", "{categories}");
    said(&[
        "taxonomy",
        "events",
        "create",
        "Onboard Start",
        "--category",
        "Onboarding",
    ]);
    let table = said(&["taxonomy", "events", "list", "--format", "table"]);
    assert!(
        table.contains("Onboard Start") && table.contains("Onboarding"),
        "{table}"
    );
    assert_eq!(
        said(&[
            "taxonomy",
            "events",
            "update",
            "Onboard Start",
            "--rename",
            "Onboarding Start",
            "--display-name",
            "Start",
        ]),
        "updated event type \"Onboard Start\" (now \"Onboarding Start\")\n"
    );
    said(&[
        "taxonomy",
        "user-properties",
        "create",
        "User Type",
        "--type",
        "enum",
        "--enum-value",
        "Free,Premium",
    ]);
    let users: Value =
        serde_json::from_str(&said(&["taxonomy", "user-properties", "list", "--json"])).unwrap();
    let planned = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["user_property"] == "gp:User Type")
        .unwrap_or_else(|| panic!("{users}"));
    assert_eq!(planned["enum_values"], json!(["Free", "Premium"]));
    assert_eq!(
        said(&["taxonomy", "events", "delete", "Onboarding Start"]),
        "deleted event type \"Onboarding Start\"\n"
    );
    let events: Value =
        serde_json::from_str(&said(&["taxonomy", "events", "list", "--json"])).unwrap();
    assert_eq!(events["data"], json!([]), "{events}");
    let again = run(
        &mut ampq(),
        &["taxonomy", "events", "delete", "Onboarding Start"],
    );
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(stderr(&again).contains("Not found"), "{}", stderr(&again));
}

#[test]
fn annotation_categories_and_single_annotations_are_reached_through_ampq() {
    let url = &empty_emulator();
    let ampq = || ampq_at(url);
    let said = |args: &[&str]| {
        let output = run(&mut ampq(), args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    let category = said(&["annotations", "add-category", "Incidents"]);
    let category_id = category
        .strip_prefix("created category ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{category}"))
        .to_owned();
    let created = said(&[
        "annotations",
        "create",
        "--label",
        "outage",
        "--start",
        "2025-11-03T10:00",
    ]);
    let id = created
        .strip_prefix("created annotation ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    assert_eq!(
        said(&["annotations", "assign", &category_id, "--ids", &id]),
        format!("put annotations {id} in category {category_id}\n")
    );
    let one: Value = serde_json::from_str(&said(&["annotations", "get", &id, "--json"])).unwrap();
    assert_eq!(one["data"]["category"]["name"], "Incidents", "{one}");
    assert_eq!(
        said(&["annotations", "rename-category", &category_id, "Outages"]),
        format!("renamed category {category_id} to \"Outages\"\n")
    );
    let renamed: Value =
        serde_json::from_str(&said(&["annotations", "category", &category_id, "--json"])).unwrap();
    assert_eq!(renamed["data"]["name"], "Outages", "{renamed}");
    let v2 = said(&["annotations", "list-v2", "--format", "table"]);
    assert!(v2.contains("outage") && v2.contains("2025-11-03"), "{v2}");
    assert_eq!(
        said(&["annotations", "delete-category", &category_id]),
        format!("deleted category {category_id}\n")
    );
    let gone = run(&mut ampq(), &["annotations", "category", &category_id]);
    assert_eq!(gone.status.code(), Some(3), "{}", stderr(&gone));
}

#[test]
fn an_annotation_time_that_does_not_read_is_exit_2_saying_the_forms() {
    let bad = run(
        &mut bare(),
        &[
            "annotations",
            "create",
            "--label",
            "x",
            "--start",
            "yesterday",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("is not a time"), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("2025-11-01T07:00"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_release_recorded_through_ampq_shows_on_charts() {
    let url = &empty_emulator();
    let recorded = run(
        &mut ampq_at(url),
        &[
            "releases",
            "create",
            "--version",
            "2.3.0",
            "--title",
            "Big player update",
            "--start",
            "2025-11-01T07:00",
            "--platform",
            "iOS",
        ],
    );
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let said = stdout(&recorded);
    assert!(said.starts_with("recorded release "), "{said}");
    assert!(
        said.ends_with(
            "of version 2.3.0 \"Big player update\" at 2025-11-01 07:00:00 UTC, shown on charts\n"
        ),
        "{said}"
    );
    let listed = run(&mut ampq_at(url), &["annotations", "list", "--json"]);
    let sent: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        sent["data"][0]["label"], "2.3.0 Big player update",
        "{sent}"
    );
    let dry = run(
        &mut ampq_at(url),
        &[
            "releases",
            "create",
            "--version",
            "2.4",
            "--title",
            "t",
            "--start",
            "2025-12-01 00:00:00",
            "--hidden",
            "--dry-run",
        ],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let printed = stdout(&dry);
    let body: Value = serde_json::from_str(printed.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"version": "2.4", "title": "t", "release_start": "2025-12-01 00:00:00", "chart_visibility": false}),
        "{printed}"
    );
    let listed = run(&mut ampq_at(url), &["annotations", "list", "--json"]);
    let sent: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        sent["data"].as_array().unwrap().len(),
        1,
        "a dry run sends nothing"
    );
}

#[test]
fn a_deletion_requested_through_ampq_removes_the_user() {
    // The fixture project, in an emulator of its own: the others read alice.
    let url = &serve(fixture_project);
    let ampq = || ampq_at(url);
    let dry = run(
        &mut ampq(),
        &["deletions", "create", "--user-id", "alice", "--dry-run"],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("/api/2/deletions/users\n{\"user_ids\":[\"alice\"]}"),
        "{}",
        stdout(&dry)
    );
    let found = run(&mut ampq(), &["search", "alice", "--json"]);
    let sent: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(
        sent["matches"].as_array().unwrap().len(),
        1,
        "a dry run deletes no one: {sent}"
    );

    let refused = run(
        &mut ampq(),
        &["deletions", "create", "--user-id", "alice,nobody-at-all"],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("ignore_invalid_id"),
        "{}",
        stderr(&refused)
    );
    let created = run(
        &mut ampq(),
        &[
            "deletions",
            "create",
            "--user-id",
            "alice,nobody-at-all",
            "--ignore-invalid",
            "--requester",
            "privacy@example.com",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert_eq!(
        stdout(&created),
        "deletion job of 2024-03-06: 1 users, Done (their data is deleted); ids of no user: \"nobody-at-all\"\n"
    );
    let found = run(&mut ampq(), &["search", "alice", "--json"]);
    let sent: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert!(
        sent["matches"].as_array().unwrap().is_empty(),
        "alice is gone: {sent}"
    );
    let listed = run(
        &mut ampq(),
        &[
            "deletions",
            "list",
            "--start",
            "2024-03-01",
            "--end",
            "2024-03-31",
            "--format",
            "csv",
        ],
    );
    assert!(listed.status.success(), "{}", stderr(&listed));
    let csv = stdout(&listed);
    assert!(csv.contains("2024-03-06,Done,"), "{csv}");
    assert!(
        csv.contains(",alice,privacy@example.com,2024-03-06"),
        "{csv}"
    );
    let bad = run(
        &mut ampq(),
        &[
            "deletions",
            "list",
            "--start",
            "20240301",
            "--end",
            "2024-03-31",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("YYYY-MM-DD"), "{}", stderr(&bad));
}
