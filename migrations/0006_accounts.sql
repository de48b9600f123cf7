-- Named accounts (issue 15). The users table of 0001 holds who and which
-- role; this adds what logging in, API tokens and revocation need.
ALTER TABLE users
  -- sha256 of the account's API token (32 random bytes: a slow hash adds nothing); null: none.
  ADD COLUMN token_hash text UNIQUE,
  ADD COLUMN token_created_at timestamptz,
  ADD COLUMN last_login_at timestamptz,
  ADD COLUMN password_changed_at timestamptz,
  -- Raised when the password changes or the account is disabled: sessions
  -- opened under an older generation end at their next request.
  ADD COLUMN generation integer NOT NULL DEFAULT 0,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- The supervisors' audit page filters on the actor over a period.
CREATE INDEX audit_events_by_actor ON audit_events (actor, at);
