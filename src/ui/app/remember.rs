//! The window's side of remembering: what it saves from its panels and the engine, what it puts back.

use eframe::egui;

use crate::engine::Command;
use crate::engine::monitor::MonitorCommand;
use crate::ui::persisted::{MAX_SERIES, MAX_SUBSCRIPTIONS, Persisted, SavedBroker, SavedSeries};

use super::{PlaygroundApp, Tab};

impl PlaygroundApp {
    /// Puts back what was saved. The broker's settings are the caller's (flags win over saved ones);
    /// the tab is `saved`'s unless the caller chooses one afterwards.
    pub fn restore(mut self, saved: &Persisted, ctx: &egui::Context) -> Self {
        self.remember_password = saved.remember_password;
        if let Some(tab) = saved
            .tab
            .as_deref()
            .and_then(|label| Tab::ALL.into_iter().find(|t| t.label() == label))
        {
            self.tab = tab;
        }
        if let Some(path) = &saved.scenario_path {
            self.devices.scenario_path = Some(path.clone());
        }
        if !saved.log_topic_filter.is_empty() {
            self.messages.set_topic_filter(&saved.log_topic_filter);
        }
        self.messages
            .set_display_choices(saved.log_view_as, saved.log_follow);
        // Subscribing would connect the app's subscriber now; they wait for the first look at a watch tab.
        self.saved_subscriptions = Some(
            saved
                .subscriptions
                .iter()
                .take(MAX_SUBSCRIPTIONS)
                .cloned()
                .collect(),
        );
        for series in saved.series.iter().take(MAX_SERIES) {
            self.send(Command::Monitor(MonitorCommand::AddSeries {
                filter: series.filter.clone(),
                field: series.field.clone(),
            }));
        }
        self.theme = saved.theme;
        ctx.set_theme(saved.theme.preference());
        crate::ui::settings_menu::set_zoom(ctx, saved.zoom);
        self.welcome.dismissed = saved.welcome_dismissed;
        self.welcome.visible = !saved.welcome_dismissed;
        self.presenter.theme = saved.presenter_theme;
        self
    }

    /// What would be saved now.
    pub fn remembered(&self, ctx: &egui::Context) -> Persisted {
        let snapshot = self.engine.snapshot();
        let broker = match self.broker.form.to_settings() {
            Ok(settings) => SavedBroker::of(&settings, self.remember_password),
            // A half-typed form is not remembered; the settings the broker runs with are.
            Err(_) => match &snapshot.broker {
                crate::engine::BrokerStatus::Running(info) => {
                    SavedBroker::of(&info.settings, self.remember_password)
                }
                _ => SavedBroker::default(),
            },
        };
        let subscriptions = match &self.saved_subscriptions {
            Some(waiting) => waiting.clone(),
            None => snapshot.monitor.subscriptions.clone(),
        };
        let series = self.engine.log().read(|store| {
            store
                .series
                .iter()
                .map(|s| SavedSeries {
                    filter: s.filter.clone(),
                    field: s.field.as_ref().map(|f| f.to_string()),
                })
                .collect()
        });
        Persisted {
            broker,
            remember_password: self.remember_password,
            tab: Some(self.tab.label().to_owned()),
            scenario_path: self.devices.scenario_path.clone(),
            subscriptions,
            series,
            log_topic_filter: self.messages.topic_filter_text().to_owned(),
            log_view_as: self.messages.display_choices().0,
            log_follow: self.messages.display_choices().1,
            theme: self.theme,
            // Presenter view's zoom is for the projector; the user's own is the one remembered.
            zoom: self.presenter.zoom_to_remember(ctx),
            welcome_dismissed: self.welcome.dismissed,
            presenter_theme: self.presenter.theme,
        }
    }

    /// The saved subscriptions, once: sent just before the subscriber first starts.
    pub(super) fn take_saved_subscriptions(&mut self) -> Vec<Command> {
        self.saved_subscriptions
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|(filter, qos)| Command::Monitor(MonitorCommand::Subscribe { filter, qos }))
            .collect()
    }

    /// Settings menu → Reset to defaults: the remembered things go back to how a first start has them.
    /// The running broker and devices are left alone; the broker form shows the default settings
    /// for the next Start.
    pub fn reset_to_defaults(&mut self, ctx: &egui::Context) {
        let defaults = Persisted::default();
        self.set_presenter(ctx, false);
        self.presenter.theme = defaults.presenter_theme;
        self.broker.form = super::super::broker_panel::BrokerForm::from_settings(
            &crate::engine::BrokerSettings::default(),
        );
        self.remember_password = false;
        self.tab = Tab::Clients;
        self.devices.scenario_path = None;
        self.messages.set_topic_filter("");
        self.messages
            .set_display_choices(defaults.log_view_as, defaults.log_follow);
        let subscribed = self.engine.snapshot().monitor.subscriptions.clone();
        for (filter, _) in &subscribed {
            if filter != "#" {
                self.send(Command::Monitor(MonitorCommand::Unsubscribe {
                    filter: filter.clone(),
                }));
            }
        }
        // A subscriber that never started gets `#` on its own; one that runs is given it back.
        if self.saved_subscriptions.is_some() {
            self.saved_subscriptions = Some(Vec::new());
        } else if !subscribed.iter().any(|(f, _)| f == "#") {
            self.send(Command::Monitor(MonitorCommand::Subscribe {
                filter: "#".to_owned(),
                qos: 0,
            }));
        }
        self.send(Command::Monitor(MonitorCommand::ClearSeries));
        self.theme = defaults.theme;
        ctx.set_theme(defaults.theme.preference());
        ctx.set_zoom_factor(defaults.zoom);
        ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(egui::vec2(1280.0, 800.0)));
        self.welcome.visible = true;
        self.welcome.dismissed = false;
        self.activity.note_good(
            "settings reset to their defaults (the broker and devices keep running)".to_owned(),
        );
    }
}

impl PlaygroundApp {
    /// For tests: the subscriptions waiting for the subscriber's first start.
    pub fn waiting_subscriptions(&self) -> Option<&[(String, u8)]> {
        self.saved_subscriptions.as_deref()
    }
}
