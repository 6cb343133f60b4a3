-- Webhooks (Standard Webhooks): subscriptions of an HTTPS endpoint to events, and the outbox of
-- their deliveries, written in the transaction of the change that caused the event. A delivery
-- is one event for one subscription: its id is the `webhook-id` receivers deduplicate on. Each
-- attempt is kept, for the delivery log.
CREATE TABLE webhooks (
    id                     UUID PRIMARY KEY,
    owner_id               UUID NOT NULL REFERENCES users (id),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    -- The subscribed events, space-separated, as read back; `webhook_events` is their index.
    events                 TEXT NOT NULL,
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  TIMESTAMPTZ,
    enabled                BOOLEAN NOT NULL,
    failing_since          TIMESTAMPTZ,
    disabled_at            TIMESTAMPTZ,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);

-- The events each webhook subscribes to; read by event for every change that causes one.
CREATE TABLE webhook_events (
    event_type  TEXT NOT NULL,
    webhook_id  UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    PRIMARY KEY (event_type, webhook_id)
);
CREATE INDEX webhook_events_webhook ON webhook_events (webhook_id);

CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    webhook_id       UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TIMESTAMPTZ,
    claimed_until    TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    last_status      BIGINT,
    last_error       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id           UUID PRIMARY KEY,
    delivery_id  UUID NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at           TIMESTAMPTZ NOT NULL,
    status       BIGINT,
    error        TEXT,
    duration_ms  BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
