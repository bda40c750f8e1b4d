-- The start-up repair of rows stored before the rule at the trust boundary
-- (server/src/store/repair.rs): each repair made, and each run, once per version of the rule.
CREATE TABLE repairs (
    id         BIGSERIAL PRIMARY KEY,
    version    BIGINT NOT NULL,
    row_table  TEXT   NOT NULL, -- `reports` (keyed by reported_seq) or `events` (by seq)
    row_key    BIGINT NOT NULL,
    field      TEXT   NOT NULL,
    fault      TEXT   NOT NULL, -- out_of_range, control_or_format_character, not_nfc
    was_micros BIGINT           -- a repaired time's original value
);

CREATE TABLE repair_runs (
    version BIGINT PRIMARY KEY,
    at      BIGINT NOT NULL,
    repairs BIGINT NOT NULL
);
