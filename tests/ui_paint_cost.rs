//! The window paints its background once a frame: the clear is the panels' colour, and no panel
//! paints it again (on a software renderer a window-sized quad is a large share of a frame).

use eframe::App;
use eframe::egui::{self, Shape};
use egui_kittest::Harness;
use mqtt_playground::engine::{BrokerSettings, Engine};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;

const WINDOW: [f32; 2] = [1400.0, 900.0];

/// Rectangles of this frame filled with `fill`, as (area, where), largest first.
fn rects_filled_with(
    shapes: &[egui::epaint::ClippedShape],
    fill: egui::Color32,
) -> Vec<(f32, egui::Rect)> {
    fn walk(shape: &Shape, fill: egui::Color32, found: &mut Vec<(f32, egui::Rect)>) {
        match shape {
            Shape::Vec(shapes) => shapes.iter().for_each(|s| walk(s, fill, found)),
            Shape::Rect(rect) if rect.fill == fill => found.push((rect.rect.area(), rect.rect)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for clipped in shapes {
        walk(&clipped.shape, fill, &mut found);
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found
}

fn window_on(tab: Tab, presenter: bool) -> Harness<'static, PlaygroundApp> {
    let engine = Engine::start().expect("engine starts");
    let settings = BrokerSettings::loopback_any_port();
    let mut harness = Harness::builder()
        .with_size(WINDOW)
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, settings)
                .with_tab(tab)
                .with_presenter(presenter)
        });
    harness.run_steps(3);
    harness
}

#[test]
fn no_panel_paints_the_background_the_clear_already_painted() {
    let window_area = WINDOW[0] * WINDOW[1];
    for presenter in [false, true] {
        for tab in Tab::ALL {
            let mut harness = window_on(tab, presenter);
            let panel_fill = harness.ctx.global_style().visuals.panel_fill;
            harness.step();
            let painted = rects_filled_with(&harness.output().shapes, panel_fill);
            let large: Vec<_> = painted
                .iter()
                .filter(|(area, _)| *area > window_area / 20.0)
                .collect();
            assert!(
                large.is_empty(),
                "{} tab (presenter view {presenter}): panel-coloured rectangles over 5% of the window: {large:?}",
                tab.label()
            );
        }
    }
}

#[test]
fn the_clear_is_the_panels_colour_in_either_theme() {
    let harness = window_on(Tab::Clients, false);
    for visuals in [egui::Visuals::dark(), egui::Visuals::light()] {
        assert_eq!(
            harness.state().clear_color(&visuals),
            visuals.panel_fill.to_normalized_gamma_f32(),
            "dark mode {}",
            visuals.dark_mode
        );
    }
}
