//! Writes floating-point values with a fixed number of decimals.

use std::fmt::Write;

/// Writes `value` with exactly `precision` decimals, never as `-0.00`.
pub(super) fn write_fixed(out: &mut String, value: f64, precision: usize) {
    // A tiny negative value would otherwise print as "-0.00", which reads like a bug in a payload.
    let scale = 10f64.powi(i32::try_from(precision).unwrap_or(i32::MAX));
    let shown = if (value * scale).round() == 0.0 {
        0.0
    } else {
        value
    };
    // Writing to a String cannot fail.
    let _ = write!(out, "{shown:.precision$}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(value: f64, precision: usize) -> String {
        let mut out = String::new();
        write_fixed(&mut out, value, precision);
        out
    }

    #[test]
    fn pads_and_rounds_to_the_precision() {
        assert_eq!(fixed(1.0, 2), "1.00");
        assert_eq!(fixed(2.345_678, 3), "2.346");
        assert_eq!(fixed(7.6, 0), "8");
    }

    #[test]
    fn never_prints_negative_zero() {
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.0, 0), "0");
    }
}
