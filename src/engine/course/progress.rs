//! Each learner's progress through the course: which steps are done (by which client, when), missed
//! (with a hint), skipped; connected or not, last activity, messages in and out. Bounded in learners.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use super::check::Verdict;
use super::format::Course;
use super::observe::{Observation, Seen};
use super::{CourseOverview, CourseSnapshot, LearnerKey, LearnerProgress, StepState};

/// Learners followed at once; more are counted and left out.
pub const MAX_LEARNERS: usize = 2_000;
/// Client ids remembered per learner (the latest ones).
const MAX_CLIENT_IDS: usize = 8;
/// Open connections remembered per learner.
const MAX_OPEN_CONNECTIONS: usize = 64;

/// A step a learner just finished (once per learner and step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub learner: String,
    pub client_id: String,
    pub step: usize,
    pub title: String,
}

/// Why a skip or reset could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    #[error("the course has {steps} steps; there is no step {number}")]
    NoSuchStep { number: usize, steps: usize },
    #[error("no learner called \"{0}\" has connected during this course")]
    NoSuchLearner(String),
}

#[derive(Debug)]
struct Learner {
    key: LearnerKey,
    username: Option<String>,
    client_ids: Vec<String>,
    open_connections: HashSet<u64>,
    steps: Vec<StepState>,
    last_activity: Option<SystemTime>,
    messages_in: u64,
    messages_out: u64,
}

/// Everyone's progress in one course.
#[derive(Debug)]
pub struct Progress {
    course: Arc<Course>,
    overview: Arc<CourseOverview>,
    learners: HashMap<String, Learner>,
    skipped_for_all: BTreeSet<usize>,
    /// Learners left out because [`MAX_LEARNERS`] were already followed.
    pub learners_refused: u64,
}

impl Progress {
    pub fn new(course: Arc<Course>) -> Self {
        Self {
            overview: Arc::new(course.overview.clone()),
            course,
            learners: HashMap::new(),
            skipped_for_all: BTreeSet::new(),
            learners_refused: 0,
        }
    }

    pub fn step_count(&self) -> usize {
        self.course.steps.len()
    }

    /// Takes in what a learner did; returns the steps it finished.
    pub fn apply(&mut self, seen: Seen) -> Vec<Completed> {
        let now = SystemTime::now();
        let step_count = self.course.steps.len();
        if !self.learners.contains_key(&seen.learner.name) {
            if self.learners.len() >= MAX_LEARNERS {
                self.learners_refused += 1;
                return Vec::new();
            }
            self.learners.insert(
                seen.learner.name.clone(),
                Learner {
                    key: seen.learner.key,
                    username: seen.learner.username.clone(),
                    client_ids: Vec::new(),
                    open_connections: HashSet::new(),
                    steps: vec![StepState::Open; step_count],
                    last_activity: None,
                    messages_in: 0,
                    messages_out: 0,
                },
            );
        }
        let Some(learner) = self.learners.get_mut(&seen.learner.name) else {
            return Vec::new();
        };
        learner.last_activity = Some(now);
        match &seen.observation {
            Observation::Connected { .. } | Observation::AlreadyConnected => {
                if learner.open_connections.len() < MAX_OPEN_CONNECTIONS {
                    learner.open_connections.insert(seen.connection);
                }
                // An empty id (the broker assigns one) names nothing.
                let id = seen.client_id.to_string();
                if !id.is_empty() {
                    learner.client_ids.retain(|c| *c != id);
                    learner.client_ids.push(id);
                    if learner.client_ids.len() > MAX_CLIENT_IDS {
                        learner.client_ids.remove(0);
                    }
                }
            }
            Observation::Ended { .. } => {
                learner.open_connections.remove(&seen.connection);
            }
            Observation::Published { .. } => learner.messages_in += 1,
            Observation::Received { .. } => learner.messages_out += 1,
            _ => {}
        }
        let current = (0..step_count)
            .find(|s| !learner.steps[*s].is_finished() && !self.skipped_for_all.contains(s));
        let user = learner.username.as_deref();
        let mut completed = Vec::new();
        for (index, step) in self.course.steps.iter().enumerate() {
            let state = &mut learner.steps[index];
            if matches!(state, StepState::Done { .. }) {
                continue;
            }
            match step.check.judge(&seen.observation, user) {
                Verdict::Unrelated => {}
                Verdict::Done => {
                    *state = StepState::Done {
                        client_id: seen.client_id.to_string(),
                        at: now,
                    };
                    completed.push(Completed {
                        learner: seen.learner.name.clone(),
                        client_id: seen.client_id.to_string(),
                        step: index,
                        title: self.overview.steps[index].title.clone(),
                    });
                }
                Verdict::Miss { hint, specific } => {
                    let open = matches!(state, StepState::Open | StepState::Missed { .. });
                    if open && (specific || current == Some(index)) {
                        *state = StepState::Missed {
                            hint: step.hint.clone().unwrap_or(hint),
                            at: now,
                        };
                    }
                }
            }
        }
        completed
    }

    fn check_step(&self, step: usize) -> Result<(), ProgressError> {
        if step >= self.course.steps.len() {
            return Err(ProgressError::NoSuchStep {
                number: step + 1,
                steps: self.course.steps.len(),
            });
        }
        Ok(())
    }

    fn learner_mut(&mut self, name: &str) -> Result<&mut Learner, ProgressError> {
        self.learners
            .get_mut(name)
            .ok_or_else(|| ProgressError::NoSuchLearner(name.to_owned()))
    }

    /// Marks a step skipped (or takes a skip back) for one learner, or for the whole class.
    pub fn set_skipped(
        &mut self,
        learner: Option<&str>,
        step: usize,
        skipped: bool,
    ) -> Result<(), ProgressError> {
        self.check_step(step)?;
        let apply = |l: &mut Learner| {
            let state = &mut l.steps[step];
            match (skipped, &state) {
                (true, StepState::Open | StepState::Missed { .. }) => *state = StepState::Skipped,
                (false, StepState::Skipped) => *state = StepState::Open,
                _ => {}
            }
        };
        match learner {
            Some(name) => apply(self.learner_mut(name)?),
            None => {
                if skipped {
                    self.skipped_for_all.insert(step);
                } else {
                    self.skipped_for_all.remove(&step);
                }
                self.learners.values_mut().for_each(apply);
            }
        }
        Ok(())
    }

    /// Forgets one learner's steps, or everyone's (skips for the whole class stay).
    pub fn reset(&mut self, learner: Option<&str>) -> Result<(), ProgressError> {
        let steps = self.course.steps.len();
        let clear = |l: &mut Learner| l.steps = vec![StepState::Open; steps];
        match learner {
            Some(name) => clear(self.learner_mut(name)?),
            None => self.learners.values_mut().for_each(clear),
        }
        Ok(())
    }

    /// The state front ends see; learners whose every client is the app's own are left out.
    pub fn snapshot(&self, version: u64, is_own: impl Fn(&str) -> bool) -> CourseSnapshot {
        let mut learners: Vec<LearnerProgress> = self
            .learners
            .iter()
            .filter(|(_, l)| l.client_ids.is_empty() || !l.client_ids.iter().all(|c| is_own(c)))
            .map(|(name, l)| LearnerProgress {
                learner: name.clone(),
                key: l.key,
                client_ids: l.client_ids.clone(),
                connected: !l.open_connections.is_empty(),
                steps: l
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| match s {
                        StepState::Open | StepState::Missed { .. }
                            if self.skipped_for_all.contains(&i) =>
                        {
                            StepState::Skipped
                        }
                        other => other.clone(),
                    })
                    .collect(),
                last_activity: l.last_activity,
                messages_in: l.messages_in,
                messages_out: l.messages_out,
            })
            .collect();
        learners.sort_by(|a, b| a.learner.cmp(&b.learner));
        CourseSnapshot {
            version,
            course: Some(self.overview.clone()),
            learners,
            skipped_for_all: self.skipped_for_all.iter().copied().collect(),
            learners_refused: self.learners_refused,
            ..CourseSnapshot::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::observe::{Learner as Who, Observation, Seen};
    use super::*;

    fn connected(name: &str, connection: u64) -> Seen {
        Seen {
            learner: Who {
                name: name.to_owned(),
                key: LearnerKey::ClientId,
                username: None,
            },
            connection,
            client_id: name.into(),
            observation: Observation::Connected {
                protocol: "3.1.1".into(),
                clean_start: true,
                keep_alive_s: 30,
                will: false,
                resumed: false,
            },
        }
    }

    #[test]
    fn learners_are_capped_and_each_step_completes_once() {
        let course = Arc::new(Course::built_in().unwrap());
        let mut progress = Progress::new(course);
        for n in 0..MAX_LEARNERS + 5 {
            let done = progress.apply(connected(&format!("l{n:04}"), n as u64));
            assert_eq!(done.len(), usize::from(n < MAX_LEARNERS));
        }
        assert_eq!(progress.learners_refused, 5);
        // Connecting again completes nothing new.
        assert!(progress.apply(connected("l0000", 9_999)).is_empty());
        let snapshot = progress.snapshot(1, |_| false);
        assert_eq!(snapshot.learners.len(), MAX_LEARNERS);
        assert_eq!(snapshot.learners_refused, 5);
        assert_eq!(snapshot.learners[0].client_ids, ["l0000"]);
    }
}
