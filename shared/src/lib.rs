//! Floorboard's shared vocabulary: the domain types, the wire protocol and the pure logic
//! (validation, routing, PHI screening, heatmap folding). It compiles for the server and for
//! `wasm32-unknown-unknown`, so it holds no I/O, no clock and no async runtime.

pub mod access;
pub mod audit;
pub mod coverage;
pub mod curve;
pub mod error;
pub mod golive;
pub mod heatmap;
pub mod ids;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod phi;
pub mod protocol;
pub mod report;
pub mod reteach;
pub mod routing;
pub mod summary;
pub mod text;
pub mod workflow;

pub use error::{ErrorBody, ErrorCode};
pub use golive::GoLive;
pub use ids::{FacilityId, ModuleId, QueueId, ReportId, ReporterId, ResolutionId, UnitId};
pub use report::{Issue, Kind, REDACTED, Report, ReportDraft, Severity, Status, TextField};
