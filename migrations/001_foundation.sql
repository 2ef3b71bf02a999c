-- Staff, customers, what they paid and were billed, cases and their timeline.

CREATE TABLE users (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE customers (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));

CREATE TABLE payments (
    id           text PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    amount       numeric(19,4) NOT NULL CHECK (amount > 0),
    currency     char(3) NOT NULL,
    method       text NOT NULL,
    reference    text NOT NULL,
    paid_at      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer_idx ON payments (customer_id, paid_at DESC);
CREATE UNIQUE INDEX payments_reference_key ON payments (reference);

CREATE TABLE invoices (
    id           text PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    number       text NOT NULL UNIQUE,
    amount       numeric(19,4) NOT NULL CHECK (amount > 0),
    currency     char(3) NOT NULL,
    issued_at    timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, issued_at DESC);

-- A case ID is reserved here before its workflow starts, so a random ID never
-- collides with another case and an Idempotency-Key maps to one case for good.
CREATE TABLE case_requests (
    case_id          text PRIMARY KEY,
    actor_id         text NOT NULL,
    idempotency_key  text,
    request_hash     bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (actor_id, idempotency_key)
);

-- The read model of cases, projected by the case workflows.
CREATE TABLE cases (
    id                        text PRIMARY KEY,
    type                      text NOT NULL,
    status                    text NOT NULL,
    priority                  text NOT NULL,
    channel                   text NOT NULL,
    customer_id               text NOT NULL REFERENCES customers (id),
    assignee_id               text,
    subject                   text NOT NULL,
    description               text NOT NULL,
    category                  text NOT NULL,
    identity_verified         boolean NOT NULL,
    outcome                   text NOT NULL,
    first_contact_resolution  boolean NOT NULL,
    opened_by                 text NOT NULL,
    opened_at                 timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    resolved_at               timestamptz,
    closed_at                 timestamptz,
    version                   bigint NOT NULL,
    -- In the supervisors' escalation queue: an SLA clock breached, or a
    -- chargeback close to the network's deadline.
    needs_supervisor          boolean NOT NULL DEFAULT false,
    -- The whole case as the workflow holds it; columns above are for filtering.
    state                     jsonb NOT NULL,
    search                    tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', id || ' ' || subject || ' ' || description)) STORED
);
CREATE INDEX cases_newest_idx ON cases (opened_at DESC, id DESC);
CREATE INDEX cases_status_idx ON cases (status, opened_at DESC, id DESC);
CREATE INDEX cases_assignee_idx ON cases (assignee_id, opened_at DESC, id DESC);
CREATE INDEX cases_customer_idx ON cases (customer_id, opened_at DESC, id DESC);
CREATE INDEX cases_search_idx ON cases USING gin (search);
CREATE INDEX cases_escalation_idx ON cases (opened_at DESC, id DESC) WHERE needs_supervisor;

-- The append-only timeline of every case.
CREATE TABLE case_events (
    case_id      text NOT NULL REFERENCES cases (id),
    seq          bigint NOT NULL,
    type         text NOT NULL,
    actor        text NOT NULL,
    at           timestamptz NOT NULL,
    data         jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, seq)
);

CREATE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only';
END;
$$;

CREATE TRIGGER case_events_append_only
    BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TRIGGER case_events_no_truncate
    BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();
