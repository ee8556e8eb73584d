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
        "course \"{}\": {} learner{}\n{:<name_width$}  {:<9}  {:<steps_width$}  {:<14}  {:>8}  {:>8}\n",
        course.title,
        snapshot.learners.len(),
        if snapshot.learners.len() == 1 {
            ""
        } else {
            "s"
        },
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::course::{CourseOverview, LearnerKey, LearnerProgress, StepInfo};

    fn class_of(names: &[&str]) -> CourseSnapshot {
        let learner = |name: &&str| LearnerProgress {
            learner: (*name).to_owned(),
            key: LearnerKey::UserName,
            client_ids: vec![format!("{name}-laptop")],
            connected: true,
            steps: vec![StepState::Done {
                client_id: format!("{name}-laptop"),
                at: SystemTime::UNIX_EPOCH,
            }],
            last_activity: Some(SystemTime::UNIX_EPOCH),
            messages_in: 1,
            messages_out: 0,
        };
        CourseSnapshot {
            course: Some(Arc::new(CourseOverview {
                title: "T".into(),
                steps: vec![StepInfo::default()],
                ..CourseOverview::default()
            })),
            learners: names.iter().map(learner).collect(),
            ..CourseSnapshot::default()
        }
    }

    #[test]
    fn the_header_counts_learners_in_words() {
        let now = SystemTime::UNIX_EPOCH;
        assert!(roster_table(&class_of(&["eva"]), now).starts_with("course \"T\": 1 learner\n"));
        assert!(
            roster_table(&class_of(&["eva", "ann"]), now).starts_with("course \"T\": 2 learners\n")
        );
    }
}
