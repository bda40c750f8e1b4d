//! A process's CPU time and resident memory from `/proc`, and the generator's own open-file
//! limit raised to the hard limit.

use std::sync::OnceLock;

use anyhow::Context;

/// CPU seconds (user + system) and resident memory of one process at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub cpu_secs: f64,
    pub rss_bytes: u64,
}

impl Usage {
    pub fn of(pid: u32) -> anyhow::Result<Usage> {
        Ok(Usage { cpu_secs: cpu_secs(pid)?, rss_bytes: rss_bytes(pid)? })
    }

    pub fn of_self() -> anyhow::Result<Usage> {
        Usage::of(std::process::id())
    }
}

fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).with_context(|| format!("no process {pid}"))?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).context("malformed /proc stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 =
        fields.get(11..13).context("short /proc stat")?.iter().map(|f| f.parse::<u64>().unwrap_or(0)).sum();
    Ok(ticks as f64 / clock_ticks())
}

fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).with_context(|| format!("no process {pid}"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS")?;
    let kib: u64 = line.split_whitespace().nth(1).context("malformed VmRSS")?.parse()?;
    Ok(kib * 1024)
}

/// Raises this process's soft open-file limit to its hard limit (children inherit it).
pub fn raise_fd_limit() -> anyhow::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX).context("cannot raise the open-file limit")
}
