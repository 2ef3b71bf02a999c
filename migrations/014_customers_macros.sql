-- Customer profiles staff keep current, with the history of every change,
-- and merged duplicates that stay findable.

ALTER TABLE customers
    ADD COLUMN phone              text NOT NULL DEFAULT '',
    ADD COLUMN preferred_language text NOT NULL DEFAULT '',
    ADD COLUMN notes              text NOT NULL DEFAULT '',
    ADD COLUMN merged_into        text REFERENCES customers (id);

-- Append-only: who changed what, when, from what to what; a merge is one
-- row on each of the two customers.
CREATE TABLE customer_history (
    seq          bigserial PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    kind         text NOT NULL CHECK (kind IN ('updated', 'merged_from', 'merged_into')),
    actor_id     text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    field        text NOT NULL DEFAULT '',
    old_value    text NOT NULL DEFAULT '',
    new_value    text NOT NULL DEFAULT '',
    other_id     text NOT NULL DEFAULT ''
);
CREATE INDEX customer_history_customer_idx ON customer_history (customer_id, seq);
