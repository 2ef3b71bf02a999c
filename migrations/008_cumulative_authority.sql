-- Cumulative authority: the level each hold was given by the authority
-- matrix counting what its case, its payment or invoice and its requester
-- already hold, kept so that a retried hold answers with the same decision;
-- and the indexes the store reads those totals with, under its locks.
ALTER TABLE holds
    ADD COLUMN required_approvals integer CHECK (required_approvals >= 0),
    ADD COLUMN authority_reason text NOT NULL DEFAULT '';
CREATE INDEX holds_case_idx ON holds (case_id, currency) INCLUDE (amount, status);
CREATE INDEX holds_requester_idx ON holds (requested_by, created_at) INCLUDE (amount, currency, status);

-- Chargebacks still open, by payment: a refund of a disputed payment would
-- pay the customer twice.
CREATE INDEX cases_open_chargeback_idx ON cases ((state #>> '{chargeback,payment_id}'))
    WHERE type = 'chargeback' AND status NOT IN ('resolved', 'closed');

-- Idempotency-Key on every write: the first response to (actor, key) is
-- kept for 24 hours and replayed to a retry with the same request; the same
-- key with another request is refused. status_code is NULL while the first
-- request is still running.
CREATE TABLE idempotency_keys (
    actor_id      text NOT NULL,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status_code   integer,
    content_type  text NOT NULL DEFAULT '',
    location      text NOT NULL DEFAULT '',
    response      bytea,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (actor_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
