-- A session's PIN (server/src/auth/): after its idle limit a session with a PIN is locked,
-- not ended, and the PIN (an Argon2id PHC string, never the digits) unlocks it; five wrong
-- PINs in a row end it.
ALTER TABLE sessions ADD COLUMN pin_hash TEXT;
ALTER TABLE sessions ADD COLUMN locked_at BIGINT;
ALTER TABLE sessions ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0;
