-- Notifications people read through the API, and the outbox of emails a background worker
-- delivers (SQLite). An email is due while `next_attempt_at` is set: it is cleared once the email
-- is sent or given up, so the worker's index holds only the emails still to send.
CREATE TABLE notifications (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX notifications_user_id ON notifications (user_id, id);

CREATE TABLE email_outbox (
    id              BLOB PRIMARY KEY NOT NULL,
    notification_id BLOB REFERENCES notifications (id) ON DELETE SET NULL,
    to_email        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT,
    claimed_until   TEXT,
    sent_at         TEXT,
    last_error      TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX email_outbox_notification ON email_outbox (notification_id);
