//! The "Learner accounts" dialog: generate accounts in bulk, look at them, export a printable sheet or
//! CSV, load a CSV printed earlier, and hand the accounts to the broker (or clear them).

pub mod startup;
mod work;

use std::path::{Path, PathBuf};

use eframe::egui::{self, RichText};

use crate::engine::accounts::LearnerAccounts;
use crate::engine::accounts::generate::{self, DEFAULT_PREFIX};
use crate::engine::accounts::sheet::SheetTarget;

use super::file_dialog::FilePurpose;
use work::{Done, Work};

/// What the dialog asks of the window this frame.
#[derive(Debug, Default)]
pub struct AccountsOutput {
    /// File dialogs to open.
    pub files: Vec<FilePurpose>,
    /// The accounts the broker should accept from now on (an empty list clears them).
    pub apply: Option<LearnerAccounts>,
}

/// The dialog's state across frames.
pub struct AccountsDialog {
    pub open: bool,
    count_text: String,
    prefix: String,
    /// What the list shows and the exports write: generated or loaded, maybe not yet applied.
    draft: LearnerAccounts,
    show_passwords: bool,
    /// The last thing that happened, and whether it was a problem.
    message: Option<(bool, String)>,
    work: Work,
    /// Where accounts are kept across restarts; `None` keeps nothing (tests, or no home folder).
    store_path: Option<PathBuf>,
}

impl Default for AccountsDialog {
    fn default() -> Self {
        Self {
            open: false,
            count_text: "25".to_owned(),
            prefix: DEFAULT_PREFIX.to_owned(),
            draft: LearnerAccounts::default(),
            show_passwords: false,
            message: None,
            work: Work::default(),
            store_path: None,
        }
    }
}

impl AccountsDialog {
    /// Keeps applied accounts in this file, so they are there again at the next start.
    pub fn keep_in(&mut self, path: Option<PathBuf>) {
        self.store_path = path;
    }

    /// Opens the dialog on the accounts the broker accepts now.
    pub fn show(&mut self, applied: &LearnerAccounts) {
        self.open = true;
        self.draft = applied.clone();
        self.show_passwords = false;
        self.message = None;
    }

    /// A problem to show in the dialog (an apply the broker settings refused, say).
    pub fn problem(&mut self, text: String) {
        self.message = Some((true, text));
    }

    /// The broker now takes `accounts`: keep them for the next start.
    pub fn applied(&mut self, ctx: &egui::Context, accounts: &LearnerAccounts) {
        self.draft = accounts.clone();
        match &self.store_path {
            Some(path) => self.work.keep(ctx, accounts.clone(), &path.clone()),
            None => {
                self.message = Some((false, format!("The broker takes {}", accounts.describe())))
            }
        }
    }

    /// The window's answer to a file dialog this dialog asked for.
    pub fn file_chosen(
        &mut self,
        ctx: &egui::Context,
        purpose: FilePurpose,
        path: &Path,
        target: Result<SheetTarget, String>,
    ) {
        match purpose {
            FilePurpose::ExportAccountsSheet => match target {
                Ok(target) => {
                    self.work
                        .export_sheet(ctx, self.draft.clone(), target, path.to_owned())
                }
                Err(why) => self.message = Some((true, why)),
            },
            FilePurpose::ExportAccountsCsv => {
                self.work
                    .export_csv(ctx, self.draft.clone(), path.to_owned())
            }
            FilePurpose::OpenAccountsCsv => self.work.load_csv(ctx, path.to_owned()),
            _ => {}
        }
    }

    fn collect_done(&mut self) {
        while let Some(done) = self.work.next_done() {
            self.message = Some(match done {
                Done::Exported(Ok(text)) | Done::Kept(Ok(text)) => (false, text),
                Done::Exported(Err(text)) | Done::Kept(Err(text)) | Done::Loaded(Err(text)) => {
                    (true, text)
                }
                Done::Loaded(Ok(accounts)) => {
                    let text = format!(
                        "{} loaded; \"Use these accounts\" hands them to the broker",
                        accounts.describe()
                    );
                    self.draft = accounts;
                    (false, text)
                }
            });
        }
    }

    /// Draws the dialog when open; `applied` is what the broker takes now.
    pub fn ui(&mut self, ctx: &egui::Context, applied: &LearnerAccounts) -> AccountsOutput {
        self.collect_done();
        let mut out = AccountsOutput::default();
        if !self.open {
            return out;
        }
        let mut open = self.open;
        egui::Window::new("Learner accounts")
            .open(&mut open)
            .collapsible(false)
            .default_width(440.0)
            // Beside the broker column, so the panel's "25 learner accounts" stays in view.
            .default_pos([400.0, 80.0])
            .show(ctx, |ui| self.contents(ui, applied, &mut out));
        self.open = open && self.open;
        out
    }

    fn contents(&mut self, ui: &mut egui::Ui, applied: &LearnerAccounts, out: &mut AccountsOutput) {
        ui.label(
            "Each learner gets a user name and password of their own; the broker then accepts exactly \
             these and yours. Devices and this window keep signing in as you.",
        );
        ui.add_space(4.0);
        egui::Grid::new("accounts-generate")
            .num_columns(2)
            .show(ui, |ui| {
                let label = ui.label("How many");
                ui.add(egui::TextEdit::singleline(&mut self.count_text).desired_width(60.0))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("User name prefix");
                ui.add(egui::TextEdit::singleline(&mut self.prefix).desired_width(140.0))
                    .labelled_by(label.id);
                ui.end_row();
            });
        ui.horizontal(|ui| {
            if ui.button("Generate").clicked() {
                let generated = generate::parse_count(&self.count_text)
                    .and_then(|n| generate::generate(n, self.prefix.trim()));
                match generated {
                    Ok(accounts) => {
                        self.message = Some((
                            false,
                            format!(
                                "{} generated: export a sheet, then \"Use these accounts\"",
                                accounts.describe()
                            ),
                        ));
                        self.draft = accounts;
                        self.show_passwords = false;
                    }
                    Err(err) => self.message = Some((true, err.to_string())),
                }
            }
            if ui.button("Load CSV…").clicked() {
                out.files.push(FilePurpose::OpenAccountsCsv);
            }
        });
        ui.separator();
        self.list_ui(ui);
        ui.horizontal(|ui| {
            let any = !self.draft.is_empty();
            if ui
                .add_enabled(any, egui::Button::new("Export sheet (HTML)…"))
                .on_hover_text("A printable page: one card per learner with where to connect")
                .clicked()
            {
                out.files.push(FilePurpose::ExportAccountsSheet);
            }
            if ui
                .add_enabled(any, egui::Button::new("Export CSV…"))
                .clicked()
            {
                out.files.push(FilePurpose::ExportAccountsCsv);
            }
        });
        ui.horizontal(|ui| {
            let changed = self.draft != *applied;
            if ui
                .add_enabled(
                    changed && !self.draft.is_empty(),
                    egui::Button::new("Use these accounts"),
                )
                .on_hover_text("Restarts a running broker with these accounts")
                .clicked()
            {
                out.apply = Some(self.draft.clone());
            }
            if ui
                .add_enabled(
                    !applied.is_empty() || !self.draft.is_empty(),
                    egui::Button::new("Clear all"),
                )
                .on_hover_text("The broker accepts only your own account again")
                .clicked()
            {
                self.draft = LearnerAccounts::default();
                out.apply = Some(LearnerAccounts::default());
            }
        });
        let now = if applied.is_empty() {
            "The broker takes no learner accounts now.".to_owned()
        } else {
            format!("The broker takes {} now.", applied.describe())
        };
        ui.label(RichText::new(now).small());
        if self.work.running > 0 {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Working on files…");
            });
        }
        if let Some((problem, text)) = &self.message {
            let color = if *problem {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(text).color(color));
        }
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) {
        if self.draft.is_empty() {
            ui.label(RichText::new("No accounts yet: generate some or load a CSV.").weak());
            return;
        }
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{} in the list", self.draft.describe())).strong());
            let text = if self.show_passwords {
                "Hide passwords"
            } else {
                "Show passwords"
            };
            if ui.button(text).clicked() {
                self.show_passwords = !self.show_passwords;
            }
        });
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
        let accounts = self.draft.as_slice();
        let show = self.show_passwords;
        // Monospace names padded to one width line the passwords up in a column.
        let name_width = accounts
            .iter()
            .map(|a| a.username.chars().count())
            .max()
            .unwrap_or(0)
            .min(generate::MAX_PREFIX_CHARS + 4);
        // Only the visible rows are laid out: 500 accounts cost what 10 do.
        egui::ScrollArea::vertical()
            .max_height(220.0)
            .auto_shrink([false, true])
            .show_rows(ui, row_height, accounts.len(), |ui, rows| {
                for account in accounts.get(rows).unwrap_or_default() {
                    ui.horizontal(|ui| {
                        ui.monospace(format!("{:<name_width$}", account.username));
                        let password = if show {
                            account.password.as_str()
                        } else {
                            "••••••••"
                        };
                        ui.monospace(password);
                    });
                }
            });
    }
}
