//! The live protocol over `/ws`: JSON text frames, one message each, tagged by `type`.
//! `docs/protocol.md` describes every message with an example; this is its source of truth.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::ErrorBody;
use crate::heatmap::{BoardDigest, Cell};
use crate::ids::{FacilityId, QueueId, ReportId, ReporterId, ResolutionId};
use crate::report::{Issue, ReportDraft, Status, TextField};

/// The version of this protocol, sent in `welcome`. Raised whenever what a client must send
/// or understand changes, so a front end cached on a tablet can tell it is older than the
/// server it reached and offer to reload. 2: text rules at the trust boundary (NFC, no
/// control or format characters, `reported_at` from 2000 to 2099), `skew_secs` on issues.
/// 3: the `assigned` and `rerouted` events, the statuses `awaiting_info` and
/// `pending_migration`, an issue's `assignee` and `resolution`.
pub const PROTOCOL_VERSION: u32 = 3;
/// Most subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 32;
/// Largest client frame the server reads as a message; larger ones get `frame_too_large`.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// What a client may send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Submit a report; answered by `submitted` once it is committed, or by `error`.
    Submit {
        report: ReportDraft,
    },
    /// Start receiving a topic. With `resume_from`, receive what was missed since that
    /// sequence number instead of a snapshot, when the server still has it. Boards resume
    /// by `digest` instead: the digest of the board the client holds (the last one it was
    /// sent, or `BoardView::digest`); when the board is unchanged the answer is `resumed`
    /// with nothing replayed, otherwise a snapshot.
    Subscribe {
        topic: Topic,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume_from: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<BoardDigest>,
    },
    Unsubscribe {
        topic: Topic,
    },
    /// An application-level ping for clients (browsers) that cannot send websocket pings.
    Ping {
        #[serde(default)]
        nonce: u64,
    },
}

impl ClientMsg {
    /// The `type` values a client may send, for telling an unknown type from a bad body.
    pub const TYPES: [&'static str; 4] = ["submit", "subscribe", "unsubscribe", "ping"];
}

/// A stream of changes a client can follow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Topic {
    /// The unit heatmap of every facility, or of one.
    Board {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facility: Option<FacilityId>,
    },
    /// The issues routed to one command-center queue.
    Queue { queue: QueueId },
    /// One reporter's own reports.
    Mine { reporter: ReporterId },
}

impl Topic {
    /// Whether an event belongs on this topic: a queue's are its issues' and, so its
    /// watchers see an issue leave, those re-routed away from it. Boards follow the heatmap
    /// instead.
    pub fn wants(&self, event: &Event) -> bool {
        let issue = &event.issue;
        match self {
            Topic::Board { .. } => false,
            Topic::Queue { queue } => {
                issue.queues.contains(queue)
                    || matches!(&event.change, Change::Rerouted { from } if from.contains(queue))
            }
            Topic::Mine { reporter } => issue.report.reporter == *reporter,
        }
    }

    /// Low-cardinality label for logs and metrics (never the reporter's name).
    pub fn label(&self) -> &'static str {
        match self {
            Topic::Board { .. } => "board",
            Topic::Queue { .. } => "queue",
            Topic::Mine { .. } => "mine",
        }
    }
}

/// What happened to an issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A new report was committed and routed.
    Reported,
    /// The issue's status changed from `from` to the issue's current status.
    StatusChanged { from: Status },
    /// The issue was sent to its current `queues` from `from`, with the reason in its note;
    /// its assignee, if any, let go.
    Rerouted { from: Vec<QueueId> },
    /// The issue was handed to its current `assignee` (or to nobody) from `from`.
    Assigned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ReporterId>,
    },
    /// An administrator replaced the issue's `field` with `[redacted]`, here and in every
    /// earlier copy the server serves (reads, snapshots, the replay window). A client holding
    /// the issue replaces its copy with this one.
    Redacted { field: TextField },
}

/// One committed change, numbered. Sequence numbers only grow; the issue is as it stood
/// right after the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    #[serde(flatten)]
    pub change: Change,
    /// Who made the change: the signed-in login of the reporter or of the staff member.
    /// Absent on events committed before accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<ReporterId>,
    pub issue: Issue,
}

/// The acknowledgement of a submission: sent only after the report is durably committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub id: ReportId,
    /// The sequence number of the event that recorded the report.
    pub seq: u64,
    pub status: Status,
    /// Where the routing rules sent it.
    pub queues: Vec<QueueId>,
    /// True when this id was already committed with the same content: nothing new was stored.
    pub duplicate: bool,
}

/// A request to move an issue to another status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub status: Status,
    /// What was done; required when resolving or closing (up to 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::note))]
    pub note: Option<String>,
    /// How it was resolved: required when moving to `resolved`, and only then; one of the
    /// go-live's `resolutions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ResolutionId>,
}

/// A request to redact an issue's free-text field (administrators).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    pub field: TextField,
}

/// A request to send an issue to other queues, saying why (up to 2000 characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reroute {
    pub queues: Vec<QueueId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::note))]
    pub reason: String,
}

/// A request to hand an issue to someone who may work it (one's own login to claim it: "assign
/// to me"), or to nobody (`null`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub assignee: Option<ReporterId>,
}

/// Issues as of one sequence number (HTTP: a queue's open issues, a reporter's reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuesAt {
    pub seq: u64,
    pub issues: Vec<Issue>,
}

/// The board as of one sequence number (HTTP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardAt {
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    pub cells: Vec<Cell>,
}

/// A queue and how many open issues it holds (HTTP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueSummary {
    pub id: QueueId,
    pub name: String,
    pub open: u64,
}

/// Why a snapshot was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SnapshotReason {
    /// A plain subscription.
    Subscribed,
    /// A board resumed: board cells are absolute values, so the current board is exactly
    /// what a resuming board needs.
    Resumed,
    /// The events since `resume_from` are too old to replay: replace your state with this.
    ResumeTooOld,
    /// The connection fell too far behind the live stream: replace your state with this.
    Lagged,
}

/// Everything the server sends.
// Messages are built, serialised and dropped at once; boxing the big variants buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First message on every connection.
    Welcome {
        server: String,
        /// `PROTOCOL_VERSION` of the server (absent before version 2: read as 1).
        #[serde(default = "first_protocol")]
        protocol: u32,
        head_seq: u64,
        heartbeat_secs: u64,
        max_frame_bytes: usize,
    },
    /// A submission is committed (or was already, when `duplicate`).
    Submitted(Receipt),
    /// The state of a topic as of `seq`; events after `seq` follow.
    Snapshot {
        topic: Topic,
        seq: u64,
        reason: SnapshotReason,
        /// For board topics: every cell with anything to show.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cells: Vec<Cell>,
        /// For queue topics, the open issues; for `mine`, the reporter's latest issues.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        issues: Vec<Issue>,
        /// For board topics: the board's digest, to resume with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<BoardDigest>,
    },
    /// Every missed event of `topic` after `from` has been sent; live events follow.
    Resumed {
        topic: Topic,
        from: u64,
        seq: u64,
        replayed: u64,
    },
    Event(Event),
    /// Heatmap cells that changed, coalesced; `facility` is set on one-facility boards.
    BoardUpdate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facility: Option<FacilityId>,
        seq: u64,
        cells: Vec<Cell>,
        /// The digest of the board with these cells applied.
        digest: BoardDigest,
    },
    Unsubscribed {
        topic: Topic,
    },
    Pong {
        nonce: u64,
    },
    Error(ErrorBody),
}

fn first_protocol() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_messages_are_tagged_by_type() {
        let msg: ClientMsg = serde_json::from_value(json!({
            "type": "subscribe",
            "topic": {"name": "queue", "queue": "it-access"},
            "resume_from": 41
        }))
        .unwrap();
        assert_eq!(
            msg,
            ClientMsg::Subscribe {
                topic: Topic::Queue { queue: "it-access".into() },
                resume_from: Some(41),
                digest: None
            }
        );
        let board: Topic = serde_json::from_value(json!({"name": "board"})).unwrap();
        assert_eq!(board, Topic::Board { facility: None });
    }

    #[test]
    fn a_bad_reporter_in_a_topic_is_refused() {
        let r = serde_json::from_value::<Topic>(json!({"name": "mine", "reporter": ""}));
        assert!(r.is_err());
    }

    #[test]
    fn errors_flatten_into_the_message() {
        let msg = ServerMsg::Error(ErrorBody::new(crate::ErrorCode::UnknownUnit, "no unit").with_field("unit"));
        assert_eq!(
            serde_json::to_value(&msg).unwrap(),
            json!({"type": "error", "code": "unknown_unit", "message": "no unit", "field": "unit"})
        );
    }
}
