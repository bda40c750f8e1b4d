-- Who owns each issue's work (`Issue::assignee`); NULL: nobody.
ALTER TABLE reports ADD COLUMN assignee TEXT;
-- An assignment's previous assignee (`Change::Assigned { from }`): NULL for every other
-- kind of event, and for an assignment from nobody.
ALTER TABLE events ADD COLUMN from_assignee TEXT;
