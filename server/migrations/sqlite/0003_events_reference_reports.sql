-- A `reported` event no longer repeats its issue as JSON: its report's row holds it (the
-- columns a report is committed with never change), so `issue` is NULL for new reported
-- events and kept for status changes. Rows written before keep their copy.
-- SQLite cannot drop a NOT NULL constraint in place: the table is rebuilt.
CREATE TABLE events_new (
    seq         INTEGER PRIMARY KEY NOT NULL,
    at          INTEGER NOT NULL,
    report_id   TEXT    NOT NULL REFERENCES reports (id),
    change      TEXT    NOT NULL,
    from_status TEXT,
    issue       TEXT
) STRICT;
INSERT INTO events_new (seq, at, report_id, change, from_status, issue)
    SELECT seq, at, report_id, change, from_status, issue FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
