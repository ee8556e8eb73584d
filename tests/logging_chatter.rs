//! rumqttd's ordinary-disconnect chatter stays out of the log without breaking the logging stack.
//!
//! Every output (terminal, log file, recent problems) leaves out rumqttd's "router-drop" and the like.
//! When that was done by a filter reading the event's text, tracing-subscriber 0.3 left its
//! per-output filter state set whenever all outputs turned the event away, and debug builds (this
//! test's) panicked at the next log line on that thread: `RUST_LOG=info serve` lost rumqttd's
//! connection tasks that way, 22 panics at start.

#[test]
fn rumqttd_chatter_is_left_out_and_the_next_lines_still_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    // SAFETY: set before this test binary starts any other thread (one test in this file).
    unsafe { std::env::set_var("RUST_LOG", "info") };
    let guard = mqtt_playground::logging::init(Some(dir.path().to_path_buf()));

    let outcome = std::thread::spawn(|| {
        for round in 0..3 {
            tracing::error!(target: "rumqttd::router", round, "router-drop");
            tracing::info!(target: "chatter_test", round, "the line after the chatter");
            tracing::error!(target: "rumqttd::router", round, "no space for new connection");
        }
    })
    .join();
    assert!(
        outcome.is_ok(),
        "the logging stack panicked on the line after rumqttd's chatter"
    );

    drop(guard); // flushes the log file
    let mut logged = String::new();
    for entry in std::fs::read_dir(dir.path()).expect("log folder") {
        let path = entry.expect("entry").path();
        logged.push_str(&std::fs::read_to_string(&path).expect("log file"));
    }
    assert_eq!(
        logged.matches("the line after the chatter").count(),
        3,
        "log file:\n{logged}"
    );
    assert_eq!(
        logged.matches("no space for new connection").count(),
        3,
        "a real rumqttd problem must be logged:\n{logged}"
    );
    assert!(
        !logged.contains("router-drop"),
        "rumqttd's chatter must stay out of the log:\n{logged}"
    );
    let recent = mqtt_playground::logging::recent_problems();
    assert!(
        recent.iter().all(|line| !line.contains("router-drop")),
        "{recent:?}"
    );
    assert!(
        recent
            .iter()
            .any(|line| line.contains("no space for new connection")),
        "{recent:?}"
    );
}
