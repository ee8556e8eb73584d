//! This test process's own footprint (threads, open descriptors, resident memory) and its threads'
//! names and priorities, read from /proc: for tests that prove something leaves no leak behind,
//! stays under a memory bound or runs at the priority it should.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// True where /proc/self tells threads, descriptors and memory (Linux); elsewhere tests say SKIPPED.
pub fn measurable() -> bool {
    cfg!(target_os = "linux") && std::path::Path::new("/proc/self/status").exists()
}

fn count_entries(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Resident memory (VmRSS) of this process in KiB; 0 where /proc is missing.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Threads, descriptors and memory at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    pub threads: usize,
    pub fds: usize,
    pub rss_kib: u64,
}

impl Footprint {
    /// Measures after a short pause, so threads and sockets that are closing have closed.
    pub fn settled() -> Self {
        std::thread::sleep(Duration::from_millis(300));
        Self {
            threads: count_entries("/proc/self/task"),
            fds: count_entries("/proc/self/fd"),
            rss_kib: rss_kib(),
        }
    }
}

/// How far a footprint may drift over a run of cycles and still count as flat.
#[derive(Debug, Clone, Copy)]
pub struct Margin {
    pub threads: usize,
    pub fds: usize,
    pub rss_kib: u64,
}

/// Prints the drift (so the figures can be quoted) and fails when it is beyond the margin.
pub fn assert_flat(what: &str, before: Footprint, after: Footprint, margin: Margin) {
    eprintln!(
        "{what}: threads {} -> {} (margin +{}), fds {} -> {} (margin +{}), RSS {} KiB -> {} KiB (margin +{} KiB)",
        before.threads,
        after.threads,
        margin.threads,
        before.fds,
        after.fds,
        margin.fds,
        before.rss_kib,
        after.rss_kib,
        margin.rss_kib
    );
    assert!(
        after.threads <= before.threads + margin.threads,
        "{what}: threads grew {} -> {}",
        before.threads,
        after.threads
    );
    assert!(
        after.fds <= before.fds + margin.fds,
        "{what}: file descriptors grew {} -> {}",
        before.fds,
        after.fds
    );
    assert!(
        after.rss_kib <= before.rss_kib + margin.rss_kib,
        "{what}: memory grew {} KiB -> {} KiB",
        before.rss_kib,
        after.rss_kib
    );
}

/// Samples VmRSS until stopped; returns the peak.
pub struct PeakMemory {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakMemory {
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_kib()));
        let thread = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// One thread of this process as /proc tells it.
#[derive(Debug, Clone)]
pub struct Thread {
    pub name: String,
    pub nice: i64,
    /// Time on the CPU so far, in nanoseconds (schedstat).
    pub cpu_ns: u64,
}

/// Every thread of this process (Linux); threads that end while being read are left out.
pub fn threads() -> Vec<Thread> {
    let mut found = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return found;
    };
    for dir in tasks.flatten().map(|entry| entry.path()) {
        let (Ok(name), Ok(stat), Ok(schedstat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
            std::fs::read_to_string(dir.join("schedstat")),
        ) else {
            continue;
        };
        found.push(Thread {
            name: name.trim().to_owned(),
            nice: nice_of(&stat),
            cpu_ns: schedstat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse().ok())
                .unwrap_or(0),
        });
    }
    found
}

/// The nice value in a /proc stat line (the 19th field; the name in parentheses may hold spaces).
pub fn nice_of(stat: &str) -> i64 {
    let after_name = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
    after_name
        .split_whitespace()
        .nth(16)
        .and_then(|n| n.parse().ok())
        .expect("a nice value in /proc's stat line")
}
