-- Named accounts, their sessions, and the log of account changes every node follows
-- (server/src/auth/). No password or token is stored: passwords as Argon2id PHC strings,
-- session tokens as the hex of their SHA-256.
CREATE TABLE users (
    login         TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    roles         TEXT    NOT NULL, -- JSON array of role names
    queues        TEXT    NOT NULL, -- JSON array of queue ids
    facility      TEXT,
    modules       TEXT    NOT NULL, -- JSON array of module ids
    password_hash TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    login      TEXT   NOT NULL REFERENCES users (login),
    reach      TEXT   NOT NULL, -- JSON: a person's session, or a display token for one board
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT
);
CREATE INDEX sessions_by_login ON sessions (login);

-- Each session ended and each account changed, in order: every node reads what follows the
-- last change it applied, and drops the sessions (and closes the sockets) it names.
CREATE TABLE account_changes (
    seq        BIGSERIAL PRIMARY KEY,
    login      TEXT   NOT NULL,
    token_hash TEXT, -- one session ended; NULL: the account changed, all its sessions re-read
    at         BIGINT NOT NULL
);
