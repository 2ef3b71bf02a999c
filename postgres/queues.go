package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/casedesk/casedesk"
)

// CountCases counts the cases that f's status, type, priority, assignee,
// customer and escalation fields select (its search text, drill-down and
// paging are not counted).
func (db *DB) CountCases(ctx context.Context, f casedesk.CaseFilter) (int, error) {
	var where []string
	var args []any
	eq := func(col string, v any) {
		args = append(args, v)
		where = append(where, col+" = $"+strconv.Itoa(len(args)))
	}
	if f.Status != "" {
		eq("status", string(f.Status))
	}
	if f.Type != "" {
		eq("type", string(f.Type))
	}
	if f.Priority != "" {
		eq("priority", string(f.Priority))
	}
	if f.AssigneeID != "" {
		eq("assignee_id", f.AssigneeID)
	}
	if f.CustomerID != "" {
		eq("customer_id", f.CustomerID)
	}
	if f.NeedsSupervisor != nil {
		eq("needs_supervisor", *f.NeedsSupervisor)
	}
	sql := "SELECT count(*) FROM cases"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	var n int
	err := db.Pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}
