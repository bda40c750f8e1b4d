//! Delivery accounting and latencies, worked out from the receivers' logs after a run: which
//! expected deliveries arrived (every one must) and how long each took.

use crate::clients::tablet::{Ack, TabletLog};
use crate::clients::watcher::Log;
use crate::latency::Latencies;
use crate::results::Delivery;

/// Every acknowledged report of a run, by sequence number.
#[derive(Debug, Default)]
pub struct Acked {
    acks: Vec<Ack>,
}

impl Acked {
    pub fn from_tablets(logs: &[TabletLog]) -> Acked {
        let mut acks: Vec<Ack> = logs.iter().flat_map(|l| l.acks.iter().copied()).collect();
        acks.sort_by_key(|a| a.seq);
        Acked { acks }
    }

    pub fn len(&self) -> u64 {
        self.acks.len() as u64
    }

    pub fn last_seq(&self) -> u64 {
        self.acks.last().map_or(0, |a| a.seq)
    }

    /// Submit to acknowledgement, per report.
    pub fn ack_latencies(&self) -> Latencies {
        let mut lat = Latencies::default();
        for a in &self.acks {
            lat.record(a.acked - a.submitted);
        }
        lat
    }

    /// Boards: a report reached a board with the first update whose `seq` is at or past the
    /// report's. Returns the deliveries that arrived; latencies go into `lat`.
    pub fn board_deliveries(&self, logs: &[Log], lat: &mut Latencies) -> Delivery {
        let mut delivered = 0;
        for log in logs {
            let mut updates = log.entries.iter().peekable();
            for ack in &self.acks {
                while updates.next_if(|(seq, _)| *seq < ack.seq).is_some() {}
                let Some((_, at)) = updates.peek() else { break };
                delivered += 1;
                lat.record(at - ack.submitted);
            }
        }
        Delivery::new("report to every board", self.len() * logs.len() as u64, delivered)
    }

    /// Queue watchers: each event of ours once; the log holds `(seq, latency)`.
    pub fn stream_deliveries(&self, what: &str, logs: &[Log], lat: &mut Latencies) -> Delivery {
        let mut delivered = 0;
        for log in logs {
            let mut entries = log.entries.clone();
            entries.sort_by_key(|(seq, _)| *seq);
            entries.dedup_by_key(|(seq, _)| *seq);
            for (seq, latency) in entries {
                if self.acks.binary_search_by_key(&seq, |a| a.seq).is_ok() {
                    delivered += 1;
                    lat.record(latency);
                }
            }
        }
        Delivery::new(what, self.len() * logs.len() as u64, delivered)
    }
}

/// Broadcast clients of a reference hub: messages `1..=sent`, each once per client.
pub fn broadcast_deliveries(sent: u64, logs: &[Log], lat: &mut Latencies) -> Delivery {
    let mut delivered = 0;
    for log in logs {
        let mut last = 0;
        for &(n, latency) in &log.entries {
            if n > last && n <= sent {
                delivered += 1;
                lat.record(latency);
                last = n;
            }
        }
    }
    Delivery::new("message to every client", sent * logs.len() as u64, delivered)
}

/// Sampled messages that decode as the shared `ServerMsg` and agree with what was logged.
pub fn wire_check<'a>(logs: impl IntoIterator<Item = &'a Log>) -> Delivery {
    let (checked, malformed) = logs.into_iter().fold((0, 0), |(c, m), l| (c + l.checked, m + l.malformed));
    Delivery::new("sampled message decodes as ServerMsg", checked, checked - malformed)
}

/// How many messages the receivers got in all (board updates, events, broadcasts).
pub fn messages(logs: &[Log]) -> u64 {
    logs.iter().map(|l| l.entries.len() as u64).sum()
}
