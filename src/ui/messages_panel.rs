//! The Messages tab: the app's subscriptions (with a "does this filter match?" helper), the message log
//! as a table laid out only where visible, its filters, pause / follow / clear, export and import, and the
//! detail view of one message.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use eframe::egui::{self, Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::engine::monitor::{ExportFormat, LogAccess, LogStore, MonitorCommand};
use crate::engine::watch::{
    FilterError, FilteredView, LogFilter, LoggedMessage, TopicFilter, ViewAs, full_text, preview,
};
use crate::engine::{Command, Snapshot};

use super::file_dialog::FilePurpose;
use super::format;

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

/// A warning colour readable on light and dark themes alike.
pub(crate) const WARN: Color32 = Color32::from_rgb(0xd0, 0x40, 0x30);
/// A "yes, this matches" colour readable on light and dark themes alike.
pub(crate) const GOOD: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x4a);

/// Characters of payload in a table row; more would never fit on screen.
const PREVIEW_CHARS: usize = 160;
/// Rows remembered with their text already formatted; beyond this the cache starts over.
const ROW_CACHE_LIMIT: usize = 2_000;
/// How many log messages one frame checks against a new filter (a few milliseconds' work).
const CHECKS_PER_FRAME: usize = 50_000;
/// The detail view shows at most this much text (Copy still copies all of it).
const DETAIL_SHOWN_BYTES: usize = 64 * 1024;
/// How many recent log messages the "does this filter match?" helper looks at.
const HELPER_RECENT_MESSAGES: usize = 500;
/// How many distinct recent topics the helper lists.
const HELPER_TOPICS: usize = 24;

/// `HH:MM:SS.mmm` in UTC (the log's time column).
pub(crate) fn clock_time(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        since_epoch.subsec_millis()
    )
}

/// Swaps the marks payload views use for line breaks (⏎) and undecodable bytes (U+FFFD) for ones
/// every bundled font can draw (`\n` and `?`), so no row shows an empty box.
pub(crate) fn displayable(text: String) -> String {
    if text.contains(['\u{23CE}', '\u{FFFD}']) {
        text.replace('\u{23CE}', "\\n").replace('\u{FFFD}', "?")
    } else {
        text
    }
}

/// A labelled single-line text field; returns the field's response.
pub(crate) fn labelled_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label.id)
}

/// A labelled QoS chooser (0, 1, 2).
pub(crate) fn qos_combo(ui: &mut egui::Ui, salt: &str, qos: &mut u8) {
    let label = ui.label("QoS");
    egui::ComboBox::from_id_salt(salt)
        .selected_text(qos.to_string())
        .width(44.0)
        .show_ui(ui, |ui| {
            for level in 0..=2u8 {
                ui.selectable_value(qos, level, level.to_string());
            }
        })
        .response
        .labelled_by(label.id);
}

fn view_as_label(view: ViewAs) -> &'static str {
    match view {
        ViewAs::Auto => "Auto",
        ViewAs::Text => "Text",
        ViewAs::Json => "JSON",
        ViewAs::Hex => "Hex",
    }
}

fn view_as_combo(ui: &mut egui::Ui, salt: &str, label: &str, view: &mut ViewAs) -> bool {
    let before = *view;
    let label = ui.label(label);
    egui::ComboBox::from_id_salt(salt)
        .selected_text(view_as_label(*view))
        .width(64.0)
        .show_ui(ui, |ui| {
            for choice in [ViewAs::Auto, ViewAs::Text, ViewAs::Json, ViewAs::Hex] {
                ui.selectable_value(view, choice, view_as_label(choice));
            }
        })
        .response
        .labelled_by(label.id);
    before != *view
}

/// One table row's text, formatted once.
#[derive(Clone)]
struct RowText {
    time: String,
    topic: Arc<str>,
    qos: u8,
    retain: bool,
    size: String,
    preview: String,
}

impl RowText {
    fn of(message: &LoggedMessage, view: ViewAs) -> Self {
        let resolved = view.resolve(&message.payload);
        let mut size = format::bytes(message.original_payload_len() as u64);
        if message.is_truncated() {
            size.push_str(" (cut)");
        }
        Self {
            time: clock_time(message.received_at),
            topic: message.topic.clone(),
            qos: message.qos,
            retain: message.retain,
            size,
            preview: displayable(preview(&message.payload, resolved.kind, PREVIEW_CHARS)),
        }
    }
}

/// The message shown in the detail view, copied out of the log so eviction cannot take it away.
struct Detail {
    seq: u64,
    view: ViewAs,
    topic: Arc<str>,
    time: SystemTime,
    qos: u8,
    retain: bool,
    size: usize,
    kept: usize,
    truncated: bool,
    note: Option<String>,
    /// The whole formatted payload (for Copy).
    full: String,
    /// What is drawn: the start of `full` when it is very long.
    shown: String,
    payload: bytes::Bytes,
}

impl Detail {
    fn of(message: &LoggedMessage, view: ViewAs) -> Self {
        let mut detail = Self {
            seq: message.seq,
            view,
            topic: message.topic.clone(),
            time: message.received_at,
            qos: message.qos,
            retain: message.retain,
            size: message.original_payload_len(),
            kept: message.payload.len(),
            truncated: message.is_truncated(),
            note: None,
            full: String::new(),
            shown: String::new(),
            payload: message.payload.clone(),
        };
        detail.format(view);
        detail
    }

    fn format(&mut self, view: ViewAs) {
        let resolved = view.resolve(&self.payload);
        self.view = view;
        self.note = resolved.note;
        self.full = full_text(&self.payload, resolved.kind);
        self.shown = displayable(if self.full.len() > DETAIL_SHOWN_BYTES {
            let mut cut = DETAIL_SHOWN_BYTES;
            while !self.full.is_char_boundary(cut) {
                cut -= 1;
            }
            self.full.get(..cut).unwrap_or_default().to_owned()
        } else {
            self.full.clone()
        });
    }
}

/// Which recent topics the filter being typed would match.
#[derive(Default)]
struct MatchHelp {
    checked_text: String,
    checked_at: Option<Instant>,
    checked_version: u64,
    /// Newest first: (topic, matches).
    topics: Vec<(Arc<str>, bool)>,
}

/// The Messages tab's state, kept between frames.
pub struct MessagesPanel {
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
            FilePurpose::OpenScenario | FilePurpose::SaveScenario => return None,
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
            // The rest of the log is checked in the next frames.
            ui.ctx().request_repaint();
        }

        if self.selected.is_some() {
            egui::Panel::right("message_detail")
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
        let (change, unchecked) = log.read(|store| {
            let change = self.view.update_within(&store.log, CHECKS_PER_FRAME);
            (change, self.view.unchecked(&store.log))
        });
        // A new filter over a full log is applied a slice a frame, so neither the window nor the
        // subscriber writing the log waits for one long pass.
        self.view_dirty = unchecked > 0;
        self.seen_log_version = Some(version);
        self.seen_next_seq = next_seq;
        if (change.added > 0 || change.rebuilt) && self.follow && !self.paused {
            self.scroll_to_newest = true;
        }
    }

    fn subscriptions_ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        log: &LogAccess,
        out: &mut WatchOutput,
    ) {
        // Side by side when there is room; the helper goes below the form in a narrow window.
        if ui.available_width() > 820.0 {
            ui.columns(2, |columns| {
                if let [left, right] = columns {
                    self.subscription_list_ui(left, snapshot, out);
                    self.help_ui(right, snapshot, log);
                }
            });
        } else {
            self.subscription_list_ui(ui, snapshot, out);
            ui.add_space(4.0);
            self.help_ui(ui, snapshot, log);
        }
    }

    fn subscription_list_ui(
        &mut self,
        left: &mut egui::Ui,
        snapshot: &Snapshot,
        out: &mut WatchOutput,
    ) {
        let monitor = &snapshot.monitor;
        if monitor.subscriptions.is_empty() {
            left.weak("No subscriptions: the log stays empty until you add one (\"#\" means every topic).");
        }
        for (filter, qos) in &monitor.subscriptions {
            left.horizontal(|ui| {
                ui.monospace(filter);
                ui.label(format!("QoS {qos}"));
                if ui
                    .small_button("Unsubscribe")
                    .on_hover_text(format!("Stop receiving messages on \"{filter}\""))
                    .clicked()
                {
                    out.monitor(MonitorCommand::Unsubscribe {
                        filter: filter.clone(),
                    });
                }
            });
        }
        left.add_space(4.0);
        let mut submit = false;
        left.horizontal(|ui| {
            let field = labelled_field(
                ui,
                "Subscribe to",
                &mut self.new_filter,
                "e.g. sensors/+/temperature",
                220.0,
            );
            if field.changed() {
                self.new_filter_check = TopicFilter::parse(self.new_filter.trim());
            }
            if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                submit = true;
            }
            qos_combo(ui, "subscribe_qos", &mut self.new_qos);
            let valid = self.new_filter_check.is_ok();
            if ui
                .add_enabled(valid, egui::Button::new("Subscribe"))
                .clicked()
            {
                submit = true;
            }
        });
        match &self.new_filter_check {
            Err(FilterError::Empty) if self.new_filter.is_empty() => {}
            Err(err) => {
                left.label(RichText::new(err.to_string()).color(WARN));
            }
            Ok(filter) if filter.as_str().starts_with("$SYS") => {
                left.label(
                    RichText::new("rumqttd disconnects clients that subscribe to $SYS topics.")
                        .color(WARN),
                );
            }
            Ok(_) => {}
        }
        if submit && let Ok(filter) = &self.new_filter_check {
            out.monitor(MonitorCommand::Subscribe {
                filter: filter.as_str().to_owned(),
                qos: self.new_qos,
            });
            self.new_filter.clear();
            self.new_filter_check = TopicFilter::parse("");
            // Subscribing starts the subscriber, as Publish does.
            self.watching = true;
            self.started_once = true;
        }
    }

    /// The teaching aid: which recent topics would the filter being typed match?
    fn help_ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, log: &LogAccess) {
        ui.strong("Does this filter match?");
        let Ok(filter) = &self.new_filter_check else {
            ui.weak("Type a filter in \"Subscribe to\" to see which recent topics it matches.");
            return;
        };
        let version = snapshot.monitor.log_version;
        let stale = self.help.checked_text != filter.as_str()
            || (self.help.checked_version != version
                && self
                    .help
                    .checked_at
                    .is_none_or(|at| at.elapsed() >= Duration::from_secs(1)));
        if stale {
            self.help.topics = log.read(|store| recent_topics(store, filter));
            self.help.checked_text = filter.as_str().to_owned();
            self.help.checked_version = version;
            self.help.checked_at = Some(Instant::now());
        }
        if self.help.topics.is_empty() {
            ui.weak("No messages in the log yet to try it on.");
            return;
        }
        let matched = self.help.topics.iter().filter(|(_, m)| *m).count();
        ui.label(format!(
            "\"{}\" matches {matched} of the {} most recent topics:",
            filter.as_str(),
            self.help.topics.len()
        ));
        egui::ScrollArea::vertical()
            .id_salt("filter_help")
            .max_height(120.0)
            .show(ui, |ui| {
                for (topic, matches) in &self.help.topics {
                    let shown = if topic.is_empty() {
                        "(empty topic)"
                    } else {
                        topic
                    };
                    if *matches {
                        ui.label(RichText::new(format!("● {shown}")).monospace().color(GOOD));
                    } else {
                        ui.label(RichText::new(format!("○ {shown}")).monospace().weak());
                    }
                }
            });
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, out: &mut WatchOutput) {
        // Labels move to the next row whole instead of being squeezed letter by letter.
        let wrap_before = ui.style().wrap_mode;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        ui.horizontal_wrapped(|ui| {
            let topic = labelled_field(
                ui,
                "Topic",
                &mut self.topic_filter_text,
                "filter, e.g. home/#",
                170.0,
            );
            let search = labelled_field(
                ui,
                "Search",
                &mut self.search_text,
                "text in topic or payload",
                150.0,
            );
            if super::keyboard::take_log_filter_focus(ui.ctx()) {
                topic.request_focus();
            }
            if topic.changed() || search.changed() {
                self.apply_filters();
            }
            if view_as_combo(ui, "log_view_as", "Show payload as", &mut self.view_as) {
                self.rows.clear();
            }
        });
        ui.horizontal_wrapped(|ui| {
            let pause_label = if self.paused { "Resume" } else { "Pause" };
            if ui
                .button(pause_label)
                .on_hover_text("Pause freezes the list; messages are still received and counted (Space)")
                .clicked()
                || super::keyboard::take_pause_toggle(ui.ctx())
            {
                self.paused = !self.paused;
                self.received_at_pause = snapshot.monitor.received_total;
                if !self.paused && self.follow {
                    self.scroll_to_newest = true;
                }
            }
            if ui
                .checkbox(&mut self.follow, "Follow newest")
                .changed()
                && self.follow
            {
                self.scroll_to_newest = true;
            }
            let (label, hint, command) = if self.watching {
                (
                    "Stop subscriber",
                    "Disconnect the app's subscriber; the log and its subscriptions are kept",
                    MonitorCommand::Stop,
                )
            } else {
                (
                    "Start subscriber",
                    "Connect the app's subscriber and receive messages again",
                    MonitorCommand::Start,
                )
            };
            if ui.button(label).on_hover_text(hint).clicked() {
                self.watching = !self.watching;
                self.started_once = true;
                out.monitor(command);
            }
            if ui
                .button("Clear log")
                .on_hover_text("Empty the log (the totals keep counting)")
                .clicked()
            {
                out.monitor(MonitorCommand::ClearLog);
                self.selected = None;
                self.detail = None;
            }
            ui.separator();
            if ui
                .button("Export…")
                .on_hover_text(
                    "Save the messages the filters let through, as JSON Lines (.jsonl) or CSV (.csv)",
                )
                .clicked()
            {
                out.files.push(FilePurpose::ExportLog);
            }
            if ui
                .button("Open recording…")
                .on_hover_text("Load a recorded JSON Lines file into the log")
                .clicked()
            {
                out.files.push(FilePurpose::OpenRecording);
            }
            ui.separator();
            let label = ui.label("Keep");
            ui.add(
                egui::DragValue::new(&mut self.capacity)
                    .range(100..=1_000_000)
                    .speed(100.0)
                    .suffix(" messages"),
            )
            .labelled_by(label.id);
            if ui
                .button("Apply")
                .on_hover_text("How many messages the log keeps; older ones make room")
                .clicked()
            {
                out.monitor(MonitorCommand::SetLogCapacity(self.capacity));
            }
        });
        ui.style_mut().wrap_mode = wrap_before;
        if let Some(err) = &self.topic_filter_error {
            ui.label(RichText::new(format!("Topic filter: {err}")).color(WARN));
        }
    }

    /// `received` and `log_len` come from one look at the log, so they always agree.
    fn status_ui(&self, ui: &mut egui::Ui, snapshot: &Snapshot, log_len: usize, received: u64) {
        let monitor = &snapshot.monitor;
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} received · {}/s · showing {} of {} kept",
                format::count(received),
                format::count(monitor.received_per_s),
                format::count(self.view.len() as u64),
                format::count(log_len as u64),
            ));
            if self.paused {
                ui.label(
                    RichText::new(format!(
                        "Paused: {} more arrived since (still counted)",
                        format::count(
                            monitor
                                .received_total
                                .saturating_sub(self.received_at_pause)
                        )
                    ))
                    .color(WARN),
                );
            }
            if monitor.connected {
                ui.weak(format!("subscriber connected to {}", monitor.target));
            } else if let Some(err) = &monitor.last_error {
                ui.label(RichText::new(format!("subscriber: {err}")).color(WARN));
            }
            if let Some(path) = &monitor.recording {
                ui.label(RichText::new(format!("recording to {}", path.display())).color(WARN));
            }
        });
        if monitor.connected
            && let Some(err) = &monitor.last_error
        {
            ui.label(RichText::new(err).color(WARN));
        }
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, log: &LogAccess) {
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let count = self.view.len();
        // While the pointer is over the rows they hold still, so the row under it can be clicked;
        // following resumes when it leaves.
        let pointer_over_rows = ui.rect_contains_pointer(ui.available_rect_before_wrap());
        let mut table = TableBuilder::new(ui)
            .id_salt("message_log")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .auto_shrink([false, false])
            .animate_scrolling(false)
            .column(Column::initial(100.0).at_least(90.0))
            .column(Column::initial(260.0).at_least(80.0).clip(true))
            .column(Column::initial(44.0).at_least(40.0))
            .column(Column::initial(56.0).at_least(50.0))
            .column(Column::initial(80.0).at_least(60.0))
            .column(Column::remainder().at_least(120.0).clip(true));
        if self.scroll_to_newest && !pointer_over_rows && count > 0 {
            self.scroll_to_newest = false;
            table = table.scroll_to_row(count - 1, Some(egui::Align::BOTTOM));
        }
        let view = &self.view;
        // Bounded every frame, paused or not: scrolling through a full log must not cache all of it.
        if self.rows.len() > ROW_CACHE_LIMIT {
            self.rows.clear();
        }
        let rows = &mut self.rows;
        let view_as = self.view_as;
        let selected = self.selected;
        let mut clicked = None;
        table
            .header(row_height, |mut header| {
                for title in ["Time (UTC)", "Topic", "QoS", "Retain", "Size", "Payload"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, count, |mut row| {
                    let Some(seq) = view.seq_at(row.index()) else {
                        return;
                    };
                    let text = match rows.entry(seq) {
                        Entry::Occupied(entry) => entry.into_mut(),
                        Entry::Vacant(entry) => {
                            let text = log.read(|store: &LogStore| {
                                store
                                    .log
                                    .get_by_seq(seq)
                                    .map(|message| RowText::of(message, view_as))
                            });
                            let Some(text) = text else {
                                row.col(|ui| {
                                    ui.weak("(no longer in the log)");
                                });
                                return;
                            };
                            entry.insert(text)
                        }
                    };
                    row.set_selected(selected == Some(seq));
                    let plain = |ui: &mut egui::Ui, text: &str| {
                        ui.add(egui::Label::new(text).selectable(false).truncate());
                    };
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(RichText::new(&text.time).monospace())
                                .selectable(false),
                        );
                    });
                    row.col(|ui| plain(ui, &text.topic));
                    row.col(|ui| plain(ui, &text.qos.to_string()));
                    row.col(|ui| plain(ui, if text.retain { "retained" } else { "" }));
                    row.col(|ui| plain(ui, &text.size));
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(RichText::new(&text.preview).monospace())
                                .selectable(false)
                                .truncate(),
                        );
                    });
                    if row.response().clicked() {
                        clicked = Some(seq);
                    }
                });
            });
        if let Some(seq) = clicked {
            self.select(seq, log);
        }
    }

    fn select(&mut self, seq: u64, log: &LogAccess) {
        self.selected = Some(seq);
        let view = self.detail.as_ref().map_or(self.view_as, |d| d.view);
        self.detail = log.read(|store| {
            store
                .log
                .get_by_seq(seq)
                .map(|message| Detail::of(message, view))
        });
    }

    fn detail_ui(&mut self, ui: &mut egui::Ui, _log: &LogAccess) {
        let mut close = false;
        ui.horizontal(|ui| {
            ui.heading("Message");
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        let Some(detail) = &mut self.detail else {
            ui.label("This message is no longer in the log.");
            if close {
                self.selected = None;
            }
            return;
        };
        egui::Grid::new("message_detail_grid")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                ui.label("Topic");
                ui.add(egui::Label::new(RichText::new(&*detail.topic).monospace().strong()).wrap());
                ui.end_row();
                ui.label("Received");
                ui.label(format!(
                    "{} UTC",
                    crate::engine::watch::rfc3339::format_utc_millis(detail.time)
                ));
                ui.end_row();
                ui.label("QoS");
                ui.label(detail.qos.to_string());
                ui.end_row();
                ui.label("Retain");
                ui.label(if detail.retain {
                    "yes (a retained message)"
                } else {
                    "no"
                });
                ui.end_row();
                ui.label("Size");
                ui.label(format!(
                    "{} ({} bytes)",
                    format::bytes(detail.size as u64),
                    format::count(detail.size as u64)
                ));
                ui.end_row();
            });
        if detail.truncated {
            ui.label(
                RichText::new(format!(
                    "Only the first {} of {} were kept: the log cuts very large payloads.",
                    format::bytes(detail.kept as u64),
                    format::bytes(detail.size as u64)
                ))
                .color(WARN),
            );
        }
        ui.horizontal(|ui| {
            let mut view = detail.view;
            if view_as_combo(ui, "detail_view_as", "Show as", &mut view) {
                detail.format(view);
            }
            if ui.button("Copy payload").clicked() {
                ui.ctx().copy_text(detail.full.clone());
            }
            if ui.button("Copy topic").clicked() {
                ui.ctx().copy_text(detail.topic.to_string());
            }
        });
        if let Some(note) = &detail.note {
            ui.label(RichText::new(note).color(WARN));
        }
        if detail.shown.len() < detail.full.len() {
            ui.weak(format!(
                "Showing the first {} of the formatted payload; Copy payload copies all of it.",
                format::bytes(detail.shown.len() as u64)
            ));
        }
        ui.separator();
        egui::ScrollArea::both()
            .id_salt("detail_payload")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let label = ui.label(format!("Payload of message {}", detail.seq));
                let mut shown = detail.shown.as_str();
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .code_editor()
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            });
        if close {
            self.selected = None;
            self.detail = None;
        }
    }
}

/// The distinct topics of the most recent log messages, newest first, each with whether `filter` matches it.
fn recent_topics(store: &LogStore, filter: &TopicFilter) -> Vec<(Arc<str>, bool)> {
    let log = &store.log;
    let start = log.len().saturating_sub(HELPER_RECENT_MESSAGES);
    let mut seen: Vec<(Arc<str>, bool)> = Vec::with_capacity(HELPER_TOPICS);
    for message in log.range(start..).rev() {
        if seen.len() >= HELPER_TOPICS {
            break;
        }
        if seen.iter().any(|(topic, _)| *topic == message.topic) {
            continue;
        }
        seen.push((message.topic.clone(), filter.matches(&message.topic)));
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_time_is_utc_with_millis() {
        let t = UNIX_EPOCH + Duration::from_millis(86_400_000 + 3_723_045);
        assert_eq!(clock_time(t), "01:02:03.045");
    }

    #[test]
    fn marks_without_a_glyph_are_swapped() {
        assert_eq!(displayable("a\u{23CE}b\u{FFFD}".to_owned()), "a\\nb?");
        assert_eq!(displayable("plain".to_owned()), "plain");
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
