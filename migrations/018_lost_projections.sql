-- A workflow task whose completion was lost (its worker killed mid-task,
-- Temporal's store down) may already have projected a version of the case
-- and timeline events that the workflow's history never kept; the task that
-- completed in its place projects the real ones at the same sequence
-- numbers. The timeline stays append-only for everyone else: only the
-- projection replaces such rows, in its own transaction with
-- casedesk.replacing_lost_projection set, and every row it replaces or
-- removes is kept in case_events_superseded, so the audit trail shows both.

-- Which workflow task wrote the row (casedesk.ProjectionOrigin): rows of
-- earlier releases have none and are ordered by version alone.
ALTER TABLE cases ADD COLUMN projected_run text NOT NULL DEFAULT '',
    ADD COLUMN projected_history bigint NOT NULL DEFAULT 0;

CREATE TABLE case_events_superseded (
    case_id        text NOT NULL REFERENCES cases (id),
    seq            bigint NOT NULL,
    type           text NOT NULL,
    actor          text NOT NULL,
    at             timestamptz NOT NULL,
    data           jsonb NOT NULL,
    recorded_at    timestamptz NOT NULL,
    superseded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX case_events_superseded_case_idx ON case_events_superseded (case_id, seq);

CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' AND current_setting('casedesk.replacing_lost_projection', true) = 'on' THEN
        INSERT INTO case_events_superseded (case_id, seq, type, actor, at, data, recorded_at)
        VALUES (OLD.case_id, OLD.seq, OLD.type, OLD.actor, OLD.at, OLD.data, OLD.recorded_at);
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'case_events is append-only';
END;
$$;

CREATE FUNCTION case_events_superseded_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events_superseded is append-only';
END;
$$;

CREATE TRIGGER case_events_superseded_append_only
    BEFORE UPDATE OR DELETE ON case_events_superseded
    FOR EACH ROW EXECUTE FUNCTION case_events_superseded_append_only();

CREATE TRIGGER case_events_superseded_no_truncate
    BEFORE TRUNCATE ON case_events_superseded
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_superseded_append_only();
