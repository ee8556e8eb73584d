//! UI tests of the Course tab and the class roster (egui_kittest), drawn from fixed course data
//! through `CourseAccess::from_snapshot`, and the built-in course asked of the real engine.

mod common;

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::window::*;
use common::*;
use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError};
use mqtt_playground::engine::course::{
    BUILT_IN_COURSE_NAME, CourseAccess, CourseCommand, CourseOverview, CourseSnapshot,
    CourseSnippet, LearnerKey, LearnerProgress, StepInfo, StepState,
};
use mqtt_playground::engine::{BrokerSettings, BrokerStatus, Command, RunningInfo, Snapshot};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::course::{CoursePanel, CourseView};
use mqtt_playground::ui::file_dialog::{FilePurpose, PresetFilePicker};

/// 10:42:07 UTC on some day: the fixed data's clock.
fn at(h: u64, m: u64, s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(20_000 * 86_400 + h * 3600 + m * 60 + s)
}

fn step(id: &str, title: &str, check: &str) -> StepInfo {
    StepInfo {
        id: id.into(),
        title: title.into(),
        text: format!("Why {title} matters.\n\nYour topics live under class/{{username}}/."),
        snippets: vec![CourseSnippet {
            label: "mosquitto_pub".into(),
            template: format!(
                "mosquitto_pub -h {{host}} -p {{port}} -u {{username}} -t 'class/{id}' -m hi"
            ),
        }],
        check_summary: check.into(),
    }
}

fn course() -> Arc<CourseOverview> {
    Arc::new(CourseOverview {
        title: "MQTT in 4 steps".into(),
        description: "A short course for tests.".into(),
        source: "built-in".into(),
        steps: vec![
            step(
                "connect",
                "Connect a client",
                "a CONNECT the broker accepts",
            ),
            step(
                "subscribe",
                "Subscribe to a topic",
                "a SUBSCRIBE to any filter",
            ),
            step(
                "wildcard",
                "Subscribe with +",
                "a SUBSCRIBE whose filter has +",
            ),
            step(
                "qos1",
                "Publish at QoS 1",
                "a PUBLISH at QoS 1 answered by a PUBACK",
            ),
        ],
    })
}

fn done(client: &str, when: SystemTime) -> StepState {
    StepState::Done {
        client_id: client.into(),
        at: when,
    }
}

fn learner(name: &str, steps: Vec<StepState>, connected: bool) -> LearnerProgress {
    LearnerProgress {
        learner: name.into(),
        key: LearnerKey::UserName,
        client_ids: vec![format!("laptop-{}", &name[name.len() - 2..])],
        connected,
        steps,
        last_activity: Some(at(10, 42, 7)),
        messages_in: 12,
        messages_out: 30,
    }
}

/// student01 has done three steps and missed the fourth; student02 has done one and skipped one.
fn two_learners() -> CourseSnapshot {
    course_with(vec![
        learner(
            "student01",
            vec![
                done("laptop-01", at(10, 40, 0)),
                done("laptop-01", at(10, 41, 0)),
                done("laptop-01", at(10, 42, 7)),
                StepState::Missed {
                    hint: "you published at QoS 0; this step asks for QoS 1".into(),
                    at: at(10, 43, 30),
                },
            ],
            true,
        ),
        learner(
            "student02",
            vec![
                done("laptop-02", at(10, 39, 0)),
                StepState::Skipped,
                StepState::Open,
                StepState::Open,
            ],
            false,
        ),
    ])
}

/// The test course with these learners.
// The course engine adds counters to the snapshot; they keep their defaults here, before and after.
#[allow(clippy::needless_update)]
fn course_with(learners: Vec<LearnerProgress>) -> CourseSnapshot {
    CourseSnapshot {
        version: 7,
        course: Some(course()),
        learners,
        skipped_for_all: vec![],
        ..CourseSnapshot::default()
    }
}

/// A broker "running" on a fixed network address, so snippets and snapshots do not depend on the machine.
fn fixed_broker() -> Snapshot {
    let mut settings = BrokerSettings::loopback_any_port();
    settings.bind = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    let tcp = SocketAddr::new(settings.bind, 1883);
    Snapshot {
        broker: BrokerStatus::Running(RunningInfo {
            tcp,
            websocket: None,
            settings,
            started: Instant::now(),
            connection_cap: 1000,
        }),
        ..Snapshot::default()
    }
}

/// A harness drawing `panel` from `data`; the commands it sends are collected in the returned list.
fn panel_harness(
    panel: CoursePanel,
    broker: Snapshot,
    data: CourseAccess,
    size: [f32; 2],
) -> (Harness<'static>, Rc<RefCell<Vec<Command>>>) {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let collected = sent.clone();
    let mut panel = panel;
    let harness = Harness::builder().with_size(size).build_ui(move |ui| {
        let out = panel.ui(ui, &broker, &data);
        collected.borrow_mut().extend(out.commands);
    });
    (harness, sent)
}

fn snapshot_or_skip(harness: &mut Harness<'_>, name: &str) {
    match harness.try_snapshot(name) {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) if !tools::under_ci() => {
            eprintln!(
                "SKIPPED: the {name} snapshot needs a GPU or Mesa's software renderer ({err})"
            );
        }
        Err(err) => panic!("{err}"),
    }
}

fn y_of(harness: &Harness<'_>, label: &str) -> f32 {
    harness.get_by_label(label).rect().min.y
}

#[test]
fn the_roster_shows_two_learners_at_different_steps() {
    let mut panel = CoursePanel::default().with_fixed_now(at(10, 42, 19));
    panel.set_view(CourseView::Roster);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(two_learners()),
        [1000.0, 360.0],
    );
    harness.run_steps(3);
    assert!(
        harness.query_by_label("3/4").is_some(),
        "student01 has done three of four"
    );
    assert!(
        harness.query_by_label("1/4").is_some(),
        "student02 has done one"
    );
    let marks = |h: &Harness<'_>, state: &str| h.query_all_by_label_contains(state).count();
    assert_eq!(marks(&harness, ": done"), 4, "four ticks in all");
    assert_eq!(
        marks(&harness, ": tried, not yet right"),
        1,
        "student01's miss"
    );
    assert_eq!(marks(&harness, ": skipped"), 1, "student02's skip");
    assert_eq!(
        marks(&harness, ": not started"),
        2,
        "student02's open steps"
    );
    assert_eq!(
        harness
            .query_all_by_label(
                "4. Publish at QoS 1: tried, not yet right (you published at QoS 0; this step asks for QoS 1)"
            )
            .count(),
        1,
        "each mark names its step, and a miss its hint"
    );
    assert!(
        harness
            .query_by_label("1. Connect a client: done by client \"laptop-01\" at 10:40:00 UTC")
            .is_some(),
        "a tick says who and when"
    );
    assert_eq!(harness.query_all_by_label("12s ago").count(), 2);
    assert!(
        harness
            .query_by_label("2 learners · 1 connected · 1 with a step tried and missed")
            .is_some()
    );
    assert!(
        y_of(&harness, "student02") < y_of(&harness, "student01"),
        "fewest done first: who is stuck is on top"
    );
    snapshot_or_skip(&mut harness, "course_roster");
    harness.get_by_label("name").click();
    harness.run_steps(2);
    assert!(
        y_of(&harness, "student01") < y_of(&harness, "student02"),
        "by name when asked"
    );
}

#[test]
fn clicking_a_roster_row_shows_that_learners_steps() {
    let mut panel = CoursePanel::default();
    panel.set_view(CourseView::Roster);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(two_learners()),
        [1000.0, 500.0],
    );
    harness.run_steps(2);
    harness.get_by_label("student01").click();
    harness.run_steps(3);
    // Their current step is the one they missed, hint first.
    assert!(
        harness
            .query_by_label("Not yet: you published at QoS 0; this step asks for QoS 1")
            .is_some(),
        "student01's miss is shown prominently"
    );
    assert!(
        harness
            .query_by_label("Step 4 of 4: Publish at QoS 1")
            .is_some()
    );
}

#[test]
fn choosing_a_learner_switches_the_step_status() {
    let mut panel = CoursePanel::default();
    panel.select_step(0);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(two_learners()),
        [1100.0, 600.0],
    );
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("2 of 2 learners have done this step.")
            .is_some(),
        "two learners: the whole class is shown"
    );
    assert!(
        harness
            .query_by_label("1. Connect a client  2/2 done")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("4. Publish at QoS 1  0/2 done")
            .is_some()
    );
    harness.get_by_label("Progress of").click();
    harness.run_steps(2);
    harness.get_by_label("student01  (3/4)").click();
    harness.run_steps(3);
    // Picking a learner shows where they are: the step they tried and missed.
    assert!(
        harness
            .query_by_label("Not yet: you published at QoS 0; this step asks for QoS 1")
            .is_some(),
        "student01's miss, prominently"
    );
    assert!(
        harness
            .query_by_label("4. Publish at QoS 1  try again")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("Your topics live under class/student01/.")
            .is_some(),
        "the step's text is filled in too"
    );
    // The snippet carries the learner's own user name.
    assert!(
        harness
            .query_all_by_value(
                "mosquitto_pub -h 192.0.2.10 -p 1883 -u student01 -t 'class/qos1' -m hi"
            )
            .next()
            .is_some(),
        "the snippet is filled with this broker and learner"
    );
    harness.get_by_label("1. Connect a client  done").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("Done by client \"laptop-01\" at 10:40:00 UTC")
            .is_some(),
        "student01's own tick, naming the client and the time"
    );
    harness.get_by_label("Progress of").click();
    harness.run_steps(2);
    harness.get_by_label("student02  (1/4)").click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("2. Subscribe to a topic  skipped")
            .is_some(),
        "student02's skip"
    );
    assert!(
        harness
            .query_by_label_contains("Not done yet by student02")
            .is_some(),
        "student02 has not tried step 4"
    );
}

#[test]
fn the_class_view_lists_who_missed_and_why() {
    let mut panel = CoursePanel::default();
    panel.select_learner(None);
    panel.select_step(3);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(two_learners()),
        [1100.0, 600.0],
    );
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("0 of 2 learners have done this step.")
            .is_some()
    );
    assert!(harness.query_by_label("1 tried and missed:").is_some());
    assert!(
        harness
            .query_by_label("student01: you published at QoS 0; this step asks for QoS 1")
            .is_some()
    );
}

#[test]
fn a_learner_alone_sees_their_own_ticks_and_skip_and_reset_send_commands() {
    let mut data = two_learners();
    data.learners.truncate(1);
    let mut panel = CoursePanel::default();
    // Picked in an earlier course, gone now: the learner alone is shown all the same.
    panel.select_learner(Some("student09"));
    let (mut harness, sent) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(data),
        [1100.0, 600.0],
    );
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("Step 4 of 4: Publish at QoS 1")
            .is_some(),
        "one learner: their progress, on the step they are at"
    );
    harness.get_by_label("Skip this step for student01").click();
    harness.run_steps(2);
    harness.get_by_label("Reset student01's progress…").click();
    harness.run_steps(2);
    assert!(sent.borrow().len() == 1, "a reset waits for its confirm");
    harness.get_by_label("Yes, reset").click();
    harness.run_steps(2);
    harness.get_by_label("Close course…").click();
    harness.run_steps(2);
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert_eq!(
        *sent.borrow(),
        vec![
            Command::Course(CourseCommand::Skip {
                learner: Some("student01".into()),
                step: 3
            }),
            Command::Course(CourseCommand::Reset {
                learner: Some("student01".into())
            }),
        ],
        "the cancelled close sent nothing"
    );
}

/// Shows step 3 of the two-learner course for the whole class on a real running broker, types
/// `typed` as the snippet user name (when given), clicks Copy and returns what went to the
/// clipboard, with the broker's address.
fn copy_step_three(typed: Option<&str>) -> (Vec<String>, std::net::SocketAddr) {
    let (engine, info) = running_broker();
    let mut panel = CoursePanel::default();
    panel.select_learner(None);
    panel.select_step(2);
    let data = CourseAccess::from_snapshot(two_learners());
    let mut harness = Harness::builder()
        .with_size([1100.0, 600.0])
        .build_ui(move |ui| {
            panel.ui(ui, &engine.snapshot(), &data);
        });
    harness.run_steps(2);
    if let Some(typed) = typed {
        let field = "Your user name in these snippets:";
        harness.get_by_label(field).click();
        harness.run_steps(2);
        harness.get_by_label(field).type_text(typed);
        harness.run_steps(2);
    }
    harness.get_by_label("Copy").click();
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    (copied, info.tcp)
}

#[test]
fn a_learner_types_their_own_user_name_and_the_copied_snippet_carries_it() {
    // A quote and spaces would break the shell line: they are dropped as they are typed.
    let (copied, tcp) = copy_step_three(Some("ann 'b"));
    assert_eq!(
        copied,
        vec![format!(
            "mosquitto_pub -h {} -p {} -u annb -t 'class/wildcard' -m hi",
            tcp.ip(),
            tcp.port()
        )],
        "the snippet carries the name the learner typed, cleaned"
    );
}

#[test]
fn copy_puts_the_snippet_filled_with_the_running_brokers_address_on_the_clipboard() {
    let (copied, tcp) = copy_step_three(None);
    assert_eq!(
        copied,
        vec![format!(
            "mosquitto_pub -h {} -p {} -u student01 -t 'class/wildcard' -m hi",
            tcp.ip(),
            tcp.port()
        )],
        "the whole class's snippet: this broker's address, the stand-in user name"
    );
}

#[test]
fn five_hundred_learners_lay_out_only_the_rows_in_view() {
    let steps = course().steps.len();
    let learners = (1..=500)
        .map(|i| {
            let mut states = vec![StepState::Open; steps];
            for s in states.iter_mut().take(i % (steps + 1)) {
                *s = done("c", at(10, 0, 0));
            }
            learner(&format!("student{i:03}"), states, i % 3 != 0)
        })
        .collect();
    let data = course_with(learners);
    let mut panel = CoursePanel::default().with_fixed_now(at(10, 42, 19));
    panel.set_view(CourseView::Roster);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(data),
        [1000.0, 700.0],
    );
    harness.run_steps(3);
    let rows = harness.query_all_by_label_contains("student").count();
    eprintln!("{rows} of 500 learners' rows laid out in a 700 px high window");
    assert!(
        (5..60).contains(&rows),
        "only the rows in view are laid out: {rows} of 500 learners' names present"
    );
    assert!(
        harness
            .query_by_label("500 learners · 334 connected · 0 with a step tried and missed")
            .is_some()
    );
}

#[test]
fn an_empty_roster_says_how_learners_join() {
    let mut data = two_learners();
    data.learners.clear();
    let mut panel = CoursePanel::default();
    panel.set_view(CourseView::Roster);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(data),
        [900.0, 300.0],
    );
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("No learners yet — they appear when they connect.")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Learners connect to 192.0.2.10:1883")
            .is_some()
    );
}

#[test]
fn the_course_panel_draws_fixed_progress_the_same_way() {
    let mut panel = CoursePanel::default();
    panel.select_learner(Some("student01"));
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(two_learners()),
        [1000.0, 560.0],
    );
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("Step 4 of 4: Publish at QoS 1")
            .is_some()
    );
    snapshot_or_skip(&mut harness, "course_steps");
}

#[test]
fn the_class_view_draws_fixed_progress_the_same_way() {
    let mut data = two_learners();
    data.skipped_for_all = vec![2];
    let mut panel = CoursePanel::default();
    panel.select_step(3);
    let (mut harness, _) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(data),
        [1000.0, 560.0],
    );
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("3. Subscribe with +  skipped  1/2 done")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("Skip this step for the whole class")
            .is_some()
    );
    snapshot_or_skip(&mut harness, "course_class");
}

#[test]
fn the_empty_state_shows_a_refused_course_file_on_its_card() {
    // A file that does not exist: whatever the engine's course loader says, it refuses it.
    let missing = std::env::temp_dir().join("mqtt-playground-no-such-course.toml");
    let (engine, info) = running_broker();
    let mut files = PresetFilePicker::default();
    files.answers.insert(FilePurpose::OpenCourse, missing);
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, settings)
                .with_file_picker(Box::new(files))
                .with_tab(Tab::Course)
        });
    harness.run_steps(2);
    harness.get_by_label("Open a course file…").click();
    wait_until(&mut harness, "the refusal on the card", |h| {
        h.query_by_label_contains("The course could not be opened:")
            .is_some()
    });
    assert!(
        harness
            .state()
            .activity_lines()
            .iter()
            .any(|l| l.contains("course")),
        "the Activity list has it too: {:?}",
        harness.state().activity_lines()
    );
}

#[test]
fn the_built_in_button_asks_the_engine_for_the_built_in_course() {
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Course));
    harness.run_steps(2);
    harness
        .get_by_label(&format!(
            "Start the built-in course “{BUILT_IN_COURSE_NAME}”"
        ))
        .click();
    wait_until(&mut harness, "the engine's answer", |h| {
        h.state().engine().course().snapshot().course.is_some()
            || h.query_by_label_contains("The course could not be opened:")
                .is_some()
    });
    match h_course(&harness) {
        // With the course engine: the course runs and its first step is on show.
        Some(course) => {
            assert_eq!(course.title, BUILT_IN_COURSE_NAME);
            harness.run_steps(3);
            assert!(
                harness
                    .query_by_label_contains(&format!("Step 1 of {}", course.steps.len()))
                    .is_some(),
                "the first step's detail"
            );
        }
        // Before the course engine is merged, the engine refuses every course command by name.
        None => assert!(
            harness
                .query_all_by_label_contains("OpenBuiltIn")
                .next()
                .is_some(),
            "the refusal names the built-in open"
        ),
    }
}

fn h_course(harness: &Harness<'_, PlaygroundApp>) -> Option<Arc<CourseOverview>> {
    harness.state().engine().course().snapshot().course.clone()
}

#[test]
fn course_flags_open_a_course_on_the_course_tab() {
    use clap::Parser;
    use mqtt_playground::cli::{Cli, course_open_command};
    let cli = Cli::try_parse_from(["mqtt-playground", "--course", "builtin", "--tab", "course"])
        .expect("the flags parse");
    assert_eq!(cli.tab, Some(Tab::Course));
    assert_eq!(
        cli.course.as_deref().map(course_open_command),
        Some(CourseCommand::OpenBuiltIn)
    );
    assert_eq!(
        course_open_command(std::path::Path::new("my-course.toml")),
        CourseCommand::Open("my-course.toml".into())
    );
}

#[test]
fn the_course_tab_does_not_start_the_apps_own_subscriber() {
    use mqtt_playground::engine::trace::TraceCommand;
    // The app's subscriber is a client of the broker: a course would count it as a learner.
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Course));
    harness.run_steps(5);
    // Commands are handled in order: once this one is answered, any start sent before it was too.
    let flush = || {
        harness
            .state()
            .engine()
            .call(Command::Trace(TraceCommand::WatchAll(false)), PATIENCE)
            .expect("the engine answers")
            .expect("the trace command is accepted");
    };
    flush();
    harness.run_steps(3);
    let watches = |h: &Harness<'_, PlaygroundApp>| {
        h.state()
            .activity_lines()
            .iter()
            .any(|l| l.contains("the subscriber watches"))
    };
    assert!(!watches(&harness), "{:?}", harness.state().activity_lines());
    // A watching tab does start it: the check above could see it.
    harness.get_by_label("Messages").click();
    wait_until(
        &mut harness,
        "the subscriber starts on the Messages tab",
        watches,
    );
}

#[test]
fn a_class_skip_is_taken_back_for_the_class_even_from_a_learners_view() {
    let mut data = two_learners();
    data.skipped_for_all = vec![2];
    // The course engine shows a class skip in each learner's row too.
    data.learners[1].steps[2] = StepState::Skipped;
    let mut panel = CoursePanel::default();
    panel.select_learner(Some("student02"));
    panel.select_step(2);
    let (mut harness, sent) = panel_harness(
        panel,
        fixed_broker(),
        CourseAccess::from_snapshot(data),
        [1000.0, 560.0],
    );
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("Skipped for the whole class.")
            .is_some()
    );
    harness.get_by_label("Unskip for the whole class").click();
    harness.run_steps(2);
    assert_eq!(
        *sent.borrow(),
        vec![Command::Course(CourseCommand::Unskip {
            learner: None,
            step: 2
        })]
    );
}

#[test]
fn the_window_shows_the_engines_course_and_notes_a_copy_in_activity() {
    let (engine, info) = running_broker();
    // Fixed progress put where the course engine publishes its own.
    engine.course().publish(two_learners());
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Course));
    harness.run_steps(3);
    harness.get_by_label("Class roster").click();
    harness.run_steps(2);
    harness.get_by_label("student01").click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("Not yet: you published at QoS 0; this step asks for QoS 1")
            .is_some(),
        "the roster's row opened student01's steps"
    );
    // The Connect-here card in the broker column has Copy buttons too; the step's is right of it.
    harness
        .get_all_by_label("Copy")
        .find(|b| b.rect().min.x > 500.0)
        .expect("the step's Copy button")
        .click();
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .activity_lines()
            .iter()
            .any(|l| l == "copied: mosquitto_pub (step 4: Publish at QoS 1)"),
        "{:?}",
        harness.state().activity_lines()
    );
}

#[test]
fn only_the_roster_on_screen_asks_for_frames_and_at_most_once_a_second() {
    use eframe::egui::ViewportId;
    // The broker stays stopped: its uptime label would rightly tick once a second.
    let engine = mqtt_playground::engine::Engine::start().expect("engine starts");
    let mut data = two_learners();
    for learner in &mut data.learners {
        learner.last_activity = Some(SystemTime::now());
    }
    engine.course().publish(data);
    let settings = BrokerSettings::loopback_any_port();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Course));
    let delay = |h: &Harness<'_, PlaygroundApp>| {
        h.output().viewport_output[&ViewportId::ROOT].repaint_delay
    };
    harness.run();
    harness.step();
    assert_eq!(delay(&harness), Duration::MAX, "the steps ask for nothing");
    harness.get_by_label("Class roster").click();
    harness.run_steps(3);
    let ticking = delay(&harness);
    assert!(
        ticking > Duration::ZERO && ticking <= Duration::from_secs(1),
        "\"last activity\" ticks, at most once a second: {ticking:?}"
    );
    harness.get_by_label("Steps").click();
    harness.run();
    harness.step();
    assert_eq!(
        delay(&harness),
        Duration::MAX,
        "a hidden roster asks for nothing"
    );
}
