//! Each generator produces values of the promised shape and range.

use std::time::Duration;

use super::support::{SEED, context, context_at, decimals, fixed_now, numbers, renders, text};

#[test]
fn counter_defaults_to_zero_step_one() {
    assert_eq!(renders("{{counter}}", 4), ["0", "1", "2", "3"]);
}

#[test]
fn counter_uses_start_and_step_positionally_or_by_name() {
    assert_eq!(renders("{{counter(10, 5)}}", 3), ["10", "15", "20"]);
    assert_eq!(
        renders("{{counter(step=-2, start=3)}}", 3),
        ["3", "1", "-1"]
    );
    assert_eq!(renders("{{counter(start=100)}}", 2), ["100", "101"]);
}

#[test]
fn counter_with_decimals_keeps_the_written_precision() {
    assert_eq!(renders("{{counter(0, 0.25)}}", 3), ["0.00", "0.25", "0.50"]);
}

#[test]
fn counters_in_one_template_count_independently() {
    assert_eq!(
        renders("{{counter}}-{{counter(100)}}", 2),
        ["0-100", "1-101"]
    );
}

#[test]
fn int_stays_within_inclusive_bounds_and_hits_both_ends() {
    let values = numbers("{{int(-3, 3)}}", 2000);
    assert!(values.iter().all(|value| (-3.0..=3.0).contains(value)));
    assert!(values.contains(&-3.0));
    assert!(values.contains(&3.0));
}

#[test]
fn int_with_equal_bounds_is_constant() {
    assert!(renders("{{int(5,5)}}", 20).iter().all(|value| value == "5"));
}

#[test]
fn float_stays_in_range_with_exact_precision() {
    let values = renders("{{float(18, 26, 1)}}", 2000);
    for value in &values {
        assert_eq!(decimals(value), 1, "{value}");
        let number: f64 = value.parse().unwrap();
        assert!((18.0..=26.0).contains(&number), "{value}");
    }
}

#[test]
fn float_precision_defaults_to_two_and_zero_means_none() {
    assert!(
        renders("{{float(0, 1)}}", 100)
            .iter()
            .all(|value| decimals(value) == 2)
    );
    assert!(
        renders("{{float(0, 100, precision=0)}}", 100)
            .iter()
            .all(|value| !value.contains('.'))
    );
}

#[test]
fn sine_is_offset_at_zero_and_peaks_at_a_quarter_period() {
    let template = text("{{sine(period=4s, amplitude=10, offset=20, precision=3)}}");
    let mut state = template.new_state(SEED, 1);
    let at = |seconds: f64, state: &mut _| {
        template.render(state, &context_at(Duration::from_secs_f64(seconds)))
    };
    assert_eq!(at(0.0, &mut state), "20.000");
    assert_eq!(at(1.0, &mut state), "30.000");
    assert_eq!(at(2.0, &mut state), "20.000");
    assert_eq!(at(3.0, &mut state), "10.000");
    assert_eq!(at(5.0, &mut state), "30.000");
}

#[test]
fn sine_defaults_to_a_unit_wave_over_a_minute() {
    let template = text("{{sine}}");
    let mut state = template.new_state(SEED, 1);
    assert_eq!(template.render(&mut state, &context()), "0.00");
    let quarter = context_at(Duration::from_secs(15));
    assert_eq!(template.render(&mut state, &quarter), "1.00");
}

#[test]
fn sine_accepts_plain_seconds_and_other_units() {
    let quarter = context_at(Duration::from_millis(500));
    for source in [
        "{{sine(2)}}",
        "{{sine(2000ms)}}",
        "{{sine(period=0.5min, amplitude=2)}}",
    ] {
        let template = text(source);
        let mut state = template.new_state(SEED, 1);
        let expected = if source.contains("min") {
            "0.21"
        } else {
            "1.00"
        };
        assert_eq!(template.render(&mut state, &quarter), expected, "{source}");
    }
}

#[test]
fn walk_starts_at_start_moves_at_most_step_and_stays_in_bounds() {
    let values = numbers(
        "{{walk(start=5, step=1.5, min=0, max=10, precision=4)}}",
        5000,
    );
    assert_eq!(values.first(), Some(&5.0));
    for pair in values.windows(2) {
        let moved = (pair[1] - pair[0]).abs();
        assert!(moved <= 1.5 + 1e-9, "moved {moved}");
    }
    assert!(values.iter().all(|value| (0.0..=10.0).contains(value)));
    // Over 5000 steps a walk of this size reaches both walls.
    assert!(values.contains(&0.0) && values.contains(&10.0));
}

#[test]
fn walk_with_zero_step_stays_put() {
    assert!(
        renders("{{walk(3, 0, 0, 10, 1)}}", 50)
            .iter()
            .all(|value| value == "3.0")
    );
}

#[test]
fn choice_only_yields_its_items_and_eventually_each_one() {
    let values = renders(r#"{{choice("ok", "warn", 3, -1.50)}}"#, 1000);
    let items = ["ok", "warn", "3", "-1.50"];
    assert!(values.iter().all(|value| items.contains(&value.as_str())));
    for item in items {
        assert!(
            values.iter().any(|value| value == item),
            "{item} never chosen"
        );
    }
}

#[test]
fn choice_string_items_keep_their_escapes() {
    assert_eq!(
        renders(r#"{{choice("say \"hi\" \\ bye")}}"#, 1),
        [r#"say "hi" \ bye"#]
    );
}

#[test]
fn bool_frequency_is_roughly_p() {
    let values = renders("{{bool(0.3)}}", 10_000);
    assert!(
        values
            .iter()
            .all(|value| value == "true" || value == "false")
    );
    let trues = values.iter().filter(|value| *value == "true").count();
    assert!((2_500..=3_500).contains(&trues), "{trues} trues");
}

#[test]
fn bool_with_p_zero_or_one_is_certain() {
    assert!(
        renders("{{bool(0)}}", 1000)
            .iter()
            .all(|value| value == "false")
    );
    assert!(
        renders("{{bool(p=1)}}", 1000)
            .iter()
            .all(|value| value == "true")
    );
}

#[test]
fn timestamp_formats() {
    assert_eq!(renders("{{timestamp}}", 1), ["1709296496789"]);
    assert_eq!(renders("{{timestamp(unix_ms)}}", 1), ["1709296496789"]);
    assert_eq!(renders("{{timestamp(unix)}}", 1), ["1709296496"]);
    assert_eq!(
        renders("{{timestamp(iso)}}", 1),
        ["2024-03-01T12:34:56.789Z"]
    );
    assert_eq!(
        renders(r#"{{timestamp(format="iso")}}"#, 1),
        ["2024-03-01T12:34:56.789Z"]
    );
}

#[test]
fn timestamp_follows_the_context_clock() {
    let template = text("{{timestamp(unix)}}");
    let mut state = template.new_state(SEED, 1);
    let mut later = context();
    later.now = fixed_now() + Duration::from_secs(10);
    assert_eq!(template.render(&mut state, &later), "1709296506");
}

#[test]
fn context_generators_show_the_device() {
    assert_eq!(
        renders("{{index}}/{{group}}/{{client_id}}", 1),
        ["7/kitchen/kitchen-007"]
    );
}

#[test]
fn uuid_is_version_4_in_canonical_form() {
    let values = renders("{{uuid}}", 200);
    for value in &values {
        let groups: Vec<&str> = value.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12], "{value}");
        assert!(
            value
                .chars()
                .all(|c| c == '-' || matches!(c, '0'..='9' | 'a'..='f'))
        );
        assert!(groups[2].starts_with('4'), "version nibble in {value}");
        assert!(
            matches!(groups[3].chars().next(), Some('8' | '9' | 'a' | 'b')),
            "variant in {value}"
        );
    }
    let first = &values[0];
    assert!(values[1..].iter().all(|value| value != first));
}
