//! Workshop courses: a course file's steps, the checks that tick them off from what the broker saw
//! (the protocol trace's packets), and each learner's progress, read by front ends through
//! [`CourseAccess`] and changed only by [`CourseCommand`]s.
//!
//! The shape front ends rely on is fixed here; the parser (`format.rs`), the check vocabulary
//! (`check.rs`) and the per-learner bookkeeping (`progress.rs`) fill it in.

mod check;
mod check_params;
mod format;
mod observe;
mod pattern;
mod placeholders;
mod progress;
mod roster;
mod runner;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use check::{Check, KNOWN_KINDS, Property, Verdict, Wildcard};
pub use format::{
    BUILT_IN_COURSE_TOML, Course, CourseFileError, CourseStep, MAX_COURSE_FILE_BYTES,
};
pub use observe::{Learner, Observation, Observer, learner_of};
pub use pattern::Pattern;
pub use placeholders::{Placeholders, fill_placeholders};
pub use progress::{Completed, MAX_LEARNERS, Progress, ProgressError};
pub use roster::roster_table;
pub use runner::{CourseRunner, OwnClients};

/// The course that ships with the app (also `assets/courses/mqtt-in-12-steps.toml`).
pub const BUILT_IN_COURSE_NAME: &str = "MQTT in 12 steps";

/// What a front end asks of the course.
#[derive(Debug, Clone, PartialEq)]
pub enum CourseCommand {
    /// Loads a course file (TOML); a mistake is refused with the step and field named.
    Open(PathBuf),
    /// Loads the built-in course.
    OpenBuiltIn,
    /// Ends the course (progress is forgotten).
    Close,
    /// Marks a step skipped: for one learner, or for the whole class (`None`, learners to come too).
    Skip {
        learner: Option<String>,
        step: usize,
    },
    /// Takes a skip back.
    Unskip {
        learner: Option<String>,
        step: usize,
    },
    /// Forgets progress: one learner's, or everyone's (`None`).
    Reset { learner: Option<String> },
}

/// A course as front ends show it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CourseOverview {
    pub title: String,
    pub description: String,
    /// "built-in" or the file it came from.
    pub source: String,
    pub steps: Vec<StepInfo>,
}

/// One step of a course.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepInfo {
    /// Short and unique within the course, e.g. `qos1`.
    pub id: String,
    pub title: String,
    /// A short explanation (plain text; blank lines separate paragraphs).
    pub text: String,
    /// Ready commands and code, with `{host}`, `{port}`, `{ws_url}`, `{username}` left in: front
    /// ends fill them with [`fill_placeholders`].
    pub snippets: Vec<CourseSnippet>,
    /// What the check looks for, in words ("a PUBLISH at QoS 1 answered by a PUBACK").
    pub check_summary: String,
}

/// A copyable command or piece of code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CourseSnippet {
    /// "mosquitto_sub", "paho-mqtt (Python)", …
    pub label: String,
    pub template: String,
}

/// How a learner is known: by user name when sign-in is on, else by client id, else address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LearnerKey {
    UserName,
    ClientId,
    Address,
}

/// Where one step stands for one learner.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum StepState {
    #[default]
    Open,
    /// The learner tried and missed; the hint says what differs ("you published at QoS 0; this step
    /// asks for QoS 1").
    Missed {
        hint: String,
        at: SystemTime,
    },
    Done {
        client_id: String,
        at: SystemTime,
    },
    Skipped,
}

impl StepState {
    /// Done or skipped.
    pub fn is_finished(&self) -> bool {
        matches!(self, StepState::Done { .. } | StepState::Skipped)
    }
}

/// One learner's row in the roster.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerProgress {
    pub learner: String,
    pub key: LearnerKey,
    /// The client ids this learner connected with (latest last).
    pub client_ids: Vec<String>,
    /// At least one of their clients is connected now.
    pub connected: bool,
    /// One entry per course step, in course order.
    pub steps: Vec<StepState>,
    pub last_activity: Option<SystemTime>,
    /// PUBLISH packets their clients sent, and received.
    pub messages_in: u64,
    pub messages_out: u64,
}

impl LearnerProgress {
    pub fn done_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, StepState::Done { .. }))
            .count()
    }
}

/// The course and everyone's progress, rebuilt by the engine when something changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CourseSnapshot {
    /// Bumped on every change, so a view knows when to look again.
    pub version: u64,
    /// None: no course is running.
    pub course: Option<Arc<CourseOverview>>,
    /// Sorted by learner name.
    pub learners: Vec<LearnerProgress>,
    /// Steps skipped for the whole class.
    pub skipped_for_all: Vec<usize>,
    /// Packets the course could not look at because it fell behind (its queue was full): a step
    /// may then stay open although the learner did it. Zero in a healthy class.
    pub dropped_packets: u64,
    /// Learners left out of the roster because it already follows its maximum
    /// ([`progress::MAX_LEARNERS`]).
    pub learners_refused: u64,
}

/// A handle on the course's state, cheap to clone: the engine writes through it, views read it.
#[derive(Clone, Default)]
pub struct CourseAccess(Arc<Mutex<Arc<CourseSnapshot>>>);

impl std::fmt::Debug for CourseAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CourseAccess")
    }
}

impl CourseAccess {
    /// A handle showing fixed data (UI tests draw the course panel and roster this way).
    pub fn from_snapshot(snapshot: CourseSnapshot) -> Self {
        let access = Self::default();
        access.publish(snapshot);
        access
    }

    /// The latest state; cheap to call every frame.
    pub fn snapshot(&self) -> Arc<CourseSnapshot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the state front ends see.
    pub fn publish(&self, snapshot: CourseSnapshot) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
    }
}
