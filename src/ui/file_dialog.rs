//! The one place the window asks the operating system for a file name: native dialogs (rfd) run on a
//! thread of their own so the window keeps drawing, and tests put answers in instead of opening dialogs.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What a file is wanted for; it decides the dialog's title, filters and default name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilePurpose {
    OpenScenario,
    SaveScenario,
    /// Save the message log as JSON Lines or CSV.
    ExportLog,
    /// Open a recorded JSON Lines file into the log.
    OpenRecording,
    /// Save a client's packet trace as JSON Lines.
    ExportTrace,
    /// Open a course file (TOML) in the Course tab.
    OpenCourse,
    /// Save the learner accounts as a printable HTML sheet.
    ExportAccountsSheet,
    /// Save the learner accounts as CSV (username,password).
    ExportAccountsCsv,
    /// Open learner accounts saved as CSV.
    OpenAccountsCsv,
}

impl FilePurpose {
    fn saves(self) -> bool {
        matches!(
            self,
            Self::SaveScenario
                | Self::ExportLog
                | Self::ExportTrace
                | Self::ExportAccountsSheet
                | Self::ExportAccountsCsv
        )
    }

    fn title(self) -> &'static str {
        match self {
            Self::OpenScenario => "Open a scenario",
            Self::SaveScenario => "Save the scenario",
            Self::ExportLog => "Export the message log",
            Self::OpenRecording => "Open a recorded message log",
            Self::ExportTrace => "Export the packet trace",
            Self::OpenCourse => "Open a course",
            Self::ExportAccountsSheet => "Export the learners' sheet",
            Self::ExportAccountsCsv => "Export the learner accounts",
            Self::OpenAccountsCsv => "Open learner accounts",
        }
    }

    fn filters(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Self::OpenScenario | Self::SaveScenario => &[("Scenario (TOML)", &["toml"])],
            Self::ExportLog => &[("JSON Lines", &["jsonl"]), ("CSV", &["csv"])],
            Self::OpenRecording => &[("JSON Lines", &["jsonl", "json", "txt"])],
            Self::ExportTrace => &[("JSON Lines", &["jsonl"])],
            Self::OpenCourse => &[("Course (TOML)", &["toml"])],
            Self::ExportAccountsSheet => &[("Web page (HTML)", &["html", "htm"])],
            Self::ExportAccountsCsv | Self::OpenAccountsCsv => &[("CSV", &["csv"])],
        }
    }

    fn default_name(self) -> &'static str {
        match self {
            Self::SaveScenario => "scenario.toml",
            Self::ExportLog => "messages.jsonl",
            Self::ExportTrace => "trace.jsonl",
            Self::ExportAccountsSheet => "learner-accounts.html",
            Self::ExportAccountsCsv => "learner-accounts.csv",
            _ => "",
        }
    }
}

/// The answer to a request: the chosen path, or `None` when the user cancelled.
pub type FileAnswer = (FilePurpose, Option<PathBuf>);

/// Asks for file names without waiting; answers are collected each frame.
pub trait FilePicker {
    fn request(&mut self, purpose: FilePurpose);
    fn next_answer(&mut self) -> Option<FileAnswer>;
}

/// Native dialogs through rfd, each on its own thread.
pub struct NativeFilePicker {
    answers_tx: Sender<FileAnswer>,
    answers: Receiver<FileAnswer>,
    open: bool,
    waker: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl NativeFilePicker {
    /// `waker` asks the window to repaint once a dialog closes.
    pub fn new(waker: impl Fn() + Send + Sync + 'static) -> Self {
        let (answers_tx, answers) = channel();
        Self {
            answers_tx,
            answers,
            open: false,
            waker: std::sync::Arc::new(waker),
        }
    }
}

impl FilePicker for NativeFilePicker {
    fn request(&mut self, purpose: FilePurpose) {
        if self.open {
            // One dialog at a time, as with any desktop program.
            return;
        }
        self.open = true;
        let answers = self.answers_tx.clone();
        let waker = self.waker.clone();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let mut dialog = rfd::FileDialog::new().set_title(purpose.title());
                for (name, extensions) in purpose.filters() {
                    dialog = dialog.add_filter(*name, extensions);
                }
                let chosen = if purpose.saves() {
                    dialog.set_file_name(purpose.default_name()).save_file()
                } else {
                    dialog.pick_file()
                };
                let _ = answers.send((purpose, chosen));
                waker();
            });
        if spawned.is_err() {
            self.open = false;
        }
    }

    fn next_answer(&mut self) -> Option<FileAnswer> {
        let answer = self.answers.try_recv().ok()?;
        self.open = false;
        Some(answer)
    }
}

/// Answers given in advance: for tests, and for running without any dialog at all.
#[derive(Default)]
pub struct PresetFilePicker {
    pub answers: std::collections::HashMap<FilePurpose, PathBuf>,
    pending: Vec<FileAnswer>,
}

impl FilePicker for PresetFilePicker {
    fn request(&mut self, purpose: FilePurpose) {
        let answer = self.answers.get(&purpose).cloned();
        self.pending.push((purpose, answer));
    }

    fn next_answer(&mut self) -> Option<FileAnswer> {
        if self.pending.is_empty() {
            None
        } else {
            Some(self.pending.remove(0))
        }
    }
}
