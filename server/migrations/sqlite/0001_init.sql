-- Reports as they became issues: the validated report, its routing and its current status.
-- Times are microseconds since the Unix epoch, UTC.
CREATE TABLE reports (
    id                TEXT    PRIMARY KEY NOT NULL,
    facility          TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    module            TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    severity          TEXT    NOT NULL,
    summary           TEXT    NOT NULL,
    details           TEXT,
    affected_role     TEXT,
    affected_users    INTEGER NOT NULL,
    resolved_at_elbow INTEGER NOT NULL,
    reporter          TEXT    NOT NULL,
    reported_at       INTEGER NOT NULL,
    received_at       INTEGER NOT NULL,
    queues            TEXT    NOT NULL, -- JSON array, in routing order
    status            TEXT    NOT NULL,
    note              TEXT,
    updated_at        INTEGER NOT NULL,
    reported_seq      INTEGER NOT NULL,
    seq               INTEGER NOT NULL
) STRICT;

CREATE INDEX reports_by_reporter ON reports (reporter, received_at);

-- One row per (report, queue) so a queue's issues are an index lookup.
CREATE TABLE report_queues (
    queue     TEXT NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    PRIMARY KEY (queue, report_id)
) STRICT, WITHOUT ROWID;

-- The event log: every committed change, numbered in commit order. `issue` is the issue as
-- it stood right after the change (JSON), so a replay sends exactly what was sent live.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY NOT NULL,
    at          INTEGER NOT NULL,
    report_id   TEXT    NOT NULL REFERENCES reports (id),
    change      TEXT    NOT NULL,
    from_status TEXT,
    issue       TEXT    NOT NULL
) STRICT;
