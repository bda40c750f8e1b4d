-- The audit trail (server/src/audit.rs): who did what, when, from where; never free text.
-- Append-only. Each batch the audit writer commits is one link of a hash chain over the
-- batch's entries and the events committed since the previous link (`floorboard audit
-- verify` recomputes it), so an edited or deleted entry or event is found.
CREATE TABLE audit (
    seq     BIGINT PRIMARY KEY, -- dense, from 1, in commit order
    at      BIGINT NOT NULL,
    actor   TEXT,               -- the signed-in login (or the login tried, when it names an account)
    action  TEXT   NOT NULL,    -- sign_in, sign_out, read_queue, account_add, audit_export...
    target  TEXT,               -- what it was done to: a topic, a report id, a login
    source  TEXT,               -- the client's address, or `cli`
    outcome TEXT   NOT NULL     -- ok, or the error code it was refused with
);

CREATE TABLE audit_links (
    link       BIGINT PRIMARY KEY, -- dense, from 1
    last_audit BIGINT NOT NULL,    -- covers audit entries after the previous link's, up to this
    last_event BIGINT NOT NULL,    -- and events after the previous link's, up to this
    hash       TEXT   NOT NULL     -- hex SHA-256 of the previous link's hash and what it covers
);
