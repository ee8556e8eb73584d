//! The "Connect here" card: where clients should connect, with copyable commands and code.

use eframe::egui;

use crate::engine::connect_info::{self, ClientAddress, Target};
use crate::engine::{BrokerStatus, RunningInfo, Snapshot};

/// The card's state: which address the snippets use, and the addresses found when the broker started.
#[derive(Default)]
pub struct ConnectCard {
    chosen: usize,
    addresses: AddressCache,
}

/// The addresses clients can use, looked up once per broker start: listing network interfaces every
/// frame would be wasted work. Shared by this card and presenter view's.
#[derive(Default)]
pub struct AddressCache {
    found: Option<(std::time::Instant, Vec<ClientAddress>)>,
}

impl AddressCache {
    /// The addresses for this run of the broker (looked up on its first call after a start).
    pub fn addresses_for(&mut self, info: &RunningInfo) -> Vec<ClientAddress> {
        match &self.found {
            Some((started, addresses)) if *started == info.started => addresses.clone(),
            _ => {
                let addresses = connect_info::client_addresses(info.settings.bind);
                self.found = Some((info.started, addresses.clone()));
                addresses
            }
        }
    }
}

impl ConnectCard {
    /// Draws the card; returns text the user copied, for the activity list.
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) -> Option<String> {
        ui.heading("Connect here");
        let BrokerStatus::Running(info) = &snapshot.broker else {
            ui.label("Start the broker to see where clients connect.");
            return None;
        };
        let addresses = self.addresses.addresses_for(info);
        let mut copied = None;
        ui.label("Clients use any of these addresses:");
        let mut chosen = self.chosen.min(addresses.len().saturating_sub(1));
        for (i, address) in addresses.iter().enumerate() {
            ui.radio_value(
                &mut chosen,
                i,
                format!("{}:{}  ({})", address.ip, info.tcp.port(), address.scope),
            );
        }
        self.chosen = chosen;
        let host = addresses.get(chosen).map(|a| a.ip)?;
        if info.settings.credentials.is_some() {
            ui.label("Sign-in is on: the snippets carry the user name and password.");
        }
        ui.add_space(4.0);
        for snippet in connect_info::snippets(&Target {
            host,
            tcp_port: info.tcp.port(),
            websocket_port: info.websocket.map(|w| w.port()),
            credentials: info.settings.credentials.as_ref(),
        }) {
            let title = ui.horizontal(|ui| {
                let title = ui.strong(snippet.title);
                if ui
                    .small_button("Copy")
                    .on_hover_text("Copy to the clipboard")
                    .clicked()
                {
                    ui.ctx().copy_text(snippet.text.clone());
                    copied = Some(format!("copied: {}", snippet.title));
                }
                title.id
            });
            // A read-only text box: selectable like a terminal, but nothing to edit.
            let mut shown = snippet.text.as_str();
            ui.add(
                egui::TextEdit::multiline(&mut shown)
                    .code_editor()
                    .desired_rows(1)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(title.inner);
        }
        copied
    }
}
