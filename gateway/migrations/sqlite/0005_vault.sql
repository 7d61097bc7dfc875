-- The credential vault: each user's credentials for legacy systems that need their own
-- (HTTP Basic, login-form replay), sealed with a key kept outside the database.
CREATE TABLE vault_credentials (
    user_id    TEXT NOT NULL,
    system     TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, system)
) STRICT;
