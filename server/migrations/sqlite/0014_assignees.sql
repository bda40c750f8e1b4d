-- Who owns each issue's work (`Issue::assignee`); NULL: nobody.
ALTER TABLE reports ADD COLUMN assignee TEXT;
-- How it was resolved (`Issue::resolution`), a code of the go-live's list; NULL while open.
ALTER TABLE reports ADD COLUMN resolution TEXT;
-- What an assignment or a re-route replaced (`Change::Assigned { from }`: the previous
-- assignee's login, NULL for nobody; `Change::Rerouted { from }`: the previous queues, a
-- JSON array). NULL for every other kind of event.
ALTER TABLE events ADD COLUMN replaced TEXT;
