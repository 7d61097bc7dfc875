-- The schedule: events and recurring series, their participants, removed occurrences,
-- delegates and calendar-feed tokens. Times are Unix seconds (UTC).
-- Keep in step with ../postgres/0003_schedule.sql.

CREATE TABLE schedule_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    title          TEXT    NOT NULL,
    place          TEXT    NOT NULL DEFAULT '',
    memo           TEXT    NOT NULL DEFAULT '',
    -- The (first) occurrence.
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL CHECK (ends_at > starts_at),
    all_day        INTEGER NOT NULL DEFAULT 0 CHECK (all_day IN (0, 1)),
    tentative      INTEGER NOT NULL DEFAULT 0 CHECK (tentative IN (0, 1)),
    private        INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    -- RFC 5545 RRULE value for a series; NULL for a single event.
    rrule          TEXT    NULL,
    -- End of the last occurrence; 253402300799 for a series without end.
    series_end     INTEGER NOT NULL,
    -- A changed occurrence of a series: the series and the start the occurrence had there.
    detached_from  INTEGER NULL REFERENCES schedule_events (id) ON DELETE CASCADE,
    original_start INTEGER NULL,
    created_by     INTEGER NOT NULL REFERENCES staff (id),
    created_at     INTEGER NOT NULL,
    updated_by     INTEGER NOT NULL REFERENCES staff (id),
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX schedule_events_detached_from ON schedule_events (detached_from)
    WHERE detached_from IS NOT NULL;

-- One row per event and participant, carrying the event's times so that "this person's
-- events in this week" is one range scan of one index: single events by start (they last at
-- most 92 days, so the scan starts 92 days before the window), series by start with their
-- end checked from the index.
CREATE TABLE schedule_participants (
    event_id   INTEGER NOT NULL REFERENCES schedule_events (id) ON DELETE CASCADE,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    recurring  INTEGER NOT NULL CHECK (recurring IN (0, 1)),
    starts_at  INTEGER NOT NULL,
    series_end INTEGER NOT NULL,
    PRIMARY KEY (event_id, staff_id)
) STRICT;

CREATE INDEX schedule_participants_agenda
    ON schedule_participants (staff_id, recurring, starts_at, series_end, event_id);

-- Occurrences removed from a series (RFC 5545 EXDATE), by their original start.
CREATE TABLE schedule_exdates (
    event_id       INTEGER NOT NULL REFERENCES schedule_events (id) ON DELETE CASCADE,
    original_start INTEGER NOT NULL,
    PRIMARY KEY (event_id, original_start)
) STRICT;

-- 代理人: the owner lets the delegate manage their schedule.
CREATE TABLE schedule_delegates (
    owner_id    INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    delegate_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, delegate_id)
) STRICT;

CREATE INDEX schedule_delegates_delegate_id ON schedule_delegates (delegate_id);

-- The private calendar-feed URL of each person, kept only as a SHA-256 hash.
CREATE TABLE schedule_feed_tokens (
    staff_id   INTEGER PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
