//! Course files: the built-in course parses; mistakes are refused naming the step and the field.

use mqtt_playground::engine::course::{
    BUILT_IN_COURSE_NAME, Check, Course, KNOWN_KINDS, MAX_COURSE_FILE_BYTES,
};

fn course_with_step(step: &str) -> String {
    format!(
        r#"
title = "Test"
[[steps]]
id = "first"
title = "First"
[steps.check]
kind = "connected"

{step}
"#
    )
}

fn error_of(text: &str) -> String {
    Course::parse(text, "test.toml")
        .expect_err("the course is refused")
        .to_string()
}

#[test]
fn the_built_in_course_parses_with_twelve_steps_and_snippets_for_both_tools() {
    let course = Course::built_in().expect("the built-in course parses");
    assert_eq!(course.overview.title, BUILT_IN_COURSE_NAME);
    assert_eq!(course.steps.len(), 12);
    let ids: Vec<&str> = course
        .overview
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "connect",
            "subscribe",
            "plus",
            "hash",
            "qos0",
            "qos1",
            "qos2",
            "retained",
            "will",
            "session",
            "unsubscribe",
            "mqtt5"
        ]
    );
    for step in &course.overview.steps {
        let labels: Vec<&str> = step.snippets.iter().map(|s| s.label.as_str()).collect();
        assert!(
            labels.iter().any(|l| l.contains("mosquitto")),
            "{}: {labels:?}",
            step.id
        );
        assert!(
            labels.iter().any(|l| l.contains("paho")),
            "{}: {labels:?}",
            step.id
        );
        assert!(!step.check_summary.is_empty());
        assert!(!step.text.is_empty());
    }
    // Every check kind of the vocabulary is used by the shipped course.
    let used: Vec<&str> = course.steps.iter().map(|s| s.check.kind()).collect();
    for kind in KNOWN_KINDS {
        assert!(used.contains(&kind), "{kind} is not used: {used:?}");
    }
}

#[test]
fn an_unknown_check_kind_names_the_step_and_lists_the_known_kinds() {
    let text = course_with_step(
        r#"[[steps]]
id = "pub"
title = "Publish"
[steps.check]
kind = "publishd""#,
    );
    let error = error_of(&text);
    assert!(error.contains("step 2 (\"pub\")"), "{error}");
    assert!(error.contains("check.kind"), "{error}");
    assert!(error.contains("\"publishd\""), "{error}");
    for kind in KNOWN_KINDS {
        assert!(error.contains(kind), "{kind} missing from: {error}");
    }
}

#[test]
fn a_bad_qos_names_step_and_field() {
    let text = course_with_step(
        r#"[[steps]]
id = "qos"
title = "QoS"
[steps.check]
kind = "published"
qos = 3"#,
    );
    let error = error_of(&text);
    assert!(error.contains("step 2 (\"qos\")"), "{error}");
    assert!(error.contains("check.qos"), "{error}");
    assert!(error.contains("QoS 3 does not exist"), "{error}");
}

#[test]
fn an_invalid_filter_names_step_and_field() {
    let text = course_with_step(
        r#"[[steps]]
id = "sub"
title = "Subscribe"
[steps.check]
kind = "subscribed"
pattern = "class/#/x""#,
    );
    let error = error_of(&text);
    assert!(error.contains("step 2 (\"sub\")"), "{error}");
    assert!(error.contains("check.pattern"), "{error}");
    assert!(error.contains("not a valid topic filter"), "{error}");
}

#[test]
fn a_wildcard_in_a_topic_and_an_unknown_parameter_are_refused() {
    let text = course_with_step(
        r#"[[steps]]
id = "pub"
title = "Publish"
[steps.check]
kind = "published"
topic = "a/+""#,
    );
    let error = error_of(&text);
    assert!(error.contains("check.topic"), "{error}");
    let text = course_with_step(
        r#"[[steps]]
id = "pub"
title = "Publish"
[steps.check]
kind = "published"
qso = 1"#,
    );
    let error = error_of(&text);
    assert!(error.contains("check.qso"), "{error}");
    assert!(error.contains("topic, pattern, qos, retain"), "{error}");
}

#[test]
fn duplicate_step_ids_are_refused_naming_both_steps() {
    let text = course_with_step(
        r#"[[steps]]
id = "first"
title = "Again"
[steps.check]
kind = "connected""#,
    );
    let error = error_of(&text);
    assert!(error.contains("step 2 (\"first\")"), "{error}");
    assert!(error.contains("used by step 1"), "{error}");
}

#[test]
fn a_missing_check_or_title_is_named() {
    let text = course_with_step(
        r#"[[steps]]
id = "nocheck"
title = "No check""#,
    );
    let error = error_of(&text);
    assert!(error.contains("step 2 (\"nocheck\")"), "{error}");
    assert!(error.contains("check"), "{error}");
    let text = course_with_step(
        r#"[[steps]]
id = "notitle"
[steps.check]
kind = "connected""#,
    );
    let error = error_of(&text);
    assert!(error.contains("step 2 (\"notitle\"): title"), "{error}");
}

#[test]
fn a_course_without_steps_and_bad_toml_are_refused_in_words() {
    let error = error_of("title = \"Empty\"\n");
    assert!(error.contains("no steps"), "{error}");
    let error = error_of("title = \n");
    assert!(error.contains("not valid TOML"), "{error}");
}

#[test]
fn checks_read_their_parameters() {
    let text = course_with_step(
        r#"[[steps]]
id = "pub"
title = "Publish"
[steps.check]
kind = "published"
topic = "class/{username}/t"
qos = 1
retain = true"#,
    );
    let course = Course::parse(&text, "test.toml").expect("parses");
    match &course.steps[1].check {
        Check::Published {
            topic, qos, retain, ..
        } => {
            assert_eq!(
                topic.as_ref().map(|t| t.as_str()),
                Some("class/{username}/t")
            );
            assert_eq!(*qos, Some(1));
            assert_eq!(*retain, Some(true));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        course.overview.steps[1].check_summary,
        "a PUBLISH to class/{username}/t at QoS 1 with the retain flag"
    );
}

#[test]
fn course_files_are_read_through_the_size_limit() {
    let dir = std::env::temp_dir().join(format!("course-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.toml");
    std::fs::write(&big, vec![b'#'; MAX_COURSE_FILE_BYTES as usize + 10]).unwrap();
    let error = Course::open(&big).expect_err("too large").to_string();
    assert!(error.contains("larger than"), "{error}");
    let good = dir.join("good.toml");
    std::fs::write(&good, course_with_step("")).unwrap();
    let course = Course::open(&good).expect("opens");
    assert_eq!(course.overview.source, good.display().to_string());
    std::fs::remove_dir_all(&dir).ok();
}
