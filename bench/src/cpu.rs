//! Where the CPU went during a scenario: the server, this generator, and everything else on
//! the machine (other people's builds share the same cores).

use std::time::{Duration, Instant};

/// Linux reports process times in USER_HZ, which is 100 on every architecture we run on.
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Clone, Copy)]
pub struct Sample {
    at: Instant,
    server: u64,
    generator: u64,
    busy: u64,
}

/// CPU seconds spent between two samples.
#[derive(Clone, Copy, Default)]
pub struct Usage {
    pub wall: Duration,
    pub server: f64,
    pub generator: f64,
    /// Every other process and the kernel's own work.
    pub others: f64,
}

fn process_ticks(pid: &str) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name.
    let utime: u64 = fields.get(11).unwrap_or(&"0").parse()?;
    let stime: u64 = fields.get(12).unwrap_or(&"0").parse()?;
    Ok(utime + stime)
}

fn machine_busy_ticks() -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().unwrap_or_default();
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    let total: u64 = values.iter().take(8).sum();
    Ok(total.saturating_sub(idle))
}

impl Sample {
    /// The server's figure is the sum over its processes (the nodes of a cluster).
    pub fn take(server_pids: &[u32]) -> anyhow::Result<Self> {
        let mut server = 0;
        for pid in server_pids {
            server += process_ticks(&pid.to_string())?;
        }
        Ok(Self {
            at: Instant::now(),
            server,
            generator: process_ticks("self")?,
            busy: machine_busy_ticks()?,
        })
    }

    pub fn usage_since(&self, earlier: &Sample) -> Usage {
        let server = self.server.saturating_sub(earlier.server) as f64 / TICKS_PER_SECOND;
        let generator = self.generator.saturating_sub(earlier.generator) as f64 / TICKS_PER_SECOND;
        let busy = self.busy.saturating_sub(earlier.busy) as f64 / TICKS_PER_SECOND;
        Usage {
            wall: self.at.saturating_duration_since(earlier.at),
            server,
            generator,
            others: (busy - server - generator).max(0.0),
        }
    }
}
