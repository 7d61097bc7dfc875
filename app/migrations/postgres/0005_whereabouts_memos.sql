-- Whereabouts (所在) and phone memos (伝言). Keep in step with ../sqlite/0005_whereabouts_memos.sql.
-- Times are seconds since the Unix epoch, UTC.

-- A status set by hand; one row per person, replaced on every change. Without a row (or with
-- one from an earlier day) the board derives the status from the schedule.
CREATE TABLE whereabouts (
    staff_id   BIGINT  PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL
        CHECK (status IN ('present', 'out', 'meeting', 'telework', 'leave', 'home')),
    comment    TEXT    NOT NULL DEFAULT '',
    returns_at BIGINT  NULL,
    set_at     BIGINT  NOT NULL,
    set_by     BIGINT  NOT NULL REFERENCES staff (id)
);

-- A phone memo left for a colleague who was away from their desk.
CREATE TABLE phone_memos (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id BIGINT  NOT NULL REFERENCES staff (id),
    author_id    BIGINT  NOT NULL REFERENCES staff (id),
    caller_name  TEXT    NOT NULL,
    caller_org   TEXT    NOT NULL DEFAULT '',
    callback     TEXT    NOT NULL DEFAULT '',
    request      TEXT    NOT NULL
        CHECK (request IN ('call_back', 'will_call', 'urgent', 'message_only')),
    message      TEXT    NOT NULL DEFAULT '',
    received_at  BIGINT  NOT NULL,
    read_at      BIGINT  NULL,
    done_at      BIGINT  NULL
);

CREATE INDEX phone_memos_recipient ON phone_memos (recipient_id, received_at);
CREATE INDEX phone_memos_unread ON phone_memos (recipient_id) WHERE read_at IS NULL;
CREATE INDEX phone_memos_author ON phone_memos (author_id, received_at);
