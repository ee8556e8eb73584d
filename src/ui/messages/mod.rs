//! The Messages tab: the app's subscriptions (with a "does this filter match?" helper), the message log
//! as a table laid out only where visible, its filters, pause / follow / clear, export and import, and the
//! detail view of one message.

mod detail;
mod log_table;
mod row_text;
mod subscriptions;
mod toolbar;

use std::collections::HashMap;
use std::path::Path;

use eframe::egui::{self, RichText};

use crate::engine::monitor::{ExportFormat, LogAccess, MonitorCommand};
use crate::engine::watch::{FilterError, FilteredView, LogFilter, TopicFilter, ViewAs, ViewChange};
use crate::engine::{Command, Snapshot};

use super::file_dialog::FilePurpose;

use detail::Detail;
use row_text::RowText;
use subscriptions::MatchHelp;

// The Topics tab shows payload previews the same way.
use super::widgets::WARN;
pub(crate) use row_text::displayable;

/// What a watch panel asks of the app this frame.
#[derive(Default)]
pub struct WatchOutput {
    pub commands: Vec<Command>,
    pub files: Vec<FilePurpose>,
}

impl WatchOutput {
    fn monitor(&mut self, command: MonitorCommand) {
        self.commands.push(Command::Monitor(command));
    }
}

/// How many log messages are checked against the filter between two looks at the clock.
const CHECKS_PER_SLICE: usize = 10_000;
/// How long one frame checks log messages against the filter (slices until this has passed), holding
/// the log, so neither the window nor the subscriber writing the log waits for one long pass: a
/// simple filter checks a whole log of 100,000 in a frame, a search through payloads a part of it.
const CHECK_TIME_PER_FRAME: std::time::Duration = std::time::Duration::from_millis(4);
/// How soon a frame follows to check messages that arrived faster than the last frame checked.
const CATCH_UP_EVERY: std::time::Duration = crate::ui::repaint_policy::DATA_REPAINT_EVERY;

/// Draws more about a message in its detail, given its topic, payload size and arrival time.
pub type MoreDetail = Box<dyn FnMut(&mut egui::Ui, &str, usize, std::time::SystemTime)>;

/// The Messages tab's state, kept between frames.
pub struct MessagesPanel {
    /// Set by "Show its journey" in the message detail: topic, payload size, arrival (the app opens the trace).
    pub journey_request: Option<(String, usize, std::time::SystemTime)>,
    /// Draws more about the selected message (its MQTT 5 properties, from the protocol trace).
    pub more_detail: Option<MoreDetail>,
    new_filter: String,
    new_qos: u8,
    new_filter_check: Result<TopicFilter, FilterError>,
    help: MatchHelp,
    topic_filter_text: String,
    topic_filter_error: Option<String>,
    search_text: String,
    view_as: ViewAs,
    paused: bool,
    received_at_pause: u64,
    follow: bool,
    view: FilteredView,
    view_dirty: bool,
    /// CHECK_TIME_PER_FRAME (tests set zero: one slice a frame).
    check_time_per_frame: std::time::Duration,
    seen_log_version: Option<u64>,
    seen_next_seq: u64,
    scroll_to_newest: bool,
    rows: HashMap<u64, RowText>,
    selected: Option<u64>,
    detail: Option<Detail>,
    capacity: usize,
    capacity_known: bool,
    /// The subscriber was started (by the first look at a watch tab, or the Start button) and not stopped.
    watching: bool,
    started_once: bool,
}

impl Default for MessagesPanel {
    fn default() -> Self {
        Self {
            journey_request: None,
            more_detail: None,
            new_filter: String::new(),
            new_qos: 0,
            new_filter_check: TopicFilter::parse(""),
            help: MatchHelp::default(),
            topic_filter_text: String::new(),
            topic_filter_error: None,
            search_text: String::new(),
            view_as: ViewAs::Auto,
            paused: false,
            received_at_pause: 0,
            follow: true,
            view: FilteredView::default(),
            view_dirty: true,
            check_time_per_frame: CHECK_TIME_PER_FRAME,
            seen_log_version: None,
            seen_next_seq: 0,
            scroll_to_newest: false,
            rows: HashMap::new(),
            selected: None,
            detail: None,
            capacity: crate::engine::watch::message_log::DEFAULT_CAPACITY,
            capacity_known: false,
            watching: false,
            started_once: false,
        }
    }
}

impl MessagesPanel {
    /// Starts the app's subscriber the first time a watch tab is shown (never again after a Stop).
    pub fn start_watching(&mut self) -> Option<Command> {
        if self.started_once {
            return None;
        }
        self.started_once = true;
        self.watching = true;
        Some(Command::Monitor(MonitorCommand::Start))
    }

    /// Narrows the log to a topic filter (the Topics tab's selection); an invalid one is shown as an error.
    pub fn set_topic_filter(&mut self, filter: &str) {
        self.topic_filter_text = filter.to_owned();
        self.apply_filters();
    }

    pub fn topic_filter_text(&self) -> &str {
        &self.topic_filter_text
    }

    /// How payloads are shown and whether the list follows the newest message (remembered between runs).
    pub fn display_choices(&self) -> (ViewAs, bool) {
        (self.view_as, self.follow)
    }

    pub fn set_display_choices(&mut self, view_as: ViewAs, follow: bool) {
        self.view_as = view_as;
        self.follow = follow;
        // Rows were formatted for the old view.
        self.rows.clear();
    }

    /// How many messages the filters let through (as of the last update).
    pub fn shown_count(&self) -> usize {
        self.view.len()
    }

    fn apply_filters(&mut self) {
        let text = self.topic_filter_text.trim();
        let topic = if text.is_empty() {
            self.topic_filter_error = None;
            None
        } else {
            match TopicFilter::parse(text) {
                Ok(filter) => {
                    self.topic_filter_error = None;
                    Some(filter)
                }
                Err(err) => {
                    // Keep showing what the last valid filter let through.
                    self.topic_filter_error = Some(err.to_string());
                    return;
                }
            }
        };
        self.view.set_filter(LogFilter {
            topic,
            text: self.search_text.clone(),
        });
        self.view_dirty = true;
        self.scroll_to_newest = self.follow;
    }

    /// The app calls this with the file the user chose for an export or an import.
    pub fn file_chosen(&self, purpose: FilePurpose, path: &Path) -> Option<Command> {
        let command = match purpose {
            FilePurpose::ExportLog => {
                let csv = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                MonitorCommand::Export {
                    path: path.to_path_buf(),
                    format: if csv {
                        ExportFormat::Csv
                    } else {
                        ExportFormat::JsonLines
                    },
                    filter: self.view.filter().clone(),
                }
            }
            FilePurpose::OpenRecording => MonitorCommand::Import(path.to_path_buf()),
            FilePurpose::OpenScenario
            | FilePurpose::SaveScenario
            | FilePurpose::ExportTrace
            | FilePurpose::OpenCourse
            | FilePurpose::ExportAccountsSheet
            | FilePurpose::ExportAccountsCsv
            | FilePurpose::OpenAccountsCsv => {
                return None;
            }
        };
        Some(Command::Monitor(command))
    }

    /// Draws the tab; returns the commands and file requests it produced.
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, log: &LogAccess) -> WatchOutput {
        let mut out = WatchOutput::default();
        let (log_len, capacity, received, next_seq) = log.read(|store| {
            (
                store.log.len(),
                store.log.limits().capacity,
                store.log.counters().total_received,
                store.log.next_seq(),
            )
        });
        if !self.capacity_known {
            self.capacity = capacity;
            self.capacity_known = true;
        }
        self.update_view(snapshot.monitor.log_version, next_seq, log);
        if self.view_dirty {
            // The rest of the log is checked in the next frames: at once while a new filter is
            // applied; at the data repaint rate while messages arrive faster than a frame checks
            // them (a flood), which would otherwise redraw the window as fast as it can.
            if self.view.applying_filter() {
                ui.ctx().request_repaint();
            } else {
                ui.ctx().request_repaint_after(CATCH_UP_EVERY);
            }
        }

        if self.selected.is_some() {
            egui::Panel::right("message_detail")
                .frame(crate::ui::panel_frame::side(ui.style()))
                .default_size(380.0)
                .min_size(260.0)
                .resizable(true)
                .show(ui, |ui| self.detail_ui(ui, log));
        }
        // The rest takes what the detail view leaves, so the table never runs under it.
        egui::CentralPanel::no_frame().show(ui, |ui| {
            self.main_ui(ui, snapshot, log, log_len, received, &mut out);
        });
        out
    }

    fn main_ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        log: &LogAccess,
        log_len: usize,
        received: u64,
        out: &mut WatchOutput,
    ) {
        let monitor = &snapshot.monitor;
        egui::CollapsingHeader::new(RichText::new("Subscriptions").strong())
            .default_open(true)
            .show(ui, |ui| self.subscriptions_ui(ui, snapshot, log, out));
        ui.separator();
        self.toolbar_ui(ui, snapshot, out);
        self.status_ui(ui, snapshot, log_len, received);
        ui.separator();

        if self.view.is_empty() {
            ui.add_space(8.0);
            if log_len == 0 {
                if !monitor.connected {
                    ui.label(
                        RichText::new(match &monitor.last_error {
                            Some(err) => format!("The app's subscriber is not connected: {err}"),
                            None => "The app's subscriber is not connected yet (is the broker running?)."
                                .to_owned(),
                        })
                        .color(WARN),
                    );
                }
                ui.label(
                    "No messages yet. Messages on the topics subscribed above appear here: publish one from the \
                     Publish tab, start a device group, or use mosquitto_pub.",
                );
            } else {
                ui.label("No message in the log matches the filters. Clear the Topic or Search field to see them all.");
            }
            return;
        }
        self.table_ui(ui, log);
    }

    /// Checks only what arrived since the last look, and only when the log changed: its version (as
    /// of the last snapshot) or its numbering (newer still) moved.
    fn update_view(&mut self, version: u64, next_seq: u64, log: &LogAccess) {
        let log_changed = self.seen_log_version != Some(version) || self.seen_next_seq != next_seq;
        if !(self.view_dirty || (log_changed && !self.paused)) {
            return;
        }
        let started = std::time::Instant::now();
        let (change, unchecked) = log.read(|store| {
            let mut change = ViewChange::default();
            loop {
                let slice = self.view.update_within(&store.log, CHECKS_PER_SLICE);
                change.added += slice.added;
                change.dropped += slice.dropped;
                change.rebuilt |= slice.rebuilt;
                let unchecked = self.view.unchecked(&store.log);
                if unchecked == 0 || started.elapsed() >= self.check_time_per_frame {
                    return (change, unchecked);
                }
            }
        });
        // What is left is checked in the next frames.
        self.view_dirty = unchecked > 0;
        self.seen_log_version = Some(version);
        self.seen_next_seq = next_seq;
        if (change.added > 0 || change.rebuilt) && self.follow && !self.paused {
            self.scroll_to_newest = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds `count` messages to the log, as the subscriber would.
    fn arrive(log: &LogAccess, count: usize) {
        let mut store = log.lock();
        for _ in 0..count {
            store
                .log
                .push_message(crate::engine::watch::LoggedMessage::new(
                    std::time::SystemTime::now(),
                    std::sync::Arc::from("flood/1"),
                    0,
                    false,
                    bytes::Bytes::from_static(b"21.5"),
                    1024,
                ));
        }
    }

    /// Draws one frame of the tab (a second after the last, so whatever egui animates has ended);
    /// returns the delays of the repaints asked for during it.
    fn frame(
        ctx: &egui::Context,
        panel: &mut MessagesPanel,
        log: &LogAccess,
        asked: &std::sync::Mutex<Vec<std::time::Duration>>,
    ) -> Vec<std::time::Duration> {
        asked.lock().unwrap().clear();
        let mut snapshot = Snapshot::default();
        snapshot.monitor.log_version = log.read(|store| store.log.next_seq());
        let input = egui::RawInput {
            time: Some(ctx.input(|i| i.time) + 1.0),
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1280.0, 800.0),
            )),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| {
            let _ = panel.ui(ui, &snapshot, log);
        });
        // No renderer takes the font texture here.
        output.textures_delta.clear();
        asked.lock().unwrap().clone()
    }

    #[test]
    fn a_flood_is_checked_at_the_data_repaint_rate_and_a_new_filter_at_once() {
        let ctx = egui::Context::default();
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = asked.clone();
        // Sees every request, also those egui folds into an earlier one.
        ctx.set_repaint_observer(move |info| record.lock().unwrap().push(info.delay));
        let log = LogAccess::default();
        let mut panel = MessagesPanel {
            // Not following the newest: egui asks for a frame after each scroll, which is not this.
            follow: false,
            // One slice a frame, whatever this machine's speed.
            check_time_per_frame: std::time::Duration::ZERO,
            ..Default::default()
        };
        let at_once = std::time::Duration::ZERO;

        // A new filter over more than a frame checks: the next slice follows at once.
        arrive(&log, 5 * CHECKS_PER_SLICE + 1_000);
        panel.set_topic_filter("flood/#");
        let delays = frame(&ctx, &mut panel, &log, &asked);
        assert!(delays.contains(&at_once), "asked for {delays:?}");
        for _ in 0..10 {
            if !panel.view_dirty {
                break;
            }
            frame(&ctx, &mut panel, &log, &asked);
        }
        assert!(!panel.view_dirty, "the filter was applied to the whole log");

        // A flood: more arrive between two frames than one frame checks. The rest waits for the
        // next data repaint instead of redrawing the window as fast as it can.
        arrive(&log, CHECKS_PER_SLICE + 1_000);
        let delays = frame(&ctx, &mut panel, &log, &asked);
        assert!(panel.view_dirty, "more arrived than a frame checks");
        assert!(!delays.contains(&at_once), "asked for {delays:?}");
        assert!(delays.contains(&CATCH_UP_EVERY), "asked for {delays:?}");
        // And the next frame catches up.
        frame(&ctx, &mut panel, &log, &asked);
        assert!(!panel.view_dirty, "the flood was checked");
        assert_eq!(panel.view.len(), log.read(|store| store.log.len()));

        // With time to spare, one frame checks as many slices as the arrivals take.
        panel.check_time_per_frame = std::time::Duration::MAX;
        arrive(&log, 6 * CHECKS_PER_SLICE);
        frame(&ctx, &mut panel, &log, &asked);
        assert!(
            !panel.view_dirty,
            "the whole flood was checked in one frame"
        );
        assert_eq!(panel.view.len(), log.read(|store| store.log.len()));
    }

    #[test]
    fn export_format_follows_the_extension() {
        let panel = MessagesPanel::default();
        let csv = panel.file_chosen(FilePurpose::ExportLog, Path::new("/tmp/a.CSV"));
        assert!(matches!(
            csv,
            Some(Command::Monitor(MonitorCommand::Export {
                format: ExportFormat::Csv,
                ..
            }))
        ));
        let jsonl = panel.file_chosen(FilePurpose::ExportLog, Path::new("/tmp/a.txt"));
        assert!(matches!(
            jsonl,
            Some(Command::Monitor(MonitorCommand::Export {
                format: ExportFormat::JsonLines,
                ..
            }))
        ));
        assert!(matches!(
            panel.file_chosen(FilePurpose::OpenRecording, Path::new("/tmp/r.jsonl")),
            Some(Command::Monitor(MonitorCommand::Import(_)))
        ));
    }

    #[test]
    fn an_invalid_topic_filter_keeps_the_last_valid_one() {
        let mut panel = MessagesPanel::default();
        panel.set_topic_filter("home/#");
        assert!(panel.topic_filter_error.is_none());
        panel.set_topic_filter("home/#/x");
        assert!(panel.topic_filter_error.is_some());
        assert_eq!(
            panel.view.filter().topic.as_ref().map(TopicFilter::as_str),
            Some("home/#")
        );
    }
}
