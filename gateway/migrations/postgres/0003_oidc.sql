-- Logins through an OpenID provider: which provider, its subject and session id (named by
-- back-channel logout) and the ID token (the `id_token_hint` of RP-initiated logout).
ALTER TABLE sessions ADD COLUMN idp TEXT;
ALTER TABLE sessions ADD COLUMN idp_sub TEXT;
ALTER TABLE sessions ADD COLUMN idp_sid TEXT;
ALTER TABLE sessions ADD COLUMN id_token TEXT;

CREATE INDEX sessions_idp_sid ON sessions (idp, idp_sid);
CREATE INDEX sessions_idp_sub ON sessions (idp, idp_sub);

-- Logins sent to a provider and not yet back, by their `state`. Kept in the store so that the
-- callback may reach another gateway than the one that sent the browser away.
CREATE TABLE oidc_pending (
    state      TEXT PRIMARY KEY NOT NULL,
    provider   TEXT NOT NULL,
    pending    TEXT NOT NULL,
    return_to  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
