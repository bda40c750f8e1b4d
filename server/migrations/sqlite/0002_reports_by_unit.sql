-- The board's drill-down lists a unit's issues.
CREATE INDEX reports_by_unit ON reports (unit, received_at);
