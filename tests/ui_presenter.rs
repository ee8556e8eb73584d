//! Presenter view: F5, the Settings menu and `--presenter` switch it on and off (zoom up, side panels
//! away, and back); body text is at least 24 px at 1080p and the tabs still fit; the QR code decodes to
//! exactly the connection string printed under it; pixel snapshots of the Connect-here card in both
//! presenter themes from fixed data.

mod common;

use common::tools;
use common::*;
use eframe::egui::{self, ColorImage, Key, Vec2};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError};
use mqtt_playground::engine::connect_info::ClientAddress;
use mqtt_playground::engine::{Engine, RunningInfo};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::layout::PanelsShown;
use mqtt_playground::ui::persisted::{MemoryStorage, Persisted};
use mqtt_playground::ui::presenter::qr::qr_image;
use mqtt_playground::ui::presenter::zoom::{body_text_pixels, presenter_zoom};
use mqtt_playground::ui::presenter::{ConnectDetails, PresenterCard, PresenterTheme};

/// The projector the presenter view is sized for, in physical pixels.
const PROJECTOR: Vec2 = Vec2::new(1920.0, 1080.0);
/// The zoom the user had before presenter view (not 1.0, so putting it back is seen).
const USERS_ZOOM: f32 = 1.2;

fn window(engine: Engine, info: &RunningInfo) -> Harness<'static, PlaygroundApp> {
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings));
    // What a 1080p projector reports (the window system gives egui the monitor's size in points).
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .monitor_size = Some(PROJECTOR);
    harness.ctx.set_zoom_factor(USERS_ZOOM);
    harness.run_steps(2);
    harness
}

fn all_panels() -> PanelsShown {
    PanelsShown {
        broker_column: true,
        activity: true,
    }
}

/// Presenter view is on: projector zoom, no side panels, the Connect-here card with a QR code.
fn assert_presenting(harness: &Harness<'_, PlaygroundApp>) {
    assert!(harness.state().presenter().is_on());
    assert!(
        body_text_pixels(&harness.ctx) >= 24.0,
        "body text is {} px",
        body_text_pixels(&harness.ctx)
    );
    assert_eq!(
        harness.state().panels_shown(),
        PanelsShown {
            broker_column: false,
            activity: false
        }
    );
    assert!(harness.query_by_label("Leave presenter view").is_some());
    // The default presenter theme: high-contrast light.
    assert_eq!(harness.ctx.theme(), egui::Theme::Light);
    assert_eq!(
        harness.ctx.global_style().visuals.panel_fill,
        egui::Color32::WHITE
    );
}

fn assert_back_to_normal(harness: &Harness<'_, PlaygroundApp>) {
    assert!(!harness.state().presenter().is_on());
    assert_eq!(harness.ctx.zoom_factor(), USERS_ZOOM);
    assert_eq!(harness.state().panels_shown(), all_panels());
    assert!(harness.query_by_label("Leave presenter view").is_none());
    assert_eq!(
        harness.ctx.style_of(egui::Theme::Light).visuals.panel_fill,
        egui::Visuals::light().panel_fill,
        "egui's own light look is back"
    );
}

/// Decodes a QR code image the way a phone's camera would (module-sized pixels scaled up first).
fn decode(image: &ColorImage) -> String {
    let scale = 6;
    let [w, h] = image.size;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w * scale, h * scale, |x, y| {
        image.pixels[(y / scale) * w + x / scale].r()
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the QR code decodes").1
}

#[test]
fn f5_turns_presenter_view_on_and_back_off() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info);
    assert_back_to_normal(&harness);
    harness.key_press(Key::F5);
    harness.run_steps(3);
    assert_presenting(&harness);
    // The card offers this broker's own address (loopback here), exactly as the QR code carries it.
    let url = format!("mqtt://{}", info.tcp);
    assert!(harness.query_by_label(&url).is_some(), "{url} under the QR");
    let (coded, image) = harness.state().presenter().card.shown_qr().unwrap();
    assert_eq!(coded, url);
    assert_eq!(decode(image), url);
    harness.key_press(Key::F5);
    harness.run_steps(3);
    assert_back_to_normal(&harness);
}

#[test]
fn the_settings_menu_turns_it_on_and_the_title_bar_button_off() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info);
    harness.get_by_label("Settings").click();
    harness.run_steps(2);
    harness.get_by_label("Presenter view (F5)").click();
    harness.run_steps(3);
    assert_presenting(&harness);
    harness.get_by_label("Leave presenter view").click();
    harness.run_steps(3);
    assert_back_to_normal(&harness);
}

#[test]
fn the_presenter_flag_opens_the_window_in_presenter_view_and_saves_the_user_s_zoom() {
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_presenter(true));
    harness.run_steps(3);
    assert!(harness.state().presenter().is_on());
    assert!(body_text_pixels(&harness.ctx) >= 24.0);
    // What would be saved now is the user's zoom, not the projector's.
    let remembered = harness.state().remembered(&harness.ctx);
    assert_eq!(remembered.zoom, 1.0);
    use clap::Parser;
    let cli = mqtt_playground::cli::Cli::parse_from(["mqtt-playground", "--presenter"]);
    assert!(cli.presenter);
}

#[test]
fn the_dark_presenter_theme_is_chosen_in_the_menu_and_remembered() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info);
    harness.key_press(Key::F5);
    harness.run_steps(2);
    harness.get_by_label("Settings").click();
    harness.run_steps(2);
    harness.get_by_label("High-contrast dark").click();
    harness.run_steps(3);
    assert_eq!(harness.state().presenter().theme, PresenterTheme::Dark);
    assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
    assert_eq!(
        harness.ctx.global_style().visuals.panel_fill,
        PresenterTheme::Dark.visuals().panel_fill
    );
    let mut storage = MemoryStorage::default();
    harness.state().remembered(&harness.ctx).store(&mut storage);
    let saved = Persisted::load(&storage);
    assert_eq!(saved.presenter_theme, PresenterTheme::Dark);
    assert_eq!(
        saved.zoom, USERS_ZOOM,
        "the user's zoom, not the projector's"
    );
    // The next run presents in dark.
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut next = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            PlaygroundApp::new(engine, settings)
                .restore(&saved, &cc.egui_ctx)
                .with_presenter(true)
        });
    next.run_steps(3);
    assert_eq!(next.ctx.theme(), egui::Theme::Dark);
}

/// Presenter view turned on (F5) on the 1080p projector, in a window of `window_px` pixels.
fn presenting_in(window_px: Vec2) -> (Harness<'static, PlaygroundApp>, RunningInfo) {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info);
    harness.key_press(Key::F5);
    harness.run_steps(2);
    // In points, the window's pixels over the zoom.
    let zoom = harness.ctx.zoom_factor();
    harness.set_size(window_px / zoom);
    harness.run_steps(3);
    (harness, info)
}

#[test]
fn body_text_is_at_least_24_px_at_1080p_and_the_tabs_and_title_bar_still_fit() {
    // The window fills the projector.
    let (harness, info) = presenting_in(PROJECTOR);
    let zoom = harness.ctx.zoom_factor();
    let body_px = body_text_pixels(&harness.ctx);
    eprintln!("presenter zoom {zoom:.2}: body text {body_px:.1} px on a 1920×1080 projector");
    assert!(body_px >= 24.0, "body text is {body_px} px");
    let screen = harness.ctx.content_rect();
    let rect_of = |label: &str| rect_of(&harness, label);
    // The card's panel starts left of its heading: the tabs must end before it.
    let card_left = rect_of(&format!("{}", info.tcp)).min.x;
    for tab in Tab::ALL {
        let rect = rect_of(tab.label());
        eprintln!("{} at {rect:?}", tab.label());
        assert!(
            screen.contains_rect(rect) && rect.max.x < card_left,
            "the {} tab at {rect:?} falls off the {screen:?} screen or under the card (from x = {card_left})",
            tab.label()
        );
    }
    assert_title_bar_fits(&harness);
}

/// Where the first widget labelled `label` is drawn.
fn rect_of(harness: &Harness<'_, PlaygroundApp>, label: &str) -> egui::Rect {
    harness
        .query_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("{label} is on screen"))
        .rect()
}

/// The title bar: on screen, and nothing drawn over anything else.
fn assert_title_bar_fits(harness: &Harness<'_, PlaygroundApp>) {
    let screen = harness.ctx.content_rect();
    let rect_of = |label: &str| rect_of(harness, label);
    // Cut short when the window is narrow, so only its start is certain; the topmost "broker…" text
    // is the title bar's (the Connect-here card speaks of the broker too).
    let summary = harness
        .query_all_by_label_contains("broker")
        .map(|node| node.rect())
        .min_by(|a, b| a.min.y.total_cmp(&b.min.y))
        .expect("the broker summary");
    let mut title_bar = vec![
        ("MQTT Playground", rect_of("MQTT Playground")),
        ("summary", summary),
    ];
    for label in ["Connect here", "Leave presenter view", "Settings", "Help"] {
        title_bar.push((label, rect_of(label)));
    }
    for label in ["Activity strip", "Broker & Connect here"] {
        if let Some(node) = harness.query_by_label(label) {
            title_bar.push((label, node.rect()));
        }
    }
    for (i, (label, rect)) in title_bar.iter().enumerate() {
        assert!(
            screen.contains_rect(*rect),
            "{label} at {rect:?} falls off the {screen:?} screen"
        );
        for (other, other_rect) in &title_bar[i + 1..] {
            assert!(
                !rect.intersects(*other_rect),
                "{label} at {rect:?} overlaps {other} at {other_rect:?}"
            );
        }
    }
}

#[test]
fn in_a_window_narrower_than_the_projector_the_summary_is_cut_short_not_drawn_under_the_buttons() {
    // The app's own 1280×800 window on the 1080p projector, not maximized (no window manager, or
    // the presenter put it back to its size).
    let (harness, _info) = presenting_in(Vec2::new(1280.0, 800.0));
    assert_title_bar_fits(&harness);
}

#[test]
fn with_the_broker_stopped_the_card_says_so() {
    let engine = Engine::start().expect("engine starts");
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, Default::default()).with_presenter(true)
        });
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label_contains("The broker is stopped")
            .is_some()
    );
    assert!(harness.state().presenter().card.shown_qr().is_none());
}

/// A classroom laptop on a LAN, with sign-in on and WebSocket open.
fn classroom() -> ConnectDetails {
    ConnectDetails {
        addresses: vec![
            ClientAddress {
                ip: "127.0.0.1".parse().unwrap(),
                scope: "this computer".into(),
            },
            ClientAddress {
                ip: "192.168.1.20".parse().unwrap(),
                scope: "wlan0".into(),
            },
        ],
        tcp_port: 1883,
        ws_port: Some(8080),
        username: Some("teacher".into()),
    }
}

fn card_harness(theme: PresenterTheme) -> Harness<'static, PresenterCard> {
    let details = classroom();
    let zoom = presenter_zoom(13.0, Some(1080.0), Some(1.0));
    let harness = Harness::builder()
        .with_size([400.0, 600.0])
        .with_pixels_per_point(zoom)
        .with_theme(theme.egui_theme())
        .build_ui_state(
            move |ui, card: &mut PresenterCard| {
                egui::CentralPanel::default().show(ui, |ui| card.ui_for(ui, &details));
            },
            PresenterCard::default(),
        );
    harness
        .ctx
        .set_visuals_of(theme.egui_theme(), theme.visuals());
    harness
}

#[test]
fn the_qr_code_decodes_to_exactly_the_lan_connection_string_shown_under_it() {
    let mut harness = card_harness(PresenterTheme::HighContrastLight);
    harness.run_steps(2);
    let expected = "mqtt://192.168.1.20:1883";
    assert!(
        harness.query_by_label(expected).is_some(),
        "the LAN address, not loopback, is shown"
    );
    let (coded, image) = harness.state().shown_qr().unwrap();
    assert_eq!(coded, expected);
    assert_eq!(decode(image), expected);
    assert_eq!(decode(&qr_image(expected, 3).unwrap()), expected);
    assert!(
        harness
            .query_by_label_contains("user name teacher")
            .is_some()
    );
    // The WebSocket URL's code, on request.
    harness.get_by_label("WebSocket").click();
    harness.run_steps(2);
    let ws = "ws://192.168.1.20:8080/mqtt";
    assert!(harness.query_by_label(ws).is_some());
    let (coded, image) = harness.state().shown_qr().unwrap();
    assert_eq!(coded, ws);
    assert_eq!(decode(image), ws);
}

#[test]
fn the_presenter_can_pick_another_address_for_the_code() {
    let mut harness = card_harness(PresenterTheme::HighContrastLight);
    harness.run_steps(2);
    harness.get_by_label("Address").click();
    harness.run_steps(2);
    harness.get_by_label("127.0.0.1 (this computer)").click();
    harness.run_steps(2);
    let (coded, image) = harness.state().shown_qr().unwrap();
    assert_eq!(coded, "mqtt://127.0.0.1:1883");
    assert_eq!(decode(image), "mqtt://127.0.0.1:1883");
    assert!(
        harness
            .query_by_label_contains("Only this computer can use this address")
            .is_some()
    );
}

fn snapshot(harness: &mut Harness<'_, PresenterCard>, name: &str) {
    harness.run_steps(3);
    match harness.try_snapshot(name) {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) if !tools::under_ci() => {
            eprintln!(
                "SKIPPED: the {name} snapshot needs a GPU or Mesa's software renderer ({err})"
            );
        }
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn the_connect_here_card_in_high_contrast_light_looks_the_same() {
    snapshot(
        &mut card_harness(PresenterTheme::HighContrastLight),
        "presenter_card_light",
    );
}

#[test]
fn the_connect_here_card_in_dark_looks_the_same() {
    snapshot(
        &mut card_harness(PresenterTheme::Dark),
        "presenter_card_dark",
    );
}

#[test]
fn a_long_address_shrinks_to_fit_a_narrow_card_instead_of_wrapping() {
    let mut details = classroom();
    details.addresses[1].ip = "192.168.100.200".parse().unwrap();
    details.tcp_port = 18830;
    let width = 240.0;
    let mut harness = Harness::builder().with_size([width, 600.0]).build_ui_state(
        move |ui, card: &mut PresenterCard| {
            egui::CentralPanel::default().show(ui, |ui| card.ui_for(ui, &details));
        },
        PresenterCard::default(),
    );
    harness.run_steps(2);
    for text in ["192.168.100.200:18830", "mqtt://192.168.100.200:18830"] {
        let rect = harness.get_by_label(text).rect();
        assert!(
            rect.max.x <= width,
            "{text} at {rect:?} is wider than the card"
        );
        assert!(
            rect.height() < 30.0,
            "{text} at {rect:?} wrapped onto a second line"
        );
    }
}
