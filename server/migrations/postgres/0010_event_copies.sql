-- The events that keep a copy of their issue (status changes, redactions), by issue: a
-- redaction scrubs an issue's earlier copies in the same transaction (server/src/store/).
-- Partial, so a report's own event, which keeps no copy, costs no index entry.
CREATE INDEX events_copies_by_report ON events (report_seq) WHERE issue IS NOT NULL;
