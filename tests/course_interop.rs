//! Interop: the built-in course's own snippets, filled in the way the course panel fills them, run
//! with Python paho-mqtt (1.6.1 and 2.x) and mosquitto_pub/sub; every step they aim at ticks off.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tools::{available, on_path, venv_python};
use common::{Broker, PATIENCE};
use mqtt_playground::engine::course::{CourseCommand, Placeholders, StepState, fill_placeholders};

/// Runs a command to its end (bounded); the test fails with its output when it fails. Returns what
/// it printed, so a step that does not tick can show what the client saw.
fn run(mut command: Command, what: &str) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} starts: {e}"));
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            let output = child.wait_with_output().expect("output");
            // The will snippet ends its own process abruptly, on purpose.
            assert!(
                status.success() || what.contains("will"),
                "{what} failed ({status}):\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs every step's snippet whose label contains `label` with `runner`, as learner `username`,
/// and checks that each step ticks off for that learner.
fn walk_course(broker: &Broker, username: &str, label: &str, runner: impl Fn(&str) -> Command) {
    let engine = &broker.engine;
    let values = Placeholders {
        host: "127.0.0.1".to_owned(),
        port: broker.info.tcp.port(),
        ws_url: String::new(),
        username: username.to_owned(),
    };
    let snapshot = engine.course().snapshot();
    let course = snapshot.course.clone().expect("a course is open");
    for (index, step) in course.steps.iter().enumerate() {
        let Some(snippet) = step.snippets.iter().find(|s| s.label.contains(label)) else {
            continue;
        };
        let code = fill_placeholders(&snippet.template, &values);
        let printed = run(
            runner(&code),
            &format!("{label} snippet of step {}", step.id),
        );
        let deadline = Instant::now() + PATIENCE;
        loop {
            let snapshot = engine.course().snapshot();
            let state = snapshot
                .learners
                .iter()
                .find(|l| l.learner == username)
                .map(|l| l.steps[index].clone());
            if matches!(state, Some(StepState::Done { .. })) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "step {} did not tick for {username} with {label}: {state:?}; the client printed:\n{printed}",
                step.id
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let snapshot = engine.course().snapshot();
    let row = snapshot
        .learners
        .iter()
        .find(|l| l.learner == username)
        .expect("the learner is on the roster");
    assert_eq!(row.done_count(), course.steps.len(), "{:?}", row.steps);
}

fn course_broker() -> Broker {
    let broker = Broker::start();
    broker
        .engine
        .call(
            mqtt_playground::engine::Command::Course(CourseCommand::OpenBuiltIn),
            PATIENCE,
        )
        .expect("the engine answers")
        .expect("the course opens");
    broker
}

fn python_runner(python: &Path) -> impl Fn(&str) -> Command + '_ {
    move |code: &str| {
        let mut command = Command::new(python);
        command.arg("-c").arg(code);
        command
    }
}

#[test]
fn paho_1_6_walks_the_built_in_course_with_its_own_snippets() {
    let Some(python) = venv_python("paho1") else {
        available(
            "paho-mqtt 1.6.1 (venv target/interop/paho1)",
            false,
            "run .ci/run, which makes it with pip",
        );
        return;
    };
    let broker = course_broker();
    walk_course(&broker, "pahoone", "paho", python_runner(&python));
}

#[test]
fn paho_2_walks_the_built_in_course_with_its_own_snippets() {
    let Some(python) = venv_python("paho2") else {
        available(
            "paho-mqtt 2.x (venv target/interop/paho2)",
            false,
            "run .ci/run, which makes it with pip",
        );
        return;
    };
    let broker = course_broker();
    walk_course(&broker, "pahotwo", "paho", python_runner(&python));
}

#[test]
fn mosquitto_clients_walk_the_built_in_course_with_its_own_snippets() {
    let found = on_path("mosquitto_pub").is_some() && on_path("mosquitto_sub").is_some();
    if !available(
        "mosquitto_pub and mosquitto_sub",
        found,
        "install the mosquitto-clients package",
    ) {
        return;
    }
    let broker = course_broker();
    // Steps whose snippet keeps a subscriber running get it bounded: -W ends it after a while.
    walk_course(&broker, "mosq", "mosquitto", |code: &str| {
        // (mosquitto_sub ends with a non-zero status when -W runs out; the tick is what counts.)
        let bounded = format!("{}\nexit 0", code.replace(" -v", " -v -W 2"));
        let mut command = Command::new("sh");
        command.arg("-c").arg(bounded);
        command
    });
}
