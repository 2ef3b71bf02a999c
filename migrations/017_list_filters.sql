-- GET /v1/cases with the filter combinations the console's queues send
-- (docs/performance.md, "The case list"). The list is newest first with a
-- LIMIT, so without an index that starts with the filtered columns the
-- planner walks cases_newest_idx and filters; a combination that matches few
-- rows, or none, reads the whole table (1.4 s over 1M cases for
-- type=dispute&priority=urgent with no such case; 190 ms for
-- status=waiting_on_customer with an assignee).
CREATE INDEX cases_type_priority_idx ON cases (type, priority, opened_at DESC, id DESC);
CREATE INDEX cases_assignee_status_idx ON cases (assignee_id, status, opened_at DESC, id DESC);

-- Free text (q): with the default statistics the planner cannot tell a rare
-- word (an invoice number, a name) from a common one and walks the newest
-- cases filtering on the text, reading every row when the word is rare
-- (1.7 s over 1M cases). A longer list of most common words lets it estimate
-- a rare word as rare and take the full-text index instead; common words keep
-- the newest-first walk, which finds its page at once.
ALTER TABLE cases ALTER COLUMN search SET STATISTICS 1000;
ANALYZE cases;

-- Opening a chargeback looks for an open one on the same payment, oldest
-- first (postgres/money.go, OpenChargeback). With the index of 008 on the
-- payment alone the planner may walk every case by opened_at instead, and did
-- over 1M cases (1.7 s for each chargeback opened). Ordered by opened_at
-- within the payment, the lookup is one index probe.
CREATE INDEX cases_open_chargeback_payment_idx ON cases ((state #>> '{chargeback,payment_id}'), opened_at)
    WHERE type = 'chargeback' AND status NOT IN ('resolved', 'closed');
DROP INDEX cases_open_chargeback_idx;
