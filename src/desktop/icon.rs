//! The app's icon, embedded: PNGs rendered from assets/icons/mqtt-playground.svg at the usual sizes.

/// The app id: the window's Wayland app id, the `.desktop` file's name and the icon's name.
pub const APP_ID: &str = "mqtt-playground";

/// (size in pixels, PNG bytes), smallest first; the same files the `.deb` and `install-desktop-entry` ship.
pub const ICON_PNGS: [(u32, &[u8]); 7] = [
    (
        16,
        include_bytes!("../../assets/icons/mqtt-playground-16.png"),
    ),
    (
        32,
        include_bytes!("../../assets/icons/mqtt-playground-32.png"),
    ),
    (
        48,
        include_bytes!("../../assets/icons/mqtt-playground-48.png"),
    ),
    (
        64,
        include_bytes!("../../assets/icons/mqtt-playground-64.png"),
    ),
    (
        128,
        include_bytes!("../../assets/icons/mqtt-playground-128.png"),
    ),
    (
        256,
        include_bytes!("../../assets/icons/mqtt-playground-256.png"),
    ),
    (
        512,
        include_bytes!("../../assets/icons/mqtt-playground-512.png"),
    ),
];

/// The scalable source, installed next to the PNGs.
pub const ICON_SVG: &str = include_str!("../../assets/icons/mqtt-playground.svg");

/// The window's icon (the 256 px PNG; the window manager scales it). A PNG that does not decode
/// would be a build mistake, reported in the log rather than stopping the app.
pub fn window_icon() -> Option<eframe::egui::IconData> {
    let (_, png) = ICON_PNGS.iter().find(|(size, _)| *size == 256)?;
    match eframe::icon_data::from_png_bytes(png) {
        Ok(icon) => Some(icon),
        Err(err) => {
            tracing::warn!("the window icon could not be decoded ({err}); the window has none");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_png_decodes_at_its_stated_size() {
        for (size, png) in ICON_PNGS {
            let icon = eframe::icon_data::from_png_bytes(png).expect("the PNG decodes");
            assert_eq!((icon.width, icon.height), (size, size));
        }
        assert!(window_icon().is_some());
    }
}
