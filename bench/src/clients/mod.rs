//! The generator's clients: Floorboard protocol clients (boards, queue watchers, tablets)
//! speaking the shared crate's wire types, and plain broadcast clients for the reference
//! hubs. Receivers only log what arrived and when; latencies and delivery shares are
//! worked out after the run (`crate::delivery`), so the hot path stays cheap.

pub mod broadcast;
pub mod protocol;
pub mod tablet;
pub mod watcher;
