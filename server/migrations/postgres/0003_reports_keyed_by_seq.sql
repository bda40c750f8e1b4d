-- Reports are keyed by the sequence number of their `reported` event instead of their UUID,
-- as on SQLite (where random UUID keys made every group commit rewrite most index pages):
-- `report_queues` and `events` refer to a report by that number, and the UUID keeps a
-- unique index, which is what a retry is found by.
ALTER TABLE report_queues ADD COLUMN report_seq BIGINT;
UPDATE report_queues q SET report_seq = r.reported_seq FROM reports r WHERE r.id = q.report_id;
ALTER TABLE events ADD COLUMN report_seq BIGINT;
UPDATE events e SET report_seq = r.reported_seq FROM reports r WHERE r.id = e.report_id;

ALTER TABLE report_queues DROP CONSTRAINT report_queues_pkey;
ALTER TABLE report_queues DROP COLUMN report_id;
ALTER TABLE events DROP COLUMN report_id;
ALTER TABLE reports DROP CONSTRAINT reports_pkey;
ALTER TABLE reports ADD PRIMARY KEY (reported_seq);
ALTER TABLE reports ADD CONSTRAINT reports_id_key UNIQUE (id);

ALTER TABLE report_queues ALTER COLUMN report_seq SET NOT NULL;
ALTER TABLE report_queues ADD PRIMARY KEY (queue, report_seq);
ALTER TABLE report_queues ADD FOREIGN KEY (report_seq) REFERENCES reports (reported_seq);
ALTER TABLE events ALTER COLUMN report_seq SET NOT NULL;
ALTER TABLE events ADD FOREIGN KEY (report_seq) REFERENCES reports (reported_seq);
