//! A measured window: server and generator CPU seconds between two moments.

use crate::procfs::Usage;
use crate::servers::Server;

pub struct Window {
    server: Vec<(u32, Usage)>,
    generator: Usage,
}

/// What a window cost.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub server_cpu_secs: f64,
    pub generator_cpu_secs: f64,
}

impl Window {
    /// Starts measuring `servers` (several nodes add up) and this process.
    pub fn open(servers: &[&Server]) -> anyhow::Result<Window> {
        let server = servers.iter().map(|s| Ok((s.pid, s.usage()?))).collect::<anyhow::Result<_>>()?;
        Ok(Window { server, generator: Usage::of_self()? })
    }

    pub fn close(&self) -> anyhow::Result<Spent> {
        let mut server_cpu_secs = 0.0;
        for (pid, before) in &self.server {
            server_cpu_secs += Usage::of(*pid)?.cpu_secs - before.cpu_secs;
        }
        Ok(Spent { server_cpu_secs, generator_cpu_secs: Usage::of_self()?.cpu_secs - self.generator.cpu_secs })
    }
}
