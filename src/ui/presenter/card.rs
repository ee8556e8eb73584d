//! Presenter view's big "Connect here" card: the broker's address in large type, a QR code of the
//! connection string for phone apps (the exact string printed under it), the WebSocket URL and
//! whether sign-in is on.

use std::net::IpAddr;

use eframe::egui::{self, RichText};

use crate::engine::connect_info::{self, ClientAddress};
use crate::engine::{BrokerStatus, Snapshot};
use crate::ui::connect_card::AddressCache;

use super::qr::QrTexture;

/// What the card shows, gathered from a running broker (or fixed, in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectDetails {
    /// Where clients can reach the broker (loopback first, as the engine lists them).
    pub addresses: Vec<ClientAddress>,
    pub tcp_port: u16,
    pub ws_port: Option<u16>,
    /// The sign-in user name when sign-in is on (never the password).
    pub username: Option<String>,
}

/// Which connection the QR code carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrFor {
    #[default]
    Mqtt,
    WebSocket,
}

/// The card's state: the presenter's choice of address and code, and the QR texture.
#[derive(Default)]
pub struct PresenterCard {
    /// The address the presenter picked (`None`: the one other devices most likely reach).
    picked: Option<IpAddr>,
    qr_for: QrFor,
    addresses: AddressCache,
    qr: QrTexture,
}

impl PresenterCard {
    /// Draws the card for the broker in `snapshot`.
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) {
        match &snapshot.broker {
            BrokerStatus::Running(info) => {
                let details = ConnectDetails {
                    addresses: self.addresses.addresses_for(info),
                    tcp_port: info.tcp.port(),
                    ws_port: info.websocket.map(|w| w.port()),
                    username: info
                        .settings
                        .credentials
                        .as_ref()
                        .map(|c| c.username.clone()),
                };
                self.ui_for(ui, &details);
            }
            other => {
                ui.label(RichText::new("Connect here").heading().strong());
                ui.add_space(8.0);
                let why = match other {
                    BrokerStatus::Starting => "The broker is starting…",
                    BrokerStatus::Stopping => "The broker is stopping.",
                    BrokerStatus::Failed(_) => {
                        "The broker could not start: leave presenter view (F5) to see why in the Broker panel."
                    }
                    _ => {
                        "The broker is stopped: nobody can connect. Leave presenter view (F5) to start it in the Broker panel."
                    }
                };
                ui.label(RichText::new(why).size(large(ui)));
            }
        }
    }

    /// Draws the card for these details.
    pub fn ui_for(&mut self, ui: &mut egui::Ui, details: &ConnectDetails) {
        ui.label(RichText::new("Connect here").heading().strong());
        let Some(host) = self.host(details) else {
            ui.label("This computer has no address other devices can use.");
            return;
        };
        let big = large(ui);
        let address = std::net::SocketAddr::new(host, details.tcp_port).to_string();
        one_line(ui, &address, big * 1.4, true);
        if details.addresses.len() > 1 {
            self.address_picker(ui, details, host);
        }
        if host.is_loopback() {
            ui.label(
                RichText::new("Only this computer can use this address: open the broker to the network for phones and laptops.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
        let mqtt_url = connect_info::mqtt_url(host, details.tcp_port);
        let ws_url = details
            .ws_port
            .map(|port| connect_info::websocket_url(host, port));
        if ws_url.is_none() {
            self.qr_for = QrFor::Mqtt;
        }
        let coded = match (self.qr_for, &ws_url) {
            (QrFor::WebSocket, Some(ws)) => ws.clone(),
            _ => mqtt_url.clone(),
        };
        ui.add_space(6.0);
        match self.qr.texture(ui.ctx(), &coded) {
            Ok(texture) => {
                let side = ui.available_width().clamp(120.0, 260.0);
                ui.add(egui::Image::new(&texture).fit_to_exact_size(egui::vec2(side, side)));
                // Exactly the string the code carries, for typing in when a camera will not focus.
                one_line(ui, &coded, big, false);
            }
            Err(err) => {
                ui.label(RichText::new(err.to_string()).color(ui.visuals().error_fg_color));
            }
        }
        if let Some(ws) = &ws_url {
            ui.horizontal(|ui| {
                ui.label("QR code for:");
                ui.selectable_value(&mut self.qr_for, QrFor::Mqtt, "MQTT");
                ui.selectable_value(&mut self.qr_for, QrFor::WebSocket, "WebSocket");
            });
            if self.qr_for == QrFor::Mqtt {
                ui.label("Browsers (WebSocket):");
                one_line(ui, ws, body(ui), false);
            } else {
                ui.label("MQTT apps and libraries:");
                one_line(ui, &mqtt_url, body(ui), false);
            }
        }
        ui.add_space(6.0);
        match &details.username {
            Some(user) => ui.label(
                RichText::new(format!(
                    "Sign-in is on: user name {user} (ask for the password), or your own account"
                ))
                .strong(),
            ),
            None => ui.label("Sign-in is off: no user name or password needed."),
        };
    }

    /// The address on show: the presenter's pick while it is still one of the addresses.
    fn host(&self, details: &ConnectDetails) -> Option<IpAddr> {
        self.picked
            .filter(|ip| details.addresses.iter().any(|a| a.ip == *ip))
            .or_else(|| {
                connect_info::best_for_other_devices(&details.addresses)
                    .map(|i| details.addresses[i].ip)
            })
    }

    fn address_picker(&mut self, ui: &mut egui::Ui, details: &ConnectDetails, host: IpAddr) {
        let mut chosen = host;
        egui::ComboBox::from_label("Address")
            .selected_text(describe(details, host))
            .show_ui(ui, |ui| {
                for address in &details.addresses {
                    ui.selectable_value(&mut chosen, address.ip, describe(details, address.ip));
                }
            });
        if chosen != host {
            self.picked = Some(chosen);
        }
    }

    /// The connection string the QR code shows now, and its image (for tests that decode it).
    pub fn shown_qr(&self) -> Option<(&str, &egui::ColorImage)> {
        self.qr.shown()
    }
}

fn describe(details: &ConnectDetails, ip: IpAddr) -> String {
    let scope = details
        .addresses
        .iter()
        .find(|a| a.ip == ip)
        .map_or("", |a| a.scope.as_str());
    format!("{ip} ({scope})")
}

fn body(ui: &egui::Ui) -> f32 {
    ui.style().text_styles[&egui::TextStyle::Body].size
}

/// Large type for the card: 1.6 times the body size.
fn large(ui: &egui::Ui) -> f32 {
    body(ui) * 1.6
}

/// An address or URL on one line in monospace, `wanted` points tall unless that is too wide for the
/// card, then smaller until it fits: it is what people copy letter by letter, so it never wraps.
fn one_line(ui: &mut egui::Ui, text: &str, wanted: f32, strong: bool) {
    let width_at = |size: f32| {
        ui.painter()
            .layout_no_wrap(
                text.to_owned(),
                egui::FontId::monospace(size),
                egui::Color32::WHITE,
            )
            .size()
            .x
    };
    let room = ui.available_width().max(1.0);
    let wide = width_at(wanted);
    // Monospace width grows in step with the size; a little spare covers rounding to pixels.
    let size = if wide > room {
        (wanted * room / wide * 0.97).max(8.0)
    } else {
        wanted
    };
    let mut text = RichText::new(text).monospace().size(size);
    if strong {
        text = text.strong();
    }
    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend));
}
