package casedesk_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// A refund approved before the case closed, and posted after, is still
// recorded as posted on the closed case: the ledger holds it already.
func TestAClosedCaseRecordsWhatBecameOfItsMoney(t *testing.T) {
	approved := func() casedesk.Case {
		c := caseIn(t, sClosed)
		c.Movements = []casedesk.Movement{{ID: "H-1", Kind: casedesk.KindRefund, PaymentID: "PAY-1",
			Amount: casedesk.Money{Amount: decimal.RequireFromString("40.00"), Currency: "USD"}, Reason: "double charge",
			Status: casedesk.MovementApproved, RequestedBy: agent.ID, RequestedAt: t0}}
		return c
	}
	at := afterWindow(caseIn(t, sResolved)).Add(time.Hour)
	for _, tc := range []struct {
		cmd    casedesk.Command
		status string
		event  string
	}{
		{casedesk.PostedMovement{MovementID: "H-1", EntryID: "LE-1"}, casedesk.MovementPosted, casedesk.EventRefundIssued},
		{casedesk.FailedMovement{MovementID: "H-1", Reason: "payment gone"}, casedesk.MovementFailed, casedesk.EventMoneyFailed},
	} {
		in := approved()
		got, events, err := rules.Decide(in, tc.cmd, casedesk.SystemActor, at)
		if err != nil {
			t.Fatalf("%s on a closed case: %v", tc.cmd.Name(), err)
		}
		if got.Status != casedesk.StatusClosed || got.Movements[0].Status != tc.status {
			t.Errorf("%s: status %s, movement %s; want closed, %s", tc.cmd.Name(), got.Status, got.Movements[0].Status, tc.status)
		}
		if types := eventTypes(events); !slices.Equal(types, []string{tc.event}) {
			t.Errorf("%s: events %v, want [%s]", tc.cmd.Name(), types, tc.event)
		}
		// Nobody but the system records it, and nothing else gets in.
		if _, _, err := rules.Decide(in, tc.cmd, supervisor, at); err == nil {
			t.Errorf("%s by a supervisor on a closed case was accepted", tc.cmd.Name())
		}
		// As released code decided before the rule, for replay.
		old := rules
		old.ClosedRefusesSettlement = true
		got, events, err = old.Decide(in, tc.cmd, casedesk.SystemActor, at)
		wantRefused(t, in, got, events, err, casedesk.ECONFLICT)
	}
}

// A reply that lands after the first-response target, before the breach
// timer's task ran, is a late reply: the breach is fired first.
func TestAnActionAfterATargetFiresItsBreachFirst(t *testing.T) {
	in := caseIn(t, sOpen)
	late := in.SLA.FirstResponseDue.Add(30 * time.Second)
	got, events, err := rules.Decide(in, casedesk.Reply{Body: "Sorry for the wait."}, agent, late)
	if err != nil {
		t.Fatal(err)
	}
	if types := eventTypes(events); !slices.Equal(types, []string{casedesk.EventSLABreached, casedesk.EventReplied}) {
		t.Fatalf("events %v: want the breach, then the reply", types)
	}
	if !got.SLA.FirstResponseBreached || got.SLA.FirstResponseAt == nil {
		t.Errorf("first response breached %v at %v; want breached and answered", got.SLA.FirstResponseBreached, got.SLA.FirstResponseAt)
	}
	// Before the target nothing fires.
	_, events, err = rules.Decide(in, casedesk.Reply{Body: "On it."}, agent, in.SLA.FirstResponseDue.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(eventTypes(events), casedesk.EventSLABreached) {
		t.Errorf("a reply before the target fired a breach: %v", eventTypes(events))
	}
	// A refused action fires nothing either: the decision is discarded.
	got, events, err = rules.Decide(in, casedesk.Reopen{Reason: "x"}, agent, late)
	wantRefused(t, in, got, events, err, casedesk.ECONFLICT)
	// As released code decided before the rule, for replay.
	old := rules
	old.LateClocksWait = true
	got, events, err = old.Decide(in, casedesk.Reply{Body: "Sorry for the wait."}, agent, late)
	if err != nil {
		t.Fatal(err)
	}
	if got.SLA.FirstResponseBreached || slices.Contains(eventTypes(events), casedesk.EventSLABreached) {
		t.Errorf("with LateClocksWait the reply fired the breach: %v", eventTypes(events))
	}
}
