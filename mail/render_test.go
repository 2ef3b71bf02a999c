package mail_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/mail"
)

const caseID = "C-7Q4K2M"

// minimal returns, for kind, the least data it renders from.
func minimal(t *testing.T, kind string) mail.TemplateData {
	t.Helper()
	d := mail.TemplateData{CaseID: caseID}
	deadline := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	switch kind {
	case mail.KindCaseOpened, mail.KindReminder:
	case mail.KindAgentReply, mail.KindInfoRequested:
		d.Body = "Could you send the receipt?"
	case mail.KindRefundIssued:
		d.Amount, d.Currency = decimal.RequireFromString("120.5"), "USD"
	case mail.KindCreditApplied:
		d.Amount, d.Currency, d.InvoiceID = decimal.RequireFromString("15"), "EUR", "INV-9X2P"
	case mail.KindDisputeOutcome:
		d.Outcome, d.Explanation = casedesk.OutcomeUpheld, "The merchant charged you twice."
	case mail.KindCaseResolved:
		d.CSATURL = "https://casedesk.example/c/tok?rate=1"
	case mail.KindApprovalRequested:
		d.ApprovalID, d.ApprovalKind = "AP-4KM2", casedesk.ApprovalRefund
	case mail.KindSLAWarning, mail.KindSLABreach:
		d.Clock, d.Deadline = "first_response", deadline
	case mail.KindApprovalExpiring:
		d.ApprovalID, d.Deadline = "AP-4KM2", deadline
	default:
		t.Fatalf("no minimal data for kind %q", kind)
	}
	return d
}

// full returns data with every field set, some of it hostile.
func full() mail.TemplateData {
	ny, _ := time.LoadLocation("America/New_York")
	return mail.TemplateData{
		CaseID:       caseID,
		CaseSubject:  "Charged twice for March",
		CustomerName: "Ada Lovelace",
		AgentName:    "Grace Hopper",
		Body:         "Please send the receipt.\n\nThanks!",
		Amount:       decimal.RequireFromString("120.50"),
		Currency:     "USD",
		InvoiceID:    "INV-9X2P",
		Outcome:      casedesk.OutcomeRejected,
		Explanation:  "The second charge is a separate order.",
		CaseURL:      "https://casedesk.example/c/tok",
		CSATURL:      "https://casedesk.example/c/tok?rate=1",
		Deadline:     time.Date(2026, 3, 9, 10, 0, 0, 0, ny),
		Clock:        "resolution",
		ApprovalID:   "AP-4KM2",
		ApprovalKind: casedesk.ApprovalChargebackResponse,
		Reason:       "Customer has a long history with us",
	}
}

func TestKinds(t *testing.T) {
	customer := []string{"case_opened", "agent_reply", "info_requested", "reminder", "refund_issued", "credit_applied", "dispute_outcome", "case_resolved"}
	staff := []string{"approval_requested", "sla_warning", "sla_breach", "approval_expiring"}
	if got, want := mail.Kinds(), append(slices.Clone(customer), staff...); !slices.Equal(got, want) {
		t.Errorf("Kinds() = %q, want %q", got, want)
	}
	for _, k := range customer {
		if mail.IsStaff(k) {
			t.Errorf("IsStaff(%q) = true, want false", k)
		}
	}
	for _, k := range staff {
		if !mail.IsStaff(k) {
			t.Errorf("IsStaff(%q) = false, want true", k)
		}
	}
	if mail.IsStaff("nope") {
		t.Error(`IsStaff("nope") = true`)
	}
	k := mail.Kinds()
	k[0] = "changed"
	if mail.Kinds()[0] != "case_opened" {
		t.Error("changing the slice Kinds returned changed the kinds")
	}
}

func TestEveryKindNamesTheCase(t *testing.T) {
	for _, kind := range mail.Kinds() {
		for _, variant := range []struct {
			name string
			data mail.TemplateData
		}{{"with the least data", minimal(t, kind)}, {"with every field", full()}} {
			t.Run(kind+" "+variant.name+" names the case everywhere", func(t *testing.T) {
				d := variant.data
				if kind == mail.KindDisputeOutcome && variant.name == "with every field" {
					d.Outcome = casedesk.OutcomeUpheld
				}
				subject, text, html, err := mail.Render(kind, d)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(subject, "["+caseID+"] ") || strings.ContainsAny(subject, "\r\n") {
					t.Errorf("subject %q does not start with [%s] on one line", subject, caseID)
				}
				if !strings.Contains(text, caseID) {
					t.Errorf("text does not name %s:\n%s", caseID, text)
				}
				if !strings.Contains(html, caseID) || !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "<title>") {
					t.Errorf("HTML is no document naming %s:\n%s", caseID, html)
				}
				for _, s := range []string{text, html} {
					if strings.Contains(s, "<no value>") || strings.Contains(s, "%!") {
						t.Errorf("output has a rendering artefact:\n%s", s)
					}
				}
			})
		}
	}
}

func TestRenderContent(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		edit    func(d *mail.TemplateData)
		subject []string // in the subject
		body    []string // in the text and the HTML
		not     []string // in none of the three
	}{
		{"case_opened gives the reference and the case link", mail.KindCaseOpened, nil,
			[]string{"Charged twice for March"}, []string{"Charged twice for March", "https://casedesk.example/c/tok"}, nil},
		{"agent_reply carries the agent's message", mail.KindAgentReply, nil,
			[]string{"Re: Charged twice for March"}, []string{"Grace Hopper", "Please send the receipt.", "Thanks!"}, nil},
		{"info_requested says what is needed and by when", mail.KindInfoRequested, nil,
			[]string{"more information"}, []string{"Please send the receipt.", "Mon 9 Mar 2026 10:00 EDT"}, nil},
		{"reminder repeats the request and the deadline", mail.KindReminder, nil,
			[]string{"Reminder"}, []string{"Please send the receipt.", "Mon 9 Mar 2026 10:00 EDT"}, nil},
		{"refund_issued gives amount and currency with the currency's decimals", mail.KindRefundIssued, nil,
			[]string{"120.50 USD"}, []string{"120.50 USD"}, nil},
		{"refund_issued in yen has no decimals", mail.KindRefundIssued, func(d *mail.TemplateData) {
			d.Amount, d.Currency = decimal.RequireFromString("5000"), "JPY"
		}, []string{"5000 JPY"}, []string{"5000 JPY"}, []string{"5000.00"}},
		{"credit_applied gives amount, currency and invoice", mail.KindCreditApplied, nil,
			[]string{"120.50 USD", "INV-9X2P"}, []string{"120.50 USD", "INV-9X2P"}, nil},
		{"dispute_outcome rejected says so and explains", mail.KindDisputeOutcome, nil,
			[]string{"Your dispute"}, []string{"The second charge is a separate order.", "not uphold"}, []string{"upheld"}},
		{"case_resolved links the CSAT survey", mail.KindCaseResolved, nil,
			[]string{"resolved"}, []string{"https://casedesk.example/c/tok?rate=1"}, nil},
		{"approval_requested names the approval, its kind and amount", mail.KindApprovalRequested, nil,
			[]string{"AP-4KM2", "chargeback response", "120.50 USD"}, []string{"AP-4KM2", "chargeback response", "120.50 USD", "Grace Hopper", "long history"}, nil},
		{"sla_warning names the clock and the deadline", mail.KindSLAWarning, nil,
			[]string{"SLA warning", "resolution", "Mon 9 Mar 2026 10:00 EDT"}, []string{"resolution deadline", "Mon 9 Mar 2026 10:00 EDT"}, nil},
		{"sla_breach names the clock and the deadline", mail.KindSLABreach, nil,
			[]string{"SLA breached", "resolution", "Mon 9 Mar 2026 10:00 EDT"}, []string{"resolution deadline", "Mon 9 Mar 2026 10:00 EDT"}, nil},
		{"approval_expiring names the approval and when it expires", mail.KindApprovalExpiring, nil,
			[]string{"AP-4KM2", "Mon 9 Mar 2026 10:00 EDT"}, []string{"AP-4KM2", "Mon 9 Mar 2026 10:00 EDT"}, nil},
		{"staff email never carries the customer's signed link", mail.KindSLABreach, nil,
			nil, nil, []string{"casedesk.example/c/tok"}},
		{"a card number in free text is masked", mail.KindAgentReply, func(d *mail.TemplateData) {
			d.CaseSubject = "Card 4111 1111 1111 1111 charged twice"
			d.Body = "Your card 4111111111111111 was refunded."
		}, []string{"1111 charged twice"}, []string{"1111 was refunded"}, []string{"4111 1111 1111 1111", "4111111111111111"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := full()
			if tt.edit != nil {
				tt.edit(&d)
			}
			subject, text, html, err := mail.Render(tt.kind, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.subject {
				if !strings.Contains(subject, w) {
					t.Errorf("subject %q lacks %q", subject, w)
				}
			}
			for where, s := range map[string]string{"text": text, "HTML": html} {
				for _, w := range tt.body {
					if !strings.Contains(s, w) {
						t.Errorf("%s lacks %q:\n%s", where, w, s)
					}
				}
			}
			for where, s := range map[string]string{"subject": subject, "text": text, "HTML": html} {
				for _, n := range tt.not {
					if strings.Contains(s, n) {
						t.Errorf("%s has %q:\n%s", where, n, s)
					}
				}
			}
		})
	}
}

func TestDisputeOutcomeWording(t *testing.T) {
	d := full()
	d.Outcome = casedesk.OutcomeUpheld
	upSubject, upText, _, err := mail.Render(mail.KindDisputeOutcome, d)
	if err != nil {
		t.Fatal(err)
	}
	d.Outcome = casedesk.OutcomeRejected
	rejSubject, rejText, _, err := mail.Render(mail.KindDisputeOutcome, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(upSubject, "upheld") || !strings.Contains(upText, "and upheld it") {
		t.Errorf("upheld: subject %q, text %q", upSubject, upText)
	}
	if strings.Contains(rejSubject, "upheld") || !strings.Contains(rejText, "could not uphold it") {
		t.Errorf("rejected: subject %q, text %q", rejSubject, rejText)
	}
}

func TestEscaping(t *testing.T) {
	d := full()
	d.Body = `<script>alert("hi")</script> & <b>bold</b>`
	d.CustomerName = `Ada <img src=x onerror=alert(1)>`
	d.CaseURL = "javascript:alert(1)"
	subject, text, html, err := mail.Render(mail.KindAgentReply, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the plain text keeps the text as written", func(t *testing.T) {
		for _, w := range []string{`<script>alert("hi")</script> & <b>bold</b>`, `Ada <img src=x onerror=alert(1)>`} {
			if !strings.Contains(text, w) {
				t.Errorf("text lacks %q:\n%s", w, text)
			}
		}
		if strings.Contains(text, "&lt;") || strings.Contains(text, "&amp;") {
			t.Errorf("text is HTML-escaped:\n%s", text)
		}
	})
	t.Run("the HTML escapes every tag and ampersand it was given", func(t *testing.T) {
		for _, n := range []string{"<script", "<b>", "<img", `href="javascript:`} {
			if strings.Contains(html, n) {
				t.Errorf("HTML has %q:\n%s", n, html)
			}
		}
		for _, w := range []string{"&lt;script&gt;", "&amp; &lt;b&gt;bold&lt;/b&gt;", "Ada &lt;img"} {
			if !strings.Contains(html, w) {
				t.Errorf("HTML lacks %q:\n%s", w, html)
			}
		}
	})
	t.Run("the subject is plain text on one line", func(t *testing.T) {
		d := full()
		d.CaseSubject = "Refund <please>\r\nBcc: someone@example.com"
		subject, _, html, err := mail.Render(mail.KindCaseOpened, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := "[" + caseID + "] We received your request: Refund <please> Bcc: someone@example.com"; subject != want {
			t.Errorf("subject %q, want %q", subject, want)
		}
		if !strings.Contains(html, "<title>[C-7Q4K2M] We received your request: Refund &lt;please&gt;") {
			t.Errorf("HTML title not escaped:\n%s", html)
		}
	})
	if strings.Contains(subject, "<") {
		t.Errorf("subject %q has the customer's markup", subject)
	}
}

func TestRenderLayout(t *testing.T) {
	t.Run("multi-paragraph text becomes paragraphs and line breaks in HTML", func(t *testing.T) {
		d := full()
		d.Body = "First line\nsecond line\n\nNext paragraph"
		_, _, html, err := mail.Render(mail.KindAgentReply, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html, "<p>First line<br>second line</p>") || !strings.Contains(html, "<p>Next paragraph</p>") {
			t.Errorf("HTML:\n%s", html)
		}
	})
	t.Run("a customer without a name is greeted plainly", func(t *testing.T) {
		d := minimal(t, mail.KindCaseOpened)
		_, text, html, err := mail.Render(mail.KindCaseOpened, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text, "Hello,\n") || !strings.Contains(html, "<p>Hello,</p>") {
			t.Errorf("text:\n%s\nHTML:\n%s", text, html)
		}
	})
	t.Run("the product name defaults to casedesk and can be changed", func(t *testing.T) {
		d := full()
		_, text, _, _ := mail.Render(mail.KindCaseOpened, d)
		if !strings.Contains(text, "The casedesk support team") {
			t.Errorf("text:\n%s", text)
		}
		d.ProductName = "Acme Billing"
		_, text, html, _ := mail.Render(mail.KindCaseOpened, d)
		if !strings.Contains(text, "The Acme Billing support team") || !strings.Contains(html, "The Acme Billing support team") {
			t.Errorf("text:\n%s\nHTML:\n%s", text, html)
		}
	})
	t.Run("a long case subject is shortened in the email subject only", func(t *testing.T) {
		d := full()
		d.CaseSubject = strings.Repeat("word ", 40)
		subject, text, _, _ := mail.Render(mail.KindCaseOpened, d)
		if !strings.HasSuffix(subject, "…") || len([]rune(subject)) > 120 {
			t.Errorf("subject %q", subject)
		}
		if !strings.Contains(text, strings.TrimSpace(d.CaseSubject)) {
			t.Errorf("text lost the full case subject:\n%s", text)
		}
	})
}

func TestRenderRefuses(t *testing.T) {
	tests := []struct {
		name string
		kind string
		edit func(d *mail.TemplateData)
		want string
	}{
		{"an unknown kind", "welcome", nil, `unknown kind "welcome"`},
		{"an empty kind", "", nil, `unknown kind ""`},
		{"any kind without a case ID", mail.KindCaseOpened, func(d *mail.TemplateData) { d.CaseID = "" }, "CaseID is required"},
		{"agent_reply without a body", mail.KindAgentReply, func(d *mail.TemplateData) { d.Body = "  " }, "Body is required"},
		{"refund_issued without an amount", mail.KindRefundIssued, func(d *mail.TemplateData) { d.Amount = decimal.Zero }, "Amount is required"},
		{"refund_issued with a negative amount", mail.KindRefundIssued, func(d *mail.TemplateData) { d.Amount = decimal.RequireFromString("-1") }, "Amount must be greater than zero"},
		{"refund_issued without a currency", mail.KindRefundIssued, func(d *mail.TemplateData) { d.Currency = "" }, "Currency is required"},
		{"refund_issued in an unknown currency", mail.KindRefundIssued, func(d *mail.TemplateData) { d.Currency = "XXX" }, `Currency "XXX"`},
		{"credit_applied without an invoice", mail.KindCreditApplied, func(d *mail.TemplateData) { d.InvoiceID = "" }, "InvoiceID is required"},
		{"dispute_outcome without an outcome", mail.KindDisputeOutcome, func(d *mail.TemplateData) { d.Outcome = "" }, "Outcome is required"},
		{"dispute_outcome with another outcome", mail.KindDisputeOutcome, func(d *mail.TemplateData) { d.Outcome = "refunded" }, `Outcome must be "upheld" or "rejected"`},
		{"dispute_outcome without an explanation", mail.KindDisputeOutcome, func(d *mail.TemplateData) { d.Explanation = "" }, "Explanation is required"},
		{"case_resolved without a CSAT link", mail.KindCaseResolved, func(d *mail.TemplateData) { d.CSATURL = "" }, "CSATURL is required"},
		{"approval_requested without an approval", mail.KindApprovalRequested, func(d *mail.TemplateData) { d.ApprovalID, d.ApprovalKind = "", "" }, "ApprovalID is required; ApprovalKind is required"},
		{"sla_warning without a clock", mail.KindSLAWarning, func(d *mail.TemplateData) { d.Clock = "" }, "Clock is required"},
		{"sla_breach without a deadline", mail.KindSLABreach, func(d *mail.TemplateData) { d.Deadline = time.Time{} }, "Deadline is required"},
		{"approval_expiring without a deadline", mail.KindApprovalExpiring, func(d *mail.TemplateData) { d.Deadline = time.Time{} }, "Deadline is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			d := full()
			if tt.kind == mail.KindDisputeOutcome {
				d.Outcome = casedesk.OutcomeUpheld
			}
			if tt.edit != nil {
				tt.edit(&d)
			}
			subject, text, html, err := mail.Render(tt.kind, d)
			if err == nil {
				t.Fatalf("rendered %q", subject)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if subject != "" || text != "" || html != "" {
				t.Error("a refused render returned content")
			}
		})
	}
}
