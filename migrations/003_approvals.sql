-- The supervisors' approval queue, projected from the case workflows that own
-- the approvals.
CREATE TABLE approvals (
    id            text PRIMARY KEY,
    case_id       text NOT NULL REFERENCES cases (id),
    kind          text NOT NULL,
    status        text NOT NULL,
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    -- The case version this row was projected from: never moves back.
    case_version  bigint NOT NULL,
    state         jsonb NOT NULL
);
CREATE INDEX approvals_queue_idx ON approvals (status, requested_at DESC, id DESC);
CREATE INDEX approvals_case_idx ON approvals (case_id);
