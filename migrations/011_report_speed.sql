-- Covering indexes for the KPI report (docs/performance.md). Each cohort of
-- a month's report reads tens of thousands of cases; through the indexes of
-- 007 every one of them was a heap fetch (a random page read: the case rows
-- are wide, one or two to a page). These indexes carry every column a
-- cohort filters, groups and aggregates on, so each cohort is an
-- index-only scan. They replace the narrower indexes on the same keys.
CREATE INDEX cases_resolved_report_idx ON cases (resolved_at)
    INCLUDE (opened_at, id, type, channel, priority, category, assignee_id, outcome, first_contact_resolution,
        handling_s, handling_business_s, resolution_s, resolution_business_s)
    WHERE resolved_at IS NOT NULL;
DROP INDEX cases_resolved_idx;

CREATE INDEX cases_first_response_report_idx ON cases (first_response_at)
    INCLUDE (type, channel, priority, category, assignee_id, first_response_s, first_response_business_s)
    WHERE first_response_at IS NOT NULL;
DROP INDEX cases_first_response_idx;

CREATE INDEX cases_first_response_due_report_idx ON cases (first_response_due)
    INCLUDE (type, channel, priority, category, assignee_id, first_response_met)
    WHERE first_response_met IS NOT NULL;
DROP INDEX cases_first_response_due_idx;

CREATE INDEX cases_resolution_due_report_idx ON cases (resolution_due)
    INCLUDE (type, channel, priority, category, assignee_id, resolution_met)
    WHERE resolution_met IS NOT NULL;
DROP INDEX cases_resolution_due_idx;

-- The backlog's open half (the resolved half is cases_resolved_report_idx).
CREATE INDEX cases_unresolved_report_idx ON cases (opened_at)
    INCLUDE (type, channel, priority, category, assignee_id)
    WHERE resolved_at IS NULL;
DROP INDEX cases_unresolved_idx;

CREATE INDEX csat_case_rating_idx ON csat (case_id) INCLUDE (rating);
