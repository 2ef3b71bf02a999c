-- Email dispatch from the outbox: each message has its own next attempt
-- (retried alone, with backoff), a claim that expires (a dispatcher that
-- died mid-send is found out), the batch it is sent in (one staff alert to
-- many recipients is one request, one personalization each) and the reply-to
-- it was rendered with. Staff may take some alerts as a digest: their
-- messages wait as 'held' until the digest that lists them ('digested') is
-- queued. Digests belong to no case.
ALTER TABLE messages ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE messages ADD COLUMN claimed_until timestamptz;
ALTER TABLE messages ADD COLUMN batch_key text;
ALTER TABLE messages ADD COLUMN reply_to text NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN user_id text REFERENCES users (id);
ALTER TABLE messages ALTER COLUMN case_id DROP NOT NULL;

ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('captured', 'held', 'digested', 'pending', 'sending', 'sent', 'failed'));

-- The recipients of one request share SendGrid's X-Message-Id.
DROP INDEX messages_sendgrid_idx;
CREATE INDEX messages_sendgrid_idx ON messages (sendgrid_message_id) WHERE sendgrid_message_id IS NOT NULL;

DROP INDEX messages_outbox_idx;
CREATE INDEX messages_due_idx ON messages (audience, next_attempt_at) WHERE status = 'pending';
CREATE INDEX messages_claimed_idx ON messages (audience, claimed_until) WHERE status = 'sending';
CREATE INDEX messages_batch_idx ON messages (batch_key) WHERE batch_key IS NOT NULL;
CREATE INDEX messages_held_idx ON messages (recipient, created_at) WHERE status = 'held';

-- How each staff member takes each kind of alert: immediate or digest.
CREATE TABLE alert_preferences (
    user_id     text NOT NULL REFERENCES users (id),
    kind        text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('immediate', 'digest')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);
