//! One rendered piece of a template: fixed text or a generator, with where it came from in the source.

use rand_chacha::ChaCha8Rng;

use super::context::RenderContext;
use super::cursor::Position;
use super::error::TemplateError;
use super::format::PayloadFormat;
use super::generators::Generator;
use super::state::SlotState;
use super::syntax::Segment;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Piece {
    pub content: PieceContent,
    /// Where the piece starts in the template source; used to point JSON errors back at the template.
    pub position: Position,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum PieceContent {
    /// Text copied from the template as written, so offsets inside it map back to source positions.
    SourceText(String),
    /// Text from a `{{"..."}}` placeholder.
    QuotedText(String),
    Value(Generator),
}

impl Piece {
    pub fn from_segment(segment: Segment, format: PayloadFormat) -> Result<Piece, TemplateError> {
        Ok(match segment {
            Segment::Literal { text, position } => Piece {
                content: PieceContent::SourceText(text),
                position,
            },
            Segment::QuotedText { text, position } => Piece {
                content: PieceContent::QuotedText(text),
                position,
            },
            Segment::Call(call) => Piece {
                content: PieceContent::Value(Generator::from_call(&call, format)?),
                position: call.placeholder_position,
            },
        })
    }

    pub fn write(
        &self,
        slot: &mut SlotState,
        rng: &mut ChaCha8Rng,
        context: &RenderContext,
        out: &mut String,
    ) {
        match &self.content {
            PieceContent::SourceText(text) | PieceContent::QuotedText(text) => out.push_str(text),
            PieceContent::Value(generator) => generator.write_value(slot, rng, context, out),
        }
    }

    /// Bytes this piece usually adds, to size the output buffer once.
    pub fn typical_length(&self) -> usize {
        match &self.content {
            PieceContent::SourceText(text) | PieceContent::QuotedText(text) => text.len(),
            PieceContent::Value(_) => 24,
        }
    }
}
