-- A `reported` event no longer repeats its issue as JSON: its report's row holds it (the
-- columns a report is committed with never change), so `issue` is NULL for new reported
-- events and kept for status changes. Rows written before keep their copy.
ALTER TABLE events ALTER COLUMN issue DROP NOT NULL;
