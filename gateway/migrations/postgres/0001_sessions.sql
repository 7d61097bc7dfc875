-- Server-side sessions. `key` is the keyed hash of the session id: the raw id lives only in
-- the user's cookie.
CREATE TABLE sessions (
    key        TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL,
    identity   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen);
