-- The start-up repair of rows stored before the rule at the trust boundary
-- (server/src/store/repair.rs): each repair made, and each run, once per version of the rule.
CREATE TABLE repairs (
    id         INTEGER PRIMARY KEY NOT NULL,
    version    INTEGER NOT NULL,
    row_table  TEXT    NOT NULL, -- `reports` (keyed by reported_seq) or `events` (by seq)
    row_key    INTEGER NOT NULL,
    field      TEXT    NOT NULL,
    fault      TEXT    NOT NULL, -- out_of_range, control_or_format_character, not_nfc
    was_micros INTEGER           -- a repaired time's original value
) STRICT;

CREATE TABLE repair_runs (
    version INTEGER PRIMARY KEY NOT NULL,
    at      INTEGER NOT NULL,
    repairs INTEGER NOT NULL
) STRICT;
