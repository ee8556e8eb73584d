//! Runs the open course inside the engine: a task reads the trace's tap, ticks steps off, sends
//! StepCompleted events, and publishes a fresh snapshot at most five times a second.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::format::{Course, CourseFileError};
use super::observe::Observer;
use super::progress::{Progress, ProgressError};
use super::{CourseAccess, CourseCommand, CourseSnapshot};
use crate::engine::events::{Event, EventSink};
use crate::engine::trace::{TapRecord, TraceAccess};

/// Records waiting for the course; a class of hundreds fits, a flood is dropped and counted.
pub const TAP_QUEUE: usize = 16_384;
/// The snapshot is rebuilt at most this often.
const PUBLISH_EVERY: Duration = Duration::from_millis(200);
/// Records taken from the tap per lock of the progress.
const BATCH: usize = 256;
/// What the app's own subscriber calls itself (see monitor/subscriber.rs).
const MONITOR_ID_MARK: &str = "mqtt-playground-watch-";

/// The app's own clients (the monitor subscriber, the fleet's devices), which are never learners.
#[derive(Debug, Clone, Default)]
pub struct OwnClients(Arc<RwLock<HashSet<String>>>);

impl OwnClients {
    /// Replaces the fleet's device ids.
    pub fn set_devices(&self, ids: impl IntoIterator<Item = String>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = ids.into_iter().collect();
    }

    pub fn is_own(&self, client_id: &str) -> bool {
        client_id.contains(MONITOR_ID_MARK)
            || self
                .0
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .contains(client_id)
    }
}

/// Why a course command was refused.
#[derive(Debug, thiserror::Error)]
pub enum CourseError {
    #[error(transparent)]
    File(#[from] CourseFileError),
    #[error(transparent)]
    Progress(#[from] ProgressError),
    #[error("no course is open; open one first (the built-in course, or a course file)")]
    NoCourse,
    #[error("opening the course failed: {0}")]
    Failed(String),
}

struct State {
    progress: Progress,
    observer: Observer,
}

struct Running {
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    task: JoinHandle<()>,
}

/// The engine's side of the course: opens and closes it, carries out skips and resets.
pub struct CourseRunner {
    access: CourseAccess,
    trace: TraceAccess,
    sink: EventSink,
    own: OwnClients,
    running: Option<Running>,
    version: Arc<AtomicU64>,
}

impl CourseRunner {
    pub fn new(access: CourseAccess, trace: TraceAccess, sink: EventSink) -> Self {
        Self {
            access,
            trace,
            sink,
            own: OwnClients::default(),
            running: None,
            version: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The app's own clients, kept up to date by the engine.
    pub fn own_clients(&self) -> &OwnClients {
        &self.own
    }

    /// Carries out a command; returns a sentence for the activity log.
    pub async fn execute(&mut self, command: CourseCommand) -> Result<String, CourseError> {
        match command {
            CourseCommand::Open(path) => {
                // The file is read off the engine's own threads (size-limited, but a disk may be slow).
                let course = tokio::task::spawn_blocking(move || Course::open(&path))
                    .await
                    .map_err(|e| CourseError::Failed(e.to_string()))??;
                Ok(self.open(course))
            }
            CourseCommand::OpenBuiltIn => Ok(self.open(Course::built_in()?)),
            CourseCommand::Close => {
                self.close();
                Ok("course closed".to_owned())
            }
            CourseCommand::Skip { learner, step } => {
                self.change(|p| p.set_skipped(learner.as_deref(), step, true))?;
                Ok(format!("step {} skipped for {}", step + 1, who(&learner)))
            }
            CourseCommand::Unskip { learner, step } => {
                self.change(|p| p.set_skipped(learner.as_deref(), step, false))?;
                Ok(format!(
                    "step {} open again for {}",
                    step + 1,
                    who(&learner)
                ))
            }
            CourseCommand::Reset { learner } => {
                self.change(|p| p.reset(learner.as_deref()))?;
                Ok(format!("progress reset for {}", who(&learner)))
            }
        }
    }

    fn change(
        &mut self,
        edit: impl FnOnce(&mut Progress) -> Result<(), ProgressError>,
    ) -> Result<(), CourseError> {
        let running = self.running.as_ref().ok_or(CourseError::NoCourse)?;
        edit(&mut lock(&running.state).progress)?;
        running.changed.notify_one();
        Ok(())
    }

    fn open(&mut self, course: Course) -> String {
        self.close();
        let title = course.overview.title.clone();
        let steps = course.steps.len();
        let state = Arc::new(Mutex::new(State {
            progress: Progress::new(Arc::new(course)),
            observer: Observer::default(),
        }));
        let changed = Arc::new(Notify::new());
        let (tap, dropped) = self.trace.open_course_tap(TAP_QUEUE);
        let publisher = Publisher {
            access: self.access.clone(),
            sink: self.sink.clone(),
            own: self.own.clone(),
            version: self.version.clone(),
        };
        // Front ends see the course as soon as the command returns.
        publisher.publish(&state, 0);
        let task = tokio::spawn(follow(
            tap,
            dropped,
            state.clone(),
            changed.clone(),
            publisher,
        ));
        self.running = Some(Running {
            state,
            changed,
            task,
        });
        format!("course \"{title}\" opened ({steps} steps)")
    }

    /// Ends the course: the tap closes and front ends see no course.
    pub fn close(&mut self) {
        if let Some(running) = self.running.take() {
            self.trace.close_course_tap();
            running.task.abort();
            self.access.publish(CourseSnapshot {
                version: self.version.fetch_add(1, Ordering::Relaxed) + 1,
                ..CourseSnapshot::default()
            });
            self.sink.wake();
        }
    }
}

impl Drop for CourseRunner {
    fn drop(&mut self) {
        if self.running.is_some() {
            self.trace.close_course_tap();
        }
    }
}

fn who(learner: &Option<String>) -> String {
    match learner {
        Some(name) => format!("\"{name}\""),
        None => "the whole class".to_owned(),
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

struct Publisher {
    access: CourseAccess,
    sink: EventSink,
    own: OwnClients,
    version: Arc<AtomicU64>,
}

impl Publisher {
    fn publish(&self, state: &Mutex<State>, dropped: u64) {
        let version = self.version.fetch_add(1, Ordering::Relaxed) + 1;
        let own = &self.own;
        let mut snapshot = lock(state).progress.snapshot(version, |id| own.is_own(id));
        snapshot.dropped_packets = dropped;
        self.access.publish(snapshot);
        self.sink.wake();
    }
}

/// The course's task: reads the tap until the course closes.
async fn follow(
    mut tap: mpsc::Receiver<TapRecord>,
    dropped: Arc<AtomicU64>,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    publisher: Publisher,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut dirty = false;
    let mut last_publish = Instant::now()
        .checked_sub(PUBLISH_EVERY)
        .unwrap_or_else(Instant::now);
    let mut last_dropped = 0;
    loop {
        let publish_at = last_publish + PUBLISH_EVERY;
        tokio::select! {
            got = tap.recv_many(&mut batch, BATCH) => {
                if got == 0 {
                    break;
                }
                let completed = {
                    let mut state = lock(&state);
                    let State { progress, observer } = &mut *state;
                    let mut completed = Vec::new();
                    for record in batch.drain(..) {
                        for seen in observer.observe(&record, |id| publisher.own.is_own(id)) {
                            completed.extend(progress.apply(seen));
                        }
                    }
                    completed
                };
                for done in completed {
                    publisher.sink.send(Event::StepCompleted {
                        learner: done.learner,
                        client_id: done.client_id,
                        step: done.step,
                        title: done.title,
                    });
                }
                dirty = true;
            }
            _ = changed.notified() => dirty = true,
            _ = tokio::time::sleep_until(publish_at), if dirty => {
                last_dropped = dropped.load(Ordering::Relaxed);
                publisher.publish(&state, last_dropped);
                last_publish = Instant::now();
                dirty = false;
            }
        }
        // Losses show up even while nothing else changes.
        if dropped.load(Ordering::Relaxed) != last_dropped {
            dirty = true;
        }
    }
}
