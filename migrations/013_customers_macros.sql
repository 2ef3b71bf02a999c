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

-- Macros: saved replies with optional actions, shared with the team or
-- personal to their owner; each application is counted for the reports.
CREATE TABLE macros (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    body        text NOT NULL,
    actions     jsonb NOT NULL DEFAULT '{}',
    shared      boolean NOT NULL,
    owner_id    text NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX macros_owner_idx ON macros (owner_id);

CREATE TABLE macro_uses (
    macro_id  text NOT NULL REFERENCES macros (id) ON DELETE CASCADE,
    case_id   text NOT NULL,
    user_id   text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX macro_uses_macro_idx ON macro_uses (macro_id);
