-- Console sign-in: staff passwords (argon2id, PHC string), deactivation, and
-- the sessions behind the console's cookie. Only hashes of session tokens are
-- stored, like API tokens.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;

CREATE TABLE sessions (
    token_hash    bytea PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (id),
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
