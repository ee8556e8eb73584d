//! Panels drawn without a fill of their own: the window is cleared to the panels' colour instead.
//!
//! egui paints each panel's background as a blended, textured quad, and the panels tile the whole
//! window, so every frame painted the window once over its clear. On a software renderer (Mesa's
//! llvmpipe: classroom VMs, remote desktops) fragments are most of a frame's cost, and a clear is
//! far cheaper than a quad. The look is the same: the clear colour follows the theme's panel fill.

use eframe::egui;

/// The frame of a side, top or bottom panel, like egui's own but transparent.
pub fn side(style: &egui::Style) -> egui::Frame {
    egui::Frame::side_top_panel(style).fill(egui::Color32::TRANSPARENT)
}

/// The frame of a central panel, like egui's own but transparent.
pub fn central(style: &egui::Style) -> egui::Frame {
    egui::Frame::central_panel(style).fill(egui::Color32::TRANSPARENT)
}

/// What the window is cleared to each frame: the panels' fill of the theme in force.
pub fn clear_color(visuals: &egui::Visuals) -> [f32; 4] {
    visuals.panel_fill.to_normalized_gamma_f32()
}
