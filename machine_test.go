package casedesk_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

var (
	t0         = time.Date(2025, time.March, 10, 9, 30, 0, 0, time.UTC)
	agent      = casedesk.Actor{ID: "U-AGENT1", Role: casedesk.RoleAgent}
	otherAgent = casedesk.Actor{ID: "U-AGENT2", Role: casedesk.RoleAgent}
	supervisor = casedesk.Actor{ID: "U-SUPER1", Role: casedesk.RoleSupervisor}
	admin      = casedesk.Actor{ID: "U-ADMIN1", Role: casedesk.RoleAdmin}
	staff      = []casedesk.Actor{agent, supervisor, admin}
	rules      = casedesk.DefaultRules()
)

// Shorter names for the statuses, so that tables stay readable.
const (
	sNew       = casedesk.StatusNew
	sOpen      = casedesk.StatusOpen
	sWaiting   = casedesk.StatusWaitingOnCustomer
	sPending   = casedesk.StatusPendingApproval
	sEscalated = casedesk.StatusEscalated
	sResolved  = casedesk.StatusResolved
	sClosed    = casedesk.StatusClosed
)

func ptr[T any](v T) *T { return &v }

// caseIn returns an inquiry in status s, shaped as the rules would have left
// it, with every pointer field that status would have set.
func caseIn(t *testing.T, s casedesk.Status) casedesk.Case {
	t.Helper()
	c := casedesk.Case{
		ID:          "C-7Q4K2M",
		Type:        casedesk.TypeInquiry,
		Status:      s,
		Priority:    casedesk.PriorityNormal,
		Channel:     casedesk.ChannelEmail,
		CustomerID:  "CU-1",
		Subject:     "Charged twice for the March invoice",
		Description: "The customer sees two charges of 49.90 USD.",
		OpenedBy:    agent.ID,
		OpenedAt:    t0,
		UpdatedAt:   t0,
		Version:     1,
		LastSeq:     1,
		SLA: casedesk.SLA{
			FirstResponseDue: ptr(t0.Add(4 * time.Hour)),
			ResolutionDue:    ptr(t0.Add(48 * time.Hour)),
		},
	}
	if s == sNew {
		return c
	}
	c.AssigneeID = agent.ID
	c.Version, c.LastSeq = 2, 2
	c.UpdatedAt = t0.Add(10 * time.Minute)
	switch s {
	case sOpen:
	case sWaiting:
		c.PublicReplies = 1
		c.CustomerWaited = true
		c.SLA.FirstResponseAt = ptr(t0.Add(20 * time.Minute))
		c.Version, c.LastSeq = 3, 3
	case sPending:
		c.PublicReplies = 1
		c.SLA.FirstResponseAt = ptr(t0.Add(20 * time.Minute))
		c.Version, c.LastSeq = 3, 3
	case sEscalated:
		c.PublicReplies = 1
		c.WasEscalated = true
		c.SLA.FirstResponseAt = ptr(t0.Add(20 * time.Minute))
		c.Version, c.LastSeq = 3, 3
	case sResolved, sClosed:
		resolved := t0.Add(time.Hour)
		c.Outcome = casedesk.OutcomeAnswered
		c.ResolutionSummary = "Explained the pre-authorisation hold."
		c.FirstContactResolution = true
		c.SLA.FirstResponseAt = ptr(resolved)
		c.ResolvedAt = ptr(resolved)
		c.ReopenUntil = ptr(resolved.Add(casedesk.DefaultReopenWindow))
		c.Version, c.LastSeq = 3, 3
		if s == sClosed {
			c.ClosedAt = ptr(resolved.Add(casedesk.DefaultReopenWindow))
			c.ReopenUntil = nil
			c.Version, c.LastSeq = 4, 4
		}
	default:
		t.Fatalf("caseIn: unknown status %q", s)
	}
	return c
}

// cloneCase returns a deep copy of c: every pointer points to a fresh value.
func cloneCase(t *testing.T, c casedesk.Case) casedesk.Case {
	t.Helper()
	clone := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	c.ResolvedAt = clone(c.ResolvedAt)
	c.ClosedAt = clone(c.ClosedAt)
	c.ReopenUntil = clone(c.ReopenUntil)
	c.SLA.FirstResponseDue = clone(c.SLA.FirstResponseDue)
	c.SLA.FirstResponseAt = clone(c.SLA.FirstResponseAt)
	c.SLA.ResolutionDue = clone(c.SLA.ResolutionDue)
	c.SLA.FirstResponseWarnAt = clone(c.SLA.FirstResponseWarnAt)
	c.SLA.ResolutionWarnAt = clone(c.SLA.ResolutionWarnAt)
	c.SLA.ResolutionSince = clone(c.SLA.ResolutionSince)
	c.SLA.WaitingSince = clone(c.SLA.WaitingSince)
	c.SLA.RemindAt = clone(c.SLA.RemindAt)
	c.SLA.NoResponseAt = clone(c.SLA.NoResponseAt)
	if c.Dispute != nil {
		d := *c.Dispute
		c.Dispute = &d
	}
	if c.Identity != nil {
		id := *c.Identity
		c.Identity = &id
	}
	if c.Chargeback != nil {
		cb := *c.Chargeback
		cb.Evidence = append([]casedesk.Evidence(nil), cb.Evidence...)
		cb.RespondedAt = clone(cb.RespondedAt)
		c.Chargeback = &cb
	}
	c.Approvals = append([]casedesk.Approval(nil), c.Approvals...)
	for i := range c.Approvals {
		c.Approvals[i].Decisions = append([]casedesk.ApprovalDecision(nil), c.Approvals[i].Decisions...)
	}
	c.Movements = append([]casedesk.Movement(nil), c.Movements...)
	c.UnverifiedReplies = append([]casedesk.UnverifiedReply(nil), c.UnverifiedReplies...)
	c.RecentNotes = append([]time.Time(nil), c.RecentNotes...)
	return c
}

// now is a moment inside the reopen window of caseIn's resolved case.
var now = t0.Add(2 * time.Hour)

// decide runs rules.Decide and checks that the input case was left as it was.
func decide(t *testing.T, r casedesk.Rules, c casedesk.Case, cmd casedesk.Command, by casedesk.Actor, at time.Time) (casedesk.Case, []casedesk.Event, error) {
	t.Helper()
	before := cloneCase(t, c)
	got, events, err := r.Decide(c, cmd, by, at)
	if !reflect.DeepEqual(c, before) {
		t.Fatalf("Decide modified its input case:\nbefore %+v\nafter  %+v", before, c)
	}
	return got, events, err
}

// mustDecide is decide for a command that must be accepted.
func mustDecide(t *testing.T, c casedesk.Case, cmd casedesk.Command, by casedesk.Actor, at time.Time) (casedesk.Case, []casedesk.Event) {
	t.Helper()
	got, events, err := decide(t, rules, c, cmd, by, at)
	if err != nil {
		t.Fatalf("Decide(%s) on a %s case: %v", cmd.Name(), c.Status, err)
	}
	return got, events
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := casedesk.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err %v), want %q", got, err, code)
	}
}

// wantFields fails unless err is EINVALID and names exactly fields, in order,
// each with a message.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	wantCode(t, err, casedesk.EINVALID)
	var e *casedesk.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *casedesk.Error", err)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
		if strings.TrimSpace(f.Message) == "" {
			t.Errorf("field %q has no message", f.Field)
		}
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("invalid fields = %q, want %q (err %v)", got, fields, err)
	}
}

// wantRefused checks that a refused command returned the input case as it was
// and no events.
func wantRefused(t *testing.T, in, got casedesk.Case, events []casedesk.Event, err error, code string) {
	t.Helper()
	wantCode(t, err, code)
	if !reflect.DeepEqual(got, in) {
		t.Errorf("a refused command returned a changed case:\nin  %+v\ngot %+v", in, got)
	}
	if events != nil {
		t.Errorf("a refused command emitted events %+v", events)
	}
}

// wantAccepted checks what every accepted command does: one version more,
// updated at now, events numbered on from the case's last seq, by the actor
// at now.
func wantAccepted(t *testing.T, in, got casedesk.Case, events []casedesk.Event, by casedesk.Actor, at time.Time, types ...string) {
	t.Helper()
	if got.Version != in.Version+1 {
		t.Errorf("version = %d, want %d", got.Version, in.Version+1)
	}
	if !got.UpdatedAt.Equal(at) {
		t.Errorf("updated_at = %v, want %v", got.UpdatedAt, at)
	}
	var gotTypes []string
	for i, ev := range events {
		gotTypes = append(gotTypes, ev.Type)
		if want := in.LastSeq + int64(i) + 1; ev.Seq != want {
			t.Errorf("event %d (%s) seq = %d, want %d", i, ev.Type, ev.Seq, want)
		}
		if ev.Actor != by.ID {
			t.Errorf("event %s actor = %q, want %q", ev.Type, ev.Actor, by.ID)
		}
		if !ev.At.Equal(at) {
			t.Errorf("event %s at = %v, want %v", ev.Type, ev.At, at)
		}
		if ev.Data == nil {
			t.Errorf("event %s has nil data", ev.Type)
		}
	}
	if !slices.Equal(gotTypes, types) {
		t.Fatalf("event types = %q, want %q", gotTypes, types)
	}
	if want := in.LastSeq + int64(len(events)); got.LastSeq != want {
		t.Errorf("last_seq = %d, want %d", got.LastSeq, want)
	}
}

func TestCanTransition(t *testing.T) {
	// The expected moves, written out independently of machine.go's table.
	allowed := map[casedesk.Status][]casedesk.Status{
		sNew:     {sOpen, sEscalated, sPending, sResolved},
		sOpen:    {sWaiting, sPending, sEscalated, sResolved},
		sWaiting: {sOpen, sPending, sEscalated, sResolved},
		// An approval ending on an unassigned case returns it to new.
		sPending:   {sNew, sOpen, sWaiting, sEscalated, sResolved},
		sEscalated: {sNew, sOpen, sWaiting, sPending, sResolved},
		sResolved:  {sOpen, sClosed},
		sClosed:    {},
	}
	if len(casedesk.Statuses) != len(allowed) {
		t.Fatalf("the product has %d statuses, the expected table %d", len(casedesk.Statuses), len(allowed))
	}
	for _, from := range casedesk.Statuses {
		for _, to := range casedesk.Statuses {
			want := slices.Contains(allowed[from], to)
			verb := "may not"
			if want {
				verb = "may"
			}
			t.Run(fmt.Sprintf("a %s case %s move to %s", from, verb, to), func(t *testing.T) {
				if got := casedesk.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
				}
			})
		}
	}

	t.Run("a closed case has no exits", func(t *testing.T) {
		for _, to := range casedesk.Statuses {
			if casedesk.CanTransition(sClosed, to) {
				t.Errorf("closed → %s is allowed", to)
			}
		}
	})
	t.Run("a resolved case only reopens or closes", func(t *testing.T) {
		for _, to := range casedesk.Statuses {
			if casedesk.CanTransition(sResolved, to) != (to == sOpen || to == sClosed) {
				t.Errorf("resolved → %s: CanTransition = %v", to, casedesk.CanTransition(sResolved, to))
			}
		}
	})
	t.Run("only an ended approval goes back to new", func(t *testing.T) {
		for _, from := range casedesk.Statuses {
			if from != sPending && from != sEscalated && casedesk.CanTransition(from, sNew) {
				t.Errorf("%s → new is allowed", from)
			}
		}
	})
	t.Run("no status moves to itself", func(t *testing.T) {
		for _, s := range casedesk.Statuses {
			if casedesk.CanTransition(s, s) {
				t.Errorf("%s → %s is allowed", s, s)
			}
		}
	})
	t.Run("unknown statuses go nowhere", func(t *testing.T) {
		for _, s := range casedesk.Statuses {
			if casedesk.CanTransition("archived", s) || casedesk.CanTransition(s, "archived") {
				t.Errorf("a move between archived and %s is allowed", s)
			}
		}
	})
}

// afterWindow is when the timer closing c is due for c: the end of its reopen window,
// or, for a case that has none, long after anything else in these tests.
func afterWindow(c casedesk.Case) time.Time {
	if c.ReopenUntil != nil {
		return *c.ReopenUntil
	}
	return t0.Add(30 * 24 * time.Hour)
}

func TestDecideStatusMatrix(t *testing.T) {
	type result struct {
		to     casedesk.Status
		events []string
	}
	tests := []struct {
		name string
		cmd  casedesk.Command
		by   casedesk.Actor
		at   func(casedesk.Case) time.Time // nil means now
		// allowed maps each status the command is accepted in to its result;
		// every other status refuses it with a conflict.
		allowed map[casedesk.Status]result
	}{
		{
			name: "assign", cmd: casedesk.Assign{AssigneeID: otherAgent.ID}, by: supervisor,
			allowed: map[casedesk.Status]result{
				sNew:       {sOpen, []string{casedesk.EventAssigned}},
				sOpen:      {sOpen, []string{casedesk.EventAssigned}},
				sWaiting:   {sWaiting, []string{casedesk.EventAssigned}},
				sPending:   {sPending, []string{casedesk.EventAssigned}},
				sEscalated: {sEscalated, []string{casedesk.EventAssigned}},
			},
		},
		{
			name: "reply", cmd: casedesk.Reply{Body: "We refunded the second charge."}, by: agent,
			allowed: map[casedesk.Status]result{
				sOpen:      {sOpen, []string{casedesk.EventReplied}},
				sWaiting:   {sWaiting, []string{casedesk.EventReplied}},
				sPending:   {sPending, []string{casedesk.EventReplied}},
				sEscalated: {sEscalated, []string{casedesk.EventReplied}},
			},
		},
		{
			name: "add a note", cmd: casedesk.AddNote{Body: "Checked the gateway log."}, by: agent,
			allowed: map[casedesk.Status]result{
				sNew:       {sNew, []string{casedesk.EventNoteAdded}},
				sOpen:      {sOpen, []string{casedesk.EventNoteAdded}},
				sWaiting:   {sWaiting, []string{casedesk.EventNoteAdded}},
				sPending:   {sPending, []string{casedesk.EventNoteAdded}},
				sEscalated: {sEscalated, []string{casedesk.EventNoteAdded}},
				sResolved:  {sResolved, []string{casedesk.EventNoteAdded}},
			},
		},
		{
			name: "request information", cmd: casedesk.RequestInfo{Body: "Please send the bank statement."}, by: agent,
			allowed: map[casedesk.Status]result{
				sOpen: {sWaiting, []string{casedesk.EventInfoRequested}},
			},
		},
		{
			name: "record a customer reply", cmd: casedesk.CustomerReply{Body: "Here it is."}, by: agent,
			allowed: map[casedesk.Status]result{
				sNew:       {sNew, []string{casedesk.EventCustomerReplied}},
				sOpen:      {sOpen, []string{casedesk.EventCustomerReplied}},
				sWaiting:   {sOpen, []string{casedesk.EventCustomerReplied}},
				sPending:   {sPending, []string{casedesk.EventCustomerReplied}},
				sEscalated: {sEscalated, []string{casedesk.EventCustomerReplied}},
				sResolved:  {sOpen, []string{casedesk.EventCustomerReplied, casedesk.EventReopened}},
			},
		},
		{
			name: "resolve", cmd: casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "Refunded."}, by: agent,
			allowed: map[casedesk.Status]result{
				sOpen:    {sResolved, []string{casedesk.EventResolved}},
				sWaiting: {sResolved, []string{casedesk.EventResolved}},
			},
		},
		{
			name: "reopen", cmd: casedesk.Reopen{Reason: "The refund never arrived."}, by: agent,
			allowed: map[casedesk.Status]result{
				sResolved: {sOpen, []string{casedesk.EventReopened}},
			},
		},
		{
			name: "close", cmd: casedesk.Close{}, by: supervisor,
			allowed: map[casedesk.Status]result{
				sResolved: {sClosed, []string{casedesk.EventClosed}},
			},
		},
	}
	for _, tt := range tests {
		for _, from := range casedesk.Statuses {
			want, ok := tt.allowed[from]
			verb := "is refused with a conflict"
			switch {
			case ok && want.to == from:
				verb = "is accepted and leaves it " + string(from)
			case ok:
				verb = "is accepted and moves it to " + string(want.to)
			}
			t.Run(fmt.Sprintf("%s on %s case %s", tt.name, a(from), verb), func(t *testing.T) {
				in := caseIn(t, from)
				at := now
				if tt.at != nil {
					at = tt.at(in)
				}
				got, events, err := decide(t, rules, in, tt.cmd, tt.by, at)
				if !ok {
					wantRefused(t, in, got, events, err, casedesk.ECONFLICT)
					return
				}
				if err != nil {
					t.Fatalf("Decide: %v", err)
				}
				if got.Status != want.to {
					t.Errorf("status = %s, want %s", got.Status, want.to)
				}
				wantAccepted(t, in, got, events, tt.by, at, want.events...)
			})
		}
	}
}

func TestDecideEventData(t *testing.T) {
	const pan = "4111 1111 1111 1111"
	const masked = "**** **** **** 1111"
	reopenUntil := now.Add(casedesk.DefaultReopenWindow)
	tests := []struct {
		name string
		from casedesk.Status
		cmd  casedesk.Command
		by   casedesk.Actor
		at   time.Time
		want []map[string]any
	}{
		{
			name: "assigning a new case names the assignee and no previous one",
			from: sNew, cmd: casedesk.Assign{AssigneeID: agent.ID}, by: supervisor, at: now,
			want: []map[string]any{{"assignee_id": agent.ID, "previous_assignee_id": ""}},
		},
		{
			name: "reassigning names the previous assignee",
			from: sOpen, cmd: casedesk.Assign{AssigneeID: otherAgent.ID}, by: supervisor, at: now,
			want: []map[string]any{{"assignee_id": otherAgent.ID, "previous_assignee_id": agent.ID}},
		},
		{
			name: "a reply carries its trimmed body with card numbers masked",
			from: sOpen, cmd: casedesk.Reply{Body: "  Refund sent to card " + pan + ".\n"}, by: agent, at: now,
			want: []map[string]any{{"body": "Refund sent to card " + masked + "."}},
		},
		{
			name: "a note carries its trimmed body with card numbers masked",
			from: sOpen, cmd: casedesk.AddNote{Body: "\tCaller read out " + pan + " "}, by: agent, at: now,
			want: []map[string]any{{"body": "Caller read out " + masked}},
		},
		{
			name: "an information request carries its body",
			from: sOpen, cmd: casedesk.RequestInfo{Body: "Which card was charged?"}, by: agent, at: now,
			want: []map[string]any{{"body": "Which card was charged?"}},
		},
		{
			name: "a customer reply while waiting records both statuses",
			from: sWaiting, cmd: casedesk.CustomerReply{Body: "It was " + pan}, by: agent, at: now,
			want: []map[string]any{{"body": "It was " + masked, "previous_status": "waiting_on_customer", "status": "open"}},
		},
		{
			name: "a customer reply on an open case records the unchanged status",
			from: sOpen, cmd: casedesk.CustomerReply{Body: "Any news?"}, by: agent, at: now,
			want: []map[string]any{{"body": "Any news?", "previous_status": "open", "status": "open"}},
		},
		{
			name: "a customer reply on a resolved case records the reply, then the reopening",
			from: sResolved, cmd: casedesk.CustomerReply{Body: "Still charged twice."}, by: agent, at: now,
			want: []map[string]any{
				{"body": "Still charged twice.", "previous_status": "resolved", "status": "open"},
				{"reason": "the customer replied"},
			},
		},
		{
			name: "resolving records outcome, masked summary, first-contact resolution and the end of the reopen window",
			from: sOpen, cmd: casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: " Refunded to " + pan + " "}, by: agent, at: now,
			want: []map[string]any{{
				"outcome": "answered", "summary": "Refunded to " + masked,
				"first_contact_resolution": true, "reopen_until": reopenUntil,
			}},
		},
		{
			name: "resolving without a summary records an empty one",
			from: sWaiting, cmd: casedesk.Resolve{Outcome: casedesk.OutcomeNoResponse}, by: agent, at: now,
			want: []map[string]any{{
				"outcome": "no_response", "summary": "",
				"first_contact_resolution": false, "reopen_until": reopenUntil,
			}},
		},
		{
			name: "reopening carries the trimmed, masked reason",
			from: sResolved, cmd: casedesk.Reopen{Reason: " Customer called back about " + pan + " "}, by: agent, at: now,
			want: []map[string]any{{"reason": "Customer called back about " + masked}},
		},
		{
			name: "closing by staff says so",
			from: sResolved, cmd: casedesk.Close{}, by: supervisor, at: now,
			want: []map[string]any{{"reason": "closed by staff"}},
		},
		{
			name: "closing automatically says the window ended",
			from: sResolved, cmd: casedesk.Tick{}, by: casedesk.SystemActor, at: t0.Add(time.Hour + casedesk.DefaultReopenWindow),
			want: []map[string]any{{"reason": "reopen window ended"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := caseIn(t, tt.from)
			_, events, err := decide(t, rules, in, casedesk.MaskCommand(tt.cmd), tt.by, tt.at) // masked as the Temporal client does
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if len(events) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %+v", len(events), len(tt.want), events)
			}
			for i, ev := range events {
				if !reflect.DeepEqual(ev.Data, tt.want[i]) {
					t.Errorf("event %d (%s) data =\n%#v\nwant\n%#v", i, ev.Type, ev.Data, tt.want[i])
				}
			}
		})
	}
}

func TestDecideChangesTheCase(t *testing.T) {
	t.Run("assigning a new case opens it for the assignee", func(t *testing.T) {
		got, _ := mustDecide(t, caseIn(t, sNew), casedesk.Assign{AssigneeID: agent.ID}, supervisor, now)
		if got.AssigneeID != agent.ID || got.Status != sOpen {
			t.Errorf("assignee %q status %s, want %q open", got.AssigneeID, got.Status, agent.ID)
		}
	})
	t.Run("assigning the current assignee again is a conflict", func(t *testing.T) {
		in := caseIn(t, sOpen)
		got, events, err := decide(t, rules, in, casedesk.Assign{AssigneeID: agent.ID}, supervisor, now)
		wantRefused(t, in, got, events, err, casedesk.ECONFLICT)
	})
	t.Run("a reply counts as a public reply", func(t *testing.T) {
		in := caseIn(t, sWaiting)
		got, _ := mustDecide(t, in, casedesk.Reply{Body: "Reminder: we need the statement."}, agent, now)
		if got.PublicReplies != in.PublicReplies+1 {
			t.Errorf("public replies = %d, want %d", got.PublicReplies, in.PublicReplies+1)
		}
	})
	t.Run("a note is internal: no public reply, no first response", func(t *testing.T) {
		in := caseIn(t, sOpen)
		got, _ := mustDecide(t, in, casedesk.AddNote{Body: "Internal."}, agent, now)
		if got.PublicReplies != 0 || got.SLA.FirstResponseAt != nil {
			t.Errorf("public replies %d, first response %v; want 0 and none", got.PublicReplies, got.SLA.FirstResponseAt)
		}
	})
	t.Run("requesting information is a public reply and marks that the customer waited", func(t *testing.T) {
		got, _ := mustDecide(t, caseIn(t, sOpen), casedesk.RequestInfo{Body: "Which card?"}, agent, now)
		if got.PublicReplies != 1 || !got.CustomerWaited {
			t.Errorf("public replies %d, customer waited %v; want 1 and true", got.PublicReplies, got.CustomerWaited)
		}
		if got.SLA.FirstResponseAt == nil || !got.SLA.FirstResponseAt.Equal(now) {
			t.Errorf("first response at %v, want %v", got.SLA.FirstResponseAt, now)
		}
	})
	t.Run("resolving records outcome, summary, times and the reopen window", func(t *testing.T) {
		got, _ := mustDecide(t, caseIn(t, sOpen), casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "  Explained the hold.  "}, agent, now)
		if got.Outcome != casedesk.OutcomeAnswered || got.ResolutionSummary != "Explained the hold." {
			t.Errorf("outcome %q summary %q", got.Outcome, got.ResolutionSummary)
		}
		if got.ResolvedAt == nil || !got.ResolvedAt.Equal(now) {
			t.Errorf("resolved at %v, want %v", got.ResolvedAt, now)
		}
		if want := now.Add(casedesk.DefaultReopenWindow); got.ReopenUntil == nil || !got.ReopenUntil.Equal(want) {
			t.Errorf("reopen until %v, want %v", got.ReopenUntil, want)
		}
		if got.ClosedAt != nil {
			t.Errorf("closed at %v, want none", got.ClosedAt)
		}
	})
	t.Run("the reopen window comes from the rules the case runs under", func(t *testing.T) {
		r := casedesk.Rules{ReopenWindow: 48 * time.Hour}
		got, _, err := decide(t, r, caseIn(t, sOpen), casedesk.Resolve{Outcome: casedesk.OutcomeAnswered}, agent, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Add(48 * time.Hour); got.ReopenUntil == nil || !got.ReopenUntil.Equal(want) {
			t.Errorf("reopen until %v, want %v", got.ReopenUntil, want)
		}
	})
	t.Run("the default rules use the seven-day reopen window", func(t *testing.T) {
		if casedesk.DefaultRules().ReopenWindow != 7*24*time.Hour {
			t.Errorf("default reopen window = %v", casedesk.DefaultRules().ReopenWindow)
		}
	})
	t.Run("reopening clears the resolution but keeps the assignee and first response", func(t *testing.T) {
		in := caseIn(t, sResolved)
		got, _ := mustDecide(t, in, casedesk.Reopen{Reason: "Refund missing."}, agent, now)
		if got.Outcome != "" || got.ResolutionSummary != "" || got.ResolvedAt != nil || got.ReopenUntil != nil || got.FirstContactResolution {
			t.Errorf("resolution not cleared: %+v", got)
		}
		if got.ReopenCount != 1 {
			t.Errorf("reopen count = %d, want 1", got.ReopenCount)
		}
		if got.AssigneeID != in.AssigneeID {
			t.Errorf("assignee = %q, want %q", got.AssigneeID, in.AssigneeID)
		}
		if !reflect.DeepEqual(got.SLA.FirstResponseAt, in.SLA.FirstResponseAt) {
			t.Errorf("first response at %v, want %v", got.SLA.FirstResponseAt, in.SLA.FirstResponseAt)
		}
	})
	t.Run("closing records when and ends the reopen window", func(t *testing.T) {
		got, _ := mustDecide(t, caseIn(t, sResolved), casedesk.Close{}, supervisor, now)
		if got.ClosedAt == nil || !got.ClosedAt.Equal(now) || got.ReopenUntil != nil {
			t.Errorf("closed at %v reopen until %v", got.ClosedAt, got.ReopenUntil)
		}
		if got.ResolvedAt == nil || got.Outcome != casedesk.OutcomeAnswered {
			t.Errorf("closing lost the resolution: %+v", got)
		}
	})
	t.Run("times are stored in UTC to the microsecond", func(t *testing.T) {
		local := time.Date(2025, time.March, 10, 13, 15, 0, 123456789, time.FixedZone("UTC+2", 2*60*60))
		want := time.Date(2025, time.March, 10, 11, 15, 0, 123456000, time.UTC)
		got, events := mustDecide(t, caseIn(t, sOpen), casedesk.Reply{Body: "Hello"}, agent, local)
		if got.UpdatedAt != want || events[0].At != want || *got.SLA.FirstResponseAt != want {
			t.Errorf("updated %v event %v first response %v, want %v in UTC", got.UpdatedAt, events[0].At, *got.SLA.FirstResponseAt, want)
		}
	})
}

func TestDecideIsPure(t *testing.T) {
	cmds := []casedesk.Command{
		casedesk.Assign{AssigneeID: otherAgent.ID},
		casedesk.Reply{Body: "Reply"},
		casedesk.AddNote{Body: "Note"},
		casedesk.RequestInfo{Body: "Question"},
		casedesk.CustomerReply{Body: "Answer"},
		casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "Done"},
		casedesk.Reopen{Reason: "Again"},
		casedesk.Close{},
		casedesk.Tick{},
		casedesk.Reply{}, // refused as invalid
	}
	for _, cmd := range cmds {
		for _, s := range casedesk.Statuses {
			for _, by := range []casedesk.Actor{agent, casedesk.SystemActor} {
				name := cmd.Name()
				if r, ok := cmd.(casedesk.Reply); ok && r.Body == "" {
					name = "an empty reply"
				}
				t.Run(fmt.Sprintf("%s by %s on %s case leaves the input untouched", name, by.Role, a(s)), func(t *testing.T) {
					// Every combination of set and unset pointer fields, so that a
					// write through any of them shows, whichever branch it is in.
					setters := []func(*casedesk.Case){
						func(c *casedesk.Case) { c.ResolvedAt = ptr(t0.Add(time.Hour)) },
						func(c *casedesk.Case) { c.ClosedAt = ptr(t0.Add(2 * time.Hour)) },
						func(c *casedesk.Case) { c.ReopenUntil = ptr(t0.Add(time.Hour + casedesk.DefaultReopenWindow)) },
						func(c *casedesk.Case) { c.SLA.FirstResponseDue = ptr(t0.Add(4 * time.Hour)) },
						func(c *casedesk.Case) { c.SLA.FirstResponseAt = ptr(t0.Add(time.Minute)) },
						func(c *casedesk.Case) { c.SLA.ResolutionDue = ptr(t0.Add(48 * time.Hour)) },
					}
					for mask := range 1 << len(setters) {
						in := caseIn(t, s)
						in.ResolvedAt, in.ClosedAt, in.ReopenUntil = nil, nil, nil
						in.SLA.FirstResponseDue, in.SLA.FirstResponseAt, in.SLA.ResolutionDue = nil, nil, nil
						for i, set := range setters {
							if mask&(1<<i) != 0 {
								set(&in)
							}
						}
						before := cloneCase(t, in)
						got, _, err := rules.Decide(in, cmd, by, afterWindow(in))
						if !reflect.DeepEqual(in, before) {
							t.Fatalf("input modified:\nbefore %+v\nafter  %+v", before, in)
						}
						if err != nil && !reflect.DeepEqual(got, before) {
							t.Fatalf("refused, but returned a changed case:\nbefore %+v\ngot    %+v", before, got)
						}
					}
				})
			}
		}
	}

	t.Run("the deep copy helper knows every reference field of Case", func(t *testing.T) {
		// cloneCase copies these; a new pointer, slice or map field must be added there too.
		known := []string{"ResolvedAt", "ClosedAt", "ReopenUntil", "SLA.FirstResponseDue", "SLA.FirstResponseAt", "SLA.ResolutionDue",
			"SLA.FirstResponseWarnAt", "SLA.ResolutionWarnAt", "SLA.ResolutionSince", "SLA.WaitingSince", "SLA.RemindAt",
			"SLA.NoResponseAt", "Dispute", "Identity", "Chargeback", "Approvals", "Movements", "UnverifiedReplies", "RecentNotes"}
		var refs []string
		var walk func(prefix string, typ reflect.Type)
		walk = func(prefix string, typ reflect.Type) {
			for i := range typ.NumField() {
				f := typ.Field(i)
				switch f.Type.Kind() {
				case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func:
					refs = append(refs, prefix+f.Name)
				case reflect.Struct:
					if f.Type != reflect.TypeFor[time.Time]() {
						walk(prefix+f.Name+".", f.Type)
					}
				}
			}
		}
		walk("", reflect.TypeFor[casedesk.Case]())
		slices.Sort(refs)
		slices.Sort(known)
		if !slices.Equal(refs, known) {
			t.Errorf("reference fields of Case = %q, cloneCase copies %q", refs, known)
		}
	})
}

func TestDecideRefusesBadInput(t *testing.T) {
	long := strings.Repeat("a", casedesk.MaxBodyLen+1)
	longReason := strings.Repeat("r", casedesk.MaxReasonLen+1)
	tests := []struct {
		name   string
		from   casedesk.Status
		cmd    casedesk.Command
		fields []string
	}{
		{"an assignment without an assignee", sNew, casedesk.Assign{}, []string{"assignee_id"}},
		{"an assignment to a blank assignee", sOpen, casedesk.Assign{AssigneeID: "  \t"}, []string{"assignee_id"}},
		{"an assignment without an assignee, even on a resolved case", sResolved, casedesk.Assign{}, []string{"assignee_id"}},
		{"an empty reply", sOpen, casedesk.Reply{}, []string{"body"}},
		{"a reply of only white space", sOpen, casedesk.Reply{Body: " \n\t "}, []string{"body"}},
		{"a reply over the length limit", sOpen, casedesk.Reply{Body: long}, []string{"body"}},
		{"an empty reply, even on a new case", sNew, casedesk.Reply{}, []string{"body"}},
		{"an empty note", sOpen, casedesk.AddNote{}, []string{"body"}},
		{"a note over the length limit", sOpen, casedesk.AddNote{Body: long}, []string{"body"}},
		{"an empty information request", sOpen, casedesk.RequestInfo{Body: "   "}, []string{"body"}},
		{"an information request over the length limit", sOpen, casedesk.RequestInfo{Body: long}, []string{"body"}},
		{"an empty customer reply", sWaiting, casedesk.CustomerReply{}, []string{"body"}},
		{"a customer reply over the length limit", sWaiting, casedesk.CustomerReply{Body: long}, []string{"body"}},
		{"a resolution without an outcome", sOpen, casedesk.Resolve{Summary: "Done"}, []string{"outcome"}},
		{"a resolution with an unknown outcome", sOpen, casedesk.Resolve{Outcome: "fixed"}, []string{"outcome"}},
		{"a resolution with another type's outcome", sOpen, casedesk.Resolve{Outcome: casedesk.OutcomeUpheld}, []string{"outcome"}},
		{"a resolution with an outcome in the wrong case", sOpen, casedesk.Resolve{Outcome: "ANSWERED"}, []string{"outcome"}},
		{"a resolution with a summary over the length limit", sOpen, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: long}, []string{"summary"}},
		{"a resolution with a bad outcome and summary names both", sWaiting, casedesk.Resolve{Outcome: "x", Summary: long}, []string{"outcome", "summary"}},
		{"a reopening without a reason", sResolved, casedesk.Reopen{}, []string{"reason"}},
		{"a reopening with a reason over the length limit", sResolved, casedesk.Reopen{Reason: longReason}, []string{"reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is invalid", func(t *testing.T) {
			in := caseIn(t, tt.from)
			got, events, err := decide(t, rules, in, tt.cmd, agent, now)
			wantRefused(t, in, got, events, err, casedesk.EINVALID)
			wantFields(t, err, tt.fields...)
		})
	}

	t.Run("text exactly at the limit is accepted, counted in characters not bytes", func(t *testing.T) {
		body := strings.Repeat("é", casedesk.MaxBodyLen)
		in := caseIn(t, sOpen)
		for _, cmd := range []casedesk.Command{casedesk.Reply{Body: body}, casedesk.AddNote{Body: body}, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: body}} {
			mustDecide(t, in, cmd, agent, now)
		}
		mustDecide(t, caseIn(t, sResolved), casedesk.Reopen{Reason: strings.Repeat("é", casedesk.MaxReasonLen)}, agent, now)
	})
	t.Run("surrounding white space does not count towards the limit", func(t *testing.T) {
		mustDecide(t, caseIn(t, sOpen), casedesk.Reply{Body: "  " + strings.Repeat("a", casedesk.MaxBodyLen) + "\n"}, agent, now)
	})
	t.Run("every outcome of an inquiry is accepted", func(t *testing.T) {
		for _, o := range casedesk.Outcomes(casedesk.TypeInquiry) {
			got, _ := mustDecide(t, caseIn(t, sOpen), casedesk.Resolve{Outcome: o}, agent, now)
			if got.Outcome != o {
				t.Errorf("outcome = %q, want %q", got.Outcome, o)
			}
		}
	})
	t.Run("Outcomes returns a copy the caller cannot use to change the rules", func(t *testing.T) {
		o := casedesk.Outcomes(casedesk.TypeInquiry)
		o[0] = "hacked"
		if slices.Contains(casedesk.Outcomes(casedesk.TypeInquiry), "hacked") {
			t.Error("Outcomes shares its slice with the rules")
		}
	})
	for _, cmd := range []casedesk.Command{nil, &casedesk.Reply{Body: "pointer"}, escalate{}} {
		t.Run(fmt.Sprintf("an unknown command %T is invalid", cmd), func(t *testing.T) {
			in := caseIn(t, sOpen)
			got, events, err := decide(t, rules, in, cmd, agent, now)
			wantRefused(t, in, got, events, err, casedesk.EINVALID)
		})
	}
}

// escalate is a command the case core does not know.
type escalate struct{}

func (escalate) Name() string { return "escalate" }

// everyCommand lists one valid command of each kind.
var everyCommand = []casedesk.Command{
	casedesk.Assign{AssigneeID: otherAgent.ID},
	casedesk.Reply{Body: "Reply"},
	casedesk.AddNote{Body: "Note"},
	casedesk.RequestInfo{Body: "Question"},
	casedesk.CustomerReply{Body: "Answer"},
	casedesk.Resolve{Outcome: casedesk.OutcomeAnswered},
	casedesk.Reopen{Reason: "Again"},
	casedesk.Close{},
}

func TestDecideClosedCasesRefuseEverything(t *testing.T) {
	bad := []casedesk.Command{casedesk.Assign{}, casedesk.Reply{}, casedesk.Resolve{Outcome: "x"}, casedesk.Reopen{}, escalate{}}
	for _, cmd := range append(slices.Clone(everyCommand), bad...) {
		for _, by := range []casedesk.Actor{agent, supervisor, admin, casedesk.SystemActor, {ID: "CU-1", Role: "customer"}} {
			t.Run(fmt.Sprintf("%s %+v by %s on a closed case is a conflict", cmd.Name(), cmd, by.Role), func(t *testing.T) {
				in := caseIn(t, sClosed)
				got, events, err := decide(t, rules, in, cmd, by, afterWindow(caseIn(t, sResolved)).Add(time.Hour))
				wantRefused(t, in, got, events, err, casedesk.ECONFLICT)
			})
		}
	}
}

func TestDecideActors(t *testing.T) {
	// Each command on a status that accepts it, so the actor is the only reason to refuse.
	accepting := map[string]casedesk.Status{
		"assign": sNew, "reply": sOpen, "notes": sOpen, "request-info": sOpen,
		"customer-reply": sWaiting, "resolve": sOpen, "reopen": sResolved, "close": sResolved,
		"tick": sResolved,
	}
	outsiders := []casedesk.Actor{
		{ID: "CU-1", Role: "customer"},
		{ID: "anonymous"},
		{ID: "U-9", Role: "Agent"},
		{ID: "U-9", Role: "auditor"},
	}
	for _, cmd := range everyCommand {
		for _, by := range outsiders {
			if _, ok := cmd.(casedesk.CustomerReply); ok && by.Role == casedesk.RoleCustomer {
				continue // customers reply to their own cases, by email or signed link
			}
			t.Run(fmt.Sprintf("%s by a %q actor is forbidden", cmd.Name(), by.Role), func(t *testing.T) {
				in := caseIn(t, accepting[cmd.Name()])
				got, events, err := decide(t, rules, in, cmd, by, afterWindow(in))
				wantRefused(t, in, got, events, err, casedesk.EFORBIDDEN)
			})
		}
	}
	for _, cmd := range everyCommand {
		if _, ok := cmd.(casedesk.Tick); ok {
			continue
		}
		for _, by := range staff {
			t.Run(fmt.Sprintf("%s by a %s is accepted", cmd.Name(), by.Role), func(t *testing.T) {
				in := caseIn(t, accepting[cmd.Name()])
				got, events := mustDecide(t, in, cmd, by, now)
				wantAccepted(t, in, got, events, by, now, eventTypes(events)...)
			})
		}
	}
	t.Run("the system may resolve a case the customer never answered", func(t *testing.T) {
		in := caseIn(t, sWaiting)
		got, events := mustDecide(t, in, casedesk.Resolve{Outcome: casedesk.OutcomeNoResponse}, casedesk.SystemActor, now)
		wantAccepted(t, in, got, events, casedesk.SystemActor, now, casedesk.EventResolved)
		if got.FirstContactResolution {
			t.Error("a case resolved for lack of response counts as first-contact resolution")
		}
	})
}

// a returns s with its indefinite article: "a new", "an open".
func a(s casedesk.Status) string {
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + string(s)
	}
	return "a " + string(s)
}

func eventTypes(events []casedesk.Event) []string {
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	return types
}

func TestDecideReopenWindow(t *testing.T) {
	resolved := caseIn(t, sResolved)
	until := *resolved.ReopenUntil
	tests := []struct {
		name string
		from casedesk.Status
		cmd  casedesk.Command
		by   casedesk.Actor
		at   time.Time
		code string // "" means accepted
	}{
		{"an agent may not close automatically, even after the window", sResolved, casedesk.Tick{}, agent, until.Add(time.Hour), casedesk.EFORBIDDEN},
		{"a supervisor may not close automatically", sResolved, casedesk.Tick{}, supervisor, until, casedesk.EFORBIDDEN},
		{"an admin may not close automatically", sResolved, casedesk.Tick{}, admin, until, casedesk.EFORBIDDEN},
		{"the system may not close automatically a day before the window ends", sResolved, casedesk.Tick{}, casedesk.SystemActor, until.Add(-24 * time.Hour), casedesk.ECONFLICT},
		{"the system may not close automatically a microsecond before the window ends", sResolved, casedesk.Tick{}, casedesk.SystemActor, until.Add(-time.Microsecond), casedesk.ECONFLICT},
		{"the system closes automatically the moment the window ends", sResolved, casedesk.Tick{}, casedesk.SystemActor, until, ""},
		{"the system closes automatically after the window ends", sResolved, casedesk.Tick{}, casedesk.SystemActor, until.Add(72 * time.Hour), ""},
		{"staff may close a resolved case before the window ends", sResolved, casedesk.Close{}, supervisor, until.Add(-time.Hour), ""},
		{"staff may close a resolved case after the window ends", sResolved, casedesk.Close{}, agent, until.Add(time.Hour), ""},
		{"an agent may reopen just before the window ends", sResolved, casedesk.Reopen{Reason: "Not fixed"}, agent, until.Add(-time.Microsecond), ""},
		{"an agent may not reopen the moment the window ends", sResolved, casedesk.Reopen{Reason: "Not fixed"}, agent, until, casedesk.ECONFLICT},
		{"an agent may not reopen after the window ends", sResolved, casedesk.Reopen{Reason: "Not fixed"}, agent, until.Add(time.Hour), casedesk.ECONFLICT},
		{"a customer reply reopens just before the window ends", sResolved, casedesk.CustomerReply{Body: "Not fixed"}, agent, until.Add(-time.Microsecond), ""},
		{"a customer reply does not reopen once the window ended", sResolved, casedesk.CustomerReply{Body: "Not fixed"}, agent, until, casedesk.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := caseIn(t, tt.from)
			got, events, err := decide(t, rules, in, tt.cmd, tt.by, tt.at)
			if tt.code != "" {
				wantRefused(t, in, got, events, err, tt.code)
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			wantAccepted(t, in, got, events, tt.by, tt.at, eventTypes(events)...)
		})
	}

	t.Run("the timer closes only resolved cases", func(t *testing.T) {
		reopened, _ := mustDecide(t, resolved, casedesk.Reopen{Reason: "Refund missing"}, agent, now)
		for _, in := range []casedesk.Case{caseIn(t, sNew), caseIn(t, sOpen), reopened} {
			got, events, _ := decide(t, rules, in, casedesk.Tick{}, casedesk.SystemActor, until.Add(time.Hour))
			if got.Status == sClosed || slices.Contains(eventTypes(events), casedesk.EventClosed) {
				t.Errorf("a tick closed a %s case: %v", in.Status, eventTypes(events))
			}
		}
	})
	t.Run("a customer reply within the window reopens the case, counted once", func(t *testing.T) {
		got, events := mustDecide(t, resolved, casedesk.CustomerReply{Body: "Still double-charged"}, agent, now)
		wantAccepted(t, resolved, got, events, agent, now, casedesk.EventCustomerReplied, casedesk.EventReopened)
		if got.Status != sOpen || got.ReopenCount != 1 || got.ReopenUntil != nil || got.ResolvedAt != nil || got.Outcome != "" {
			t.Errorf("not reopened: %+v", got)
		}
	})
}

// openReq is a valid request to open an inquiry.
func openReq() casedesk.OpenRequest {
	return casedesk.OpenRequest{
		Type:       casedesk.TypeInquiry,
		CustomerID: "CU-1",
		Subject:    "Charged twice for the March invoice",
		Channel:    casedesk.ChannelPhone,
	}
}

// step is one command of a scripted case, at after since the case opened.
type step struct {
	cmd   casedesk.Command
	after time.Duration
	by    casedesk.Actor // zero means agent
}

// play opens an inquiry at t0 and applies steps, failing on any refusal.
func play(t *testing.T, steps ...step) (casedesk.Case, []casedesk.Event) {
	t.Helper()
	c, events, err := casedesk.Open("C-7Q4K2M", openReq(), agent, t0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for i, s := range steps {
		by := s.by
		if by == (casedesk.Actor{}) {
			by = agent
		}
		next, more, err := decide(t, rules, c, s.cmd, by, t0.Add(s.after))
		if err != nil {
			t.Fatalf("step %d (%s on a %s case): %v", i+1, s.cmd.Name(), c.Status, err)
		}
		wantAccepted(t, c, next, more, by, t0.Add(s.after), eventTypes(more)...)
		c, events = next, append(events, more...)
	}
	return c, events
}

var (
	assignMe = casedesk.Assign{AssigneeID: agent.ID}
	reply    = casedesk.Reply{Body: "We are looking into it."}
	note     = casedesk.AddNote{Body: "Gateway shows one capture."}
	ask      = casedesk.RequestInfo{Body: "Please send the statement."}
	answer   = casedesk.CustomerReply{Body: "Attached."}
	resolve  = casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "Explained the hold."}
	reopen   = casedesk.Reopen{Reason: "The hold did not drop."}
)

func TestFirstResponse(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  *time.Duration // after t0; nil means not met
	}{
		{"a new case has no first response", nil, nil},
		{"assigning is no first response", []step{{assignMe, time.Minute, supervisor}}, nil},
		{"an internal note is no first response", []step{{assignMe, time.Minute, supervisor}, {note, 5 * time.Minute, agent}}, nil},
		{"a customer's message is no first response", []step{{assignMe, time.Minute, supervisor}, {answer, 5 * time.Minute, agent}}, nil},
		{"the first public reply is the first response", []step{{assignMe, time.Minute, supervisor}, {note, 5 * time.Minute, agent}, {reply, 30 * time.Minute, agent}}, ptr(30 * time.Minute)},
		{"a later reply does not move the first response", []step{{assignMe, time.Minute, supervisor}, {reply, 30 * time.Minute, agent}, {reply, 2 * time.Hour, agent}}, ptr(30 * time.Minute)},
		{"asking the customer for information is a first response", []step{{assignMe, time.Minute, supervisor}, {ask, 10 * time.Minute, agent}}, ptr(10 * time.Minute)},
		{"a resolution with no reply is the first response", []step{{assignMe, time.Minute, supervisor}, {resolve, 45 * time.Minute, agent}}, ptr(45 * time.Minute)},
		{"a resolution after a reply keeps the reply as first response", []step{{assignMe, time.Minute, supervisor}, {reply, 20 * time.Minute, agent}, {resolve, 45 * time.Minute, agent}}, ptr(20 * time.Minute)},
		{"reopening and replying again keeps the first response", []step{{assignMe, time.Minute, supervisor}, {resolve, 20 * time.Minute, agent}, {reopen, time.Hour, agent}, {reply, 2 * time.Hour, agent}}, ptr(20 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := play(t, tt.steps...)
			got := c.SLA.FirstResponseAt
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("first response at %v, want none", got)
			case tt.want != nil && got == nil:
				t.Errorf("no first response, want %v", t0.Add(*tt.want))
			case tt.want != nil && !got.Equal(t0.Add(*tt.want)):
				t.Errorf("first response at %v, want %v", got, t0.Add(*tt.want))
			}
		})
	}
}

func TestFirstContactResolution(t *testing.T) {
	escalated := func(t *testing.T) casedesk.Case {
		t.Helper()
		c := caseIn(t, sOpen)
		c.WasEscalated = true // the case core has no escalate command yet
		return c
	}
	tests := []struct {
		name  string
		steps []step
		start func(*testing.T) casedesk.Case // nil means play from Open
		want  bool
	}{
		{"one reply, then resolution, is first-contact resolution", []step{{assignMe, 0, supervisor}, {reply, time.Minute, agent}, {resolve, 2 * time.Minute, agent}}, nil, true},
		{"a resolution with no written reply (the phone call itself) is first-contact resolution", []step{{assignMe, 0, supervisor}, {resolve, time.Minute, agent}}, nil, true},
		{"internal notes do not spoil first-contact resolution", []step{{assignMe, 0, supervisor}, {note, time.Minute, agent}, {note, 2 * time.Minute, agent}, {reply, 3 * time.Minute, agent}, {resolve, 4 * time.Minute, agent}}, nil, true},
		{"two replies are not first-contact resolution", []step{{assignMe, 0, supervisor}, {reply, time.Minute, agent}, {reply, 2 * time.Minute, agent}, {resolve, 3 * time.Minute, agent}}, nil, false},
		{"waiting on the customer is not first-contact resolution", []step{{assignMe, 0, supervisor}, {ask, time.Minute, agent}, {answer, time.Hour, agent}, {resolve, 2 * time.Hour, agent}}, nil, false},
		{"resolving while still waiting is not first-contact resolution", []step{{assignMe, 0, supervisor}, {ask, time.Minute, agent}, {resolve, time.Hour, agent}}, nil, false},
		{"a reopened case is not first-contact resolution", []step{{assignMe, 0, supervisor}, {reply, time.Minute, agent}, {resolve, 2 * time.Minute, agent}, {reopen, time.Hour, agent}, {resolve, 2 * time.Hour, agent}}, nil, false},
		{"a case reopened by the customer's reply is not first-contact resolution", []step{{assignMe, 0, supervisor}, {resolve, time.Minute, agent}, {answer, time.Hour, agent}, {resolve, 2 * time.Hour, agent}}, nil, false},
		{"an escalated case is not first-contact resolution", []step{{resolve, time.Minute, agent}}, escalated, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c casedesk.Case
			var events []casedesk.Event
			if tt.start == nil {
				c, events = play(t, tt.steps...)
			} else {
				c = tt.start(t)
				for _, s := range tt.steps {
					var more []casedesk.Event
					c, more = mustDecide(t, c, s.cmd, s.by, t0.Add(s.after))
					events = append(events, more...)
				}
			}
			if c.Status != sResolved {
				t.Fatalf("status = %s, want resolved", c.Status)
			}
			if c.FirstContactResolution != tt.want {
				t.Errorf("first_contact_resolution = %v, want %v", c.FirstContactResolution, tt.want)
			}
			last := events[len(events)-1]
			if last.Type != casedesk.EventResolved || last.Data["first_contact_resolution"] != tt.want {
				t.Errorf("last event %s records first_contact_resolution %v, want %v", last.Type, last.Data["first_contact_resolution"], tt.want)
			}
		})
	}
}

func TestCaseLifecycle(t *testing.T) {
	c, events := play(t,
		step{assignMe, time.Minute, supervisor},
		step{ask, 10 * time.Minute, agent},
		step{answer, 3 * time.Hour, agent},
		step{reply, 4 * time.Hour, agent},
		step{resolve, 5 * time.Hour, agent},
		step{answer, 24 * time.Hour, agent}, // reopens: two events
		step{resolve, 26 * time.Hour, agent},
		step{casedesk.Tick{}, 26*time.Hour + casedesk.DefaultReopenWindow, casedesk.SystemActor},
	)
	t.Run("versions count the commands, one each", func(t *testing.T) {
		if c.Version != 9 {
			t.Errorf("version = %d, want 9 (open + 8 commands)", c.Version)
		}
	})
	t.Run("events are numbered 1, 2, 3… without gaps", func(t *testing.T) {
		for i, ev := range events {
			if ev.Seq != int64(i+1) {
				t.Errorf("event %d (%s) has seq %d", i, ev.Type, ev.Seq)
			}
		}
		if c.LastSeq != int64(len(events)) {
			t.Errorf("last_seq = %d, want %d", c.LastSeq, len(events))
		}
	})
	t.Run("the timeline tells the story in order", func(t *testing.T) {
		want := []string{
			casedesk.EventOpened, casedesk.EventAssigned, casedesk.EventInfoRequested, casedesk.EventCustomerReplied,
			casedesk.EventReplied, casedesk.EventResolved, casedesk.EventCustomerReplied, casedesk.EventReopened,
			casedesk.EventResolved, casedesk.EventClosed,
		}
		if got := eventTypes(events); !slices.Equal(got, want) {
			t.Errorf("timeline = %q, want %q", got, want)
		}
	})
	t.Run("the closed case keeps its history facts", func(t *testing.T) {
		if c.Status != sClosed || c.ReopenCount != 1 || !c.CustomerWaited || c.PublicReplies != 2 || c.FirstContactResolution {
			t.Errorf("closed case = %+v", c)
		}
		if want := t0.Add(10 * time.Minute); !c.SLA.FirstResponseAt.Equal(want) {
			t.Errorf("first response at %v, want %v", c.SLA.FirstResponseAt, want)
		}
	})
	t.Run("the closed case refuses everything", func(t *testing.T) {
		for _, cmd := range everyCommand {
			got, evs, err := decide(t, rules, c, cmd, casedesk.SystemActor, t0.Add(60*24*time.Hour))
			wantRefused(t, c, got, evs, err, casedesk.ECONFLICT)
		}
	})
}

func TestMaskCommand(t *testing.T) {
	const pan, masked = "5555-5555-5555-4444", "****-****-****-4444"
	tests := []struct {
		name string
		in   casedesk.Command
		want casedesk.Command
	}{
		{"a reply body is masked", casedesk.Reply{Body: "card " + pan}, casedesk.Reply{Body: "card " + masked}},
		{"a note body is masked", casedesk.AddNote{Body: pan}, casedesk.AddNote{Body: masked}},
		{"an information request is masked", casedesk.RequestInfo{Body: pan}, casedesk.RequestInfo{Body: masked}},
		{"a customer reply is masked", casedesk.CustomerReply{Body: pan}, casedesk.CustomerReply{Body: masked}},
		{"a resolution summary is masked, the outcome kept", casedesk.Resolve{Outcome: "answered", Summary: pan}, casedesk.Resolve{Outcome: "answered", Summary: masked}},
		{"a reopening reason is masked", casedesk.Reopen{Reason: pan}, casedesk.Reopen{Reason: masked}},
		{"evidence text is masked, its kind kept", casedesk.AddEvidence{Kind: "receipt", Text: pan}, casedesk.AddEvidence{Kind: "receipt", Text: masked}},
		{"a response summary is masked", casedesk.Respond{Summary: pan}, casedesk.Respond{Summary: masked}},
		{"a loss reason is masked", casedesk.AcceptLoss{Reason: pan}, casedesk.AcceptLoss{Reason: masked}},
		{"an escalation reason is masked", casedesk.Escalate{Reason: pan}, casedesk.Escalate{Reason: masked}},
		{"a decision comment is masked", casedesk.DecideApproval{ApprovalID: "C-1-A1", Comment: pan}, casedesk.DecideApproval{ApprovalID: "C-1-A1", Comment: masked}},
		{"a refund reason is masked, its amount never", casedesk.ProposeRefund{PaymentID: "PAY-1", Amount: "4111111111111.11", Currency: "USD", Reason: pan},
			casedesk.ProposeRefund{PaymentID: "PAY-1", Amount: "4111111111111.11", Currency: "USD", Reason: masked}},
		{"a credit reason is masked, its amount never", casedesk.ProposeCredit{InvoiceID: "INV-1", Amount: "10.00", Currency: "USD", Reason: pan},
			casedesk.ProposeCredit{InvoiceID: "INV-1", Amount: "10.00", Currency: "USD", Reason: masked}},
		{"an assignment is left as it is", casedesk.Assign{AssigneeID: "U-1"}, casedesk.Assign{AssigneeID: "U-1"}},
		{"a close is left as it is", casedesk.Close{}, casedesk.Close{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := casedesk.MaskCommand(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MaskCommand(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	t.Run("an opening request is masked in its texts, not in its amount", func(t *testing.T) {
		due := t0.Add(time.Hour)
		in := casedesk.OpenRequest{Type: casedesk.TypeRefund, Subject: "card " + pan, Description: pan, Category: pan,
			Reason: pan, Amount: "4111111111111.11", Currency: "USD", DueBy: &due}
		got := casedesk.MaskCommand(in)
		if got.Subject != "card "+masked || got.Description != masked || got.Category != masked || got.Reason != masked {
			t.Errorf("texts not masked: %+v", got)
		}
		if got.Amount != in.Amount || got.DueBy != in.DueBy || in.Subject != "card "+pan {
			t.Errorf("amount, time or the caller's request changed: %+v", got)
		}
	})
}

func TestACustomerMayOnlyReply(t *testing.T) {
	in := caseIn(t, sWaiting)
	got, _, err := decide(t, rules, in, casedesk.CustomerReply{Body: "Here it is"}, casedesk.CustomerActor, now)
	if err != nil || got.Status != sOpen {
		t.Fatalf("a customer's reply: %v, status %s", err, got.Status)
	}
	_, _, err = decide(t, rules, in, casedesk.AddNote{Body: "x"}, casedesk.CustomerActor, now)
	wantCode(t, err, casedesk.EFORBIDDEN)
}
