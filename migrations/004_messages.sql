-- Email: the outbox (one row per message, deduplicated per case event, kind
-- and recipient), SendGrid's delivery events, bounced customer addresses and
-- CSAT ratings.
CREATE TABLE messages (
    id                   text PRIMARY KEY,
    case_id              text NOT NULL REFERENCES cases (id),
    event_seq            bigint NOT NULL,
    kind                 text NOT NULL,
    audience             text NOT NULL CHECK (audience IN ('customer', 'staff')),
    recipient            text NOT NULL,
    recipient_name       text NOT NULL,
    dedupe_key           text NOT NULL UNIQUE,
    subject              text NOT NULL,
    body_text            text NOT NULL,
    body_html            text NOT NULL,
    status               text NOT NULL CHECK (status IN ('captured', 'pending', 'sending', 'sent', 'failed')),
    sendgrid_message_id  text,
    delivery_status      text,
    attempts             integer NOT NULL DEFAULT 0,
    last_error           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz
);
CREATE INDEX messages_case_idx ON messages (case_id, created_at, id);
CREATE INDEX messages_outbox_idx ON messages (case_id) WHERE status IN ('pending', 'sending');
CREATE UNIQUE INDEX messages_sendgrid_idx ON messages (sendgrid_message_id) WHERE sendgrid_message_id IS NOT NULL;

CREATE TABLE message_events (
    message_id   text NOT NULL REFERENCES messages (id),
    event        text NOT NULL,
    at           timestamptz NOT NULL,
    email        text NOT NULL,
    sg_event_id  text NOT NULL,
    reason       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, event, at, email)
);

ALTER TABLE customers ADD COLUMN email_bounced_at timestamptz;
ALTER TABLE customers ADD COLUMN email_bounce_reason text;

CREATE TABLE csat (
    case_id     text PRIMARY KEY REFERENCES cases (id),
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
