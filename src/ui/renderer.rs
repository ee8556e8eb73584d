//! Which of eframe's renderers draws the window: OpenGL (glow) first, wgpu when OpenGL cannot start.
//!
//! Why glow first: on a machine without a GPU driver (classroom VMs, remote desktops, Xvfb) both draw
//! through Mesa's llvmpipe software rasterizer, and there wgpu's GL backend paints every frame into a
//! texture and copies it to the window: the same 2 frames/s cost 15% of a core with wgpu and 3% with
//! glow (BENCHMARKS.md, "The window's CPU cost"). On a real GPU both are cheap.

use std::cell::RefCell;
use std::rc::Rc;

use eframe::Renderer;

/// What eframe accepts as the app creator's error.
type CreateError = Box<dyn std::error::Error + Send + Sync>;

/// Names the renderer to force, for a machine where the first choice misbehaves without failing.
pub const RENDERER_VARIABLE: &str = "MQTT_PLAYGROUND_RENDERER";

/// The renderers to try, in order: `MQTT_PLAYGROUND_RENDERER=wgpu` or `=glow` keeps just that one.
pub fn renderers_to_try(forced: Option<&str>) -> Result<Vec<Renderer>, String> {
    match forced.map(str::trim) {
        None | Some("") => Ok(vec![Renderer::Glow, Renderer::Wgpu]),
        Some(name) if name.eq_ignore_ascii_case("glow") || name.eq_ignore_ascii_case("opengl") => {
            Ok(vec![Renderer::Glow])
        }
        Some(name) if name.eq_ignore_ascii_case("wgpu") => Ok(vec![Renderer::Wgpu]),
        Some(other) => Err(format!(
            "{RENDERER_VARIABLE}={other} is not a renderer this app has: use glow (OpenGL) or wgpu"
        )),
    }
}

/// Runs the window with the first renderer that starts. `create` runs once, for the renderer that
/// gets as far as creating the app; a renderer that fails before that leaves it for the next one.
pub fn run_native(
    title: &str,
    options: impl Fn() -> eframe::NativeOptions,
    create: impl FnOnce(&eframe::CreationContext<'_>) -> Result<Box<dyn eframe::App>, CreateError>
    + 'static,
) -> Result<(), eframe::Error> {
    let forced = std::env::var(RENDERER_VARIABLE).ok();
    let renderers = renderers_to_try(forced.as_deref()).unwrap_or_else(|why| {
        tracing::warn!("{why}; trying both");
        vec![Renderer::Glow, Renderer::Wgpu]
    });
    let create = Rc::new(RefCell::new(Some(create)));
    let mut last_error = None;
    for renderer in renderers {
        if create.borrow().is_none() {
            break;
        }
        let mut native_options = options();
        native_options.renderer = renderer;
        let create_for_app = create.clone();
        let result = eframe::run_native(
            title,
            native_options,
            Box::new(move |cc| {
                let create = create_for_app
                    .borrow_mut()
                    .take()
                    .ok_or("the window was already created by an earlier renderer")?;
                create(cc)
            }),
        );
        match result {
            Ok(()) => return Ok(()),
            Err(err) => {
                tracing::warn!("the {renderer} renderer could not draw the window: {err}");
                last_error = Some(err);
            }
        }
    }
    Err(last_error
        .unwrap_or_else(|| eframe::Error::AppCreation("no renderer could start the window".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glow_comes_first_and_wgpu_is_the_fallback() {
        assert_eq!(
            renderers_to_try(None),
            Ok(vec![Renderer::Glow, Renderer::Wgpu])
        );
        assert_eq!(
            renderers_to_try(Some(" ")),
            Ok(vec![Renderer::Glow, Renderer::Wgpu])
        );
    }

    #[test]
    fn a_forced_renderer_is_the_only_one_tried() {
        assert_eq!(renderers_to_try(Some("wgpu")), Ok(vec![Renderer::Wgpu]));
        assert_eq!(renderers_to_try(Some("GLOW")), Ok(vec![Renderer::Glow]));
        assert_eq!(renderers_to_try(Some("opengl")), Ok(vec![Renderer::Glow]));
    }

    #[test]
    fn an_unknown_renderer_is_named_with_the_choices() {
        let err = renderers_to_try(Some("vulkan")).unwrap_err();
        assert!(err.contains("vulkan") && err.contains("glow") && err.contains("wgpu"));
    }
}
