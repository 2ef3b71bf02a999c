package postgres

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/metrics"
)

// ReserveCase reserves a new case ID for req, or returns the ID already
// reserved for the same actor and Idempotency-Key (existing is then true).
// The same key with a different request hash is a conflict.
func (db *DB) ReserveCase(ctx context.Context, req casedesk.CaseRequest, newID func() string) (id string, existing bool, err error) {
	var key *string
	if req.IdempotencyKey != "" {
		key = &req.IdempotencyKey
	}
	for range 10 {
		if key != nil {
			var hash []byte
			err := db.Pool.QueryRow(ctx, `
				SELECT case_id, request_hash FROM case_requests WHERE actor_id = $1 AND idempotency_key = $2`,
				req.ActorID, *key).Scan(&id, &hash)
			switch {
			case err == nil && bytes.Equal(hash, req.RequestHash):
				return id, true, nil
			case err == nil:
				return "", false, casedesk.Errorf(casedesk.ECONFLICT, "Idempotency-Key %q was already used with a different request", *key)
			case !errors.Is(err, pgx.ErrNoRows):
				return "", false, err
			}
		}
		id = newID()
		tag, err := db.Pool.Exec(ctx, `
			INSERT INTO case_requests (case_id, actor_id, idempotency_key, request_hash)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, id, req.ActorID, key, req.RequestHash)
		if err != nil {
			return "", false, err
		}
		if tag.RowsAffected() == 1 {
			return id, false, nil
		}
		// Either the random ID was taken or a concurrent request with the same
		// key won the race: look again.
	}
	return "", false, errors.New("could not reserve a case ID")
}

// ProjectCase writes c and its new events to the read model. It is idempotent:
// an event already recorded is not recorded again and the case row never
// moves back to an older version.
func (db *DB) ProjectCase(ctx context.Context, c casedesk.Case, events []casedesk.Event, from casedesk.ProjectionOrigin) error {
	state, err := json.Marshal(c)
	if err != nil {
		return err
	}
	var assignee *string
	if c.AssigneeID != "" {
		assignee = &c.AssigneeID
	}
	// fresh are the events this projection inserted: each event is counted
	// in the metrics once, however often it is projected.
	var fresh []casedesk.Event
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		fresh = fresh[:0]
		// Webhooks go out with the projection or not at all (webhooks.go).
		if err := db.enqueueCaseHooks(ctx, tx, c, events); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO cases (id, type, status, priority, channel, customer_id, assignee_id, subject, description,
				category, identity_verified, outcome, first_contact_resolution, opened_by, opened_at, updated_at,
				resolved_at, closed_at, version, state, needs_supervisor, next_breach, projected_run, projected_history)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
				$23, $24)
			ON CONFLICT (id) DO UPDATE SET
				status = EXCLUDED.status, priority = EXCLUDED.priority, channel = EXCLUDED.channel,
				assignee_id = EXCLUDED.assignee_id, subject = EXCLUDED.subject, description = EXCLUDED.description,
				category = EXCLUDED.category, identity_verified = EXCLUDED.identity_verified,
				outcome = EXCLUDED.outcome, first_contact_resolution = EXCLUDED.first_contact_resolution,
				updated_at = EXCLUDED.updated_at, resolved_at = EXCLUDED.resolved_at,
				closed_at = EXCLUDED.closed_at, version = EXCLUDED.version, state = EXCLUDED.state,
				needs_supervisor = EXCLUDED.needs_supervisor, next_breach = EXCLUDED.next_breach,
				projected_run = EXCLUDED.projected_run, projected_history = EXCLUDED.projected_history
			WHERE CASE WHEN EXCLUDED.projected_run <> '' AND EXCLUDED.projected_run = cases.projected_run
				THEN (cases.projected_history, cases.version) <= (EXCLUDED.projected_history, EXCLUDED.version)
					-- The opening the API projected from the start's input
					-- (history length 1): every projection of that version
					-- in the run is of the same input, so none writes again.
					AND NOT (cases.projected_history = 1 AND cases.version = EXCLUDED.version)
				ELSE cases.version <= EXCLUDED.version END`,
			c.ID, c.Type, c.Status, c.Priority, c.Channel, c.CustomerID, assignee, c.Subject, c.Description,
			c.Category, c.IdentityVerified, c.Outcome, c.FirstContactResolution, c.OpenedBy, c.OpenedAt, c.UpdatedAt,
			c.ResolvedAt, c.ClosedAt, c.Version, state, c.NeedsSupervisor(), c.NextBreach(), from.RunID, from.HistoryLength)
		if err != nil {
			return translate(err, "case "+c.ID)
		}
		// The workflow's history is the truth. A projection written by a
		// workflow task whose completion was then lost (a worker killed,
		// Temporal's store down) left a case and events that history never
		// had; the projection by the task that completed in its place wins
		// (casedesk.ProjectionOrigin) and replaces them, approvals included.
		// An older projection of no origin only adds what is missing.
		latest := tag.RowsAffected() == 1
		if !latest && from.RunID != "" {
			// A task the history superseded, or an older one: the task that
			// won carried every event still pending.
			return nil
		}
		if err := db.projectFacts(ctx, tx, c); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		eventSQL := `
				INSERT INTO case_events (case_id, seq, type, actor, at, data) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (case_id, seq) DO NOTHING`
		if latest {
			eventSQL = `
				INSERT INTO case_events (case_id, seq, type, actor, at, data) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (case_id, seq) DO UPDATE SET type = EXCLUDED.type, actor = EXCLUDED.actor,
					at = EXCLUDED.at, data = EXCLUDED.data, recorded_at = now()
				WHERE (case_events.type, case_events.actor, case_events.at, case_events.data) IS DISTINCT FROM
					(EXCLUDED.type, EXCLUDED.actor, EXCLUDED.at, EXCLUDED.data)`
			// The one door through the timeline's append-only trigger
			// (migrations/018_lost_projections.sql), for this transaction.
			batch.Queue(`SELECT set_config('casedesk.replacing_lost_projection', 'on', true)`)
			batch.Queue(`DELETE FROM case_events WHERE case_id = $1 AND seq > $2`, c.ID, c.LastSeq)
			// An approval only a lost projection had leaves the queue (the
			// case keeps every approval it ever had, so no other goes).
			ids := make([]string, len(c.Approvals))
			for i, a := range c.Approvals {
				ids[i] = a.ID
			}
			batch.Queue(`DELETE FROM approvals WHERE case_id = $1 AND NOT (id = ANY($2))`, c.ID, ids)
		}
		for _, a := range c.Approvals {
			state, err := json.Marshal(a)
			if err != nil {
				return err
			}
			batch.Queue(`
				INSERT INTO approvals (id, case_id, kind, status, requested_by, requested_at, expires_at, case_version, state)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, case_version = EXCLUDED.case_version,
					state = EXCLUDED.state, kind = EXCLUDED.kind, requested_by = EXCLUDED.requested_by,
					requested_at = EXCLUDED.requested_at, expires_at = EXCLUDED.expires_at
				WHERE $10`,
				a.ID, c.ID, a.Kind, a.Status, a.RequestedBy, a.RequestedAt, a.ExpiresAt, c.Version, state, latest)
		}
		for _, e := range events {
			data, err := json.Marshal(e.Data)
			if err != nil {
				return err
			}
			batch.Queue(eventSQL, c.ID, e.Seq, e.Type, e.Actor, e.At, data)
		}
		// Open consoles hear of the change once it commits (changes.go).
		batch.Queue(`SELECT pg_notify($1, $2)`, CaseChannel, caseChangePayload(c.ID, c.Version))
		results := tx.SendBatch(ctx, batch)
		if latest {
			for range 3 {
				if _, err := results.Exec(); err != nil {
					_ = results.Close()
					return err
				}
			}
		}
		for i := range len(c.Approvals) + len(events) {
			tag, err := results.Exec()
			if err != nil {
				_ = results.Close()
				return err
			}
			if i >= len(c.Approvals) && tag.RowsAffected() == 1 {
				fresh = append(fresh, events[i-len(c.Approvals)])
			}
		}
		return results.Close()
	})
	if err == nil {
		metrics.Projected(c, fresh, time.Now())
	}
	return err
}

// Approval returns approval id as last projected.
func (db *DB) Approval(ctx context.Context, id string) (casedesk.Approval, error) {
	return oneState[casedesk.Approval](ctx, db.Pool, "approval "+id, `SELECT state FROM approvals WHERE id = $1`, id)
}

// ListApprovals returns the approvals with status ("" for all), newest first.
func (db *DB) ListApprovals(ctx context.Context, status string, limit int) ([]casedesk.Approval, error) {
	if limit <= 0 || limit > casedesk.MaxCaseLimit {
		limit = casedesk.MaxCaseLimit
	}
	return states[casedesk.Approval](ctx, db.Pool, `
		SELECT state FROM approvals WHERE ($1 = '' OR status = $1)
		ORDER BY requested_at DESC, id DESC LIMIT $2`, status, limit)
}

// scanState reads a row's JSON state column.
func scanState[T any](row pgx.CollectableRow) (T, error) {
	var v T
	var state []byte
	if err := row.Scan(&state); err != nil {
		return v, err
	}
	return v, json.Unmarshal(state, &v)
}

// states reads the JSON state column of every row of a query.
func states[T any](ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) ([]T, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanState[T])
}

// oneState reads the JSON state column of the one row of a query; no row
// is ENOTFOUND naming what.
func oneState[T any](ctx context.Context, pool *pgxpool.Pool, what, sql string, args ...any) (T, error) {
	var v T
	var state []byte
	if err := pool.QueryRow(ctx, sql, args...).Scan(&state); err != nil {
		return v, translate(err, what)
	}
	return v, json.Unmarshal(state, &v)
}

// Case returns case id as last projected.
func (db *DB) Case(ctx context.Context, id string) (casedesk.Case, error) {
	return oneState[casedesk.Case](ctx, db.Pool, "case "+id, `SELECT state FROM cases WHERE id = $1`, id)
}

// CaseEvents returns the timeline of case id in order.
func (db *DB) CaseEvents(ctx context.Context, id string) ([]casedesk.Event, error) {
	rows, err := db.Pool.Query(ctx, `SELECT seq, type, actor, at, data FROM case_events WHERE case_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []casedesk.Event{}
	for rows.Next() {
		var e casedesk.Event
		var data []byte
		if err := rows.Scan(&e.Seq, &e.Type, &e.Actor, &e.At, &data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &e.Data); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListCases returns the cases matching f, newest first, and the cursor of the
// next page ("" on the last page).
func (db *DB) ListCases(ctx context.Context, f casedesk.CaseFilter) ([]casedesk.Case, string, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(string(f.Type)))
	}
	if f.Priority != "" {
		where = append(where, "priority = "+arg(string(f.Priority)))
	}
	if f.AssigneeID != "" {
		where = append(where, "assignee_id = "+arg(f.AssigneeID))
	}
	if f.CustomerID != "" {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}
	if f.NeedsSupervisor != nil {
		where = append(where, "needs_supervisor = "+arg(*f.NeedsSupervisor))
	}
	where = append(where, drillDownWhere(f.DrillDown, arg)...)
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, fmt.Sprintf("(search @@ websearch_to_tsquery('simple', %s) OR id = upper(%s))", arg(q), arg(q)))
	}
	byBreach := f.Sort == casedesk.SortNextBreach
	if f.Cursor != "" && byBreach {
		due, id, err := decodeBreachCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, breachAfter(due, id, arg))
	} else if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(opened_at, id) < (%s, %s)", arg(at), arg(id)))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = casedesk.DefaultCaseLimit
	}
	sql := "SELECT state FROM cases"
	if byBreach {
		sql = "SELECT state, " + nextBreachSQL + " FROM cases"
	}
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	if byBreach {
		sql += " ORDER BY " + nextBreachSQL + " ASC NULLS LAST, cases.id ASC LIMIT " + arg(limit+1)
		return db.listByBreach(ctx, sql, limit, args)
	}
	sql += " ORDER BY opened_at DESC, id DESC LIMIT " + arg(limit+1)
	out, err := states[casedesk.Case](ctx, db.Pool, sql, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(last.OpenedAt, last.ID)
	}
	return out, next, nil
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(s string) (time.Time, string, error) {
	bad := casedesk.Invalid("cursor", "is not a cursor this server returned")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return time.Time{}, "", bad
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", bad
	}
	return at, id, nil
}
