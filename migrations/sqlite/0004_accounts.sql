-- Accounts that really lock (SQLite).
-- `session_epoch` is written into every access token; raising it (deactivation, a new password,
-- "log out everywhere") ends every session of the account at once.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 1;

-- One-time links sent by email: a password reset (1 hour) or a student's invitation (72 hours).
-- Only the hash of the secret is kept; using a link marks it used, once.
CREATE TABLE one_time_links (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset', 'invitation')),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX one_time_links_user ON one_time_links (user_id);
CREATE INDEX one_time_links_expires ON one_time_links (expires_at);

-- Attempts per throttled key and fixed window. SQLite's single process keeps its counts in
-- memory; the table exists so that both databases have the same schema.
CREATE TABLE throttle_counts (
    key          TEXT NOT NULL,
    window_start TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX throttle_counts_window ON throttle_counts (window_start);
