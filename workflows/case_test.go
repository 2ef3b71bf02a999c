package workflows_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/links"
	"github.com/casedesk/casedesk/temporalerr"
	"github.com/casedesk/casedesk/worker"
	"github.com/casedesk/casedesk/workflows"
)

// recorder is an in-memory read model standing in for PostgreSQL inside
// workflow unit tests. It keeps the same idempotency rules as the store.
type recorder struct {
	mu       sync.Mutex
	c        casedesk.Case
	events   map[int64]casedesk.Event
	calls    int
	failNext int

	// A ledger with the store's rules: payments of 1,000,000.00 USD unless
	// set, holds by ID, entries by hold.
	payments   map[string]decimal.Decimal
	holds      map[string]casedesk.Hold
	holdStatus map[string]string
	entries    map[string]casedesk.LedgerEntry
	decided    map[string]casedesk.Authority
	failPosts  int
	// refusePosts makes the ledger refuse every posting, as a business error.
	refusePosts bool

	// An outbox: messages by dedupe key.
	outbox map[string]casedesk.Message
}

func (r *recorder) Recipients(_ context.Context, c casedesk.Case, audience string, _ casedesk.StaffTarget) ([]casedesk.Recipient, error) {
	return []casedesk.Recipient{{Email: audience + "@example.com", Name: audience}}, nil
}

func (r *recorder) EnqueueMessages(_ context.Context, msgs []casedesk.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.outbox == nil {
		r.outbox = map[string]casedesk.Message{}
	}
	for _, m := range msgs {
		if _, ok := r.outbox[m.DedupeKey]; !ok {
			r.outbox[m.DedupeKey] = m
		}
	}
	return nil
}

// kinds returns the kinds of the messages in the outbox, sorted.
func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.outbox {
		out = append(out, m.Kind+" to "+m.Recipient)
	}
	slices.Sort(out)
	return out
}

func (r *recorder) HoldMoney(_ context.Context, h casedesk.Hold) (casedesk.Authority, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds == nil {
		r.holds, r.holdStatus, r.entries = map[string]casedesk.Hold{}, map[string]string{}, map[string]casedesk.LedgerEntry{}
	}
	if old, ok := r.holds[h.ID]; ok {
		return r.decided[old.ID], nil
	}
	limit, ok := r.payments[h.PaymentID]
	if !ok {
		limit = decimal.NewFromInt(1_000_000)
	}
	var e casedesk.Exposure
	used := decimal.Zero
	for id, x := range r.holds {
		if r.holdStatus[id] == casedesk.HoldReleased {
			continue
		}
		if x.PaymentID == h.PaymentID {
			used = used.Add(x.Amount)
		}
		if x.CaseID == h.CaseID {
			e.Case = e.Case.Add(x.Amount)
		}
		if x.RequestedBy == h.RequestedBy {
			e.Requester = e.Requester.Add(x.Amount)
		}
	}
	e.Target = used
	if used.Add(h.Amount).GreaterThan(limit) {
		return casedesk.Authority{}, casedesk.Invalid("amount", "exceeds what %s can still refund", h.PaymentID)
	}
	var auth casedesk.Authority
	if ar := h.Authority; ar != nil {
		if err := ar.CheckIdentity(h, e, h.IdentityVerified); err != nil {
			return auth, err
		}
		auth = ar.Authority(h, e)
	}
	if r.decided == nil {
		r.decided = map[string]casedesk.Authority{}
	}
	r.holds[h.ID], r.holdStatus[h.ID], r.decided[h.ID] = h, casedesk.HoldHeld, auth
	return auth, nil
}

func (r *recorder) PostHold(_ context.Context, holdID, entryID string, now time.Time) (casedesk.LedgerEntry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failPosts > 0 {
		r.failPosts--
		return casedesk.LedgerEntry{}, errors.New("connection reset")
	}
	if r.refusePosts {
		return casedesk.LedgerEntry{}, casedesk.Errorf(casedesk.ECONFLICT, "the ledger refused hold %s", holdID)
	}
	if e, ok := r.entries[holdID]; ok {
		return e, nil
	}
	h, ok := r.holds[holdID]
	if !ok || r.holdStatus[holdID] != casedesk.HoldHeld {
		return casedesk.LedgerEntry{}, casedesk.Errorf(casedesk.ECONFLICT, "hold %s cannot be posted", holdID)
	}
	e := casedesk.LedgerEntry{ID: entryID, Kind: h.Kind, HoldID: holdID, Amount: h.Amount, Currency: h.Currency, PostedAt: now}
	r.entries[holdID], r.holdStatus[holdID] = e, casedesk.HoldPosted
	return e, nil
}

func (r *recorder) ReleaseHold(_ context.Context, holdID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holdStatus[holdID] == casedesk.HoldHeld {
		r.holdStatus[holdID] = casedesk.HoldReleased
	}
	return nil
}

func (r *recorder) ProjectCase(_ context.Context, c casedesk.Case, events []casedesk.Event, _ casedesk.ProjectionOrigin) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failNext > 0 {
		r.failNext--
		return errors.New("database unavailable")
	}
	if c.Version > r.c.Version {
		r.c = c
	}
	if r.events == nil {
		r.events = map[int64]casedesk.Event{}
	}
	for _, e := range events {
		if _, ok := r.events[e.Seq]; !ok {
			r.events[e.Seq] = e
		}
	}
	return nil
}

func (r *recorder) timeline() []casedesk.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	seqs := make([]int64, 0, len(r.events))
	for s := range r.events {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	out := make([]casedesk.Event, len(seqs))
	for i, s := range seqs {
		out[i] = r.events[s]
	}
	return out
}

var (
	agent      = casedesk.Actor{ID: "U-AGENT1", Role: casedesk.RoleAgent}
	supervisor = casedesk.Actor{ID: "U-SUPER1", Role: casedesk.RoleSupervisor}
	start      = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	rec   *recorder
	at    time.Duration
	steps []*stepResult
	ended bool
}

type stepResult struct {
	name     string
	accepted bool
	rejected error
	result   casedesk.Case
	err      error
	done     bool
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(testLogOutput(), &slog.HandlerOptions{Level: slog.LevelDebug}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	rec := &recorder{}
	worker.Register(env, &activities.Activities{Store: rec, Ledger: rec, Outbox: rec, Now: func() time.Time { return start },
		Mail: activities.MailSettings{PublicURL: "https://casedesk.test", ReplyDomain: "reply.casedesk.test",
			Links: links.Signer{Secret: []byte("a-test-secret-of-at-least-32-bytes!")}}})
	return &harness{t: t, env: env, rec: rec}
}

// do schedules cmd by actor after the previous step plus gap.
func (h *harness) do(gap time.Duration, by casedesk.Actor, cmd casedesk.Command) *stepResult {
	h.at += gap
	s := &stepResult{name: cmd.Name()}
	h.steps = append(h.steps, s)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(cmd.Name(), "", &testsuite.TestUpdateCallback{
			OnAccept: func() { s.accepted = true },
			OnReject: func(err error) { s.rejected = err; s.done = true },
			OnComplete: func(v any, err error) {
				s.done, s.err = true, err
				if c, ok := v.(casedesk.Case); ok {
					s.result = c
				}
			},
		}, by, cmd)
	}, h.at)
	return s
}

// end cancels the workflow gap after the last step, for cases the test
// leaves open; the run then reports no error.
func (h *harness) end(gap time.Duration) {
	h.at += gap
	h.ended = true
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, h.at)
}

func (h *harness) run(rules casedesk.Rules) (casedesk.Case, error) {
	h.t.Helper()
	return h.runCase(rules, casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: "CU-1", Subject: "Charged twice", Channel: casedesk.ChannelPhone})
}

func (h *harness) runCase(rules casedesk.Rules, req casedesk.OpenRequest) (casedesk.Case, error) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{
		ID:      "C-TEST01",
		Request: req,
		Actor:   agent,
		Rules:   rules,
	})
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	var c casedesk.Case
	err := h.env.GetWorkflowResult(&c)
	if h.ended && temporal.IsCanceledError(err) {
		return h.rec.c, nil
	}
	return c, err
}

func rules(window time.Duration) casedesk.Rules { return casedesk.Rules{ReopenWindow: window} }

func eventTypes(events []casedesk.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

func TestInquiryWalksFromOpenToClosed(t *testing.T) {
	h := newHarness(t)
	steps := []*stepResult{
		h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID}),
		h.do(time.Minute, agent, casedesk.Reply{Body: "Looking into it"}),
		h.do(time.Minute, agent, casedesk.AddNote{Body: "Duplicate authorisation, not a charge"}),
		h.do(time.Minute, agent, casedesk.RequestInfo{Body: "Which card was it?"}),
		h.do(time.Hour, agent, casedesk.CustomerReply{Body: "The Visa ending 1111"}),
		h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "It was an authorisation hold"}),
		h.do(time.Hour, supervisor, casedesk.Reopen{Reason: "Customer called again"}),
		h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered}),
		h.do(time.Minute, agent, casedesk.Close{}),
	}
	final, err := h.run(rules(7 * 24 * time.Hour))
	if err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	wantStatus := []casedesk.Status{"open", "open", "open", "waiting_on_customer", "open", "resolved", "open", "resolved", "closed"}
	for i, s := range steps {
		if !s.accepted || s.err != nil || s.rejected != nil {
			t.Fatalf("step %d %s: accepted=%v err=%v rejected=%v", i, s.name, s.accepted, s.err, s.rejected)
		}
		if s.result.Status != wantStatus[i] {
			t.Errorf("after %s the status is %s, want %s", s.name, s.result.Status, wantStatus[i])
		}
		if s.result.Version != int64(i+2) {
			t.Errorf("after %s the version is %d, want %d", s.name, s.result.Version, i+2)
		}
	}
	if final.Status != casedesk.StatusClosed || final.ClosedAt == nil {
		t.Fatalf("final case is %s (closed_at %v), want closed", final.Status, final.ClosedAt)
	}
	want := []string{"case_opened", "assigned", "replied", "note_added", "info_requested", "customer_replied",
		"resolved", "reopened", "resolved", "closed"}
	got := h.rec.timeline()
	if !slices.Equal(eventTypes(got), want) {
		t.Fatalf("timeline is %v, want %v", eventTypes(got), want)
	}
	for i, e := range got {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
		if i > 0 && e.At.Before(got[i-1].At) {
			t.Errorf("event %d (%s) is earlier than the one before it", i, e.Type)
		}
	}
	if got[7].Actor != supervisor.ID {
		t.Errorf("reopened by %q, want %q", got[7].Actor, supervisor.ID)
	}
	if h.rec.c.Version != final.Version || h.rec.c.Status != casedesk.StatusClosed {
		t.Errorf("read model holds version %d %s, want %d closed", h.rec.c.Version, h.rec.c.Status, final.Version)
	}
	if final.FirstContactResolution {
		t.Error("a case that waited on the customer and was reopened is not a first-contact resolution")
	}
	wantMail := []string{"agent_reply to customer@example.com", "case_opened to customer@example.com",
		"case_resolved to customer@example.com", "case_resolved to customer@example.com", "info_requested to customer@example.com"}
	if got := h.rec.kinds(); !slices.Equal(got, wantMail) {
		t.Errorf("outbox %v, want %v", got, wantMail)
	}
}

func TestInvalidActionsAreRejectedBeforeHistory(t *testing.T) {
	h := newHarness(t)
	replyUnassigned := h.do(time.Minute, agent, casedesk.Reply{Body: "hello"})
	emptyNote := h.do(time.Minute, agent, casedesk.AddNote{Body: "   "})
	resolveNew := h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	badOutcome := h.do(time.Minute, agent, casedesk.Resolve{Outcome: "upheld"})
	closeOpen := h.do(time.Minute, agent, casedesk.Close{})
	reopenOpen := h.do(time.Minute, agent, casedesk.Reopen{Reason: "why"})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	h.do(time.Minute, agent, casedesk.Close{})
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		step *stepResult
		code string
	}{
		{"replying to an unassigned case", replyUnassigned, casedesk.ECONFLICT},
		{"an empty note", emptyNote, casedesk.EINVALID},
		{"resolving a new case", resolveNew, casedesk.ECONFLICT},
		{"an inquiry resolved as upheld", badOutcome, casedesk.EINVALID},
		{"closing an open case", closeOpen, casedesk.ECONFLICT},
		{"reopening an open case", reopenOpen, casedesk.ECONFLICT},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is rejected by the validator", func(t *testing.T) {
			if tc.step.accepted || tc.step.rejected == nil {
				t.Fatalf("accepted=%v rejected=%v", tc.step.accepted, tc.step.rejected)
			}
			err := temporalerr.Unwrap(tc.step.rejected)
			if got := casedesk.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, tc.step.rejected, tc.code)
			}
		})
	}
	var e *casedesk.Error
	if !errors.As(temporalerr.Unwrap(badOutcome.rejected), &e) || len(e.Fields) != 1 || e.Fields[0].Field != "outcome" {
		t.Errorf("the bad outcome error names %+v, want the field outcome", e)
	}
	if got := eventTypes(h.rec.timeline()); !slices.Equal(got, []string{"case_opened", "assigned", "resolved", "closed"}) {
		t.Errorf("rejected actions left events: %v", got)
	}
}

func TestResolvedCaseClosesItselfWhenTheReopenWindowEnds(t *testing.T) {
	h := newHarness(t)
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	resolved := h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	final, err := h.run(rules(7 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != casedesk.StatusClosed {
		t.Fatalf("status %s, want closed", final.Status)
	}
	events := h.rec.timeline()
	last := events[len(events)-1]
	if last.Type != casedesk.EventClosed || last.Actor != casedesk.SystemActor.ID {
		t.Fatalf("last event %s by %s, want closed by system", last.Type, last.Actor)
	}
	wantAt := resolved.result.ResolvedAt.Add(7 * 24 * time.Hour)
	if !last.At.Equal(wantAt) {
		t.Errorf("closed at %s, want %s (resolution plus the reopen window)", last.At, wantAt)
	}
	if last.Data["reason"] != "reopen window ended" {
		t.Errorf("close reason %v", last.Data["reason"])
	}
}

func TestReopeningStopsTheAutomaticClose(t *testing.T) {
	h := newHarness(t)
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	h.do(6*24*time.Hour, agent, casedesk.CustomerReply{Body: "It happened again"})
	// Well past the first window: the case must still be open then.
	h.do(3*24*time.Hour, agent, casedesk.AddNote{Body: "still open"})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	lateReopen := h.do(8*24*time.Hour, agent, casedesk.Reopen{Reason: "too late"})
	final, err := h.run(rules(7 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"case_opened", "assigned", "resolved", "customer_replied", "reopened", "note_added", "resolved", "closed"}
	if got := eventTypes(h.rec.timeline()); !slices.Equal(got, want) {
		t.Fatalf("timeline %v, want %v", got, want)
	}
	if final.ReopenCount != 1 {
		t.Errorf("reopen count %d, want 1", final.ReopenCount)
	}
	if lateReopen.accepted {
		t.Error("a reopen after the window closed the case was accepted")
	}
}

func TestProjectionRetriesUntilTheDatabaseTakesIt(t *testing.T) {
	h := newHarness(t)
	h.rec.failNext = 3
	assign := h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	h.do(time.Minute, agent, casedesk.Close{})
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if assign.err != nil || assign.result.Status != casedesk.StatusOpen {
		t.Fatalf("assign: %v %s", assign.err, assign.result.Status)
	}
	if h.rec.calls < 4+3 {
		t.Errorf("%d projection calls, want the 3 failures retried", h.rec.calls)
	}
	if got := eventTypes(h.rec.timeline()); !slices.Equal(got, []string{"case_opened", "assigned", "resolved", "closed"}) {
		t.Errorf("timeline %v", got)
	}
}

// testLogOutput is where workflow test logs go: nowhere, unless
// CASEDESK_WORKFLOW_TEST_LOG is set.
func testLogOutput() io.Writer {
	if os.Getenv("CASEDESK_WORKFLOW_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// A case whose opening the API decided (temporalclient.Cases.Open) runs from
// the state in its input as if the workflow had decided it: the same
// timeline, the opening's email, and the projection of its first event.
func TestACaseOpenedByTheAPIRunsFromTheStateItWasGiven(t *testing.T) {
	run := func(decided bool) (*harness, casedesk.Case) {
		h := newHarness(t)
		h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
		h.do(time.Minute, agent, casedesk.Reply{Body: "Looking into it"})
		h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
		h.do(time.Minute, agent, casedesk.Close{})
		r := rules(7 * 24 * time.Hour)
		req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: "CU-1", Subject: "Charged twice", Channel: casedesk.ChannelPhone}
		in := workflows.CaseInput{ID: "C-TEST01", Request: req, Actor: agent, Rules: r}
		if decided {
			c, events, err := r.Open(in.ID, req, agent, start)
			if err != nil {
				t.Fatal(err)
			}
			in.State, in.Pending, in.Decided = &c, events, true
		}
		h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
		if !h.env.IsWorkflowCompleted() {
			t.Fatal("workflow did not complete")
		}
		var c casedesk.Case
		if err := h.env.GetWorkflowResult(&c); err != nil {
			t.Fatalf("decided=%v: %v", decided, err)
		}
		return h, c
	}
	byWorkflow, want := run(false)
	byAPI, got := run(true)
	if got.Status != casedesk.StatusClosed || got.Version != want.Version || !got.OpenedAt.Equal(want.OpenedAt) {
		t.Errorf("decided by the API: %s v%d opened %v; by the workflow: %s v%d opened %v",
			got.Status, got.Version, got.OpenedAt, want.Status, want.Version, want.OpenedAt)
	}
	if g, w := eventTypes(byAPI.rec.timeline()), eventTypes(byWorkflow.rec.timeline()); !slices.Equal(g, w) {
		t.Errorf("timeline %v, want %v", g, w)
	}
	if g, w := byAPI.rec.kinds(), byWorkflow.rec.kinds(); !slices.Equal(g, w) || !slices.Contains(g, "case_opened to customer@example.com") {
		t.Errorf("outbox %v, want %v with the opening's email", g, w)
	}
}
