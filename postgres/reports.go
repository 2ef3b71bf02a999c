package postgres

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

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

// groupKey is the SQL of the group key of a row whose cohort time is ts.
func groupKey(groupBy, ts string) string {
	switch groupBy {
	case casedesk.GroupDay:
		return "to_char(date_trunc('day', " + ts + " AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
	case casedesk.GroupWeek:
		return "to_char(date_trunc('week', " + ts + " AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
	case casedesk.GroupAgent:
		return "coalesce(c.assignee_id, '')"
	case casedesk.GroupType:
		return "c.type"
	case casedesk.GroupChannel:
		return "c.channel"
	case casedesk.GroupCategory:
		return "c.category"
	}
	return ""
}

// report accumulates the totals and groups of a report.
type report struct {
	f      casedesk.ReportFilter
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

// cohort is one aggregate query of a report: the cases (joined as c) whose
// time ts falls in the period, aggregated per group and in total.
type cohort struct {
	from  string // FROM clause, with cases as c
	ts    string // the cohort's time; "" for a query with its own condition
	where []string
	aggs  []string
	// byTime and byCase say which groupings apply: day and week need a
	// time, the others a case.
	noTimeGroups, noCaseGroups bool
	dest                       func(a *casedesk.Aggregates) []any
}

func (db *DB) runCohort(ctx context.Context, r *report, co cohort, q *query) error {
	key := groupKey(r.f.GroupBy, co.ts)
	timeGroup := r.f.GroupBy == casedesk.GroupDay || r.f.GroupBy == casedesk.GroupWeek
	if key == "" || (timeGroup && co.noTimeGroups) || (!timeGroup && co.noCaseGroups) {
		key = ""
	}
	sel := "true, ''"
	group := ""
	if key != "" {
		sel = "GROUPING(" + key + ") = 1, coalesce(" + key + ", '')"
		group = " GROUP BY GROUPING SETS ((" + key + "), ())"
	}
	sql := "SELECT " + sel + ", " + strings.Join(co.aggs, ", ") + " FROM " + co.from
	if len(co.where) > 0 {
		sql += " WHERE " + strings.Join(co.where, " AND ")
	}
	sql += group
	rows, err := db.Pool.Query(ctx, sql, q.args...)
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
		var skip1, skip2 any
		if err := rows.Scan(append([]any{&skip1, &skip2}, co.dest(r.group(k, total))...)...); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return rows.Err()
}

// Report computes the aggregates of every KPI for f: the totals and, with
// f.GroupBy, one group per key in key order.
func (db *DB) Report(ctx context.Context, f casedesk.ReportFilter) (casedesk.Aggregates, []casedesk.ReportGroup, error) {
	r := &report{f: f, groups: map[string]*casedesk.Aggregates{}}
	window := func(q *query, col string) []string {
		return append(reportWhere(f, q), col+" >= "+q.arg(f.From), col+" < "+q.arg(f.To))
	}
	run := func(build func(q *query) cohort) error {
		q := &query{}
		return db.runCohort(ctx, r, build(q), q)
	}

	steps := []func(q *query) cohort{
		// Opened, by type and channel.
		func(q *query) cohort {
			aggs := []string{"count(*)"}
			for _, t := range casedesk.Types {
				aggs = append(aggs, "count(*) FILTER (WHERE c.type = "+q.arg(string(t))+")")
			}
			for _, ch := range casedesk.Channels {
				aggs = append(aggs, "count(*) FILTER (WHERE c.channel = "+q.arg(string(ch))+")")
			}
			return cohort{from: "cases c", ts: "c.opened_at", where: window(q, "c.opened_at"), aggs: aggs,
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
					return out
				}}
		},
		// The backlog at the end of the period: still open, or resolved after it.
		func(q *query) cohort {
			// Two halves, each an index-only scan (011_report_speed.sql); an
			// OR of the two conditions would read every case from the heap.
			to := q.arg(f.To)
			cols := "c.type, c.channel, c.priority, c.category, c.assignee_id"
			from := "(SELECT " + cols + " FROM cases c WHERE c.resolved_at IS NULL AND c.opened_at < " + to +
				" UNION ALL SELECT " + cols + " FROM cases c WHERE c.resolved_at >= " + to + " AND c.opened_at < " + to + ") c"
			return cohort{from: from, where: reportWhere(f, q), aggs: []string{"count(*)"}, noTimeGroups: true,
				dest: func(a *casedesk.Aggregates) []any {
					a.Backlog = new(int64)
					return []any{a.Backlog}
				}}
		},
		// Reopened in the period.
		func(q *query) cohort {
			from := "cases c JOIN (SELECT case_id, min(at) AS at FROM case_events WHERE type = 'reopened' AND at >= " +
				q.arg(f.From) + " AND at < " + q.arg(f.To) + " GROUP BY case_id) r ON r.case_id = c.id"
			return cohort{from: from, ts: "r.at", where: reportWhere(f, q), aggs: []string{"count(*)"},
				dest: func(a *casedesk.Aggregates) []any { return []any{&a.Reopened} }}
		},
		// Resolved in the period: FCR, handling, resolution times, CSAT, chargeback outcomes.
		func(q *query) cohort {
			worked := "FILTER (WHERE c.handling_s > 0)"
			pct := func(p, col string) string {
				return "percentile_cont(" + p + ") WITHIN GROUP (ORDER BY " + col + ")"
			}
			cb := func(outcome string) string {
				return "count(*) FILTER (WHERE c.type = 'chargeback' AND c.outcome = " + q.arg(outcome) + ")"
			}
			aggs := []string{
				"count(*)", "count(*) FILTER (WHERE c.first_contact_resolution)",
				"count(*) " + worked, "avg(c.handling_s) " + worked, pct("0.5", "c.handling_s") + " " + worked,
				"avg(c.handling_business_s) " + worked, pct("0.5", "c.handling_business_s") + " " + worked,
				pct("0.5", "c.resolution_s"), pct("0.9", "c.resolution_s"),
				pct("0.5", "c.resolution_business_s"), pct("0.9", "c.resolution_business_s"),
				"count(r.case_id)", "count(*) FILTER (WHERE r.rating >= 4)", "coalesce(sum(r.rating), 0)",
				cb(casedesk.OutcomeWon), cb(casedesk.OutcomeLost), cb(casedesk.OutcomeExpired),
			}
			return cohort{from: "cases c LEFT JOIN csat r ON r.case_id = c.id", ts: "c.resolved_at",
				where: window(q, "c.resolved_at"), aggs: aggs,
				dest: func(a *casedesk.Aggregates) []any {
					return []any{&a.Resolved, &a.FCR, &a.Handled, &a.HandlingMean, &a.HandlingMedian,
						&a.HandlingBusinessMean, &a.HandlingBusinessMedian,
						&a.ResolutionP50, &a.ResolutionP90, &a.ResolutionBusinessP50, &a.ResolutionBusinessP90,
						&a.Rated, &a.Satisfied, &a.RatingSum, &a.ChargebacksWon, &a.ChargebacksLost, &a.ChargebacksExpired}
				}}
		},
		// First responses in the period.
		func(q *query) cohort {
			pct := func(p, col string) string {
				return "percentile_cont(" + p + ") WITHIN GROUP (ORDER BY " + col + ")"
			}
			return cohort{from: "cases c", ts: "c.first_response_at", where: window(q, "c.first_response_at"),
				aggs: []string{"count(*)", pct("0.5", "c.first_response_s"), pct("0.9", "c.first_response_s"),
					pct("0.5", "c.first_response_business_s"), pct("0.9", "c.first_response_business_s")},
				dest: func(a *casedesk.Aggregates) []any {
					return []any{&a.Responded, &a.FirstResponseP50, &a.FirstResponseP90,
						&a.FirstResponseBusinessP50, &a.FirstResponseBusinessP90}
				}}
		},
		// First-response targets that came due in the period, decided.
		func(q *query) cohort {
			return cohort{from: "cases c", ts: "c.first_response_due",
				where: append(window(q, "c.first_response_due"), "c.first_response_met IS NOT NULL"),
				aggs:  []string{"count(*)", "count(*) FILTER (WHERE c.first_response_met)"},
				dest: func(a *casedesk.Aggregates) []any {
					return []any{&a.FirstResponseTargets, &a.FirstResponseMet}
				}}
		},
		// Resolution targets that came due in the period, decided.
		func(q *query) cohort {
			return cohort{from: "cases c", ts: "c.resolution_due",
				where: append(window(q, "c.resolution_due"), "c.resolution_met IS NOT NULL"),
				aggs:  []string{"count(*)", "count(*) FILTER (WHERE c.resolution_met)"},
				dest: func(a *casedesk.Aggregates) []any {
					return []any{&a.ResolutionTargets, &a.ResolutionMet}
				}}
		},
		// Chargebacks opened.
		func(q *query) cohort {
			return cohort{from: "cases c", ts: "c.opened_at",
				where: append(window(q, "c.opened_at"), "c.type = 'chargeback'"),
				aggs:  []string{"count(*)"},
				dest:  func(a *casedesk.Aggregates) []any { return []any{&a.ChargebacksOpened} }}
		},
		// Invoices issued in the period and those an upheld dispute or a credit touched.
		func(q *query) cohort {
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
		},
	}
	for _, step := range steps {
		if err := run(step); err != nil {
			return casedesk.Aggregates{}, nil, err
		}
	}
	if err := db.reportMoney(ctx, r); err != nil {
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
	return r.totals, groups, nil
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

// reportMoney adds the refunds and credits posted in the period.
func (db *DB) reportMoney(ctx context.Context, r *report) error {
	f := r.f
	q := &query{}
	where := append(reportWhere(f, q), "le.posted_at >= "+q.arg(f.From), "le.posted_at < "+q.arg(f.To))
	key := groupKey(f.GroupBy, "le.posted_at")
	sel, sets := "true, ''", "(le.kind, le.currency)"
	if key != "" {
		sel = "GROUPING(" + key + ") = 1, coalesce(" + key + ", '')"
		sets = "(" + key + ", le.kind, le.currency), (le.kind, le.currency)"
	}
	rows, err := db.Pool.Query(ctx, "SELECT "+sel+", le.kind, le.currency, count(*), sum(le.amount)"+
		" FROM ledger_entries le JOIN cases c ON c.id = le.case_id WHERE "+strings.Join(where, " AND ")+
		" GROUP BY GROUPING SETS ("+sets+") ORDER BY le.kind, le.currency", q.args...)
	if err != nil {
		return fmt.Errorf("report money: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var total bool
		var k string
		var m casedesk.MoneyTotal
		var amount decimal.Decimal
		if err := rows.Scan(&total, &k, &m.Kind, &m.Currency, &m.Count, &amount); err != nil {
			return err
		}
		m.Amount = amount
		a := r.group(k, total)
		a.Money = append(a.Money, m)
	}
	return rows.Err()
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
