-- Sessions from an OpenID provider are re-validated with the refresh token it issued; the
-- gateway that claims a session's re-validation first (by `revalidated_at`) does it, so that
-- gateways sharing the store never use one refresh token twice.
ALTER TABLE sessions ADD COLUMN refresh_token TEXT;
ALTER TABLE sessions ADD COLUMN revalidated_at BIGINT;
