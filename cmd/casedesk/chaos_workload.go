package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casedesk/casedesk"
)

// chaosUser is a user the run created, with its token.
type chaosUser struct {
	id, token string
}

// effectKey is what an acknowledged request leaves on a case's timeline: an
// event of this type by this actor. "money" stands for money_proposed or
// money_refused (a refund case's opening proposal ends as one of them),
// "decision" for approval_decision, approval_approved or approval_rejected.
type effectKey struct {
	event, actor string
}

// caseTrack is what the clients know about one case: the effects of the
// requests answered 2xx, and of those left in doubt.
type caseTrack struct {
	id, typ string
	acked   map[effectKey]int
	doubt   map[effectKey]int
	// decisions acknowledged: approval ID and supervisor → approve.
	decisions map[[2]string]bool
}

// workload is the state the clients share.
type workload struct {
	run         *chaosRun
	runID       string
	agents      []chaosUser
	supervisors []chaosUser
	integration chaosUser
	customers   []string

	mu          sync.Mutex
	tracks      map[string]*caseTrack
	openDoubt   int
	opened      atomic.Int64
	refusals    map[string]int // definite 4xx answers by action and status
	decidedKeys map[string]bool
	// decideRetries counts, per supervisor's decision, the answers 404.
	decideRetries map[string]int
}

func (w *workload) track(id, typ string) *caseTrack {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tracks[id]
	if t == nil {
		t = &caseTrack{id: id, typ: typ, acked: map[effectKey]int{}, doubt: map[effectKey]int{}, decisions: map[[2]string]bool{}}
		w.tracks[id] = t
	}
	return t
}

// record notes the outcome of a request whose effect is k on case t.
func (w *workload) record(t *caseTrack, k effectKey, action string, r apiResult) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case r.ok():
		t.acked[k]++
	case r.inDoubt:
		t.doubt[k]++
	default:
		w.refusals[fmt.Sprintf("%s %d", action, r.status)]++
	}
}

// setup creates the run's staff and customers through the API.
func (w *workload) setup(ctx context.Context) error {
	c := w.run.http
	admin := w.run.o.adminToken
	mk := func(role, name string) (chaosUser, error) {
		email := fmt.Sprintf("chaos-%s-%s@casedesk.test", w.runID, name)
		r := c.do(ctx, 0, "POST", "/v1/users", admin, "user-"+w.runID+"-"+name,
			map[string]any{"name": "Chaos " + name, "email": email, "role": role})
		if !r.ok() {
			return chaosUser{}, fmt.Errorf("creating user %s: %d %s", name, r.status, r.raw)
		}
		return chaosUser{id: r.str("id"), token: r.str("token")}, nil
	}
	nAgents := max(2, min(8, w.run.o.concurrency/2))
	for i := range nAgents {
		u, err := mk("agent", fmt.Sprintf("agent%d", i+1))
		if err != nil {
			return err
		}
		w.agents = append(w.agents, u)
	}
	for i := range 2 {
		u, err := mk("supervisor", fmt.Sprintf("supervisor%d", i+1))
		if err != nil {
			return err
		}
		w.supervisors = append(w.supervisors, u)
	}
	var err error
	if w.integration, err = mk("integration", "billing"); err != nil {
		return err
	}
	nCustomers := max(10, min(200, w.run.o.cases/20))
	for i := range nCustomers {
		r := c.do(ctx, i, "POST", "/v1/customers", w.integration.token, fmt.Sprintf("customer-%s-%d", w.runID, i),
			map[string]any{"name": fmt.Sprintf("Chaos Customer %d", i), "email": fmt.Sprintf("chaos-%s-c%d@example.com", w.runID, i)})
		if !r.ok() {
			return fmt.Errorf("creating a customer: %d %s", r.status, r.raw)
		}
		w.customers = append(w.customers, r.str("id"))
	}
	return nil
}

// money amounts at each level of the default authority matrix: at once, one
// supervisor, two supervisors.
var chaosLevels = []string{"40.00", "400.00", "1500.00"}

// worker works cases from next until it is closed.
func (w *workload) worker(ctx context.Context, n int, next <-chan int) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	agent := w.agents[n%len(w.agents)]
	for i := range next {
		if ctx.Err() != nil {
			return
		}
		cw := &caseWork{w: w, rng: rng, agent: agent, seq: i, openVia: i % 2}
		cw.work(ctx)
	}
}

// caseWork is one case's script.
type caseWork struct {
	w       *workload
	rng     *rand.Rand
	agent   chaosUser
	seq     int
	openVia int
	t       *caseTrack
	calls   int
}

func (cw *caseWork) api() int { cw.calls++; return (cw.openVia + cw.calls) % 2 }

func (cw *caseWork) key(what string) string {
	return fmt.Sprintf("%s-%d-%s-%d", cw.w.runID, cw.seq, what, cw.calls)
}

// feed records a payment or an invoice for customer as the billing system.
func (cw *caseWork) feed(ctx context.Context, customer, what, amount string) string {
	c := cw.w.run.http
	ref := fmt.Sprintf("%s-%d-%s", cw.w.runID, cw.seq, what)
	body := map[string]any{"amount": amount, "currency": "USD"}
	path := "/v1/customers/" + customer + "/payments"
	if what == "invoice" {
		path = "/v1/customers/" + customer + "/invoices"
		body["number"] = "INV-" + ref
	} else {
		body["method"] = "card"
		body["reference"] = "ch_" + ref
	}
	r := c.do(ctx, cw.api(), "POST", path, cw.w.integration.token, "feed-"+ref, body)
	if !r.ok() {
		return ""
	}
	return r.str("id")
}

// act sends a case action and records its expected effect.
func (cw *caseWork) act(ctx context.Context, action, event string, body any) apiResult {
	r := cw.w.run.http.do(ctx, cw.api(), "POST", "/v1/cases/"+cw.t.id+"/"+action, cw.agent.token, cw.key(action), body)
	cw.w.record(cw.t, effectKey{event, cw.agent.id}, action, r)
	return r
}

func (cw *caseWork) open(ctx context.Context, typ string, body map[string]any) bool {
	body["type"] = typ
	body["subject"] = fmt.Sprintf("Chaos %s %d", typ, cw.seq)
	body["channel"] = []string{"phone", "email", "chat", "web"}[cw.rng.IntN(4)]
	body["priority"] = "normal"
	r := cw.w.run.http.do(ctx, cw.openVia, "POST", "/v1/cases", cw.agent.token, cw.key("open"), body)
	cw.w.opened.Add(1)
	if !r.ok() {
		cw.w.mu.Lock()
		if r.inDoubt {
			cw.w.openDoubt++
		} else {
			cw.w.refusals[fmt.Sprintf("open %d", r.status)]++
		}
		cw.w.mu.Unlock()
		return false
	}
	cw.t = cw.w.track(r.str("id"), typ)
	cw.w.record(cw.t, effectKey{casedesk.EventOpened, cw.agent.id}, "open", r)
	if typ == "refund" {
		cw.w.record(cw.t, effectKey{"money", cw.agent.id}, "open", r)
	}
	return true
}

// waitWhile polls the case until cond is false for it (or a few minutes
// pass) and returns the case last read.
func (cw *caseWork) waitWhile(ctx context.Context, cond func(map[string]any) bool) map[string]any {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r := cw.w.run.http.do(ctx, cw.api(), "GET", "/v1/cases/"+cw.t.id, cw.agent.token, "", nil)
		if r.ok() && !cond(r.body) || time.Now().After(deadline) || ctx.Err() != nil {
			return r.body
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func pendingApproval(c map[string]any) bool { return c["status"] == "pending_approval" }

// money proposes a refund (payment) or credit (invoice) at a random level,
// verifying the caller's identity first when the amount needs it, and
// waits for the supervisors.
func (cw *caseWork) money(ctx context.Context, paymentID, invoiceID string) {
	amount := chaosLevels[cw.rng.IntN(len(chaosLevels))]
	cw.act(ctx, "verify-identity", casedesk.EventIdentityVerified, map[string]any{"method": "kba", "note": "chaos run"})
	if paymentID != "" {
		cw.act(ctx, "refunds", "money", map[string]any{"payment_id": paymentID, "amount": amount, "currency": "USD", "reason": "chaos refund"})
	} else {
		cw.act(ctx, "adjustments", "money", map[string]any{"invoice_id": invoiceID, "amount": amount, "currency": "USD", "reason": "chaos credit"})
	}
	cw.waitWhile(ctx, pendingApproval)
}

func (cw *caseWork) work(ctx context.Context) {
	w := cw.w
	customer := w.customers[cw.rng.IntN(len(w.customers))]
	switch p := cw.rng.Float64(); {
	case p < 0.40:
		cw.inquiry(ctx, customer)
	case p < 0.60:
		cw.dispute(ctx, customer)
	case p < 0.85:
		cw.refund(ctx, customer)
	default:
		cw.chargeback(ctx, customer)
	}
}

func (cw *caseWork) inquiry(ctx context.Context, customer string) {
	if !cw.open(ctx, "inquiry", map[string]any{"customer_id": customer, "description": "Why was I charged twice?"}) {
		return
	}
	cw.act(ctx, "assign", casedesk.EventAssigned, map[string]any{"assignee_id": cw.agent.id})
	if cw.rng.Float64() < 0.15 {
		return // left alone: its SLA clocks warn and breach
	}
	if cw.rng.Float64() < 0.7 {
		cw.act(ctx, "reply", casedesk.EventReplied, map[string]any{"body": "We are looking into it."})
	}
	if cw.rng.Float64() < 0.35 {
		cw.act(ctx, "request-info", casedesk.EventInfoRequested, map[string]any{"body": "Which card was charged?"})
		cw.act(ctx, "customer-reply", casedesk.EventCustomerReplied, map[string]any{"body": "The Visa ending 4242."})
	}
	if cw.rng.Float64() < 0.25 {
		if inv := cw.feed(ctx, customer, "invoice", "2000.00"); inv != "" {
			cw.money(ctx, "", inv)
		}
	}
	cw.resolveAndMaybeClose(ctx, map[string]any{"outcome": "answered"})
}

func (cw *caseWork) resolveAndMaybeClose(ctx context.Context, body map[string]any) {
	if r := cw.act(ctx, "resolve", casedesk.EventResolved, body); r.ok() && cw.rng.Float64() < 0.3 {
		cw.act(ctx, "close", casedesk.EventClosed, nil)
	}
}

func (cw *caseWork) dispute(ctx context.Context, customer string) {
	inv := cw.feed(ctx, customer, "invoice", "2000.00")
	if inv == "" {
		return
	}
	if !cw.open(ctx, "dispute", map[string]any{"customer_id": customer, "invoice_id": inv, "amount": "120.50", "currency": "USD"}) {
		return
	}
	cw.act(ctx, "assign", casedesk.EventAssigned, map[string]any{"assignee_id": cw.agent.id})
	cw.act(ctx, "reply", casedesk.EventReplied, map[string]any{"body": "We are checking the invoice."})
	if cw.rng.Float64() < 0.5 {
		cw.money(ctx, "", inv)
		cw.resolveAndMaybeClose(ctx, map[string]any{"outcome": "upheld", "summary": "Credited the invoice."})
		return
	}
	cw.resolveAndMaybeClose(ctx, map[string]any{"outcome": "rejected", "summary": "The plan was active that month."})
}

func (cw *caseWork) refund(ctx context.Context, customer string) {
	pay := cw.feed(ctx, customer, "payment", "2000.00")
	if pay == "" {
		return
	}
	amount := chaosLevels[cw.rng.IntN(len(chaosLevels))]
	if !cw.open(ctx, "refund", map[string]any{"customer_id": customer, "payment_id": pay, "amount": amount, "currency": "USD", "reason": "Charged twice"}) {
		return
	}
	cw.act(ctx, "assign", casedesk.EventAssigned, map[string]any{"assignee_id": cw.agent.id})
	c := cw.waitWhile(ctx, pendingApproval)
	if cw.rng.Float64() < 0.3 {
		// More than the payment has left: refused, nothing held.
		cw.act(ctx, "verify-identity", casedesk.EventIdentityVerified, map[string]any{"method": "callback", "note": "chaos run"})
		cw.act(ctx, "refunds", "money", map[string]any{"payment_id": pay, "amount": "1999.00", "currency": "USD", "reason": "too much"})
		c = cw.waitWhile(ctx, pendingApproval)
	}
	outcome := "declined"
	if ms, _ := c["movements"].([]any); len(ms) > 0 {
		if m, _ := ms[0].(map[string]any); m["status"] == "posted" {
			outcome = "refunded"
		}
	}
	cw.resolveAndMaybeClose(ctx, map[string]any{"outcome": outcome, "summary": "Done."})
}

func (cw *caseWork) chargeback(ctx context.Context, customer string) {
	pay := cw.feed(ctx, customer, "payment", "80.00")
	if pay == "" {
		return
	}
	due := time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339)
	if !cw.open(ctx, "chargeback", map[string]any{"customer_id": customer, "payment_id": pay, "amount": "80.00", "currency": "USD",
		"network": "visa", "reason_code": "13.1", "due_by": due}) {
		return
	}
	cw.act(ctx, "assign", casedesk.EventAssigned, map[string]any{"assignee_id": cw.agent.id})
	cw.act(ctx, "evidence", casedesk.EventEvidenceAdded, map[string]any{"kind": "receipt", "text": "Receipt 42, delivered."})
	if cw.rng.Float64() < 0.2 {
		cw.act(ctx, "accept-loss", casedesk.EventApprovalRequested, map[string]any{"reason": "Not worth fighting."})
		return
	}
	cw.act(ctx, "respond", casedesk.EventApprovalRequested, map[string]any{"summary": "Delivered; see the receipt."})
	c := cw.waitWhile(ctx, pendingApproval)
	if cb, _ := c["chargeback"].(map[string]any); cb["stage"] == "under_review" {
		outcome := "won"
		if cw.rng.Float64() < 0.3 {
			outcome = "lost"
		}
		cw.act(ctx, "network-outcome", casedesk.EventNetworkOutcome, map[string]any{"outcome": outcome})
	}
}

// decide plays the two supervisors until ctx ends: every pending approval
// is approved (one in ten money approvals rejected), by one supervisor or,
// when it needs two, by both. Up to eight approvals are decided at once, each
// on its own, so that one slow case holds up no other.
func (w *workload) decide(ctx context.Context) {
	c := w.run.http
	sem := make(chan struct{}, 8)
	var mu sync.Mutex
	busy := map[string]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ctx.Err() == nil; i++ {
		r := c.do(ctx, i%2, "GET", "/v1/approvals?status=pending", w.supervisors[0].token, "", nil)
		items, _ := r.body["items"].([]any)
		started := 0
		for j, it := range items {
			a, _ := it.(map[string]any)
			id, _ := a["id"].(string)
			mu.Lock()
			skip := busy[id]
			mu.Unlock()
			if skip {
				continue
			}
			select {
			case sem <- struct{}{}:
			default:
				continue // all deciders busy: the next listing brings it back
			}
			mu.Lock()
			busy[id] = true
			mu.Unlock()
			started++
			wg.Add(1)
			go func() {
				defer func() {
					mu.Lock()
					delete(busy, id)
					mu.Unlock()
					<-sem
					wg.Done()
				}()
				w.decideOne(ctx, a, i+j)
			}()
		}
		// A pause before the next listing, shorter when this one found work:
		// an approval left pending that every supervisor has decided (or
		// that is still being decided) must not make the loop spin.
		pause := 300 * time.Millisecond
		if started > 0 {
			pause = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

func (w *workload) decideOne(ctx context.Context, a map[string]any, i int) {
	id, _ := a["id"].(string)
	caseID, _ := a["case_id"].(string)
	required, _ := a["required"].(float64)
	decided := map[string]bool{}
	if ds, ok := a["decisions"].([]any); ok {
		for _, d := range ds {
			if m, ok := d.(map[string]any); ok {
				by, _ := m["by"].(string)
				decided[by] = true
			}
		}
	}
	for n, sup := range w.supervisors {
		if n >= max(1, int(required)) || decided[sup.id] {
			continue
		}
		decision := "decide-" + id + "-" + sup.id
		w.mu.Lock()
		done, retry := w.decidedKeys[decision], w.decideRetries[decision]
		w.mu.Unlock()
		if done {
			continue
		}
		key := decision
		if retry > 0 {
			// A fresh key: the first one's 404 is what it replays.
			key = fmt.Sprintf("%s-retry-%d", key, retry)
		}
		approve := a["kind"] != "refund" && a["kind"] != "credit" || chaosHash(id)%10 != 0
		path, body := "/v1/approvals/"+id+"/approve", map[string]any{"comment": "ok"}
		if !approve {
			path, body = "/v1/approvals/"+id+"/reject", map[string]any{"reason": "Not justified."}
		}
		r := w.run.http.do(ctx, i+n, "POST", path, sup.token, key, body)
		w.mu.Lock()
		if r.status == http.StatusNotFound {
			// The listing showed an approval its workflow does not have
			// (yet): the projection of a workflow task whose completion
			// was lost, which the task run in its place redoes. A
			// supervisor who still sees it pending tries again.
			w.decideRetries[decision]++
		} else {
			w.decidedKeys[decision] = r.ok() || !r.inDoubt
		}
		w.mu.Unlock()
		if t := w.existing(caseID); t != nil {
			w.record(t, effectKey{"decision", sup.id}, "decide", r)
			if r.ok() {
				w.mu.Lock()
				t.decisions[[2]string{id, sup.id}] = approve
				w.mu.Unlock()
			}
		}
		if !approve || r.status == http.StatusConflict {
			return // a rejection ends the approval; a 409 says it ended
		}
	}
}

func (w *workload) existing(id string) *caseTrack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tracks[id]
}

func chaosHash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
