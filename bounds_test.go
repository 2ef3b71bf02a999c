package casedesk_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// chargebackIn returns an open chargeback that waits for our response, with
// n evidence items of text.
func chargebackIn(t *testing.T, n int, text string) casedesk.Case {
	t.Helper()
	c := caseIn(t, sOpen)
	c.Type = casedesk.TypeChargeback
	c.Chargeback = &casedesk.Chargeback{PaymentID: "PAY-1", Network: casedesk.NetworkVisa, ReasonCode: "13.1",
		Amount: casedesk.Money{Currency: "USD"}, DueBy: t0.Add(30 * 24 * time.Hour), Stage: casedesk.StageNeedsResponse}
	for range n {
		c.Chargeback.Evidence = append(c.Chargeback.Evidence, casedesk.Evidence{Kind: "receipt", Text: text, AddedBy: agent.ID, AddedAt: t0})
	}
	return c
}

func TestBoundsOfACase(t *testing.T) {
	lt := strings.Repeat("<", casedesk.MaxBodyLen)
	notesAt := func(n int, since time.Duration) casedesk.Case {
		c := caseIn(t, sOpen)
		for i := range n {
			c.RecentNotes = append(c.RecentNotes, t0.Add(-since+time.Duration(i)*time.Second))
		}
		return c
	}
	pending := func(n int) casedesk.Case {
		c := caseIn(t, sOpen)
		for i := range n {
			c.Approvals = append(c.Approvals, casedesk.Approval{ID: "A-" + string(rune('A'+i)), Kind: casedesk.ApprovalRefund,
				Status: casedesk.ApprovalPending, Required: 1, ReturnTo: sOpen})
		}
		c.Status = casedesk.StatusPendingApproval
		return c
	}
	big := caseIn(t, sOpen)
	for range 30 {
		big.Movements = append(big.Movements, casedesk.Movement{ID: "M", Kind: casedesk.KindRefund, Reason: strings.Repeat("&", casedesk.MaxReasonLen),
			Status: casedesk.MovementReleased})
	}
	for range 10 {
		big.Approvals = append(big.Approvals, casedesk.Approval{ID: "A", Status: casedesk.ApprovalRejected, Reason: strings.Repeat("<", casedesk.MaxReasonLen),
			Decisions: []casedesk.ApprovalDecision{{By: supervisor.ID, Comment: strings.Repeat(">", casedesk.MaxReasonLen)}}})
	}
	for _, tc := range []struct {
		name  string
		c     casedesk.Case
		cmd   casedesk.Command
		field string // "" when accepted
	}{
		{"evidence up to the limit of items is taken", chargebackIn(t, casedesk.MaxEvidenceItems-1, "a receipt"), casedesk.AddEvidence{Kind: "receipt", Text: "one more"}, ""},
		{"evidence beyond the limit of items is refused on text", chargebackIn(t, casedesk.MaxEvidenceItems, "a receipt"), casedesk.AddEvidence{Kind: "receipt", Text: "one more"}, "text"},
		{"two evidence items full of < are taken", chargebackIn(t, 1, lt), casedesk.AddEvidence{Kind: "receipt", Text: lt}, ""},
		{"a third evidence item full of < is refused: each < takes 6 bytes", chargebackIn(t, 2, lt), casedesk.AddEvidence{Kind: "receipt", Text: lt}, "text"},
		{"thirteen plain evidence items of the longest text are taken", chargebackIn(t, 12, strings.Repeat("a", casedesk.MaxBodyLen)), casedesk.AddEvidence{Kind: "receipt", Text: "short"}, ""},
		{"a note after nine in the minute is taken", notesAt(casedesk.MaxNotesPerMinute-1, 30*time.Second), casedesk.AddNote{Body: "x"}, ""},
		{"a note after ten in the minute is refused on body", notesAt(casedesk.MaxNotesPerMinute, 30*time.Second), casedesk.AddNote{Body: "x"}, "body"},
		{"a note after ten notes more than a minute ago is taken", notesAt(casedesk.MaxNotesPerMinute, 2*time.Minute), casedesk.AddNote{Body: "x"}, ""},
		{"an escalation beyond the waiting approvals is refused on reason", pending(casedesk.MaxPendingApprovals), casedesk.ProposeRefund{PaymentID: "PAY-1", Amount: "10.00", Currency: "USD", Reason: "again"}.WithHold("C-7Q4K2M-M1", &casedesk.Authority{Required: 1}), "reason"},
		{"a full case refuses what grows it", big, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: strings.Repeat("<", casedesk.MaxBodyLen)}, "summary"},
		{"a full case takes what does not grow it", big, casedesk.Reply{Body: lt}, ""},
		{"a long assignee ID is refused", caseIn(t, sNew), casedesk.Assign{AssigneeID: strings.Repeat("U", casedesk.MaxIDLen+1)}, "assignee_id"},
		{"a long approval comment is refused", pending(1), casedesk.DecideApproval{ApprovalID: "A-A", Approve: true, Comment: strings.Repeat("c", casedesk.MaxReasonLen+1)}, "comment"},
		{"a long payment ID is refused", caseIn(t, sOpen), casedesk.ProposeRefund{PaymentID: strings.Repeat("P", casedesk.MaxIDLen+1), Amount: "1.00", Currency: "USD", Reason: "r"}, "payment_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			by := agent
			if _, ok := tc.cmd.(casedesk.DecideApproval); ok {
				by = supervisor
			}
			got, _, err := decide(t, rules, tc.c, tc.cmd, by, t0)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if n := got.Size(); n > casedesk.MaxCaseBytes && tc.c.Size() < casedesk.MaxCaseBytes {
					t.Errorf("accepted past the case bound: %d bytes", n)
				}
				return
			}
			wantFields(t, err, tc.field)
		})
	}
	t.Run("the system's own changes pass a full case", func(t *testing.T) {
		c := notesAt(casedesk.MaxNotesPerMinute, 0)
		unbounded := rules
		unbounded.Unbounded = true
		if _, _, err := decide(t, unbounded, c, casedesk.AddNote{Body: "x"}, agent, t0); err != nil {
			t.Fatalf("unbounded rules refused: %v", err)
		}
	})
}

// Size estimates a case's JSON from above, also for text JSON escapes.
func TestCaseSizeIsAnUpperBound(t *testing.T) {
	for _, text := range []string{"plain text", strings.Repeat("<>&", 3000), "quote \" back\\slash \n\t\x01", "\u2028\u2029 é 字 \xff"} {
		c := chargebackIn(t, 3, text)
		c.Subject, c.Description = text, text
		c.Approvals = []casedesk.Approval{{ID: "A-1", Reason: text, Authority: &casedesk.Authority{Required: 2},
			Decisions: []casedesk.ApprovalDecision{{By: supervisor.ID, Comment: text}}}}
		c.Movements = []casedesk.Movement{{ID: "M-1", Reason: text, Failure: text}}
		c.RecentNotes = []time.Time{t0, t0}
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size() < len(raw) {
			t.Errorf("Size %d < %d bytes of JSON for text %q", c.Size(), len(raw), text[:min(len(text), 20)])
		}
		e := casedesk.Event{Seq: 12, Type: casedesk.EventEvidenceAdded, Actor: agent.ID, At: t0,
			Data: map[string]any{"kind": "receipt", "text": text, "count": 3}}
		if raw, _ := json.Marshal(e); e.Size() < len(raw) {
			t.Errorf("event Size %d < %d bytes of JSON", e.Size(), len(raw))
		}
		if enc, _ := json.Marshal(text); casedesk.EncodedLen(text) != len(enc) {
			t.Errorf("EncodedLen(%q) = %d, JSON has %d", text[:min(len(text), 20)], casedesk.EncodedLen(text), len(enc))
		}
	}
}
