-- Exports of a person's data prepared in the background (GDPR articles 15 and 20): requested,
-- prepared by whichever instance claims it, kept encrypted in the files store until it expires.
-- One export of a person is prepared at a time: a second request while one is preparing is the
-- same export, whatever instance takes it.
CREATE TABLE exports (
    id             BLOB PRIMARY KEY NOT NULL,
    user_id        BLOB NOT NULL REFERENCES users (id),
    requested_by   BLOB NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('preparing', 'ready', 'expired', 'failed')),
    requested_at   TEXT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    claimed_until  TEXT,
    ready_at       TEXT,
    expires_at     TEXT,
    file_key       TEXT,
    size_bytes     BIGINT
);
CREATE UNIQUE INDEX exports_one_preparing ON exports (user_id) WHERE status = 'preparing';
CREATE INDEX exports_preparing ON exports (requested_at) WHERE status = 'preparing';
CREATE INDEX exports_ready_expiry ON exports (expires_at) WHERE status = 'ready';
CREATE INDEX exports_user ON exports (user_id);
