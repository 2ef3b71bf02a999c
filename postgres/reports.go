package postgres

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/casedesk/casedesk"
)

// Calendars looks up the business calendars that case facts are measured
// in, by name (the worker's SLA configuration).
type Calendars interface {
	Calendar(name string) (*casedesk.Calendar, bool)
}

// calendarOf returns the business calendar of c's SLA policy, nil (calendar
// time) when it has none or the store knows no calendars.
func (db *DB) calendarOf(c casedesk.Case) *casedesk.Calendar {
	if db.Calendars == nil {
		return nil
	}
	cal, _ := db.Calendars.Calendar(casedesk.PolicyCalendar(c.SLA.Policy))
	return cal
}

// projectFacts records c's status change, if it is one, and keeps the
// report facts of its row current. It runs in ProjectCase's transaction,
// after the case row is written; an older version arriving late changes
// nothing.
func (db *DB) projectFacts(ctx context.Context, tx pgx.Tx, c casedesk.Case) error {
	var assignee *string
	if c.AssigneeID != "" {
		assignee = &c.AssigneeID
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO case_status_changes (case_id, version, status, assignee_id, at)
		SELECT $1, $2, $3, $4, $5
		WHERE NOT EXISTS (
			SELECT 1 FROM (SELECT version, status, assignee_id FROM case_status_changes
				WHERE case_id = $1 ORDER BY version DESC LIMIT 1) last
			WHERE last.version >= $2 OR (last.status = $3 AND last.assignee_id IS NOT DISTINCT FROM $4))`,
		c.ID, c.Version, c.Status, assignee, c.UpdatedAt); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `
		SELECT version, status, coalesce(assignee_id, ''), at FROM case_status_changes
		WHERE case_id = $1 ORDER BY version`, c.ID)
	if err != nil {
		return err
	}
	history, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.StatusChange, error) {
		var h casedesk.StatusChange
		err := row.Scan(&h.Version, &h.Status, &h.AssigneeID, &h.At)
		return h, err
	})
	if err != nil {
		return err
	}
	f := casedesk.Facts(c, history, db.calendarOf(c))
	var invoice *string
	if f.InvoiceID != "" {
		invoice = &f.InvoiceID
	}
	_, err = tx.Exec(ctx, `
		UPDATE cases SET first_response_at = $3, first_response_s = $4, first_response_business_s = $5,
			resolution_s = $6, resolution_business_s = $7, handling_s = $8, handling_business_s = $9,
			first_response_due = $10, first_response_met = $11, resolution_due = $12, resolution_met = $13,
			invoice_id = $14
		WHERE id = $1 AND version = $2`,
		c.ID, c.Version, f.FirstResponseAt, seconds(f.FirstResponse), seconds(f.FirstResponseBusiness),
		seconds(f.Resolution), seconds(f.ResolutionBusiness), f.Handling.Seconds(), f.HandlingBusiness.Seconds(),
		f.FirstResponseDue, f.FirstResponseMet, f.ResolutionDue, f.ResolutionMet, invoice)
	if err != nil {
		return err
	}
	// The report's copy (014_case_facts.sql), from the row as it now is: an
	// older version arriving late leaves it as it was, and a projection that
	// changed no fact writes nothing. The rating is SaveCSAT's (rateFacts);
	// only a new row takes it from csat.
	_, err = tx.Exec(ctx, copyFacts("c.id = $1"), c.ID)
	return err
}

// copyFacts is the SQL that brings the case_facts of the cases c matching
// where up to date with their rows.
func copyFacts(where string) string {
	return `INSERT INTO case_facts (case_id, ` + factColumns + `, rating)
		SELECT c.id, ` + prefixed("c.", factColumns) + `, (SELECT r.rating FROM csat r WHERE r.case_id = c.id)
		FROM cases c WHERE ` + where + `
		ON CONFLICT (case_id) DO UPDATE SET (` + factColumns + `) = ROW(` + prefixed("EXCLUDED.", factColumns) + `)
		WHERE (` + prefixed("case_facts.", factColumns) + `) IS DISTINCT FROM (` + prefixed("EXCLUDED.", factColumns) + `)`
}

// factColumns are the columns case_facts copies from cases.
const factColumns = "type, channel, priority, category, assignee_id, outcome, first_contact_resolution, " +
	"opened_at, resolved_at, first_response_at, first_response_s, first_response_business_s, " +
	"resolution_s, resolution_business_s, handling_s, handling_business_s, " +
	"first_response_due, first_response_met, resolution_due, resolution_met"

// prefixed qualifies each of the comma-separated columns with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ")
}

// rateFacts records a case's CSAT rating in case_facts, in SaveCSAT's
// transaction.
func rateFacts(ctx context.Context, tx pgx.Tx, caseID string, rating int) error {
	_, err := tx.Exec(ctx, `UPDATE case_facts SET rating = $2 WHERE case_id = $1`, caseID, rating)
	return err
}

func seconds(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	s := d.Seconds()
	return &s
}

// query collects SQL arguments as it is built.
type query struct{ args []any }

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// reportWhere is the SQL of a report's case filters on cases c.
func reportWhere(f casedesk.ReportFilter, q *query) []string {
	var where []string
	if f.Type != "" {
		where = append(where, "c.type = "+q.arg(string(f.Type)))
	}
	if f.Channel != "" {
		where = append(where, "c.channel = "+q.arg(string(f.Channel)))
	}
	if f.Priority != "" {
		where = append(where, "c.priority = "+q.arg(string(f.Priority)))
	}
	where = append(where, categoryAgentWhere("c.", f.Category, f.AgentID, q.arg)...)
	return where
}

func categoryAgentWhere(col, category, agent string, arg func(any) string) []string {
	var where []string
	switch category {
	case "":
	case casedesk.None:
		where = append(where, col+"category = ''")
	default:
		where = append(where, col+"category = "+arg(category))
	}
	switch agent {
	case "":
	case casedesk.None:
		where = append(where, col+"assignee_id IS NULL")
	default:
		where = append(where, col+"assignee_id = "+arg(agent))
	}
	return where
}

// groupKey is the SQL a row whose cohort time is ts is grouped by, and
// the group's key (a text) computed from it. Days and weeks group on the
// truncated timestamp and are formatted once per group.
func groupKey(groupBy, ts string) (group, key string) {
	switch groupBy {
	case casedesk.GroupDay, casedesk.GroupWeek:
		group = "date_trunc('" + groupBy + "', " + ts + " AT TIME ZONE 'UTC')"
		return group, "to_char(" + group + ", 'YYYY-MM-DD')"
	case casedesk.GroupAgent:
		return "c.assignee_id", "coalesce(c.assignee_id, '')"
	case casedesk.GroupType:
		return "c.type", "c.type"
	case casedesk.GroupChannel:
		return "c.channel", "c.channel"
	case casedesk.GroupCategory:
		return "c.category", "c.category"
	}
	return "", ""
}

// groupSelect is the SELECT list's head of a query grouped by group (see
// groupKey): whether the row is the totals, and the group's key.
func groupSelect(group, key string) string {
	if group == "" {
		return "true, ''"
	}
	return "GROUPING(" + group + ") = 1, coalesce(" + key + ", '')"
}

// report accumulates the totals and groups of a report. Its cohorts run
// concurrently: mu guards groups and the scans into them.
type report struct {
	f      casedesk.ReportFilter
	mu     sync.Mutex
	totals casedesk.Aggregates
	groups map[string]*casedesk.Aggregates
}

func (r *report) group(key string, total bool) *casedesk.Aggregates {
	if total {
		return &r.totals
	}
	a := r.groups[key]
	if a == nil {
		a = &casedesk.Aggregates{}
		r.groups[key] = a
	}
	return a
}

// cohort is one aggregate query of a report: the cases (case_facts as c)
// whose time ts falls in the period, aggregated per group and in total.
type cohort struct {
	from  string // FROM clause, with case_facts as c
	ts    string // the cohort's time; "" for a query with its own condition
	where []string
	aggs  []string
	// noTimeGroups and noCaseGroups say which groupings do not apply: day
	// and week need a time, the others a case.
	noTimeGroups, noCaseGroups bool
	// dest gives the scan destinations in a of a result row's columns
	// after the two that say its group.
	dest func(a *casedesk.Aggregates) []any
	// scan, instead of dest, reads the whole row (the money cohort).
	scan func(r *report, total bool, key string, rows pgx.Rows) error
	// sql, when set, is the whole query (its first two columns say the group).
	sql  string
	args []any
}

// build returns the SQL of co for the grouping of f.
func (co cohort) build(f casedesk.ReportFilter) string {
	if co.sql != "" {
		return co.sql
	}
	group, key := groupKey(f.GroupBy, co.ts)
	timeGroup := f.GroupBy == casedesk.GroupDay || f.GroupBy == casedesk.GroupWeek
	if (timeGroup && co.noTimeGroups) || (!timeGroup && co.noCaseGroups) {
		group, key = "", ""
	}
	sql := "SELECT " + groupSelect(group, key) + ", " + strings.Join(co.aggs, ", ") + " FROM " + co.from
	if len(co.where) > 0 {
		sql += " WHERE " + strings.Join(co.where, " AND ")
	}
	if group != "" {
		sql += " GROUP BY GROUPING SETS ((" + group + "), ())"
	}
	return sql
}

func runCohort(ctx context.Context, tx pgx.Tx, r *report, co cohort) error {
	rows, err := tx.Query(ctx, co.build(r.f), co.args...)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		// The first two columns say which group the row is.
		vals, err := rows.Values()
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		total, _ := vals[0].(bool)
		k, _ := vals[1].(string)
		r.mu.Lock()
		if co.scan != nil {
			err = co.scan(r, total, k, rows)
		} else {
			var skip1, skip2 any
			err = rows.Scan(append([]any{&skip1, &skip2}, co.dest(r.group(k, total))...)...)
		}
		r.mu.Unlock()
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return rows.Err()
}

// Report's cohorts run on up to reportParallelism connections at once,
// leaving the pool at least one connection for everything else.
const reportParallelism = 3

// reportWorkMem is the work_mem of a report's transactions: the
// percentiles sort a month's durations per group and in total, which
// spills to disk at the default 4MB.
const reportWorkMem = "32MB"

// Report computes the aggregates of every KPI for f: the totals and, with
// f.GroupBy, one group per key in key order. Its cohorts (one query each)
// read case_facts concurrently, in one snapshot: the first transaction
// exports it and the others import it, so the figures of one report agree
// with each other as if one query had computed them.
func (db *DB) Report(ctx context.Context, f casedesk.ReportFilter) (casedesk.Aggregates, []casedesk.ReportGroup, error) {
	r := &report{f: f, groups: map[string]*casedesk.Aggregates{}}
	cohorts := reportCohorts(f)
	workers := min(reportParallelism, len(cohorts), max(1, int(db.Pool.Config().MaxConns)-1))
	next := make(chan cohort, len(cohorts))
	for _, co := range cohorts {
		next <- co
	}
	close(next)
	// The cohorts are the parallelism: no parallel workers on top of them.
	// JIT compiling costs hundreds of milliseconds, more than any cohort
	// takes, and the planner asks for it on long periods.
	begin := "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL work_mem = '" + reportWorkMem +
		"'; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off"
	lead, err := db.Pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: begin})
	if err != nil {
		return casedesk.Aggregates{}, nil, fmt.Errorf("report: %w", err)
	}
	defer lead.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only
	var snapshot string
	if err := lead.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return casedesk.Aggregates{}, nil, fmt.Errorf("report: %w", err)
	}
	if strings.Trim(snapshot, "0123456789ABCDEF-") != "" {
		return casedesk.Aggregates{}, nil, fmt.Errorf("report: unexpected snapshot %q", snapshot)
	}
	g, gctx := errgroup.WithContext(ctx)
	// Once every cohort is taken, the others still waiting for a
	// connection give up: the lead alone always finishes, however busy the
	// pool is.
	joining, allTaken := context.WithCancel(gctx)
	defer allTaken()
	work := func(tx pgx.Tx) error {
		defer allTaken()
		for co := range next {
			if err := runCohort(gctx, tx, r, co); err != nil {
				return err
			}
		}
		return nil
	}
	g.Go(func() error { return work(lead) })
	for range workers - 1 {
		g.Go(func() error {
			tx, err := db.Pool.BeginTx(joining, pgx.TxOptions{BeginQuery: begin + "; SET TRANSACTION SNAPSHOT '" + snapshot + "'"})
			if err != nil {
				if joining.Err() != nil && gctx.Err() == nil {
					return nil
				}
				return fmt.Errorf("report: %w", err)
			}
			defer tx.Rollback(context.WithoutCancel(gctx)) //nolint:errcheck // read only
			return work(tx)
		})
	}
	if err := g.Wait(); err != nil {
		return casedesk.Aggregates{}, nil, err
	}
	keys := make([]string, 0, len(r.groups))
	for k := range r.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	groups := make([]casedesk.ReportGroup, 0, len(keys))
	for _, k := range keys {
		groups = append(groups, casedesk.ReportGroup{Key: k, Aggregates: *r.groups[k]})
	}
	for i := range groups {
		sortMoney(groups[i].Money)
	}
	sortMoney(r.totals.Money)
	return r.totals, groups, nil
}

// reportCohorts are the queries of a report for f, slowest first (they
// are handed out in this order).
func reportCohorts(f casedesk.ReportFilter) []cohort {
	var out []cohort
	add := func(build func(q *query) cohort) {
		q := &query{}
		co := build(q)
		co.args = q.args
		out = append(out, co)
	}
	window := func(q *query, col string) []string {
		return append(reportWhere(f, q), col+" >= "+q.arg(f.From), col+" < "+q.arg(f.To))
	}
	pct := func(p, col string) string {
		return "percentile_cont(" + p + ") WITHIN GROUP (ORDER BY " + col + ")"
	}
	// Resolved in the period: FCR, handling, resolution times, CSAT, chargeback outcomes.
	add(func(q *query) cohort {
		worked := "FILTER (WHERE c.handling_s > 0)"
		cb := func(outcome string) string {
			return "count(*) FILTER (WHERE c.type = 'chargeback' AND c.outcome = " + q.arg(outcome) + ")"
		}
		aggs := []string{
			"count(*)", "count(*) FILTER (WHERE c.first_contact_resolution)",
			"count(*) " + worked, "avg(c.handling_s) " + worked, pct("0.5", "c.handling_s") + " " + worked,
			"avg(c.handling_business_s) " + worked, pct("0.5", "c.handling_business_s") + " " + worked,
			pct("0.5", "c.resolution_s"), pct("0.9", "c.resolution_s"),
			pct("0.5", "c.resolution_business_s"), pct("0.9", "c.resolution_business_s"),
			"count(c.rating)", "count(*) FILTER (WHERE c.rating >= 4)", "coalesce(sum(c.rating), 0)",
			cb(casedesk.OutcomeWon), cb(casedesk.OutcomeLost), cb(casedesk.OutcomeExpired),
		}
		return cohort{from: "case_facts c", ts: "c.resolved_at", where: window(q, "c.resolved_at"), aggs: aggs,
			dest: func(a *casedesk.Aggregates) []any {
				return []any{&a.Resolved, &a.FCR, &a.Handled, &a.HandlingMean, &a.HandlingMedian,
					&a.HandlingBusinessMean, &a.HandlingBusinessMedian,
					&a.ResolutionP50, &a.ResolutionP90, &a.ResolutionBusinessP50, &a.ResolutionBusinessP90,
					&a.Rated, &a.Satisfied, &a.RatingSum, &a.ChargebacksWon, &a.ChargebacksLost, &a.ChargebacksExpired}
			}}
	})
	// Opened, by type and channel, chargebacks among them.
	add(func(q *query) cohort {
		aggs := []string{"count(*)"}
		for _, t := range casedesk.Types {
			aggs = append(aggs, "count(*) FILTER (WHERE c.type = "+q.arg(string(t))+")")
		}
		for _, ch := range casedesk.Channels {
			aggs = append(aggs, "count(*) FILTER (WHERE c.channel = "+q.arg(string(ch))+")")
		}
		aggs = append(aggs, "count(*) FILTER (WHERE c.type = 'chargeback')")
		return cohort{from: "case_facts c", ts: "c.opened_at", where: window(q, "c.opened_at"), aggs: aggs,
			dest: func(a *casedesk.Aggregates) []any {
				if a.OpenedByType == nil {
					a.OpenedByType, a.OpenedByChannel = map[casedesk.Type]int64{}, map[casedesk.Channel]int64{}
				}
				out := []any{&a.Opened}
				for _, t := range casedesk.Types {
					out = append(out, mapSlot(a.OpenedByType, t))
				}
				for _, ch := range casedesk.Channels {
					out = append(out, mapSlot(a.OpenedByChannel, ch))
				}
				return append(out, &a.ChargebacksOpened)
			}}
	})
	// First responses in the period.
	add(func(q *query) cohort {
		return cohort{from: "case_facts c", ts: "c.first_response_at", where: window(q, "c.first_response_at"),
			aggs: []string{"count(*)", pct("0.5", "c.first_response_s"), pct("0.9", "c.first_response_s"),
				pct("0.5", "c.first_response_business_s"), pct("0.9", "c.first_response_business_s")},
			dest: func(a *casedesk.Aggregates) []any {
				return []any{&a.Responded, &a.FirstResponseP50, &a.FirstResponseP90,
					&a.FirstResponseBusinessP50, &a.FirstResponseBusinessP90}
			}}
	})
	// First-response targets that came due in the period, decided.
	add(func(q *query) cohort {
		return cohort{from: "case_facts c", ts: "c.first_response_due",
			where: append(window(q, "c.first_response_due"), "c.first_response_met IS NOT NULL"),
			aggs:  []string{"count(*)", "count(*) FILTER (WHERE c.first_response_met)"},
			dest: func(a *casedesk.Aggregates) []any {
				return []any{&a.FirstResponseTargets, &a.FirstResponseMet}
			}}
	})
	// Resolution targets that came due in the period, decided.
	add(func(q *query) cohort {
		return cohort{from: "case_facts c", ts: "c.resolution_due",
			where: append(window(q, "c.resolution_due"), "c.resolution_met IS NOT NULL"),
			aggs:  []string{"count(*)", "count(*) FILTER (WHERE c.resolution_met)"},
			dest: func(a *casedesk.Aggregates) []any {
				return []any{&a.ResolutionTargets, &a.ResolutionMet}
			}}
	})
	// The backlog at the end of the period: still open, or resolved after it.
	add(func(q *query) cohort {
		// Two halves, each an index scan; an OR of the two conditions
		// would read every case.
		to := q.arg(f.To)
		cols := "c.type, c.channel, c.priority, c.category, c.assignee_id"
		from := "(SELECT " + cols + " FROM case_facts c WHERE c.resolved_at IS NULL AND c.opened_at < " + to +
			" UNION ALL SELECT " + cols + " FROM case_facts c WHERE c.resolved_at >= " + to + " AND c.opened_at < " + to + ") c"
		return cohort{from: from, where: reportWhere(f, q), aggs: []string{"count(*)"}, noTimeGroups: true,
			dest: func(a *casedesk.Aggregates) []any {
				a.Backlog = new(int64)
				return []any{a.Backlog}
			}}
	})
	// Reopened in the period.
	add(func(q *query) cohort {
		from := "case_facts c JOIN (SELECT case_id, min(at) AS at FROM case_events WHERE type = 'reopened' AND at >= " +
			q.arg(f.From) + " AND at < " + q.arg(f.To) + " GROUP BY case_id) r ON r.case_id = c.case_id"
		return cohort{from: from, ts: "r.at", where: reportWhere(f, q), aggs: []string{"count(*)"},
			dest: func(a *casedesk.Aggregates) []any { return []any{&a.Reopened} }}
	})
	// Invoices issued in the period and those an upheld dispute or a credit touched.
	add(func(q *query) cohort {
		return cohort{from: "invoices i", ts: "i.issued_at",
			where: []string{"i.issued_at >= " + q.arg(f.From), "i.issued_at < " + q.arg(f.To)},
			aggs: []string{"count(*)", `count(*) FILTER (WHERE
				EXISTS (SELECT 1 FROM cases d WHERE d.invoice_id = i.id AND d.type = 'dispute' AND d.outcome = 'upheld')
				OR EXISTS (SELECT 1 FROM ledger_entries le WHERE le.invoice_id = i.id AND le.kind = 'credit'))`},
			noCaseGroups: true,
			dest: func(a *casedesk.Aggregates) []any {
				a.Invoices, a.InvoicesTouched = new(int64), new(int64)
				return []any{a.Invoices, a.InvoicesTouched}
			}}
	})
	// The refunds and credits posted in the period, per kind and currency.
	add(func(q *query) cohort {
		where := append(reportWhere(f, q), "le.posted_at >= "+q.arg(f.From), "le.posted_at < "+q.arg(f.To))
		group, key := groupKey(f.GroupBy, "le.posted_at")
		sets := "(le.kind, le.currency)"
		if group != "" {
			sets = "(" + group + ", le.kind, le.currency), (le.kind, le.currency)"
		}
		return cohort{sql: "SELECT " + groupSelect(group, key) + ", le.kind, le.currency, count(*), sum(le.amount)" +
			" FROM ledger_entries le JOIN case_facts c ON c.case_id = le.case_id WHERE " + strings.Join(where, " AND ") +
			" GROUP BY GROUPING SETS (" + sets + ")",
			scan: func(r *report, total bool, key string, rows pgx.Rows) error {
				var skip1, skip2 any
				var m casedesk.MoneyTotal
				var amount decimal.Decimal
				if err := rows.Scan(&skip1, &skip2, &m.Kind, &m.Currency, &m.Count, &amount); err != nil {
					return err
				}
				m.Amount = amount
				a := r.group(key, total)
				a.Money = append(a.Money, m)
				return nil
			}}
	})
	return out
}

// sortMoney puts money totals in kind and currency order.
func sortMoney(m []casedesk.MoneyTotal) {
	sort.Slice(m, func(i, j int) bool {
		if m[i].Kind != m[j].Kind {
			return m[i].Kind < m[j].Kind
		}
		return m[i].Currency < m[j].Currency
	})
}

// mapSlot returns a scan destination that stores into m[k].
func mapSlot[K comparable](m map[K]int64, k K) any { return &slot[K]{m: m, k: k} }

type slot[K comparable] struct {
	m map[K]int64
	k K
}

func (s *slot[K]) Scan(src any) error {
	n, ok := src.(int64)
	if !ok {
		return fmt.Errorf("count: unexpected %T", src)
	}
	s.m[s.k] = n
	return nil
}

// drillDownWhere is the SQL of a drill-down on the cases table.
func drillDownWhere(d casedesk.DrillDown, arg func(any) string) []string {
	var where []string
	if d.Channel != "" {
		where = append(where, "cases.channel = "+arg(string(d.Channel)))
	}
	where = append(where, categoryAgentWhere("cases.", d.Category, d.AgentID, arg)...)
	if d.Outcome != "" {
		where = append(where, "cases.outcome = "+arg(d.Outcome))
	}
	window := func(col string, from, to *time.Time) {
		if from != nil {
			where = append(where, col+" >= "+arg(*from))
		}
		if to != nil {
			where = append(where, col+" < "+arg(*to))
		}
	}
	window("cases.opened_at", d.OpenedFrom, d.OpenedTo)
	window("cases.resolved_at", d.ResolvedFrom, d.ResolvedTo)
	window("cases.first_response_at", d.FirstResponseFrom, d.FirstResponseTo)
	if d.ReopenedFrom != nil || d.ReopenedTo != nil {
		sub := "EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = cases.id AND e.type = 'reopened'"
		if d.ReopenedFrom != nil {
			sub += " AND e.at >= " + arg(*d.ReopenedFrom)
		}
		if d.ReopenedTo != nil {
			sub += " AND e.at < " + arg(*d.ReopenedTo)
		}
		where = append(where, sub+")")
	}
	if d.BacklogAt != nil {
		at := arg(*d.BacklogAt)
		where = append(where, "cases.opened_at < "+at, "(cases.resolved_at IS NULL OR cases.resolved_at >= "+at+")")
	}
	if d.SLAClock != "" {
		due, met := "cases.first_response_due", "cases.first_response_met"
		if d.SLAClock == casedesk.ClockResolution {
			due, met = "cases.resolution_due", "cases.resolution_met"
		}
		where = append(where, met+" IS NOT NULL")
		window(due, d.SLADueFrom, d.SLADueTo)
		if d.SLAMet != nil {
			where = append(where, met+" = "+arg(*d.SLAMet))
		}
	}
	if d.FCR != nil {
		where = append(where, "cases.first_contact_resolution = "+arg(*d.FCR))
	}
	if d.Rated != nil {
		where = append(where, notIf(!*d.Rated)+"EXISTS (SELECT 1 FROM csat r WHERE r.case_id = cases.id)")
	}
	if d.Satisfied != nil {
		op := ">="
		if !*d.Satisfied {
			op = "<"
		}
		where = append(where, "EXISTS (SELECT 1 FROM csat r WHERE r.case_id = cases.id AND r.rating "+op+" 4)")
	}
	if d.HasHandlingTime != nil {
		op := ">"
		if !*d.HasHandlingTime {
			op = "<="
		}
		where = append(where, "cases.handling_s "+op+" 0")
	}
	if d.Posted != "" {
		sub := "EXISTS (SELECT 1 FROM ledger_entries le WHERE le.case_id = cases.id AND le.kind = " + arg(d.Posted)
		if d.PostedFrom != nil {
			sub += " AND le.posted_at >= " + arg(*d.PostedFrom)
		}
		if d.PostedTo != nil {
			sub += " AND le.posted_at < " + arg(*d.PostedTo)
		}
		if d.Currency != "" {
			sub += " AND le.currency = " + arg(d.Currency)
		}
		where = append(where, sub+")")
	}
	if d.BillingErrorFrom != nil || d.BillingErrorTo != nil {
		issued := "TRUE"
		if d.BillingErrorFrom != nil {
			issued += " AND i.issued_at >= " + arg(*d.BillingErrorFrom)
		}
		if d.BillingErrorTo != nil {
			issued += " AND i.issued_at < " + arg(*d.BillingErrorTo)
		}
		where = append(where, "((cases.type = 'dispute' AND cases.outcome = 'upheld' AND cases.invoice_id IN (SELECT i.id FROM invoices i WHERE "+issued+
			")) OR EXISTS (SELECT 1 FROM ledger_entries le JOIN invoices i ON i.id = le.invoice_id WHERE le.case_id = cases.id AND le.kind = 'credit' AND "+issued+"))")
	}
	return where
}

func notIf(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

// ExportCases calls each with every case matching f (its cursor and limit
// ignored), oldest first, as the rows arrive: memory stays flat however
// many cases match.
func (db *DB) ExportCases(ctx context.Context, f casedesk.CaseFilter, each func(casedesk.CaseRow) error) error {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var where []string
	if f.Status != "" {
		where = append(where, "cases.status = "+arg(string(f.Status)))
	}
	if f.Type != "" {
		where = append(where, "cases.type = "+arg(string(f.Type)))
	}
	if f.Priority != "" {
		where = append(where, "cases.priority = "+arg(string(f.Priority)))
	}
	if f.AssigneeID != "" {
		where = append(where, "cases.assignee_id = "+arg(f.AssigneeID))
	}
	if f.CustomerID != "" {
		where = append(where, "cases.customer_id = "+arg(f.CustomerID))
	}
	if f.NeedsSupervisor != nil {
		where = append(where, "cases.needs_supervisor = "+arg(*f.NeedsSupervisor))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, fmt.Sprintf("(cases.search @@ websearch_to_tsquery('simple', %s) OR cases.id = upper(%s))", arg(q), arg(q)))
	}
	where = append(where, drillDownWhere(f.DrillDown, arg)...)
	sql := `SELECT cases.id, cases.type, cases.status, cases.priority, cases.channel, cases.category, cases.customer_id,
			coalesce(cases.assignee_id, ''), cases.opened_at, cases.first_response_at, cases.resolved_at, cases.closed_at,
			cases.outcome, cases.first_contact_resolution, cases.handling_s, cases.handling_business_s,
			cases.first_response_met, cases.resolution_met, r.rating
		FROM cases LEFT JOIN csat r ON r.case_id = cases.id`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY cases.opened_at, cases.id"
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c casedesk.CaseRow
		var handling, business float64
		var rating *int16
		if err := rows.Scan(&c.ID, &c.Type, &c.Status, &c.Priority, &c.Channel, &c.Category, &c.CustomerID,
			&c.AssigneeID, &c.OpenedAt, &c.FirstResponseAt, &c.ResolvedAt, &c.ClosedAt, &c.Outcome, &c.FCR,
			&handling, &business, &c.FirstResponseMet, &c.ResolutionMet, &rating); err != nil {
			return err
		}
		c.Handling = time.Duration(handling * float64(time.Second))
		c.HandlingBusiness = time.Duration(business * float64(time.Second))
		if rating != nil {
			r := int(*rating)
			c.Rating = &r
		}
		if err := each(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
