//! Checks that a JSON template renders valid JSON, and points a failure back at the template source.

use std::time::{Duration, UNIX_EPOCH};

use super::context::RenderContext;
use super::cursor::Position;
use super::error::{TemplateError, TemplateErrorKind};
use super::piece::{Piece, PieceContent};
use super::state::TemplateState;

/// Fixed so that the sample, and therefore the error message, is the same on every parse.
const SAMPLE_SEED: u64 = 0x5eed;
/// How much of the sample an error message quotes.
const SAMPLE_CHARACTERS_SHOWN: usize = 200;

pub(super) fn check_json_sample(source: &str, pieces: &[Piece]) -> Result<(), TemplateError> {
    let context = RenderContext {
        device_index: 1,
        group: "group",
        client_id: "client-1",
        elapsed: Duration::ZERO,
        now: UNIX_EPOCH + Duration::from_secs(1_704_067_200),
    };
    let mut state = TemplateState::new(SAMPLE_SEED, 1, pieces.len());
    let mut sample = String::new();
    // Where each piece's output starts in the sample, to map an error offset back to a piece.
    let mut piece_starts = Vec::with_capacity(pieces.len());
    for (piece, slot) in pieces.iter().zip(state.slots.iter_mut()) {
        piece_starts.push(sample.len());
        piece.write(slot, &mut state.rng, &context, &mut sample);
    }
    let Err(error) = serde_json::from_str::<serde::de::IgnoredAny>(&sample) else {
        return Ok(());
    };
    let offset = byte_offset_of(&sample, error.line(), error.column());
    let line_start = sample
        .get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |newline| newline + 1);
    let sample_column = sample
        .get(line_start..offset)
        .map_or(0, |text| text.chars().count())
        + 1;
    let template_position = template_position_of(source, &sample, pieces, &piece_starts, offset);
    Err(TemplateError::at(
        template_position,
        TemplateErrorKind::InvalidJson {
            sample_line: error.line().max(1),
            sample_column,
            message: bare_message(&error),
            sample: shortened(&sample),
        },
    ))
}

/// serde_json reports a 1-based line and a byte column (0 when nothing on the line was read).
fn byte_offset_of(sample: &str, line: usize, column: usize) -> usize {
    let line_start: usize = sample
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(sample.len());
    while !sample.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn template_position_of(
    source: &str,
    sample: &str,
    pieces: &[Piece],
    piece_starts: &[usize],
    offset: usize,
) -> Position {
    let containing_piece = pieces
        .iter()
        .zip(piece_starts)
        .rev()
        .find(|(_, start)| **start <= offset);
    match containing_piece {
        Some((piece, start)) => match &piece.content {
            PieceContent::SourceText(text) if offset < start + text.len() => {
                let before_error = sample.get(*start..offset).unwrap_or_default();
                piece.position.advanced_over(before_error)
            }
            PieceContent::SourceText(_) => Position::START.advanced_over(source),
            _ => piece.position,
        },
        None => Position::START.advanced_over(source),
    }
}

/// serde_json appends " at line L column C"; the position is reported separately, so drop it.
fn bare_message(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

fn shortened(sample: &str) -> String {
    if sample.chars().count() <= SAMPLE_CHARACTERS_SHOWN {
        return sample.to_owned();
    }
    let mut shown: String = sample.chars().take(SAMPLE_CHARACTERS_SHOWN).collect();
    shown.push('…');
    shown
}
