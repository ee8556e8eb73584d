//! The dialog's file work (sheets, CSV, the kept-accounts file) on threads of its own, so the window
//! never waits for a disk; each job reports back once and wakes the window.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;

use crate::engine::accounts::sheet::{self, SheetTarget};
use crate::engine::accounts::{LearnerAccounts, csv_file, store};

/// What a finished job says.
#[derive(Debug)]
pub enum Done {
    /// A sheet or CSV file was written (or why not).
    Exported(Result<String, String>),
    /// A CSV file was read.
    Loaded(Result<LearnerAccounts, String>),
    /// The kept-accounts file was updated (or why not).
    Kept(Result<String, String>),
}

/// Jobs under way and their answers.
pub struct Work {
    done_tx: Sender<Done>,
    done: Receiver<Done>,
    pub running: usize,
}

impl Default for Work {
    fn default() -> Self {
        let (done_tx, done) = channel();
        Self {
            done_tx,
            done,
            running: 0,
        }
    }
}

impl Work {
    fn spawn(&mut self, ctx: &egui::Context, job: impl FnOnce() -> Done + Send + 'static) {
        let done_tx = self.done_tx.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("accounts-file".into())
            .spawn(move || {
                let _ = done_tx.send(job());
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.running += 1,
            Err(err) => {
                let _ = self.done_tx.send(Done::Exported(Err(format!(
                    "could not start writing: {err}"
                ))));
            }
        }
    }

    /// The next finished job, if any.
    pub fn next_done(&mut self) -> Option<Done> {
        let done = self.done.try_recv().ok()?;
        self.running = self.running.saturating_sub(1);
        Some(done)
    }

    pub fn export_sheet(
        &mut self,
        ctx: &egui::Context,
        accounts: LearnerAccounts,
        target: SheetTarget,
        path: PathBuf,
    ) {
        self.spawn(ctx, move || {
            let html = sheet::to_html(&accounts, &target);
            Done::Exported(
                store::write_private(&path, html.as_bytes())
                    .map(|()| {
                        format!(
                            "Sheet of {} written to {}",
                            accounts.describe(),
                            path.display()
                        )
                    })
                    .map_err(|e| e.to_string()),
            )
        });
    }

    pub fn export_csv(&mut self, ctx: &egui::Context, accounts: LearnerAccounts, path: PathBuf) {
        self.spawn(ctx, move || {
            Done::Exported(
                store::write_private(&path, &csv_file::to_csv(&accounts))
                    .map(|()| format!("{} written to {}", accounts.describe(), path.display()))
                    .map_err(|e| e.to_string()),
            )
        });
    }

    pub fn load_csv(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.spawn(ctx, move || {
            Done::Loaded(csv_file::load(&path).map_err(|e| e.to_string()))
        });
    }

    /// Keeps `accounts` in the file read at the next start (an empty list removes it).
    pub fn keep(&mut self, ctx: &egui::Context, accounts: LearnerAccounts, path: &Path) {
        let path = path.to_owned();
        self.spawn(ctx, move || {
            Done::Kept(
                store::save(&path, &accounts)
                    .map(|()| {
                        if accounts.is_empty() {
                            "Learner accounts cleared; none are kept for the next start".to_owned()
                        } else {
                            format!(
                                "{} kept for the next start in {}",
                                accounts.describe(),
                                path.display()
                            )
                        }
                    })
                    .map_err(|e| e.to_string()),
            )
        });
    }
}
