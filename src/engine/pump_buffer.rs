//! The front door's read buffer per direction: small while a connection idles, larger under load.
//!
//! Thousands of idle classroom clients each held two 16 KiB buffers (32 KiB of the ~70 KiB a held
//! connection cost); a buffer that starts at 512 bytes, grows when reads fill it and shrinks back
//! after a run of short reads keeps idle connections cheap and floods as fast as before.

/// Where every buffer starts, and what it shrinks back to.
pub const START: usize = 512;
/// The most it grows to (one read of a flat-out publisher's stream).
pub const MAX: usize = 16 * 1024;
/// Short reads in a row after which a grown buffer is given back.
const SHORT_READS_BEFORE_SHRINK: u32 = 256;

/// A read buffer that sizes itself to the traffic it sees.
pub struct PumpBuffer {
    bytes: Vec<u8>,
    short_reads: u32,
}

impl Default for PumpBuffer {
    fn default() -> Self {
        Self {
            bytes: vec![0; START],
            short_reads: 0,
        }
    }
}

impl PumpBuffer {
    /// The space the next read goes into.
    pub fn space(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The first `n` bytes of the last read.
    pub fn filled(&self, n: usize) -> &[u8] {
        self.bytes.get(..n).unwrap_or_default()
    }

    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// Called after the bytes of a read of `n` bytes were passed on: a full read means more was
    /// waiting (grow ×4); many reads that used under an eighth of it mean the load is gone (shrink).
    pub fn after_read(&mut self, n: usize) {
        let len = self.bytes.len();
        if n == len && len < MAX {
            self.bytes = vec![0; (len * 4).min(MAX)];
            self.short_reads = 0;
        } else if len > START && n < len / 8 {
            self.short_reads += 1;
            if self.short_reads >= SHORT_READS_BEFORE_SHRINK {
                self.bytes = vec![0; START];
                self.short_reads = 0;
            }
        } else {
            self.short_reads = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_small_and_grows_when_reads_fill_it() {
        let mut buffer = PumpBuffer::default();
        assert_eq!(buffer.capacity(), START);
        buffer.after_read(START);
        assert_eq!(buffer.capacity(), START * 4);
        for _ in 0..10 {
            let full = buffer.capacity();
            buffer.after_read(full);
        }
        assert_eq!(buffer.capacity(), MAX, "grows no further than MAX");
    }

    #[test]
    fn gives_the_space_back_after_a_run_of_short_reads() {
        let mut buffer = PumpBuffer::default();
        for _ in 0..5 {
            let full = buffer.capacity();
            buffer.after_read(full);
        }
        assert_eq!(buffer.capacity(), MAX);
        for _ in 0..SHORT_READS_BEFORE_SHRINK - 1 {
            buffer.after_read(2);
        }
        assert_eq!(buffer.capacity(), MAX, "one short run is not enough");
        buffer.after_read(MAX / 2);
        for _ in 0..SHORT_READS_BEFORE_SHRINK - 1 {
            buffer.after_read(2);
        }
        assert_eq!(
            buffer.capacity(),
            MAX,
            "a busy read in between starts the count again"
        );
        buffer.after_read(2);
        assert_eq!(buffer.capacity(), START);
    }

    #[test]
    fn idle_buffers_stay_small() {
        let mut buffer = PumpBuffer::default();
        for _ in 0..1000 {
            buffer.after_read(2);
        }
        assert_eq!(buffer.capacity(), START);
        assert_eq!(buffer.filled(2).len(), 2);
    }
}
