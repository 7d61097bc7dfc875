-- Whereabouts (所在) and phone memos (伝言). Keep in step with ../postgres/0005_whereabouts_memos.sql.
-- Times are seconds since the Unix epoch, UTC.

-- A status set by hand; one row per person, replaced on every change. Without a row (or with
-- one from an earlier day) the board derives the status from the schedule.
CREATE TABLE whereabouts (
    staff_id   INTEGER PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL
        CHECK (status IN ('present', 'out', 'meeting', 'telework', 'leave', 'home')),
    comment    TEXT    NOT NULL DEFAULT '',
    returns_at INTEGER NULL,
    set_at     INTEGER NOT NULL,
    set_by     INTEGER NOT NULL REFERENCES staff (id)
) STRICT;

-- A phone memo left for a colleague who was away from their desk.
CREATE TABLE phone_memos (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL REFERENCES staff (id),
    author_id    INTEGER NOT NULL REFERENCES staff (id),
    caller_name  TEXT    NOT NULL,
    caller_org   TEXT    NOT NULL DEFAULT '',
    callback     TEXT    NOT NULL DEFAULT '',
    request      TEXT    NOT NULL
        CHECK (request IN ('call_back', 'will_call', 'urgent', 'message_only')),
    message      TEXT    NOT NULL DEFAULT '',
    received_at  INTEGER NOT NULL,
    read_at      INTEGER NULL,
    done_at      INTEGER NULL
) STRICT;

CREATE INDEX phone_memos_recipient ON phone_memos (recipient_id, received_at);
CREATE INDEX phone_memos_unread ON phone_memos (recipient_id) WHERE read_at IS NULL;
CREATE INDEX phone_memos_author ON phone_memos (author_id, received_at);
