-- When a session was last active on any node, as each node last wrote it (at most every 30
-- seconds, server/src/auth/): a node that has not seen a session's activity reads this
-- before it locks or ends the session for idleness. Microseconds since the Unix epoch.
ALTER TABLE sessions ADD COLUMN last_active BIGINT;
