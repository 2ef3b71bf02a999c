-- Money: holds that set refunds and credits aside, and the ledger of what moved.
--
-- What a payment can still refund is its amount less its held and posted
-- holds; what an invoice still owes is its amount less its held and posted
-- credits. The store checks it under a lock on the payment or invoice row.

CREATE TABLE holds (
    id            text PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('refund', 'credit')),
    -- No foreign key to cases: a refund case holds its money before the case
    -- is first projected to the read model.
    case_id       text NOT NULL,
    payment_id    text REFERENCES payments (id),
    invoice_id    text REFERENCES invoices (id),
    amount        numeric(19,4) NOT NULL CHECK (amount > 0),
    currency      char(3) NOT NULL,
    reason        text NOT NULL,
    requested_by  text NOT NULL,
    status        text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'posted', 'released')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- A refund is of a payment, a credit is on an invoice, never both.
    CHECK ((kind = 'refund' AND payment_id IS NOT NULL AND invoice_id IS NULL)
        OR (kind = 'credit' AND invoice_id IS NOT NULL AND payment_id IS NULL))
);
CREATE INDEX holds_payment_idx ON holds (payment_id, status) INCLUDE (amount) WHERE payment_id IS NOT NULL;
CREATE INDEX holds_invoice_idx ON holds (invoice_id, status) INCLUDE (amount) WHERE invoice_id IS NOT NULL;

-- A hold moves once, from held to posted or released, and its content never
-- changes; it is never deleted, so the ledger always explains itself.
CREATE FUNCTION holds_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'holds are never deleted';
    END IF;
    IF OLD.status <> 'held' AND NEW.status IS DISTINCT FROM OLD.status THEN
        RAISE EXCEPTION 'hold % is already %', OLD.id, OLD.status;
    END IF;
    IF (NEW.id, NEW.kind, NEW.case_id, NEW.payment_id, NEW.invoice_id, NEW.amount, NEW.currency,
        NEW.reason, NEW.requested_by, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.case_id, OLD.payment_id, OLD.invoice_id, OLD.amount, OLD.currency,
        OLD.reason, OLD.requested_by, OLD.created_at) THEN
        RAISE EXCEPTION 'hold % cannot be changed, only posted or released', OLD.id;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER holds_guard
    BEFORE UPDATE OR DELETE ON holds
    FOR EACH ROW EXECUTE FUNCTION holds_guard();

CREATE TRIGGER holds_no_truncate
    BEFORE TRUNCATE ON holds
    FOR EACH STATEMENT EXECUTE FUNCTION holds_guard();

-- Money that moved. One entry per hold at most: the unique hold_id is what
-- makes posting exactly once whatever retries or crashes happen.
CREATE TABLE ledger_entries (
    id           text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('refund', 'credit')),
    hold_id      text NOT NULL UNIQUE REFERENCES holds (id),
    case_id      text NOT NULL,
    payment_id   text REFERENCES payments (id),
    invoice_id   text REFERENCES invoices (id),
    amount       numeric(19,4) NOT NULL CHECK (amount > 0),
    currency     char(3) NOT NULL,
    posted_at    timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'refund' AND payment_id IS NOT NULL AND invoice_id IS NULL)
        OR (kind = 'credit' AND invoice_id IS NOT NULL AND payment_id IS NULL))
);
CREATE INDEX ledger_entries_payment_idx ON ledger_entries (payment_id, posted_at, id) INCLUDE (amount) WHERE payment_id IS NOT NULL;
CREATE INDEX ledger_entries_invoice_idx ON ledger_entries (invoice_id, posted_at, id) INCLUDE (amount) WHERE invoice_id IS NOT NULL;

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only';
END;
$$;

CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();
