-- Queues sorted by what breaches next (GET /v1/cases?sort=next_breach): the
-- soonest running deadline of each case, casedesk.Case.NextBreach, which the
-- projection writes with the row.
ALTER TABLE cases ADD COLUMN next_breach timestamptz;

-- Cases projected before this migration: the same rule, read from the state.
UPDATE cases SET next_breach = CASE WHEN status IN ('resolved', 'closed') THEN NULL ELSE LEAST(
    CASE WHEN state->'sla'->>'first_response_at' IS NULL THEN (state->'sla'->>'first_response_due')::timestamptz END,
    CASE WHEN NOT coalesce((state->'sla'->>'paused')::boolean, false) THEN (state->'sla'->>'resolution_due')::timestamptz END,
    CASE WHEN state->'chargeback'->>'stage' IN ('needs_response', 'pre_arbitration')
        THEN (state->'chargeback'->>'due_by')::timestamptz END) END;

-- Cases with no running deadline come last; ties by ID, as ListCases pages.
CREATE INDEX cases_next_breach_idx ON cases (next_breach ASC NULLS LAST, id);
