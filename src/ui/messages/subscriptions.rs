//! The app's subscriptions: the list with Unsubscribe, the Subscribe form, and the "does this filter
//! match?" helper that tries the filter being typed on recent topics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};

use crate::engine::Snapshot;
use crate::engine::monitor::{LogAccess, LogStore, MonitorCommand};
use crate::engine::watch::{FilterError, TopicFilter};
use crate::ui::widgets::{GOOD, WARN, labelled_field, qos_combo};

use super::{MessagesPanel, WatchOutput};

/// How many recent log messages the "does this filter match?" helper looks at.
const HELPER_RECENT_MESSAGES: usize = 500;
/// How many distinct recent topics the helper lists.
const HELPER_TOPICS: usize = 24;

/// Which recent topics the filter being typed would match.
#[derive(Default)]
pub(super) struct MatchHelp {
    checked_text: String,
    checked_at: Option<Instant>,
    checked_version: u64,
    /// Newest first: (topic, matches).
    topics: Vec<(Arc<str>, bool)>,
}

impl MessagesPanel {
    pub(super) fn subscriptions_ui(
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
