-- Who made each change: the signed-in login (a report's reporter, a status change's staff
-- member). NULL for events stored before accounts.
ALTER TABLE events ADD COLUMN actor TEXT;
