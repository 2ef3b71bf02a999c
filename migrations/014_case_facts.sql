-- The KPI report's own table (docs/performance.md): one narrow row per case
-- with what the report filters, groups and aggregates on, the CSAT rating
-- included. The projection writes it from the case row in the same
-- transaction (postgres/reports.go, projectFacts) and SaveCSAT sets the
-- rating, so it always equals cases ⋈ csat.
--
-- Why a table of its own: a month's cohorts read tens of thousands of rows.
-- The case rows are wide (the state as JSON, the description) and the
-- recent ones, the ones a report reads, are the most often updated, so an
-- index-only scan of cases meets pages not yet all-visible and fetches the
-- heap row by row; and the ratings were a hash join against every rating
-- ever given. Here about forty rows share a page and the rating is a column.
CREATE TABLE case_facts (
    case_id                    text PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    type                       text NOT NULL,
    channel                    text NOT NULL,
    priority                   text NOT NULL,
    category                   text NOT NULL,
    assignee_id                text,
    outcome                    text NOT NULL,
    first_contact_resolution   boolean NOT NULL,
    opened_at                  timestamptz NOT NULL,
    resolved_at                timestamptz,
    first_response_at          timestamptz,
    first_response_s           double precision,
    first_response_business_s  double precision,
    resolution_s               double precision,
    resolution_business_s      double precision,
    handling_s                 double precision NOT NULL,
    handling_business_s        double precision NOT NULL,
    first_response_due         timestamptz,
    first_response_met         boolean,
    resolution_due             timestamptz,
    resolution_met             boolean,
    rating                     smallint
);

-- The cases there are, oldest first (the heap then follows opened_at, which
-- every cohort's time stays close to).
INSERT INTO case_facts
SELECT c.id, c.type, c.channel, c.priority, c.category, c.assignee_id, c.outcome, c.first_contact_resolution,
    c.opened_at, c.resolved_at, c.first_response_at, c.first_response_s, c.first_response_business_s,
    c.resolution_s, c.resolution_business_s, c.handling_s, c.handling_business_s,
    c.first_response_due, c.first_response_met, c.resolution_due, c.resolution_met, r.rating
FROM cases c LEFT JOIN csat r ON r.case_id = c.id
ORDER BY c.opened_at, c.id;

-- One index per cohort, on its time and with its condition, carrying
-- every column the cohort filters, groups and aggregates on: each cohort is
-- an index-only scan where the visibility map allows (the rows change only
-- when a fact does, a few times in a case's life, so it mostly does) and
-- a scan of a narrow heap where it does not.
CREATE INDEX case_facts_opened_idx ON case_facts (opened_at)
    INCLUDE (type, channel, priority, category, assignee_id);
CREATE INDEX case_facts_resolved_idx ON case_facts (resolved_at)
    INCLUDE (type, channel, priority, category, assignee_id, outcome, first_contact_resolution,
        handling_s, handling_business_s, resolution_s, resolution_business_s, rating)
    WHERE resolved_at IS NOT NULL;
CREATE INDEX case_facts_first_response_idx ON case_facts (first_response_at)
    INCLUDE (type, channel, priority, category, assignee_id, first_response_s, first_response_business_s)
    WHERE first_response_at IS NOT NULL;
CREATE INDEX case_facts_first_response_due_idx ON case_facts (first_response_due)
    INCLUDE (type, channel, priority, category, assignee_id, first_response_met)
    WHERE first_response_met IS NOT NULL;
CREATE INDEX case_facts_resolution_due_idx ON case_facts (resolution_due)
    INCLUDE (type, channel, priority, category, assignee_id, resolution_met)
    WHERE resolution_met IS NOT NULL;
-- The backlog: the cases still open (the resolved half is
-- case_facts_resolved_idx).
CREATE INDEX case_facts_unresolved_idx ON case_facts (opened_at)
    INCLUDE (type, channel, priority, category, assignee_id) WHERE resolved_at IS NULL;
ANALYZE case_facts;
-- Index-only scans need the visibility map, which VACUUM sets. By default
-- autovacuum comes after a fifth of a table has been inserted or changed:
-- the latest two months of a year of cases, the very pages a report reads.
-- The table is narrow and VACUUM skips the pages already all-visible, so it
-- can come after one percent (four days of a year's cases).
ALTER TABLE case_facts SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02);

-- The report no longer reads cases for its cohorts: 011's covering indexes
-- go back to the plain ones of 007, which the drill-down filters of
-- GET /v1/cases and the export use.
CREATE INDEX cases_resolved_idx ON cases (resolved_at) WHERE resolved_at IS NOT NULL;
DROP INDEX cases_resolved_report_idx;
CREATE INDEX cases_first_response_idx ON cases (first_response_at) WHERE first_response_at IS NOT NULL;
DROP INDEX cases_first_response_report_idx;
CREATE INDEX cases_first_response_due_idx ON cases (first_response_due) WHERE first_response_met IS NOT NULL;
DROP INDEX cases_first_response_due_report_idx;
CREATE INDEX cases_resolution_due_idx ON cases (resolution_due) WHERE resolution_met IS NOT NULL;
DROP INDEX cases_resolution_due_report_idx;
CREATE INDEX cases_unresolved_idx ON cases (opened_at) WHERE resolved_at IS NULL;
DROP INDEX cases_unresolved_report_idx;
-- Ratings are a column of case_facts now.
DROP INDEX csat_case_rating_idx;
