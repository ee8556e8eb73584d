//! An idle window asks for no frames: on every tab, once the first frames have settled, nothing
//! (no animation, spinner, ticking label or panel) requests another repaint.

use std::time::Duration;

use eframe::egui::ViewportId;
use egui_kittest::Harness;
use mqtt_playground::engine::{BrokerSettings, Engine};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;

#[test]
fn an_idle_window_requests_no_repaint_on_any_tab() {
    for tab in Tab::ALL {
        // The broker stays stopped: its uptime label would rightly tick once a second.
        let engine = Engine::start().expect("engine starts");
        let settings = BrokerSettings::loopback_any_port();
        let mut harness = Harness::builder()
            .with_size([1400.0, 900.0])
            .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(tab));
        harness.run();
        for frame in 0..5 {
            harness.step();
            let delay = harness.output().viewport_output[&ViewportId::ROOT].repaint_delay;
            assert_eq!(
                delay,
                Duration::MAX,
                "{} tab, frame {frame} after settling: asked to repaint in {delay:?}",
                tab.label()
            );
        }
    }
}
