//! The class roster as a plain text table (`serve --course` prints it on SIGUSR2 and at exit).

use std::time::SystemTime;

use super::{CourseSnapshot, StepState};
use crate::engine::display_text;

/// One character per step: done, skipped, tried and missed, still open.
fn tick(state: &StepState) -> char {
    match state {
        StepState::Done { .. } => '✓',
        StepState::Skipped => 's',
        StepState::Missed { .. } => '!',
        StepState::Open => '.',
    }
}

fn ago(at: Option<SystemTime>, now: SystemTime) -> String {
    let Some(at) = at else {
        return "never".to_owned();
    };
    let secs = now.duration_since(at).map(|d| d.as_secs()).unwrap_or(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        _ => format!("{} h ago", secs / 3600),
    }
}

/// The roster: one line per learner (name, connected, a tick per step and the count, last
/// activity, PUBLISH packets in and out), under a header and above a legend.
pub fn roster_table(snapshot: &CourseSnapshot, now: SystemTime) -> String {
    let Some(course) = &snapshot.course else {
        return "no course is open\n".to_owned();
    };
    let steps = course.steps.len();
    let names: Vec<String> = snapshot
        .learners
        .iter()
        .map(|l| display_text::clipped(&l.learner, 32).into_owned())
        .map(|n| display_text::escaped(&n).into_owned())
        .collect();
    let name_width = names
        .iter()
        .map(|n| n.chars().count())
        .chain(["learner".len()])
        .max()
        .unwrap_or(7);
    let steps_width = (steps + 8).max("steps".len());
    let mut out = format!(
        "course \"{}\": {} learners\n{:<name_width$}  {:<9}  {:<steps_width$}  {:<14}  {:>8}  {:>8}\n",
        course.title,
        snapshot.learners.len(),
        "learner",
        "connected",
        "steps",
        "last activity",
        "msgs in",
        "msgs out",
    );
    for (learner, name) in snapshot.learners.iter().zip(&names) {
        let ticks: String = learner.steps.iter().map(tick).collect();
        let done = format!("{ticks} {}/{steps}", learner.done_count());
        out.push_str(&format!(
            "{name:<name_width$}  {:<9}  {done:<steps_width$}  {:<14}  {:>8}  {:>8}\n",
            if learner.connected { "yes" } else { "no" },
            ago(learner.last_activity, now),
            learner.messages_in,
            learner.messages_out,
        ));
    }
    out.push_str("(✓ done, ! tried and missed, s skipped, . open)\n");
    if snapshot.dropped_packets > 0 {
        out.push_str(&format!(
            "{} packets were not checked: the course fell behind\n",
            snapshot.dropped_packets
        ));
    }
    if snapshot.learners_refused > 0 {
        out.push_str(&format!(
            "{} learners were left out: the roster is full\n",
            snapshot.learners_refused
        ));
    }
    out
}
