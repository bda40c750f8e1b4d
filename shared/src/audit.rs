//! The audit trail as administrators read and export it: who did what, when, from where.
//! Never free text: an entry names an account, an action, what it was done to (a topic, a
//! report id, a login) and the outcome.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One entry of the audit trail. Reports and status changes are the event log's (each event
/// names its actor) and are chained with these; the entries record everything else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub outcome: String,
}
