//! `mqtt-playground bench pub/sub/conn/latency`: each runs briefly against a real broker (its own
//! embedded one, or the test's over --port) and its --json summary has the right shape and counts;
//! bad arguments get a clear error. No timed assertions: rates are only checked to be positive.

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .arg("bench")
        .args(args)
        .env(
            "XDG_DATA_HOME",
            std::env::temp_dir().join("mqtt-playground-bench-test"),
        )
        .output()
        .expect("the binary runs")
}

/// Runs a bench command that must succeed; returns its JSON summary.
fn bench_json(args: &[&str]) -> Value {
    let output = bench(args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench {args:?} failed: {stderr}\n{stdout}"
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout of bench {args:?} is one JSON object ({e}): {stdout}"))
}

fn u(summary: &Value, path: &str) -> u64 {
    summary
        .pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{path} is a count in {summary}"))
}

fn f(summary: &Value, path: &str) -> f64 {
    summary
        .pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is a number in {summary}"))
}

#[test]
fn latency_with_a_count_delivers_every_message_once_to_every_subscriber() {
    let summary = bench_json(&[
        "latency",
        "--publishers",
        "3",
        "--subscribers",
        "2",
        "--rate",
        "100",
        "--count",
        "50",
        "--qos",
        "1",
        "--seconds",
        "120",
        "--json",
    ]);
    assert_eq!(summary["command"], "latency");
    assert_eq!(summary["target"]["embedded"], true);
    assert_eq!(u(&summary, "/publish/sent"), 150);
    assert_eq!(u(&summary, "/publish/acknowledged"), 150);
    assert_eq!(u(&summary, "/receive/expected"), 300);
    assert_eq!(u(&summary, "/receive/received"), 300);
    assert_eq!(u(&summary, "/receive/lost"), 0);
    assert_eq!(u(&summary, "/receive/duplicates"), 0);
    assert_eq!(u(&summary, "/receive/gaps"), 0);
    assert_eq!(u(&summary, "/receive/untracked"), 0);
    assert_eq!(
        u(&summary, "/receive/pairs"),
        6,
        "3 publishers × 2 subscribers"
    );
    assert_eq!(u(&summary, "/receive/latency/count"), 300);
    let (p50, p99, max) = (
        f(&summary, "/receive/latency/p50_ms"),
        f(&summary, "/receive/latency/p99_ms"),
        f(&summary, "/receive/latency/max_ms"),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{summary}");
    assert!(f(&summary, "/publish/sent_per_second") > 0.0);
    assert!(f(&summary, "/tool_cpu_percent") >= 0.0);
    assert!(summary["load_average"].is_array() || summary["load_average"].is_null());
}

#[test]
fn latency_publishers_stay_connected_until_the_last_one_has_published() {
    // Two publishers at one message each, half a period apart: publisher 1 publishes a second after
    // publisher 0. A publisher that left as soon as it was done had the broker take its DISCONNECT
    // while the other's message was still to be timed.
    let (engine, info) = common::running_broker();
    common::trace::watch_all(&engine);
    let port = info.tcp.port().to_string();
    let summary = bench_json(&[
        "latency",
        "--port",
        &port,
        "--client-prefix",
        "order",
        "--publishers",
        "2",
        "--subscribers",
        "1",
        "--rate",
        "0.5",
        "--count",
        "1",
        "--seconds",
        "120",
        "--json",
    ]);
    assert_eq!(u(&summary, "/receive/received"), 2, "{summary}");
    let first = common::trace::wait_for_trace(&engine, "order-pub-0", "its DISCONNECT", |r| {
        r.iter().any(|r| r.packet == "DISCONNECT")
    });
    let second = common::trace::wait_for_trace(&engine, "order-pub-1", "its PUBLISH", |r| {
        r.iter().any(|r| r.packet == "PUBLISH")
    });
    let time_of = |records: &[std::sync::Arc<mqtt_playground::engine::trace::PacketRecord>],
                   packet: &str| {
        records
            .iter()
            .find(|r| r.packet == packet)
            .map(|r| r.time)
            .unwrap_or_else(|| panic!("a {packet} in the trace"))
    };
    let first_left = time_of(&first, "DISCONNECT");
    let second_published = time_of(&second, "PUBLISH");
    // The two arrive on separate connections, so the broker may read them in either order when
    // they come together; leaving early came a whole second before.
    let slack = std::time::Duration::from_millis(500);
    assert!(
        first_left + slack >= second_published,
        "publisher 0 disconnected {:?} before publisher 1 published",
        second_published
            .duration_since(first_left)
            .unwrap_or_default()
    );
}

#[test]
fn pub_with_a_count_sends_exactly_that_many_per_publisher() {
    let summary = bench_json(&[
        "pub",
        "-c",
        "4",
        "--rate",
        "200",
        "--count",
        "25",
        "--qos",
        "1",
        "--seconds",
        "120",
        "--json",
    ]);
    assert_eq!(summary["command"], "pub");
    assert_eq!(u(&summary, "/publish/clients"), 4);
    assert_eq!(u(&summary, "/publish/sent"), 100);
    assert_eq!(u(&summary, "/publish/acknowledged"), 100);
    assert!(summary.get("receive").is_none(), "{summary}");
}

#[test]
fn sub_counts_what_bench_pub_sends_to_another_broker() {
    let (_engine, info) = common::running_broker();
    let port = info.tcp.port().to_string();
    // The subscriber stops once 40 arrived; the publisher runs until then (it is ended below).
    let subscriber = Command::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "bench", "sub", "--port", &port, "--topic", "load/#", "--count", "40",
        ])
        .args(["--seconds", "120", "--qos", "1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bench sub starts");
    let mut publisher = Command::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "bench", "pub", "--port", &port, "--topic", "load/%i", "--rate", "50",
        ])
        .args(["--seconds", "120", "--qos", "1", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bench pub starts");
    let output = subscriber.wait_with_output().expect("bench sub ends");
    let _ = publisher.kill();
    let _ = publisher.wait();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value =
        serde_json::from_slice(&output.stdout).expect("bench sub prints one JSON object");
    assert_eq!(summary["command"], "sub");
    assert_eq!(summary["target"]["embedded"], false);
    assert_eq!(u(&summary, "/target/port"), u64::from(info.tcp.port()));
    assert!(u(&summary, "/receive/received") >= 40, "{summary}");
    assert_eq!(u(&summary, "/receive/pairs"), 1);
    assert_eq!(u(&summary, "/receive/gaps"), 0);
    assert_eq!(u(&summary, "/receive/duplicates"), 0);
    assert!(
        summary["receive"]["latency"]["p99_ms"].is_number(),
        "{summary}"
    );
    assert!(
        summary["receive"].get("lost").is_none(),
        "a subscriber alone cannot know what was sent"
    );
}

#[test]
fn conn_opens_and_holds_every_connection() {
    let pid = std::process::id().to_string();
    let summary = bench_json(&["conn", "-c", "300", "--hold", "1", "--pid", &pid, "--json"]);
    assert_eq!(summary["command"], "conn");
    assert_eq!(u(&summary, "/connections/requested"), 300);
    assert_eq!(u(&summary, "/connections/connected"), 300);
    assert_eq!(u(&summary, "/connections/failed"), 0);
    assert_eq!(u(&summary, "/connections/still_open"), 300);
    assert!(f(&summary, "/connections/accepted_per_second") > 0.0);
    assert!(summary["connections"]["broker_kib_per_connection"].is_number());
    assert_eq!(
        u(&summary, "/broker_process/pid"),
        u64::from(std::process::id())
    );
}

#[test]
fn conn_at_a_rate_and_to_a_closed_port_counts_failures() {
    let paced = bench_json(&["conn", "-c", "20", "--rate", "100", "--hold", "0", "--json"]);
    assert_eq!(u(&paced, "/connections/connected"), 20);
    // A port nobody listens on: every attempt fails, once, with the reason.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener
        .local_addr()
        .expect("its address")
        .port()
        .to_string();
    drop(listener);
    let refused = bench_json(&[
        "conn",
        "--port",
        &port,
        "-c",
        "5",
        "--hold",
        "0",
        "--seconds",
        "30",
        "--json",
    ]);
    assert_eq!(u(&refused, "/connections/connected"), 0);
    assert_eq!(u(&refused, "/connections/failed"), 5);
    assert!(
        refused["connections"]["first_error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{refused}"
    );
}

#[test]
fn bad_arguments_get_a_clear_error_and_no_run() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["pub", "-c", "0"],
            "--clients must be between 1 and 20000, not 0",
        ),
        (
            &["pub", "--qos", "3"],
            "--qos must be between 0 and 2, not 3",
        ),
        (
            &["latency", "--size", "10"],
            "too small to carry a timestamp",
        ),
        (
            &["pub", "--topic", "a/#"],
            "is not one a client may publish to",
        ),
        (&["sub", "--topic", "a/#/b"], "is not a valid topic filter"),
        (&["pub", "--password", "x"], "--password needs --username"),
        (
            &["conn", "-c", "200000"],
            "--clients must be between 1 and 100000",
        ),
        (
            &["pub", "--rate=-1"],
            "--rate must be between 0 and 1000000",
        ),
        (
            &["latency", "--seconds", "0"],
            "--seconds must be between 1 and 3600, not 0",
        ),
        (
            &["sub", "--pid", "4000000000"],
            "no process with pid 4000000000",
        ),
    ];
    for (args, expected) in cases {
        let output = bench(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "bench {args:?} should fail");
        assert!(
            stderr.contains(expected),
            "bench {args:?}: expected {expected:?} in: {stderr}"
        );
        assert!(output.stdout.is_empty(), "bench {args:?} printed a summary");
    }
}

#[test]
fn the_old_bench_flags_still_run() {
    let output = bench(&[
        "--seconds",
        "1",
        "--repeat",
        "1",
        "--connections",
        "20",
        "--publishers",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("through the app's port"), "{stdout}");
    assert!(stdout.contains("accept rate"), "{stdout}");
}
