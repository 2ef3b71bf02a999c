package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/sendgridfake"
	"github.com/casedesk/casedesk/workflows"
)

type slaFigures struct {
	// Fired counts the SLA warnings and breaches and the reopen windows'
	// automatic closes that came due during the run.
	Fired   int     `json:"fired"`
	LateP50 float64 `json:"late_p50_ms"`
	LateP99 float64 `json:"late_p99_ms"`
	LateMax float64 `json:"late_max_ms"`
}

type largestFigure struct {
	HistoryEvents   int64  `json:"history_events"`
	HistoryEventsOf string `json:"history_events_case"`
	HistoryBytes    int64  `json:"history_bytes"`
	HistoryBytesOf  string `json:"history_bytes_case"`
	PayloadBytes    int    `json:"payload_bytes"`
	PayloadOf       string `json:"payload_case"`
}

type emailFigures struct {
	Accepted int `json:"accepted"`
	Outbox   int `json:"outbox_customer"`
	Sent     int `json:"sent"`
	Failed   int `json:"failed"`
	Pending  int `json:"pending"`
}

type ledgerFigures struct {
	Entries int               `json:"entries"`
	Sums    map[string]string `json:"sums"`
}

// runawayHistory is the history length past which a case's workflow counts
// as stuck in a loop (Temporal ends a workflow at 51,200 events).
const runawayHistory = 5000

// caseTruth is one case as the read model and its workflow hold it.
type caseTruth struct {
	id       string
	row      casedesk.Case
	wf       casedesk.Case
	wfFound  bool
	status   enums.WorkflowExecutionStatus
	events   []casedesk.Event
	describe string // why it is stuck, if it is
	length   int64
	size     int64
}

// check runs every invariant against PostgreSQL, Temporal and the SendGrid
// stand-in, and fills rep.
func (r *chaosRun) check(ctx context.Context, w *workload, end time.Time, rep *chaosReport) error {
	cases, err := r.loadCases(ctx)
	if err != nil {
		return err
	}
	r.log.Info("chaos: checking", "cases", len(cases))
	r.loadWorkflows(ctx, cases)

	// Every reserved case ID has its case and a workflow.
	reserved := invariant{Name: "every reserved case ID has its case and a workflow"}
	rows, err := r.db.Query(ctx, `SELECT case_id FROM case_requests`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		reserved.Checked++
		c := cases[id]
		switch {
		case c == nil:
			reserved.fail("%s is reserved but has no case in the read model", id)
		case !c.wfFound:
			reserved.fail("%s has no workflow", id)
		}
	}
	rows.Close()

	// Every 2xx has its effect, exactly once.
	effects := invariant{Name: "every request answered 2xx has its effect exactly once"}
	for id, t := range w.tracks {
		c := cases[id]
		effects.Checked++
		if c == nil {
			effects.fail("case %s was opened (2xx) but is not in the read model", id)
			continue
		}
		seen := map[effectKey]int{}
		for _, e := range c.events {
			k := effectKey{e.Type, e.Actor}
			switch e.Type {
			case casedesk.EventMoneyProposed, casedesk.EventMoneyRefused:
				k.event = "money"
			case casedesk.EventApprovalDecided, casedesk.EventApprovalApproved, casedesk.EventApprovalRejected:
				// The decision that ends an approval is its approved or rejected event.
				k.event = "decision"
			}
			seen[k]++
		}
		keys := map[effectKey]bool{}
		for k := range t.acked {
			keys[k] = true
		}
		for k := range t.doubt {
			keys[k] = true
		}
		for k := range keys {
			got, acked, doubt := seen[k], t.acked[k], t.doubt[k]
			if got < acked {
				effects.fail("case %s: %d %s by %s acknowledged, %d in the timeline (lost)", id, acked, k.event, k.actor, got)
			}
			if got > acked+doubt {
				effects.fail("case %s: %d %s by %s acknowledged (%d in doubt), %d in the timeline (duplicated)", id, acked, k.event, k.actor, doubt, got)
			}
		}
		for d, approve := range t.decisions {
			found := 0
			for _, a := range c.wf.Approvals {
				if a.ID != d[0] {
					continue
				}
				for _, dec := range a.Decisions {
					if dec.By == d[1] && dec.Approve == approve {
						found++
					}
				}
			}
			if found != 1 {
				effects.fail("case %s: approval %s decided by %s (2xx) is in the workflow %d times", id, d[0], d[1], found)
			}
		}
	}

	// No workflow stuck.
	stuck := invariant{Name: "no workflow stuck or failed"}
	drift := invariant{Name: "the read model equals each workflow's state"}
	for _, c := range cases {
		stuck.Checked++
		if c.describe != "" {
			stuck.fail("%s: %s", c.id, c.describe)
		}
		if !c.wfFound {
			continue
		}
		drift.Checked++
		if d := caseDrift(c.row, c.wf); d != "" {
			drift.fail("%s: %s", c.id, d)
		}
		if c.length > rep.Largest.HistoryEvents {
			rep.Largest.HistoryEvents, rep.Largest.HistoryEventsOf = c.length, c.id
		}
		if c.size > rep.Largest.HistoryBytes {
			rep.Largest.HistoryBytes, rep.Largest.HistoryBytesOf = c.size, c.id
		}
	}

	money, err := r.checkMoney(ctx, cases, rep)
	if err != nil {
		return err
	}
	email, err := r.checkEmail(ctx, rep)
	if err != nil {
		return err
	}
	sla := r.checkSLA(cases, end, rep)
	rep.Invariants = append(rep.Invariants, effects, reserved, stuck, drift)
	rep.Invariants = append(rep.Invariants, money...)
	rep.Invariants = append(rep.Invariants, email, sla)
	return r.largestPayloads(ctx, cases, rep)
}

// loadCases reads every case of the read model with its timeline.
func (r *chaosRun) loadCases(ctx context.Context) (map[string]*caseTruth, error) {
	out := map[string]*caseTruth{}
	rows, err := r.db.Query(ctx, `SELECT id, state FROM cases`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var state []byte
		if err := rows.Scan(&id, &state); err != nil {
			return nil, err
		}
		c := &caseTruth{id: id}
		if err := json.Unmarshal(state, &c.row); err != nil {
			return nil, fmt.Errorf("case %s: %w", id, err)
		}
		out[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = r.loadEvents(ctx, "", func(id string, e casedesk.Event) {
		if c := out[id]; c != nil {
			c.events = append(c.events, e)
		}
	})
	return out, err
}

// loadEvents reads the timeline of case id (every case's when id is empty),
// in order, with each event's SLA clock.
func (r *chaosRun) loadEvents(ctx context.Context, id string, add func(id string, e casedesk.Event)) error {
	rows, err := r.db.Query(ctx, `SELECT case_id, seq, type, actor, at, COALESCE(data->>'clock', '') FROM case_events
		WHERE $1 = '' OR case_id = $1 ORDER BY case_id, seq`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var e casedesk.Event
		var clock string
		if err := rows.Scan(&id, &e.Seq, &e.Type, &e.Actor, &e.At, &clock); err != nil {
			return err
		}
		if clock != "" {
			e.Data = map[string]any{"clock": clock}
		}
		add(id, e)
	}
	return rows.Err()
}

// loadWorkflows describes each case's workflow and reads its state: the
// live state by query, or the result of a completed workflow.
func (r *chaosRun) loadWorkflows(ctx context.Context, cases map[string]*caseTruth) {
	ids := make(chan *caseTruth)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range ids {
				r.loadWorkflow(ctx, c)
				// A timer may have moved the case between the two reads:
				// read the case row and its timeline again, then the
				// workflow, so that all three are of the same moment.
				if c.wfFound && caseDrift(c.row, c.wf) != "" {
					time.Sleep(2 * time.Second)
					var row []byte
					if err := r.db.QueryRow(ctx, `SELECT state FROM cases WHERE id = $1`, c.id).Scan(&row); err == nil {
						_ = json.Unmarshal(row, &c.row)
					}
					var events []casedesk.Event
					if err := r.loadEvents(ctx, c.id, func(_ string, e casedesk.Event) { events = append(events, e) }); err == nil {
						c.events = events
					}
					r.loadWorkflow(ctx, c)
				}
			}
		}()
	}
	for _, c := range cases {
		ids <- c
	}
	close(ids)
	wg.Wait()
}

func (r *chaosRun) loadWorkflow(ctx context.Context, c *caseTruth) {
	wid := workflows.WorkflowID(c.id)
	d, err := r.temporal.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return
	} else if err != nil {
		c.describe = "describe: " + err.Error()
		return
	}
	info := d.GetWorkflowExecutionInfo()
	c.status, c.length, c.size = info.GetStatus(), info.GetHistoryLength(), info.GetHistorySizeBytes()
	c.describe = ""
	defer func() {
		// A case's whole life takes a few hundred events; thousands are a
		// workflow going round in a loop, on its way to Temporal's limit.
		if c.length > runawayHistory && c.describe == "" {
			c.describe = fmt.Sprintf("history of %d events (%d bytes) and growing: a loop", c.length, c.size)
		}
	}()
	switch c.status {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if t := d.GetPendingWorkflowTask(); t != nil && t.GetAttempt() > 2 {
			c.describe = fmt.Sprintf("workflow task on attempt %d", t.GetAttempt())
		}
		for _, a := range d.GetPendingActivities() {
			if a.GetAttempt() > 5 {
				c.describe = fmt.Sprintf("activity %s on attempt %d: %s", a.GetActivityType().GetName(), a.GetAttempt(),
					a.GetLastFailure().GetMessage())
			}
		}
		// A busy worker may answer a query late: ask again before judging.
		v, err := r.temporal.QueryWorkflow(ctx, wid, "", workflows.QueryCase)
		for attempt := 1; err != nil && attempt < 4 && ctx.Err() == nil; attempt++ {
			time.Sleep(time.Duration(attempt) * 2 * time.Second)
			v, err = r.temporal.QueryWorkflow(ctx, wid, "", workflows.QueryCase)
		}
		if err != nil {
			c.describe = "query: " + err.Error()
			return
		}
		if err := v.Get(&c.wf); err != nil {
			c.describe = "query result: " + err.Error()
			return
		}
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		if err := r.temporal.GetWorkflow(ctx, wid, "").Get(ctx, &c.wf); err != nil {
			c.describe = "result: " + err.Error()
			return
		}
	default:
		c.describe = "workflow " + strings.ToLower(strings.TrimPrefix(c.status.String(), "WORKFLOW_EXECUTION_STATUS_"))
		return
	}
	c.wfFound = true
}

// caseDrift says how the read model's case differs from the workflow's,
// in what the workflow decides: version, status, approvals, movements.
func caseDrift(row, wf casedesk.Case) string {
	switch {
	case row.Version != wf.Version:
		return fmt.Sprintf("version %d in the read model, %d in the workflow", row.Version, wf.Version)
	case row.Status != wf.Status:
		return fmt.Sprintf("status %s in the read model, %s in the workflow", row.Status, wf.Status)
	case len(row.Approvals) != len(wf.Approvals):
		return fmt.Sprintf("%d approvals in the read model, %d in the workflow", len(row.Approvals), len(wf.Approvals))
	case len(row.Movements) != len(wf.Movements):
		return fmt.Sprintf("%d movements in the read model, %d in the workflow", len(row.Movements), len(wf.Movements))
	}
	for i, a := range wf.Approvals {
		b := row.Approvals[i]
		if a.ID != b.ID || a.Status != b.Status || len(a.Decisions) != len(b.Decisions) {
			return fmt.Sprintf("approval %s: %s with %d decisions in the read model, %s with %d in the workflow",
				a.ID, b.Status, len(b.Decisions), a.Status, len(a.Decisions))
		}
	}
	for i, m := range wf.Movements {
		n := row.Movements[i]
		if m.ID != n.ID || m.Status != n.Status || m.EntryID != n.EntryID || !m.Amount.Amount.Equal(n.Amount.Amount) {
			return fmt.Sprintf("movement %s: %s %s in the read model, %s %s in the workflow", m.ID, n.Status, n.Amount.Amount, m.Status, m.Amount.Amount)
		}
	}
	return ""
}

// checkMoney: nothing moved beyond a payment's or invoice's amount, one
// ledger entry per posted movement, and the ledger sums equal what the cases
// say.
func (r *chaosRun) checkMoney(ctx context.Context, cases map[string]*caseTruth, rep *chaosReport) ([]invariant, error) {
	bounds := invariant{Name: "no payment or invoice moved beyond its amount"}
	for _, q := range []string{
		`SELECT 'payment ' || p.id, p.amount::text, COALESCE(sum(h.amount), 0)::text, count(h.id) FROM payments p
		   LEFT JOIN holds h ON h.payment_id = p.id AND h.status IN ('held', 'posted') GROUP BY p.id, p.amount`,
		`SELECT 'invoice ' || i.id, i.amount::text, COALESCE(sum(h.amount), 0)::text, count(h.id) FROM invoices i
		   LEFT JOIN holds h ON h.invoice_id = i.id AND h.status IN ('held', 'posted') GROUP BY i.id, i.amount`,
		`SELECT 'ledger of payment ' || p.id, p.amount::text, COALESCE(sum(l.amount), 0)::text, count(l.id) FROM payments p
		   LEFT JOIN ledger_entries l ON l.payment_id = p.id GROUP BY p.id, p.amount`,
		`SELECT 'ledger of invoice ' || i.id, i.amount::text, COALESCE(sum(l.amount), 0)::text, count(l.id) FROM invoices i
		   LEFT JOIN ledger_entries l ON l.invoice_id = i.id GROUP BY i.id, i.amount`,
	} {
		rows, err := r.db.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var what, amount, moved string
			var n int
			if err := rows.Scan(&what, &amount, &moved, &n); err != nil {
				rows.Close()
				return nil, err
			}
			bounds.Checked++
			if decimal.RequireFromString(moved).GreaterThan(decimal.RequireFromString(amount)) {
				bounds.fail("%s of %s has %s moved", what, amount, moved)
			}
		}
		rows.Close()
	}

	entries := invariant{Name: "one ledger entry per posted movement"}
	type entry struct {
		id, caseID, kind string
		amount           decimal.Decimal
		currency         string
		used             bool
	}
	byHold := map[string]*entry{}
	rows, err := r.db.Query(ctx, `SELECT id, hold_id, case_id, kind, amount::text, currency FROM ledger_entries`)
	if err != nil {
		return nil, err
	}
	ledgerSums := map[string]decimal.Decimal{}
	for rows.Next() {
		var e entry
		var hold, amount string
		if err := rows.Scan(&e.id, &hold, &e.caseID, &e.kind, &amount, &e.currency); err != nil {
			rows.Close()
			return nil, err
		}
		e.amount = decimal.RequireFromString(amount)
		byHold[hold] = &e
		ledgerSums[e.currency] = ledgerSums[e.currency].Add(e.amount)
		rep.Ledger.Entries++
	}
	rows.Close()
	caseSums := map[string]decimal.Decimal{}
	for _, c := range cases {
		if !c.wfFound {
			continue
		}
		for _, m := range c.wf.Movements {
			if m.Status != casedesk.MovementPosted {
				continue
			}
			entries.Checked++
			caseSums[m.Amount.Currency] = caseSums[m.Amount.Currency].Add(m.Amount.Amount)
			e := byHold[m.ID]
			switch {
			case e == nil:
				entries.fail("case %s: movement %s is posted but has no ledger entry", c.id, m.ID)
			case e.caseID != c.id || !e.amount.Equal(m.Amount.Amount) || (m.EntryID != "" && m.EntryID != e.id):
				entries.fail("case %s: movement %s of %s does not match its ledger entry %s of %s", c.id, m.ID, m.Amount.Amount, e.id, e.amount)
			default:
				e.used = true
			}
		}
	}
	for hold, e := range byHold {
		if !e.used {
			entries.fail("ledger entry %s (hold %s, case %s) is no posted movement of its case", e.id, hold, e.caseID)
		}
	}
	sums := invariant{Name: "the ledger sums equal what the cases say"}
	rep.Ledger.Sums = map[string]string{}
	for cur, s := range ledgerSums {
		sums.Checked++
		rep.Ledger.Sums[cur] = s.StringFixed(2)
		if !s.Equal(caseSums[cur]) {
			sums.fail("%s: ledger %s, posted movements %s", cur, s, caseSums[cur])
		}
	}
	for cur, s := range caseSums {
		if _, ok := ledgerSums[cur]; !ok {
			sums.Checked++
			sums.fail("%s: posted movements %s, nothing in the ledger", cur, s)
		}
	}
	return []invariant{bounds, entries, sums}, nil
}

// checkEmail: each customer email accepted by the stand-in once per (case,
// event, kind, recipient), the outbox's dedupe key.
func (r *chaosRun) checkEmail(ctx context.Context, rep *chaosReport) (invariant, error) {
	inv := invariant{Name: "each customer email accepted once per (case, event, kind, recipient)"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.o.sendgrid+"/_fake/messages", nil)
	if err != nil {
		return inv, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return inv, fmt.Errorf("reading the SendGrid stand-in's messages: %w", err)
	}
	var accepted []sendgridfake.Accepted
	err = json.NewDecoder(resp.Body).Decode(&accepted)
	resp.Body.Close()
	if err != nil {
		return inv, fmt.Errorf("reading the SendGrid stand-in's messages: %w", err)
	}
	rep.Email.Accepted = len(accepted)
	byKey := map[string]int{}
	for _, a := range accepted {
		byKey[a.Mail.CustomArgs["dedupe_key"]]++
	}
	rows, err := r.db.Query(ctx, `SELECT dedupe_key, status FROM messages WHERE audience = 'customer'`)
	if err != nil {
		return inv, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, status string
		if err := rows.Scan(&key, &status); err != nil {
			return inv, err
		}
		rep.Email.Outbox++
		inv.Checked++
		n := byKey[key]
		switch status {
		case "sent":
			rep.Email.Sent++
			if n != 1 {
				inv.fail("message %s is sent and was accepted %d times", key, n)
			}
		case "failed":
			rep.Email.Failed++
			if n > 1 {
				inv.fail("message %s failed and was accepted %d times", key, n)
			}
		default:
			rep.Email.Pending++
			if n > 1 {
				inv.fail("message %s (%s) was accepted %d times", key, status, n)
			}
		}
	}
	return inv, rows.Err()
}

// checkSLA: every SLA warning and breach, and every reopen window's close,
// that came due by the end of the run fired exactly once, and how late.
func (r *chaosRun) checkSLA(cases map[string]*caseTruth, end time.Time, rep *chaosReport) invariant {
	inv := invariant{Name: "every SLA deadline due during the run fired exactly once"}
	var late []time.Duration
	for _, c := range cases {
		if !c.wfFound {
			continue
		}
		s := c.wf.SLA
		count := func(typ, clock string) (int, time.Time) {
			n, at := 0, time.Time{}
			for _, e := range c.events {
				if e.Type == typ && (clock == "" || eventClock(e) == clock) {
					n++
					at = e.At
				}
			}
			return n, at
		}
		// A clock's warning and breach: fired exactly once when the case says
		// so, and due to fire when its time came before the clock stopped.
		// (A fired warning's time is cleared from the case.)
		type timer struct {
			event, clock string
			fired        bool
			due          *time.Time
			metBy        *time.Time // the clock stopped then (nil: it runs)
		}
		timers := []timer{
			{casedesk.EventSLAWarning, "first_response", s.FirstResponseWarned, s.FirstResponseWarnAt, s.FirstResponseAt},
			{casedesk.EventSLABreached, "first_response", s.FirstResponseBreached, s.FirstResponseDue, s.FirstResponseAt},
			{casedesk.EventSLAWarning, "resolution", s.ResolutionWarned, s.ResolutionWarnAt, c.wf.ResolvedAt},
			{casedesk.EventSLABreached, "resolution", s.ResolutionBreached, s.ResolutionDue, c.wf.ResolvedAt},
		}
		for _, t := range timers {
			n, at := count(t.event, t.clock)
			cameDue := !t.fired && t.due != nil && !t.due.After(end) && (t.metBy == nil || t.metBy.After(*t.due)) &&
				!(t.clock == "resolution" && s.Paused)
			switch {
			case t.fired || n > 0:
				inv.Checked++
				if n != 1 {
					inv.fail("%s: %d %s %s events (the case says fired: %v)", c.id, n, t.clock, t.event, t.fired)
				} else if t.event == casedesk.EventSLABreached && t.due != nil {
					late = append(late, max(0, at.Sub(*t.due)))
				}
			case cameDue:
				inv.Checked++
				inv.fail("%s: %s %s due %s never fired", c.id, t.clock, t.event, t.due.Format(time.RFC3339Nano))
			}
		}
		if c.wf.ReopenUntil != nil && !c.wf.ReopenUntil.After(end) &&
			(c.wf.Status == casedesk.StatusResolved || c.wf.Status == casedesk.StatusClosed) {
			inv.Checked++
			n, at := count(casedesk.EventClosed, "")
			switch {
			case n != 1:
				inv.fail("%s: reopen window ended %s, %d closed events", c.id, c.wf.ReopenUntil.Format(time.RFC3339Nano), n)
			case c.wf.ClosedAt != nil && !c.wf.ClosedAt.Before(*c.wf.ReopenUntil):
				late = append(late, max(0, at.Sub(*c.wf.ReopenUntil)))
			}
		}
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	rep.SLA.Fired = len(late)
	if len(late) > 0 {
		rep.SLA.LateP50, rep.SLA.LateP99, rep.SLA.LateMax = chaosMs(chaosPercentile(late, 0.5)), chaosMs(chaosPercentile(late, 0.99)), chaosMs(late[len(late)-1])
	}
	return inv
}

// eventClock is the clock of an SLA event ("" for other events).
func eventClock(e casedesk.Event) string {
	s, _ := e.Data["clock"].(string)
	return s
}

// largestPayloads reads the histories of the largest workflows and a spread
// of the others, finds the largest payload and exports a sample.
func (r *chaosRun) largestPayloads(ctx context.Context, cases map[string]*caseTruth, rep *chaosReport) error {
	var all []*caseTruth
	for _, c := range cases {
		if c.wfFound {
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		return all[i].size > all[j].size || all[i].size == all[j].size && all[i].id < all[j].id
	})
	n := max(r.o.exportCount, 12)
	var sample []*caseTruth
	picked := map[string]bool{}
	for _, c := range all[:min(len(all), n/3)] {
		sample, picked[c.id] = append(sample, c), true
	}
	// A spread of the rest: every type and status, evenly through the list.
	kinds := map[string]bool{}
	for _, c := range all {
		k := string(c.wf.Type) + "/" + string(c.wf.Status)
		if !kinds[k] && !picked[c.id] && len(sample) < n {
			kinds[k], picked[c.id] = true, true
			sample = append(sample, c)
		}
	}
	for i := 0; len(sample) < n && i < len(all); i += max(1, len(all)/n) {
		if !picked[all[i].id] {
			sample, picked[all[i].id] = append(sample, all[i]), true
		}
	}
	if r.o.exportDir != "" {
		if err := os.MkdirAll(r.o.exportDir, 0o755); err != nil {
			return err
		}
	}
	for _, c := range sample {
		h, err := r.history(ctx, c.id)
		if err != nil {
			return fmt.Errorf("history of %s: %w", c.id, err)
		}
		if p := largestPayload(h); p > rep.Largest.PayloadBytes {
			rep.Largest.PayloadBytes, rep.Largest.PayloadOf = p, c.id
		}
		// A replay test reads every exported file: keep them small.
		if r.o.exportDir == "" || len(rep.ExportedHistories) >= r.o.exportCount || len(h.Events) > 600 {
			continue
		}
		buf, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s-%s-%s.json", c.wf.Type, c.wf.Status, c.id)
		if err := os.WriteFile(filepath.Join(r.o.exportDir, name), buf, 0o644); err != nil {
			return err
		}
		rep.ExportedHistories = append(rep.ExportedHistories, name)
	}
	return nil
}

func (r *chaosRun) history(ctx context.Context, id string) (*historypb.History, error) {
	iter := r.temporal.GetWorkflowHistory(ctx, workflows.WorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, e)
	}
	return &h, nil
}

// largestPayload is the size of the largest payload in a history.
func largestPayload(h *historypb.History) int {
	largest := 0
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if p, ok := m.Interface().(*commonpb.Payload); ok {
			largest = max(largest, proto.Size(p))
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				l := v.List()
				for i := range l.Len() {
					walk(l.Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					walk(mv.Message())
					return true
				})
			case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	for _, e := range h.Events {
		walk(e.ProtoReflect())
	}
	return largest
}
