package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// nextBreachSQL is the sort key of sort=next_breach: casedesk.Case.NextBreach
// as the projection stored it (migration 016), indexed with the ID.
const nextBreachSQL = "cases.next_breach"

// breachCursorPrefix tells a next_breach cursor from a newest-first one.
const breachCursorPrefix = "b|"

func encodeBreachCursor(due *time.Time, id string) string {
	at := ""
	if due != nil {
		at = due.UTC().Format(time.RFC3339Nano)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(breachCursorPrefix + at + "|" + id))
}

func decodeBreachCursor(s string) (*time.Time, string, error) {
	bad := casedesk.Invalid("cursor", "is not a cursor this server returned for sort=%s", casedesk.SortNextBreach)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, "", bad
	}
	rest, ok := strings.CutPrefix(string(raw), breachCursorPrefix)
	if !ok {
		return nil, "", bad
	}
	ts, id, ok := strings.Cut(rest, "|")
	if !ok || id == "" {
		return nil, "", bad
	}
	if ts == "" {
		return nil, id, nil
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, "", bad
	}
	return &at, id, nil
}

// breachAfter selects the rows after (due, id) in the order
// next breach ascending with no deadline last, then id.
func breachAfter(due *time.Time, id string, arg func(any) string) string {
	if due == nil {
		return fmt.Sprintf("(%s IS NULL AND cases.id > %s)", nextBreachSQL, arg(id))
	}
	t, i := arg(*due), arg(id)
	return fmt.Sprintf("(%[1]s > %[2]s OR (%[1]s = %[2]s AND cases.id > %[3]s) OR %[1]s IS NULL)", nextBreachSQL, t, i)
}

// listByBreach runs sql (SELECT state, nextBreachSQL FROM cases … ORDER BY
// it LIMIT limit+1) and returns a page of limit cases and the next cursor,
// taken from the database's own value of the sort key.
func (db *DB) listByBreach(ctx context.Context, sql string, limit int, args []any) ([]casedesk.Case, string, error) {
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", err
	}
	type row struct {
		c   casedesk.Case
		due *time.Time
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var out row
		var state []byte
		if err := r.Scan(&state, &out.due); err != nil {
			return out, err
		}
		return out, json.Unmarshal(state, &out.c)
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(got) > limit {
		got = got[:limit]
		last := got[len(got)-1]
		next = encodeBreachCursor(last.due, last.c.ID)
	}
	out := make([]casedesk.Case, len(got))
	for i, r := range got {
		out[i] = r.c
	}
	return out, next, nil
}
