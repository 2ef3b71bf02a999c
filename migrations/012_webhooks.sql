-- Outgoing webhooks. Admins register endpoints; each case event an endpoint
-- subscribes to becomes a delivery, written in the same transaction as the
-- case's projection (an outbox) and sent by the worker's webhook dispatcher.
-- The signing secret is kept as is: the dispatcher needs it to sign. While
-- a secret is rotated the previous one keeps signing until
-- previous_secret_until.
CREATE TABLE webhook_endpoints (
    id                    text PRIMARY KEY,
    url                   text NOT NULL,
    description           text NOT NULL DEFAULT '',
    events                text[] NOT NULL,
    secret                text NOT NULL,
    previous_secret       text,
    previous_secret_until timestamptz,
    status                text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    -- Since when every attempt to reach the endpoint has failed (NULL: the
    -- last one succeeded); after three days of that it is disabled.
    failing_since         timestamptz,
    disabled_at           timestamptz,
    disabled_reason       text NOT NULL DEFAULT '',
    created_by            text NOT NULL REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- One event to one endpoint. event_id is the same on every attempt (and for
-- every endpoint the event goes to); the body is kept as sent, byte for byte.
-- A claimed delivery's next_attempt_at is pushed out by the claim's lease,
-- so a dispatcher that dies mid-send leaves it due again, not lost.
CREATE TABLE webhook_deliveries (
    id               text PRIMARY KEY,
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         text NOT NULL,
    event_type       text NOT NULL,
    case_id          text,
    body             text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);

-- Every attempt of a delivery, for the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer,
    error       text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
