//! The parsed payload template: parse once, then render many payloads quickly.

use super::context::RenderContext;
use super::error::TemplateError;
use super::format::PayloadFormat;
use super::json_check::check_json_sample;
use super::piece::Piece;
use super::state::{SlotState, TemplateState};
use super::syntax::parse_segments;

/// A validated payload template. Immutable and cheap to share between device tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    source: String,
    format: PayloadFormat,
    pieces: Vec<Piece>,
    typical_length: usize,
}

impl Template {
    /// Parses and validates `source`. For JSON, one sample is rendered and must be valid JSON.
    pub fn parse(source: &str, format: PayloadFormat) -> Result<Template, TemplateError> {
        let pieces = parse_segments(source)?
            .into_iter()
            .map(|segment| Piece::from_segment(segment, format))
            .collect::<Result<Vec<_>, _>>()?;
        if format == PayloadFormat::Json {
            check_json_sample(source, &pieces)?;
        }
        let typical_length = pieces.iter().map(Piece::typical_length).sum();
        Ok(Template {
            source: source.to_owned(),
            format,
            pieces,
            typical_length,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn format(&self) -> PayloadFormat {
        self.format
    }

    /// Fresh state for one device. The same `(seed, device_index)` always yields the same payload sequence.
    pub fn new_state(&self, seed: u64, device_index: u32) -> TemplateState {
        TemplateState::new(seed, device_index, self.pieces.len())
    }

    /// Renders the next payload for the device whose state this is.
    pub fn render(&self, state: &mut TemplateState, context: &RenderContext) -> String {
        let mut out = String::with_capacity(self.typical_length);
        self.render_into(state, context, &mut out);
        out
    }

    /// Like `render`, but appends to `out` so a caller can reuse one buffer.
    pub fn render_into(
        &self,
        state: &mut TemplateState,
        context: &RenderContext,
        out: &mut String,
    ) {
        // A state made by another template would not line up piece for piece; start its slots afresh.
        if state.slots.len() != self.pieces.len() {
            state.slots = vec![SlotState::default(); self.pieces.len()];
        }
        for (piece, slot) in self.pieces.iter().zip(state.slots.iter_mut()) {
            piece.write(slot, &mut state.rng, context, out);
        }
    }

    /// Renders `count` consecutive payloads of one device, for a preview in the UI.
    /// The state is seeded from `seed` and the first context's device index; payload `i` uses `context_for(i)`.
    pub fn preview<'a>(
        &self,
        seed: u64,
        count: usize,
        context_for: impl Fn(usize) -> RenderContext<'a>,
    ) -> Vec<String> {
        let mut state: Option<TemplateState> = None;
        (0..count)
            .map(|sample_number| {
                let context = context_for(sample_number);
                let state = state.get_or_insert_with(|| self.new_state(seed, context.device_index));
                self.render(state, &context)
            })
            .collect()
    }
}
