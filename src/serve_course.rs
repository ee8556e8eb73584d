//! `serve --course FILE|builtin`: checks the course before anything starts, opens it in the engine,
//! and prints the class roster on request (SIGUSR2 on Unix) and at exit.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use crate::engine::course::{Course, CourseCommand, roster_table};
use crate::engine::{Command, Engine};

/// What `--course` names: the built-in course or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourseChoice {
    BuiltIn,
    File(PathBuf),
}

/// Reads the course `--course` names (`builtin` is the shipped one) and reports a mistake with the
/// step and field, so a bad file stops `serve` before the broker starts.
pub fn check_course(path: &Path) -> anyhow::Result<CourseChoice> {
    if path.as_os_str() == "builtin" && !path.exists() {
        Course::built_in()?;
        return Ok(CourseChoice::BuiltIn);
    }
    Course::open(path)?;
    Ok(CourseChoice::File(path.to_owned()))
}

/// Opens the course in the engine and says so.
pub fn open(engine: &Engine, choice: CourseChoice) -> anyhow::Result<()> {
    let command = match choice {
        CourseChoice::BuiltIn => CourseCommand::OpenBuiltIn,
        CourseChoice::File(path) => CourseCommand::Open(path),
    };
    engine
        .call(Command::Course(command), Duration::from_secs(10))?
        .map_err(|why| anyhow::anyhow!(why))?;
    if let Some(course) = &engine.course().snapshot().course {
        println!(
            "course \"{}\" running ({} steps); `kill -USR2 {}` prints the roster",
            course.title,
            course.steps.len(),
            std::process::id()
        );
    }
    Ok(())
}

/// The roster as the terminal shows it.
pub fn roster_text(engine: &Engine) -> String {
    roster_table(&engine.course().snapshot(), SystemTime::now())
}

/// A flag raised by SIGUSR2 (Unix): print the roster.
pub fn roster_on_signal() -> Arc<AtomicBool> {
    crate::user_signal::flag_on(crate::user_signal::UserSignal::Usr2)
}
