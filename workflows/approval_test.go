package workflows_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

var supervisor2 = casedesk.Actor{ID: "U-SUPER2", Role: casedesk.RoleSupervisor}

func refund(amount string) casedesk.ProposeRefund {
	return casedesk.ProposeRefund{PaymentID: "PAY-1", Amount: amount, Currency: "USD", Reason: "Charged twice"}
}

func TestTheAuthorityMatrixDecidesWhoMustApprove(t *testing.T) {
	type step struct {
		by      casedesk.Actor
		approve bool
	}
	cases := []struct {
		name      string
		amount    string
		decisions []step
		posted    bool
		required  int
	}{
		{"100.00 is approved at once and posted", "100.00", nil, true, 0},
		{"500.00 waits for one supervisor", "500.00", []step{{supervisor, true}}, true, 1},
		{"500.00 is not posted without a supervisor", "500.00", nil, false, 1},
		{"5,000.00 needs two distinct supervisors", "5000.00", []step{{supervisor, true}, {supervisor2, true}}, true, 2},
		{"5,000.00 is not posted after one supervisor", "5000.00", []step{{supervisor, true}}, false, 2},
		{"a rejection stops it", "500.00", []step{{supervisor, false}}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
			h.do(time.Minute, agent, casedesk.VerifyIdentity{Method: casedesk.IdentityKBA, Note: "two account questions"})
			proposed := h.do(time.Minute, agent, refund(tc.amount))
			for _, d := range tc.decisions {
				h.do(time.Minute, d.by, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: d.approve, Comment: "checked the statement"})
			}
			h.do(2*time.Minute, agent, casedesk.AddNote{Body: "checkpoint"})
			h.end(time.Hour)
			if _, err := h.run(rules(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if proposed.err != nil || !proposed.accepted {
				t.Fatalf("proposal: %v %v", proposed.rejected, proposed.err)
			}
			if tc.required > 0 {
				if got := proposed.result.Status; got != casedesk.StatusPendingApproval {
					t.Errorf("status after proposing %s, want pending_approval", got)
				}
				if a := proposed.result.Approvals; len(a) != 1 || a[0].Required != tc.required {
					t.Errorf("approvals %+v, want one requiring %d", a, tc.required)
				}
			}
			entries := len(h.rec.entries)
			if tc.posted != (entries == 1) {
				t.Fatalf("%d ledger entries, want posted=%v", entries, tc.posted)
			}
			issued := eventsOf(h.rec.timeline(), casedesk.EventRefundIssued)
			if tc.posted != (len(issued) == 1) {
				t.Errorf("refund_issued events %d, want posted=%v", len(issued), tc.posted)
			}
			if tc.posted && !h.rec.entries["C-TEST01-M1"].Amount.Equal(decimal.RequireFromString(tc.amount)) {
				t.Errorf("ledger entry %+v", h.rec.entries["C-TEST01-M1"])
			}
			if !tc.posted && len(tc.decisions) > 0 && !tc.decisions[0].approve && h.rec.holdStatus["C-TEST01-M1"] != casedesk.HoldReleased {
				t.Errorf("a rejected refund's hold is %s, want released", h.rec.holdStatus["C-TEST01-M1"])
			}
		})
	}
}

func TestNobodyApprovesTheirOwnRequestOrTwice(t *testing.T) {
	h := newHarness(t)
	h.do(time.Minute, supervisor, casedesk.Assign{AssigneeID: supervisor.ID})
	h.do(time.Minute, supervisor, casedesk.VerifyIdentity{Method: casedesk.IdentityCallback})
	h.do(time.Minute, supervisor, refund("5000.00"))
	own := h.do(time.Minute, supervisor, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: true})
	first := h.do(time.Minute, supervisor2, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: true})
	twice := h.do(time.Minute, supervisor2, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: true})
	byAgent := h.do(time.Minute, agent, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: true})
	h.end(time.Hour)
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		s    *stepResult
		code string
	}{"own": {own, casedesk.EFORBIDDEN}, "twice": {twice, casedesk.ECONFLICT}, "agent": {byAgent, casedesk.EFORBIDDEN}} {
		if tc.s.accepted || casedesk.ErrorCode(asCaseError(tc.s.rejected)) != tc.code {
			t.Errorf("%s: accepted=%v rejected=%v, want %s", name, tc.s.accepted, tc.s.rejected, tc.code)
		}
	}
	if !first.accepted || first.err != nil {
		t.Fatalf("the first distinct supervisor: %v %v", first.rejected, first.err)
	}
	if len(h.rec.entries) != 0 {
		t.Error("posted with one of two approvals")
	}
}

func TestAnApprovalLeftAloneIsRemindedThenExpires(t *testing.T) {
	h := newHarness(t)
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.VerifyIdentity{Method: casedesk.IdentityKBA, Note: "two account questions"})
	proposed := h.do(time.Minute, agent, refund("500.00"))
	h.end(5 * 24 * time.Hour)
	final, err := h.run(casedesk.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	events := h.rec.timeline()
	opened := proposed.result.Approvals[0].RequestedAt // Monday 09:02
	reminders := eventsOf(events, casedesk.EventApprovalReminder)
	// 8 business hours later: Tuesday 09:02.
	if want := opened.Add(24 * time.Hour); len(reminders) != 1 || !reminders[0].At.Equal(want) {
		t.Errorf("reminders %+v, want one at %s", reminders, want)
	}
	expired := eventsOf(events, casedesk.EventApprovalExpired)
	// 3 business days later: Thursday 09:02.
	if want := opened.Add(72 * time.Hour); len(expired) != 1 || !expired[0].At.Equal(want) {
		t.Errorf("expiries %+v, want one at %s", expired, want)
	}
	if h.rec.holdStatus["C-TEST01-M1"] != casedesk.HoldReleased {
		t.Errorf("hold %s after expiry, want released", h.rec.holdStatus["C-TEST01-M1"])
	}
	if len(eventsOf(events, casedesk.EventMoneyReleased)) != 1 {
		t.Error("no money_released event")
	}
	if final.Approvals[0].Status != casedesk.ApprovalExpired {
		t.Errorf("approval %s, want expired", final.Approvals[0].Status)
	}
	// The case went back to its assignee.
	if final.Status != casedesk.StatusOpen || final.AssigneeID != agent.ID {
		t.Errorf("after expiry the case is %s with %s, want open with its assignee", final.Status, final.AssigneeID)
	}
}

func TestAPostingInterruptedByCrashesPostsExactlyOnce(t *testing.T) {
	h := newHarness(t)
	h.rec.failPosts = 3 // the store drops the connection three times
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.VerifyIdentity{Method: casedesk.IdentityKBA, Note: "two account questions"})
	proposed := h.do(time.Minute, agent, refund("80.00"))
	h.end(time.Hour)
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if proposed.err != nil {
		t.Fatal(proposed.err)
	}
	if len(h.rec.entries) != 1 || len(eventsOf(h.rec.timeline(), casedesk.EventRefundIssued)) != 1 {
		t.Fatalf("%d entries, want exactly one", len(h.rec.entries))
	}
	if got := proposed.result.Movements[0].Status; got != casedesk.MovementPosted {
		t.Errorf("the proposal returned with the refund %s, want posted", got)
	}
}

func TestAMovementThatFailsToPostGivesItsMoneyBack(t *testing.T) {
	h := newHarness(t)
	h.rec.refusePosts = true
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	proposed := h.do(time.Minute, agent, refund("80.00"))
	h.do(time.Minute, agent, casedesk.AddNote{Body: "checkpoint"})
	h.end(time.Hour)
	final, err := h.run(rules(time.Hour))
	if err != nil || proposed.err != nil {
		t.Fatal(err, proposed.err)
	}
	m := final.Movements[0]
	if m.Status != casedesk.MovementFailed || !m.HoldReleased || h.rec.holdStatus[m.ID] != casedesk.HoldReleased {
		t.Fatalf("movement %+v, hold %s: want failed with its hold released", m, h.rec.holdStatus[m.ID])
	}
	if len(eventsOf(h.rec.timeline(), casedesk.EventMoneyFailed)) != 1 || len(eventsOf(h.rec.timeline(), casedesk.EventMoneyReleased)) != 1 {
		t.Errorf("timeline %v", eventTypes(h.rec.timeline()))
	}
}

func TestSplitRefundsOnACaseNeedTheLevelOfTheirTotal(t *testing.T) {
	h := newHarness(t)
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.VerifyIdentity{Method: casedesk.IdentityKBA})
	first := h.do(time.Minute, agent, refund("100.00"))
	second := h.do(time.Minute, agent, refund("100.00"))
	h.end(time.Hour)
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if first.err != nil || second.err != nil || !second.accepted {
		t.Fatal(first.err, second.err, second.rejected)
	}
	if got := first.result.Movements[0].Status; got != casedesk.MovementPosted {
		t.Errorf("the first 100.00 is %s, want posted", got)
	}
	a := second.result.Approvals
	if len(a) != 1 || a[0].Required != 1 || a[0].Authority == nil || a[0].Authority.Reason != "cumulative 200.00 USD on case C-TEST01" {
		t.Fatalf("approvals %+v", a)
	}
}

func TestAnUnverifiedCallerGetsNoMoneyAboveTheLimit(t *testing.T) {
	h := newHarness(t)
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	refused := h.do(time.Minute, agent, refund("150.00"))
	h.end(time.Hour)
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if refused.accepted || casedesk.ErrorCode(asCaseError(refused.rejected)) != casedesk.EIDENTITY || len(h.rec.holds) != 0 {
		t.Fatalf("accepted %v, rejected %v, holds %d", refused.accepted, refused.rejected, len(h.rec.holds))
	}
}

func TestARefundOverWhatIsRefundableIsRefusedAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.rec.payments = map[string]decimal.Decimal{"PAY-1": decimal.RequireFromString("100.00")}
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.VerifyIdentity{Method: casedesk.IdentityKBA, Note: "two account questions"})
	ok := h.do(time.Minute, agent, refund("60.00"))
	tooMuch := h.do(time.Minute, agent, refund("50.00"))
	h.end(time.Hour)
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok.err != nil {
		t.Fatal(ok.err)
	}
	if tooMuch.err == nil || casedesk.ErrorCode(asCaseError(tooMuch.err)) != casedesk.EINVALID {
		t.Fatalf("the second refund: %v, want invalid", tooMuch.err)
	}
	if n := len(eventsOf(h.rec.timeline(), casedesk.EventMoneyProposed)); n != 1 {
		t.Errorf("%d proposals recorded, want 1", n)
	}
}

func TestChargebackResponsesAndEscalationsWaitForASupervisor(t *testing.T) {
	h := newHarness(t)
	due := start.Add(30 * 24 * time.Hour)
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.VerifyIdentity{Method: casedesk.IdentityKBA, Note: "two account questions"})
	h.do(time.Minute, agent, casedesk.AddEvidence{Kind: "receipt", Text: "Signed receipt"})
	gated := h.do(time.Minute, agent, casedesk.Respond{Summary: "Delivered"})
	h.do(time.Minute, supervisor, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: false, Comment: "Add the tracking number"})
	h.do(time.Minute, agent, casedesk.AddEvidence{Kind: "shipping_documentation", Text: "Tracking 1Z999"})
	h.do(time.Minute, agent, casedesk.Respond{Summary: "Delivered, tracking attached"})
	approved := h.do(time.Minute, supervisor, casedesk.DecideApproval{ApprovalID: "C-TEST01-A2", Approve: true})
	esc := h.do(time.Minute, agent, casedesk.Escalate{Reason: "Customer threatens legal action"})
	taken := h.do(time.Minute, supervisor2, casedesk.DecideApproval{ApprovalID: "C-TEST01-A3", Approve: true, AssigneeID: supervisor.ID})
	h.do(time.Minute, supervisor, casedesk.NetworkOutcome{Outcome: "won"})
	h.end(time.Hour)
	if _, err := h.runCase(rules(time.Hour), casedesk.OpenRequest{Type: casedesk.TypeChargeback, CustomerID: "CU-1",
		Subject: "Chargeback", Channel: casedesk.ChannelEmail, PaymentID: "PAY-1", Amount: "20.00", Currency: "USD",
		Network: "visa", ReasonCode: "13.1", DueBy: &due}); err != nil {
		t.Fatal(err)
	}
	if gated.result.Status != casedesk.StatusPendingApproval || gated.result.Chargeback.Stage != casedesk.StageNeedsResponse {
		t.Errorf("after /respond: %s %s, want pending_approval and still needs_response", gated.result.Status, gated.result.Chargeback.Stage)
	}
	if approved.result.Chargeback.Stage != casedesk.StageUnderReview || approved.result.Status != casedesk.StatusOpen {
		t.Errorf("after approval: %s %s, want under_review and open", approved.result.Chargeback.Stage, approved.result.Status)
	}
	if esc.result.Status != casedesk.StatusEscalated {
		t.Errorf("after /escalate: %s", esc.result.Status)
	}
	if taken.result.Status != casedesk.StatusOpen || taken.result.AssigneeID != supervisor.ID {
		t.Errorf("after accepting the escalation: %s assigned to %s", taken.result.Status, taken.result.AssigneeID)
	}
	if n := len(eventsOf(h.rec.timeline(), casedesk.EventResponded)); n != 1 {
		t.Errorf("%d responses submitted, want 1", n)
	}
}
