-- Reports: the facts each KPI needs, kept on the case row by the projection
-- (casedesk.Facts), the status history handling time is computed from, and
-- the indexes that keep a month's report fast over millions of cases.

ALTER TABLE cases
    ADD COLUMN first_response_at           timestamptz,
    ADD COLUMN first_response_s            double precision,
    ADD COLUMN first_response_business_s   double precision,
    ADD COLUMN resolution_s                double precision,
    ADD COLUMN resolution_business_s       double precision,
    ADD COLUMN handling_s                  double precision NOT NULL DEFAULT 0,
    ADD COLUMN handling_business_s         double precision NOT NULL DEFAULT 0,
    ADD COLUMN first_response_due          timestamptz,
    ADD COLUMN first_response_met          boolean,
    ADD COLUMN resolution_due              timestamptz,
    ADD COLUMN resolution_met              boolean,
    ADD COLUMN invoice_id                  text;

-- Cases projected before this migration: what SQL can tell from the state.
-- Business durations and handling time stay empty until the case changes.
UPDATE cases SET
    first_response_at = (state->'sla'->>'first_response_at')::timestamptz,
    first_response_due = (state->'sla'->>'first_response_due')::timestamptz,
    resolution_due = (state->'sla'->>'resolution_due')::timestamptz,
    invoice_id = NULLIF(state->'dispute'->>'invoice_id', '');
UPDATE cases SET
    first_response_s = extract(epoch FROM first_response_at - opened_at),
    resolution_s = extract(epoch FROM resolved_at - opened_at),
    first_response_met = CASE
        WHEN first_response_due IS NULL THEN NULL
        WHEN (state->'sla'->>'first_response_breached')::boolean THEN false
        WHEN first_response_at IS NOT NULL THEN first_response_at <= first_response_due END,
    resolution_met = CASE
        WHEN resolution_due IS NULL THEN NULL
        WHEN (state->'sla'->>'resolution_breached')::boolean THEN false
        WHEN resolved_at IS NOT NULL THEN resolved_at <= resolution_due END;

-- Every change of a case's status or assignee, as projected: handling time
-- is the time spent open with an assignee between two of them.
CREATE TABLE case_status_changes (
    case_id      text NOT NULL REFERENCES cases (id),
    version      bigint NOT NULL,
    status       text NOT NULL,
    assignee_id  text,
    at           timestamptz NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- Each cohort of the report is a range on one of these.
CREATE INDEX cases_opened_report_idx ON cases (opened_at) INCLUDE (type, channel, priority, category, assignee_id);
CREATE INDEX cases_resolved_idx ON cases (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX cases_first_response_idx ON cases (first_response_at) WHERE first_response_at IS NOT NULL;
CREATE INDEX cases_first_response_due_idx ON cases (first_response_due) WHERE first_response_met IS NOT NULL;
CREATE INDEX cases_resolution_due_idx ON cases (resolution_due) WHERE resolution_met IS NOT NULL;
-- The backlog at a time: the cases still open, and those resolved after it.
CREATE INDEX cases_unresolved_idx ON cases (opened_at) WHERE resolved_at IS NULL;
CREATE INDEX cases_invoice_idx ON cases (invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX case_events_reopened_idx ON case_events (at, case_id) WHERE type = 'reopened';
CREATE INDEX ledger_entries_posted_idx ON ledger_entries (posted_at);
CREATE INDEX ledger_entries_case_idx ON ledger_entries (case_id);
CREATE INDEX invoices_issued_idx ON invoices (issued_at);
