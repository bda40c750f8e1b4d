-- Reports are keyed by the sequence number of their `reported` event instead of their UUID.
-- Before, every report inserted into three B-trees at random places (the UUID primary key's
-- index, `report_queues` keyed by queue and UUID, and the foreign-key lookups of its queue
-- rows and its event), and a group commit of a thousand reports wrote back most of their
-- pages. Keyed by sequence number, a report's row, its queue rows and its event are appended
-- in commit order; the UUID keeps one unique index, which is what a retry is found by.
-- `report_queues` and `events` refer to the report by that number.
-- SQLite cannot change a primary key in place: the three tables are rebuilt. The new tables
-- refer to `reports_new`; renaming it to `reports` rewrites those references.
CREATE TABLE reports_new (
    reported_seq      INTEGER PRIMARY KEY NOT NULL, -- the row id; the seq of its `reported` event
    id                TEXT    NOT NULL UNIQUE,
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
    seq               INTEGER NOT NULL
) STRICT;
INSERT INTO reports_new (reported_seq, id, facility, unit, module, kind, severity, summary, details,
        affected_role, affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues,
        status, note, updated_at, seq)
    SELECT reported_seq, id, facility, unit, module, kind, severity, summary, details, affected_role,
        affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues, status, note,
        updated_at, seq
    FROM reports;

CREATE TABLE report_queues_new (
    queue      TEXT    NOT NULL,
    report_seq INTEGER NOT NULL REFERENCES reports_new (reported_seq),
    PRIMARY KEY (queue, report_seq)
) STRICT, WITHOUT ROWID;
INSERT INTO report_queues_new (queue, report_seq)
    SELECT q.queue, r.reported_seq FROM report_queues q JOIN reports r ON r.id = q.report_id;

CREATE TABLE events_new (
    seq         INTEGER PRIMARY KEY NOT NULL,
    at          INTEGER NOT NULL,
    report_seq  INTEGER NOT NULL REFERENCES reports_new (reported_seq),
    change      TEXT    NOT NULL,
    from_status TEXT,
    issue       TEXT
) STRICT;
INSERT INTO events_new (seq, at, report_seq, change, from_status, issue)
    SELECT e.seq, e.at, r.reported_seq, e.change, e.from_status, e.issue
    FROM events e JOIN reports r ON r.id = e.report_id;

DROP TABLE events;
DROP TABLE report_queues;
DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;
ALTER TABLE report_queues_new RENAME TO report_queues;
ALTER TABLE events_new RENAME TO events;

CREATE INDEX reports_by_reporter ON reports (reporter, received_at);
CREATE INDEX reports_by_unit ON reports (unit, received_at);
