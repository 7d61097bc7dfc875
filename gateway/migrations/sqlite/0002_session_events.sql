-- Sessions ended or changed, so that every gateway sharing this store drops its cached copy.
-- Rows older than an hour are pruned by the sweep.
CREATE TABLE session_events (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ended', 'changed')),
    at   INTEGER NOT NULL
) STRICT;

CREATE INDEX session_events_at ON session_events (at);
