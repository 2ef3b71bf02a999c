package casedesk_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

func TestCheckMacro(t *testing.T) {
	for _, tc := range []struct {
		name   string
		m      casedesk.Macro
		fields []string
	}{
		{"a reply with known placeholders is taken", casedesk.Macro{Name: "Duplicate authorisation",
			Body: "Hello {{customer.name}}, about {{ case.id }}: the second charge is a hold."}, nil},
		{"a misspelt placeholder is refused", casedesk.Macro{Name: "Typo", Body: "Hello {{customer.nmae}}"}, []string{"body"}},
		{"an empty placeholder is refused", casedesk.Macro{Name: "Empty", Body: "Hello {{}}"}, []string{"body"}},
		{"a name and a body are required", casedesk.Macro{}, []string{"name", "body"}},
		{"an unknown priority is refused", casedesk.Macro{Name: "P", Body: "x", Actions: casedesk.MacroActions{Priority: "asap"}}, []string{"actions.priority"}},
		{"an unknown outcome is refused", casedesk.Macro{Name: "R", Body: "x", Actions: casedesk.MacroActions{Resolve: "done"}}, []string{"actions.resolve"}},
		{"resolving after asking for information is refused", casedesk.Macro{Name: "R", Body: "x",
			Actions: casedesk.MacroActions{RequestInfo: true, Resolve: casedesk.OutcomeAnswered}}, []string{"actions.resolve"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := casedesk.CheckMacro(tc.m)
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantFields(t, err, tc.fields...)
		})
	}
}

func TestRenderMacro(t *testing.T) {
	ctx := casedesk.MacroContext{
		Case:     casedesk.Case{ID: "C-7Q4K2M", Subject: "Charged twice"},
		Customer: casedesk.Customer{Name: "Jordan Rivera", Email: "jordan@example.com"},
		Agent:    casedesk.User{Name: "Sam Agent"},
	}
	cb := ctx
	cb.Case.Chargeback = &casedesk.Chargeback{Amount: casedesk.Money{Amount: decimal.RequireFromString("1500"), Currency: "JPY"},
		DueBy: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)}
	kwd := ctx
	kwd.Case.Chargeback = &casedesk.Chargeback{Amount: casedesk.Money{Amount: decimal.RequireFromString("12.5"), Currency: "KWD"}}
	for _, tc := range []struct {
		name, body string
		ctx        casedesk.MacroContext
		want       string
	}{
		{"the customer, the case and the agent", "Hello {{customer.name}} ({{customer.email}}), re {{case.id}} {{case.subject}}. {{agent.name}}", ctx,
			"Hello Jordan Rivera (jordan@example.com), re C-7Q4K2M Charged twice. Sam Agent"},
		{"spaces inside the braces", "{{ customer.name }}", ctx, "Jordan Rivera"},
		{"whole yen", "{{chargeback.amount}} by {{chargeback.due_by}}", cb, "1500 JPY by 2 April 2026"},
		{"dinars with three places", "{{chargeback.amount}}", kwd, "12.500 KWD"},
		{"no chargeback, no amount", "[{{chargeback.amount}}]", ctx, "[]"},
		{"text without placeholders as it is", "Thanks {name}", ctx, "Thanks {name}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := casedesk.Render(tc.body, tc.ctx); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderMacroAmounts(t *testing.T) {
	usd := func(a string) casedesk.Money {
		return casedesk.Money{Amount: decimal.RequireFromString(a), Currency: "USD"}
	}
	c := casedesk.Case{ID: "C-7Q4K2M", Movements: []casedesk.Movement{
		{Kind: casedesk.KindRefund, PaymentID: "P-OLD", Amount: usd("10"), Status: casedesk.MovementPosted},
		{Kind: casedesk.KindRefund, PaymentID: "P-1", Amount: usd("30.5"), Status: casedesk.MovementPosted},
		{Kind: casedesk.KindRefund, PaymentID: "P-2", Amount: usd("99"), Status: casedesk.MovementReleased},
		{Kind: casedesk.KindRefund, PaymentID: "P-1", Amount: casedesk.Money{Amount: decimal.RequireFromString("1.5"), Currency: "KWD"}, Status: casedesk.MovementPosted},
		{Kind: casedesk.KindCredit, InvoiceID: "I-1", Amount: casedesk.Money{Amount: decimal.RequireFromString("2000"), Currency: "JPY"}, Status: casedesk.MovementPending},
	}}
	if got := casedesk.MacroPaymentID(c); got != "P-1" {
		t.Errorf("MacroPaymentID = %q, want the latest refund's that goes ahead", got)
	}
	if got := casedesk.MacroInvoiceID(c); got != "I-1" {
		t.Errorf("MacroInvoiceID = %q", got)
	}
	dispute := casedesk.Case{Dispute: &casedesk.Dispute{PaymentID: "P-D", InvoiceID: "I-D", Amount: usd("12")}, Movements: c.Movements}
	if casedesk.MacroPaymentID(dispute) != "P-D" || casedesk.MacroInvoiceID(dispute) != "I-D" {
		t.Error("a dispute's payment and invoice are not the ones its placeholders speak of")
	}
	ctx := casedesk.MacroContext{Case: c,
		Payment: &casedesk.PaymentBalance{Payment: casedesk.Payment{ID: "P-1", Amount: usd("120").Amount, Currency: "USD",
			PaidAt: time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("", -5*3600))}, Refundable: decimal.RequireFromString("89.5")},
		Invoice: &casedesk.InvoiceBalance{Invoice: casedesk.Invoice{ID: "I-1", Amount: decimal.RequireFromString("5000"), Currency: "JPY"},
			Balance: decimal.RequireFromString("3000")}}
	body := "{{refund.amount}}|{{refund.total}}|{{credit.amount}}|{{credit.total}}|{{payment.id}} {{payment.amount}} {{payment.date}} {{payment.refundable}}|" +
		"{{invoice.id}} {{invoice.amount}} {{invoice.balance}}|{{dispute.amount}}"
	want := "1.500 KWD|40.50 USD and 1.500 KWD|2000 JPY||P-1 120.00 USD 2 March 2026 89.50 USD|I-1 5000 JPY 3000 JPY|"
	if got := casedesk.Render(body, ctx); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := casedesk.Render("[{{payment.amount}}{{invoice.balance}}{{refund.amount}}]", casedesk.MacroContext{}); got != "[]" {
		t.Errorf("a case without money renders %q", got)
	}
	if got := casedesk.Render("{{dispute.amount}}", casedesk.MacroContext{Case: dispute}); got != "12.00 USD" {
		t.Errorf("dispute.amount = %q", got)
	}
	if _, err := casedesk.CheckMacro(casedesk.Macro{Name: "Refund", Body: body}); err != nil {
		t.Errorf("the amount placeholders are refused: %v", err)
	}
	_, err := casedesk.CheckMacro(casedesk.Macro{Name: "Refund", Body: "{{refund.amonut}}"})
	wantFields(t, err, "body")
}

func TestMacroCommands(t *testing.T) {
	m := casedesk.Macro{Actions: casedesk.MacroActions{Category: "billing", Priority: casedesk.PriorityHigh, Resolve: casedesk.OutcomeAnswered}}
	want := []casedesk.Command{casedesk.SetCategory{Category: "billing"}, casedesk.SetPriority{Priority: casedesk.PriorityHigh},
		casedesk.Reply{Body: "hi"}, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered}}
	if got := m.Commands("hi"); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	ask := casedesk.Macro{Actions: casedesk.MacroActions{RequestInfo: true}}
	if got := ask.Commands("which card?"); !reflect.DeepEqual(got, []casedesk.Command{casedesk.RequestInfo{Body: "which card?"}}) {
		t.Fatalf("got %+v", got)
	}
}

func TestMacroEdits(t *testing.T) {
	mine := casedesk.Macro{ID: "M-1", OwnerID: agent.ID}
	shared := casedesk.Macro{ID: "M-2", OwnerID: supervisor.ID, Shared: true}
	for _, tc := range []struct {
		name          string
		before, after casedesk.Macro
		by            casedesk.Actor
		code          string
	}{
		{"an agent edits their own macro", mine, mine, agent, ""},
		{"an agent may not share a macro", mine, casedesk.Macro{OwnerID: agent.ID, Shared: true}, agent, casedesk.EFORBIDDEN},
		{"an agent may not edit a shared macro", shared, shared, agent, casedesk.EFORBIDDEN},
		{"a supervisor edits a shared macro", shared, shared, supervisor, ""},
		{"someone else's personal macro is not found", mine, mine, supervisor, casedesk.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := casedesk.CheckMacroEdit(tc.before, tc.after, tc.by)
			if casedesk.ErrorCode(err) != tc.code {
				t.Fatalf("err %v, want code %q", err, tc.code)
			}
		})
	}
}
