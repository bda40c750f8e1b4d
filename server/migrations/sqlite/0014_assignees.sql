-- Who owns each issue's work (`Issue::assignee`); NULL: nobody.
ALTER TABLE reports ADD COLUMN assignee TEXT;
-- How it was resolved (`Issue::resolution`), a code of the go-live's list; NULL while open.
ALTER TABLE reports ADD COLUMN resolution TEXT;
-- An assignment's previous assignee (`Change::Assigned { from }`): NULL for every other
-- kind of event, and for an assignment from nobody.
ALTER TABLE events ADD COLUMN from_assignee TEXT;
