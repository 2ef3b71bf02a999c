package postgres

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// CaseEventPage returns the page p of the timeline of case id, oldest
// first, and whether more events follow it (with p.Latest: precede it).
// It reads at most p.Limit+1 rows through the (case_id, seq) key.
func (db *DB) CaseEventPage(ctx context.Context, id string, p casedesk.EventPage) ([]casedesk.Event, bool, error) {
	limit := p.Limit
	if limit < 1 || limit > casedesk.MaxEventLimit {
		limit = casedesk.DefaultEventLimit
	}
	var types []string
	if p.Types != nil {
		types = p.Types
	}
	sql := `SELECT seq, type, actor, at, data FROM case_events
		WHERE case_id = $1 AND seq > $2 AND ($4::text[] IS NULL OR type = ANY($4))
		ORDER BY seq LIMIT $3`
	args := []any{id, p.After, limit + 1, types}
	if p.Latest {
		sql = `SELECT seq, type, actor, at, data FROM case_events
			WHERE case_id = $1 AND ($2 = 0 OR seq < $2) AND ($4::text[] IS NULL OR type = ANY($4))
			ORDER BY seq DESC LIMIT $3`
		args[1] = p.Before
	}
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, err
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.Event, error) {
		var e casedesk.Event
		var data []byte
		if err := row.Scan(&e.Seq, &e.Type, &e.Actor, &e.At, &data); err != nil {
			return e, err
		}
		e.At = e.At.UTC()
		return e, json.Unmarshal(data, &e.Data)
	})
	if err != nil {
		return nil, false, err
	}
	more := len(events) > limit
	if more {
		events = events[:limit]
	}
	if p.Latest {
		slices.Reverse(events)
	}
	return events, more, nil
}
