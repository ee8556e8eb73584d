//! Per-device mutable state: the seeded random generator plus what counters and walks remember between renders.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Everything one device's template remembers between messages. Create it with `Template::new_state`.
#[derive(Clone, Debug)]
pub struct TemplateState {
    pub(super) rng: ChaCha8Rng,
    /// One entry per template piece, in the same order.
    pub(super) slots: Vec<SlotState>,
}

/// What one template piece remembers; each generator uses the field it needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct SlotState {
    /// How many values a counter has produced so far.
    pub counter_emitted: u64,
    /// A walk's current position (None before its first value).
    pub walk_position: Option<f64>,
}

impl TemplateState {
    pub(super) fn new(seed: u64, device_index: u32, piece_count: usize) -> Self {
        TemplateState {
            rng: seeded_rng(seed, device_index),
            slots: vec![SlotState::default(); piece_count],
        }
    }
}

/// Builds the device's generator: the seed and the device index together form the key,
/// so every (seed, device) pair gets its own reproducible sequence.
fn seeded_rng(seed: u64, device_index: u32) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    let material = seed
        .to_le_bytes()
        .into_iter()
        .chain(device_index.to_le_bytes());
    for (key_byte, material_byte) in key.iter_mut().zip(material) {
        *key_byte = material_byte;
    }
    ChaCha8Rng::from_seed(key)
}
