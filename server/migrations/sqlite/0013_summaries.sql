-- Daily and shift summaries kept once their period has ended (server/src/summary.rs), so the
-- morning huddle opens yesterday's at once. `period` is `2026-11-21` or `2026-11-21T19:00`;
-- `body` is the summary's JSON without the issues' words (read from `reports` when served, so
-- a redaction reaches it). Generated at `generated_at` (microseconds since the epoch, UTC).
CREATE TABLE summaries (
    period       TEXT    PRIMARY KEY NOT NULL,
    generated_at INTEGER NOT NULL,
    body         TEXT    NOT NULL
) STRICT;
