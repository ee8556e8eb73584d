//! A bound on the bytes all clients together may keep the broker holding in packets they have only
//! partly sent: one client may send 16 MiB packets, but a thousand clients each stopping just short
//! of the end of one would otherwise hold 16 GB.

use std::sync::atomic::{AtomicUsize, Ordering};

/// What each connection may hold in a partly sent packet without drawing on the shared budget: far
/// more than a flat-out publisher's reads (16 KiB), far less than the largest packet.
pub const FREE_PER_CONNECTION: usize = 64 * 1024;
/// The shared budget: sixteen clients at once in the middle of a 16 MiB packet.
pub const SHARED_BUDGET: usize = 256 * 1024 * 1024;

/// The budget all connections draw on for partly sent packets beyond their free allowance.
#[derive(Debug)]
pub struct PartialPacketBudget {
    limit: usize,
    used: AtomicUsize,
}

impl Default for PartialPacketBudget {
    fn default() -> Self {
        Self::new(SHARED_BUDGET)
    }
}

impl PartialPacketBudget {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// A connection's share, which starts at nothing and is given back when dropped.
    pub fn share(&self) -> Share<'_> {
        Share {
            budget: self,
            held: 0,
        }
    }

    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// One connection's part of the budget.
#[derive(Debug)]
pub struct Share<'a> {
    budget: &'a PartialPacketBudget,
    held: usize,
}

impl Share<'_> {
    /// The connection now holds `pending` bytes of packets not yet complete: takes or gives back
    /// the difference beyond its free allowance. False when the budget cannot cover it.
    pub fn holding(&mut self, pending: usize) -> bool {
        let wanted = pending.saturating_sub(FREE_PER_CONNECTION);
        // The usual case, every read of a client within its allowance, leaves the shared count alone.
        if wanted == self.held {
            return true;
        }
        if wanted > self.held {
            if !self.budget.take(wanted - self.held) {
                return false;
            }
        } else {
            self.budget.give_back(self.held - wanted);
        }
        self.held = wanted;
        true
    }
}

impl Drop for Share<'_> {
    fn drop(&mut self) {
        self.budget.give_back(self.held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_draw_on_one_budget_and_give_back_what_they_no_longer_hold() {
        let budget = PartialPacketBudget::new(100);
        let mut first = budget.share();
        let mut second = budget.share();
        assert!(
            first.holding(FREE_PER_CONNECTION),
            "the free allowance costs nothing"
        );
        assert!(first.holding(FREE_PER_CONNECTION + 80));
        assert!(!second.holding(FREE_PER_CONNECTION + 30), "only 20 left");
        assert!(second.holding(FREE_PER_CONNECTION + 20));
        assert!(first.holding(10), "the packet completed: its bytes go back");
        assert!(second.holding(FREE_PER_CONNECTION + 100));
        drop(second);
        assert!(
            first.holding(FREE_PER_CONNECTION + 100),
            "a dropped share gives all back"
        );
    }
}
