-- Reports as they became issues: the validated report, its routing and its current status.
-- Times are microseconds since the Unix epoch, UTC (the same representation as on SQLite).
CREATE TABLE reports (
    id                TEXT    PRIMARY KEY,
    facility          TEXT    NOT NULL,
    unit              TEXT    NOT NULL,
    module            TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    severity          TEXT    NOT NULL,
    summary           TEXT    NOT NULL,
    details           TEXT,
    affected_role     TEXT,
    affected_users    BIGINT  NOT NULL,
    resolved_at_elbow BOOLEAN NOT NULL,
    reporter          TEXT    NOT NULL,
    reported_at       BIGINT  NOT NULL,
    received_at       BIGINT  NOT NULL,
    queues            TEXT    NOT NULL, -- JSON array, in routing order
    status            TEXT    NOT NULL,
    note              TEXT,
    updated_at        BIGINT  NOT NULL,
    reported_seq      BIGINT  NOT NULL,
    seq               BIGINT  NOT NULL
);

CREATE INDEX reports_by_reporter ON reports (reporter, received_at);
CREATE INDEX reports_by_unit ON reports (unit, received_at);

CREATE TABLE report_queues (
    queue     TEXT NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    PRIMARY KEY (queue, report_id)
);

-- The event log, shared by every node. Writers hold a transaction-scoped advisory lock
-- while numbering and writing a batch, so sequence numbers commit in order: a reader
-- following `seq > n` never skips an event that commits late.
CREATE TABLE events (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    report_id   TEXT   NOT NULL REFERENCES reports (id),
    change      TEXT   NOT NULL,
    from_status TEXT,
    issue       TEXT   NOT NULL
);
