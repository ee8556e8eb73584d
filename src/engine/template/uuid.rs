//! Writes random version-4 UUIDs drawn from the device's seeded random generator.

use std::fmt::Write;

use rand::RngCore;

pub(super) fn write_uuid_v4(out: &mut String, rng: &mut impl RngCore) {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    for (index, byte) in bytes.iter().enumerate() {
        let byte = match index {
            // Version 4: the high nibble of byte 6 is 0100.
            6 => (byte & 0x0f) | 0x40,
            // RFC 4122 variant: the top two bits of byte 8 are 10.
            8 => (byte & 0x3f) | 0x80,
            _ => *byte,
        };
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
}
