//! A local process's CPU time and memory from /proc (Linux), for `--pid`, and the load average.

use serde::Serialize;
use std::time::Instant;

pub fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The 1, 5 and 15-minute load averages, when the system tells.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

/// user + system CPU seconds the process has used.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks_per_second())
}

/// /proc reports CPU times in USER_HZ, which Linux fixes at 100 for user space whatever the kernel's HZ.
fn clock_ticks_per_second() -> f64 {
    100.0
}

/// (resident, peak resident) in KiB.
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The broker process over a run: CPU share and memory, sampled once a second.
pub struct ProcessWatch {
    pid: u32,
    started: Instant,
    cpu_at_start: Option<f64>,
    rss_at_start: Option<u64>,
    rss_peak: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProcessSummary {
    pub pid: u32,
    /// CPU used over the run as a share of one core (100 = one core busy).
    pub cpu_percent: Option<f64>,
    pub rss_kib_at_start: Option<u64>,
    /// The highest resident size seen in the once-a-second samples.
    pub rss_kib_peak: u64,
    pub rss_kib_at_end: Option<u64>,
    /// The kernel's own peak resident size over the process's whole life (VmHWM).
    pub hwm_kib: Option<u64>,
}

impl ProcessWatch {
    pub fn start(pid: u32) -> Self {
        let rss = memory_kib(pid).map(|(rss, _)| rss);
        Self {
            pid,
            started: Instant::now(),
            cpu_at_start: cpu_seconds(pid),
            rss_at_start: rss,
            rss_peak: rss.unwrap_or(0),
        }
    }

    /// Restart the CPU clock (e.g. once the clients are connected); memory samples are kept.
    pub fn restart_cpu(&mut self) {
        self.started = Instant::now();
        self.cpu_at_start = cpu_seconds(self.pid);
    }

    /// Resident KiB now, also kept as the peak if it is one.
    pub fn sample(&mut self) -> Option<u64> {
        let (rss, _) = memory_kib(self.pid)?;
        self.rss_peak = self.rss_peak.max(rss);
        Some(rss)
    }

    pub fn rss_at_start(&self) -> Option<u64> {
        self.rss_at_start
    }

    pub fn finish(&mut self) -> ProcessSummary {
        let elapsed = self.started.elapsed().as_secs_f64();
        let cpu = match (self.cpu_at_start, cpu_seconds(self.pid)) {
            (Some(a), Some(b)) if elapsed > 0.0 => Some(100.0 * (b - a) / elapsed),
            _ => None,
        };
        let memory = memory_kib(self.pid);
        if let Some((rss, _)) = memory {
            self.rss_peak = self.rss_peak.max(rss);
        }
        ProcessSummary {
            pid: self.pid,
            cpu_percent: cpu,
            rss_kib_at_start: self.rss_at_start,
            rss_kib_peak: self.rss_peak,
            rss_kib_at_end: memory.map(|(rss, _)| rss),
            hwm_kib: memory.map(|(_, hwm)| hwm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(exists(pid));
        if cfg!(target_os = "linux") {
            assert!(cpu_seconds(pid).is_some());
            let (rss, hwm) = memory_kib(pid).expect("/proc/self/status");
            assert!(rss > 0 && hwm >= rss);
        }
    }
}
