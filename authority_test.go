package casedesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestTheMatrixCountsWhatAProposalAddsTo(t *testing.T) {
	ar := casedesk.DefaultApprovalRules()
	hold := func(amount string) casedesk.Hold {
		return casedesk.Hold{ID: "C-1-M9", Kind: casedesk.KindRefund, CaseID: "C-1", PaymentID: "PAY-1", Amount: dec(amount),
			Currency: "USD", RequestedBy: "U-1"}
	}
	exp := func(onCase, onTarget, byRequester string) casedesk.Exposure {
		return casedesk.Exposure{Case: dec(onCase), Target: dec(onTarget), Requester: dec(byRequester)}
	}
	tests := []struct {
		name     string
		h        casedesk.Hold
		e        casedesk.Exposure
		required int
		reason   string // a prefix; "" for none
	}{
		{"the first 100.00 anywhere is approved at once", hold("100.00"), exp("0", "0", "0"), 0, ""},
		{"a second 100.00 on the case needs one supervisor", hold("100.00"), exp("100.00", "100.00", "100.00"), 1, "cumulative 200.00 USD on case C-1"},
		{"the eleventh 100.00 on the case needs two", hold("100.00"), exp("1000.00", "1000.00", "1000.00"), 2, "cumulative 1,100.00 USD on case C-1"},
		{"the payment's total counts across cases", hold("100.00"), exp("0", "100.00", "0"), 1, "cumulative 200.00 USD on payment PAY-1"},
		{"the requester's total counts across payments", hold("60.00"), exp("0", "0", "60.00"), 1, "cumulative 120.00 USD requested by U-1 in 24 h"},
		{"the highest level wins, named by its total", hold("100.00"), exp("100.00", "0", "1000.00"), 2, "cumulative 1,100.00 USD requested by U-1"},
		{"a large amount alone says so", hold("5000.00"), exp("0", "0", "0"), 2, "5,000.00 USD is above"},
		{"what is exactly at a limit stays under it", hold("50.00"), exp("50.00", "50.00", "50.00"), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ar.Authority(tt.h, tt.e)
			if got.Required != tt.required || !strings.HasPrefix(got.Reason, tt.reason) || (tt.reason == "" && got.Reason != "") {
				t.Errorf("Authority = %+v, want %d %q", got, tt.required, tt.reason)
			}
		})
	}
	t.Run("turned off, a total no longer counts", func(t *testing.T) {
		off := ar
		off.Cumulative = casedesk.Cumulative{Case: true, Window: time.Hour}
		if got := off.Authority(hold("100.00"), exp("0", "900.00", "900.00")); got.Required != 0 {
			t.Errorf("Authority = %+v with only the case counted", got)
		}
	})
	t.Run("a credit names its invoice", func(t *testing.T) {
		h := hold("100.00")
		h.Kind, h.PaymentID, h.InvoiceID = casedesk.KindCredit, "", "INV-1"
		if got := ar.Authority(h, exp("0", "100.00", "0")); got.Reason != "cumulative 200.00 USD on invoice INV-1" {
			t.Errorf("reason %q", got.Reason)
		}
	})
}

func TestMoneyAboveTheIdentityLimitNeedsAVerifiedCaller(t *testing.T) {
	ar := casedesk.DefaultApprovalRules()
	h := casedesk.Hold{ID: "M", Kind: casedesk.KindRefund, CaseID: "C-1", PaymentID: "PAY-1", Amount: dec("60.00"), Currency: "USD", RequestedBy: "U-1"}
	if err := ar.CheckIdentity(h, casedesk.Exposure{}, false); err != nil {
		t.Errorf("60.00 alone: %v", err)
	}
	wantCode(t, ar.CheckIdentity(h, casedesk.Exposure{Case: dec("60.00")}, false), casedesk.EIDENTITY)
	wantCode(t, ar.CheckIdentity(h, casedesk.Exposure{Target: dec("60.00")}, false), casedesk.EIDENTITY)
	if err := ar.CheckIdentity(h, casedesk.Exposure{Requester: dec("1000.00")}, false); err != nil {
		t.Errorf("the agent's other customers do not count toward this caller: %v", err)
	}
	if err := ar.CheckIdentity(h, casedesk.Exposure{Case: dec("60.00")}, true); err != nil {
		t.Errorf("a verified caller: %v", err)
	}
}

func TestTheApprovalsConfigurationSetsCumulativeAndIdentity(t *testing.T) {
	r, err := casedesk.ParseApprovalRules([]byte(`{"cumulative": {"requester": false, "window": "12h"},
		"default": {"identity_required_above": "250.00"}, "currencies": {"JPY": {"auto_approve_up_to": "10000",
		"one_supervisor_up_to": "100000", "identity_required_above": "none"}}, "email_reply_verifies": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Cumulative.Case || !r.Cumulative.Target || r.Cumulative.Requester || r.Cumulative.Window != 12*time.Hour {
		t.Errorf("cumulative %+v", r.Cumulative)
	}
	if l := r.Default.IdentityAbove; l == nil || !l.Equal(dec("250")) || r.Limits["JPY"].IdentityAbove != nil || !r.EmailReplyVerifies {
		t.Errorf("identity limits %+v %+v", r.Default, r.Limits["JPY"])
	}
	_, err = casedesk.ParseApprovalRules([]byte(`{"cumulative": {"window": "soon"}, "default": {"identity_required_above": "-1"}}`))
	wantFields(t, err, "default.identity_required_above", "cumulative.window")
}

func TestAnEmailCaseCountsAsVerifiedOnlyWhenConfigured(t *testing.T) {
	req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: "CU-1", Subject: "Bill", Channel: casedesk.ChannelEmail}
	c, _, err := casedesk.Rules{}.Open("C-1", req, agent, t0)
	if err != nil || c.IdentityVerified {
		t.Fatalf("by default an email case is not verified: %v %+v", err, c.Identity)
	}
	ar := casedesk.DefaultApprovalRules()
	ar.EmailReplyVerifies = true
	c, _, err = casedesk.Rules{Approvals: &ar}.Open("C-1", req, agent, t0)
	if err != nil || !c.IdentityVerified || c.Identity.Method != casedesk.IdentityEmailReply {
		t.Fatalf("configured: %v %+v", err, c.Identity)
	}
}
