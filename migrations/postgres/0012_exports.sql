-- Exports of a person's data prepared in the background (GDPR articles 15 and 20): requested,
-- prepared by whichever instance claims it, kept encrypted in the files store until it expires.
-- One export of a person is prepared at a time: a second request while one is preparing is the
-- same export, whatever instance takes it.
CREATE TABLE exports (
    id             UUID PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users (id),
    requested_by   UUID NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('preparing', 'ready', 'expired', 'failed')),
    requested_at   TIMESTAMPTZ NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    claimed_until  TIMESTAMPTZ,
    ready_at       TIMESTAMPTZ,
    expires_at     TIMESTAMPTZ,
    file_key       TEXT,
    size_bytes     BIGINT
);
CREATE UNIQUE INDEX exports_one_preparing ON exports (user_id) WHERE status = 'preparing';
CREATE INDEX exports_preparing ON exports (requested_at) WHERE status = 'preparing';
CREATE INDEX exports_ready_expiry ON exports (expires_at) WHERE status = 'ready';
CREATE INDEX exports_user ON exports (user_id);
