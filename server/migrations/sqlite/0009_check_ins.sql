-- Who is on which unit since when (server/src/store/check_ins.rs): a person's check-in to a
-- unit, ended by their next one, their check-out or their sign-out. Kept once ended, as the
-- record of who covered which unit when.
CREATE TABLE check_ins (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    login    TEXT   NOT NULL REFERENCES users (login),
    facility TEXT   NOT NULL,
    unit     TEXT   NOT NULL,
    since    BIGINT NOT NULL,
    ended_at BIGINT
);
-- At most one open check-in per person.
CREATE UNIQUE INDEX check_ins_open ON check_ins (login) WHERE ended_at IS NULL;
