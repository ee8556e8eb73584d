//! Produces one value from a validated generator, appending it to the payload being rendered.

use std::f64::consts::TAU;
use std::fmt::Write;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::context::RenderContext;
use super::generators::{Counter, Generator};
use super::json_escape::push_json_string_content;
use super::number_format::write_fixed;
use super::state::SlotState;
use super::timestamp::write_timestamp;
use super::uuid::write_uuid_v4;

impl Generator {
    /// Appends the next value. Arguments were validated at parse time, so nothing here can fail.
    pub fn write_value(
        &self,
        slot: &mut SlotState,
        rng: &mut ChaCha8Rng,
        context: &RenderContext,
        out: &mut String,
    ) {
        // Writing to a String cannot fail, so the results of write! are ignored.
        match self {
            Generator::Counter(counter) => {
                let emitted = slot.counter_emitted;
                slot.counter_emitted = emitted.wrapping_add(1);
                write_counter(counter, emitted, out);
            }
            Generator::Int { min, max } => {
                let _ = write!(out, "{}", rng.gen_range(*min..=*max));
            }
            Generator::Float {
                min,
                max,
                precision,
            } => write_fixed(out, rng.gen_range(*min..=*max), *precision),
            Generator::Sine {
                period_seconds,
                amplitude,
                offset,
                precision,
            } => {
                // Taking the remainder first keeps the phase accurate after long runs.
                let elapsed_in_period = context.elapsed.as_secs_f64() % period_seconds;
                let angle = TAU * elapsed_in_period / period_seconds;
                write_fixed(out, offset + amplitude * angle.sin(), *precision);
            }
            Generator::Walk {
                start,
                step,
                min,
                max,
                precision,
            } => {
                let next = match slot.walk_position {
                    None => *start,
                    // max/min rather than clamp: clamp panics on bad bounds, these cannot.
                    Some(current) => (current + rng.gen_range(-*step..=*step))
                        .max(*min)
                        .min(*max),
                };
                slot.walk_position = Some(next);
                write_fixed(out, next, *precision);
            }
            Generator::Choice { items } => {
                if let Some(item) = items.choose(rng) {
                    out.push_str(item);
                }
            }
            Generator::Bool { probability } => {
                out.push_str(if rng.gen_bool(*probability) {
                    "true"
                } else {
                    "false"
                });
            }
            Generator::Timestamp(format) => write_timestamp(out, context.now, *format),
            Generator::Index => {
                let _ = write!(out, "{}", context.device_index);
            }
            Generator::Group { escape_for_json } => {
                push_context_text(out, context.group, *escape_for_json);
            }
            Generator::ClientId { escape_for_json } => {
                push_context_text(out, context.client_id, *escape_for_json);
            }
            Generator::Uuid => write_uuid_v4(out, rng),
        }
    }
}

fn write_counter(counter: &Counter, emitted: u64, out: &mut String) {
    match counter {
        Counter::Whole { start, step } => {
            // Wrapping: a counter running for years must keep going, not panic on overflow.
            let steps_taken = step.wrapping_mul(emitted.cast_signed());
            let _ = write!(out, "{}", start.wrapping_add(steps_taken));
        }
        Counter::Decimal {
            start,
            step,
            precision,
        } => {
            // Multiplying instead of adding repeatedly keeps rounding error from piling up.
            write_fixed(out, start + step * emitted as f64, *precision);
        }
    }
}

fn push_context_text(out: &mut String, text: &str, escape_for_json: bool) {
    if escape_for_json {
        push_json_string_content(out, text);
    } else {
        out.push_str(text);
    }
}
