//! QR codes for the Connect-here card: the text encoded with the `qrcode` crate, one pixel per module
//! in an egui image, uploaded once per text and drawn scaled up with nearest-neighbour sampling.

use eframe::egui::{self, Color32, ColorImage, TextureHandle, TextureOptions};

/// The light margin a scanner needs around the code, in modules (the QR standard's quiet zone).
pub const QUIET_ZONE_MODULES: usize = 4;

/// A text that cannot be put in a QR code.
#[derive(Debug, thiserror::Error)]
pub enum QrCodeError {
    #[error("cannot draw a QR code for {text:?}: {reason}")]
    Encode { text: String, reason: String },
}

/// The QR code of `text` (medium error correction): black modules on white, whatever the theme (phone
/// scanners read dark-on-light best), with the quiet zone, `module_px` pixels per module.
pub fn qr_image(text: &str, module_px: usize) -> Result<ColorImage, QrCodeError> {
    let code =
        qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).map_err(|err| {
            QrCodeError::Encode {
                text: text.to_owned(),
                reason: err.to_string(),
            }
        })?;
    let modules = code.width();
    let colors = code.to_colors();
    let module_px = module_px.max(1);
    let side = (modules + 2 * QUIET_ZONE_MODULES) * module_px;
    let mut pixels = vec![Color32::WHITE; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let x0 = (index % modules + QUIET_ZONE_MODULES) * module_px;
        let y0 = (index / modules + QUIET_ZONE_MODULES) * module_px;
        for y in y0..y0 + module_px {
            pixels[y * side + x0..y * side + x0 + module_px].fill(Color32::BLACK);
        }
    }
    Ok(ColorImage::new([side, side], pixels))
}

/// One QR code's texture, rebuilt only when its text changes.
#[derive(Default)]
pub struct QrTexture {
    made: Option<Made>,
}

struct Made {
    text: String,
    image: ColorImage,
    texture: Option<TextureHandle>,
}

impl QrTexture {
    /// The texture for `text`: the one already uploaded if the text is the same.
    pub fn texture(
        &mut self,
        ctx: &egui::Context,
        text: &str,
    ) -> Result<TextureHandle, QrCodeError> {
        if self.made.as_ref().is_none_or(|m| m.text != text) {
            self.made = Some(Made {
                text: text.to_owned(),
                image: qr_image(text, 1)?,
                texture: None,
            });
        }
        let made = self.made.as_mut().ok_or_else(|| QrCodeError::Encode {
            text: text.to_owned(),
            reason: "no image".to_owned(),
        })?;
        let texture = made.texture.get_or_insert_with(|| {
            // Nearest-neighbour keeps every module a crisp square however large it is drawn.
            ctx.load_texture("presenter-qr", made.image.clone(), TextureOptions::NEAREST)
        });
        Ok(texture.clone())
    }

    /// The text and image drawn last (for tests that decode what is on screen).
    pub fn shown(&self) -> Option<(&str, &ColorImage)> {
        self.made.as_ref().map(|m| (m.text.as_str(), &m.image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_has_a_white_quiet_zone_and_black_finder_corners() {
        let image = qr_image("mqtt://192.168.1.20:1883", 2).unwrap();
        let [w, h] = image.size;
        assert_eq!(w, h);
        let at = |x: usize, y: usize| image.pixels[y * w + x];
        assert_eq!(at(0, 0), Color32::WHITE);
        let edge = QUIET_ZONE_MODULES * 2;
        assert_eq!(at(edge, edge), Color32::BLACK, "top-left finder pattern");
        assert_eq!(at(w - edge - 1, edge), Color32::BLACK, "top-right finder");
        assert_eq!(at(w - 1, h - 1), Color32::WHITE);
    }

    #[test]
    fn the_texture_is_uploaded_once_per_text() {
        let ctx = egui::Context::default();
        let mut qr = QrTexture::default();
        let first = qr.texture(&ctx, "mqtt://10.0.0.5:1883").unwrap().id();
        let again = qr.texture(&ctx, "mqtt://10.0.0.5:1883").unwrap().id();
        assert_eq!(first, again);
        let other = qr.texture(&ctx, "mqtt://10.0.0.6:1883").unwrap().id();
        assert_ne!(first, other);
        assert_eq!(
            qr.shown().map(|(text, _)| text),
            Some("mqtt://10.0.0.6:1883")
        );
    }

    #[test]
    fn too_much_text_is_an_error_not_a_panic() {
        let err = qr_image(&"x".repeat(8000), 1).unwrap_err();
        assert!(err.to_string().contains("cannot draw a QR code"), "{err}");
    }
}
