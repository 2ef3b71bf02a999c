package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// Customer kinds.
const (
	KindCaseOpened     = "case_opened"
	KindAgentReply     = "agent_reply"
	KindInfoRequested  = "info_requested"
	KindReminder       = "reminder"
	KindRefundIssued   = "refund_issued"
	KindCreditApplied  = "credit_applied"
	KindDisputeOutcome = "dispute_outcome"
	KindCaseResolved   = "case_resolved"
)

// Staff kinds.
const (
	KindApprovalRequested = "approval_requested"
	KindSLAWarning        = "sla_warning"
	KindSLABreach         = "sla_breach"
	KindApprovalExpiring  = "approval_expiring"
)

// DefaultProductName signs the email when TemplateData.ProductName is empty.
const DefaultProductName = "casedesk"

// TemplateData is what the templates of every kind draw from; each kind
// needs CaseID and the fields listed in its spec below, and uses others when
// they are set.
type TemplateData struct {
	CaseID       string // the case reference, e.g. C-7Q4K2M
	CaseSubject  string
	CustomerName string
	AgentName    string
	Body         string          // agent_reply: the reply; info_requested and reminder: what is needed
	Amount       decimal.Decimal // refund_issued, credit_applied, and approval_requested for money
	Currency     string          // ISO 4217, with Amount
	InvoiceID    string
	Outcome      string // dispute_outcome: casedesk.OutcomeUpheld or casedesk.OutcomeRejected
	Explanation  string
	CaseURL      string    // the customer's signed link to the case; never put in staff email
	CSATURL      string    // case_resolved: where the customer rates the service
	Deadline     time.Time // shown in its own location, so pass it in the calendar's zone
	Clock        string    // sla_warning, sla_breach: first_response or resolution
	ApprovalID   string
	ApprovalKind string // refund, credit, chargeback_response, ...
	Reason       string
	ProductName  string // DefaultProductName when empty
}

// kindSpec is what a kind needs besides CaseID.
type kindSpec struct {
	name     string
	staff    bool
	required []string // TemplateData field names
}

// specs lists every kind, customer kinds first, in the order Kinds returns.
var specs = []kindSpec{
	{KindCaseOpened, false, nil},
	{KindAgentReply, false, []string{"Body"}},
	{KindInfoRequested, false, []string{"Body"}},
	{KindReminder, false, nil},
	{KindRefundIssued, false, []string{"Amount", "Currency"}},
	{KindCreditApplied, false, []string{"Amount", "Currency", "InvoiceID"}},
	{KindDisputeOutcome, false, []string{"Outcome", "Explanation"}},
	{KindCaseResolved, false, []string{"CSATURL"}},
	{KindApprovalRequested, true, []string{"ApprovalID", "ApprovalKind"}},
	{KindSLAWarning, true, []string{"Clock", "Deadline"}},
	{KindSLABreach, true, []string{"Clock", "Deadline"}},
	{KindApprovalExpiring, true, []string{"ApprovalID", "Deadline"}},
}

// Kinds returns the name of every kind of email, customer kinds first.
func Kinds() []string {
	out := make([]string, len(specs))
	for i, k := range specs {
		out[i] = k.name
	}
	return out
}

// IsStaff reports whether kind goes to staff rather than to the customer.
func IsStaff(kind string) bool {
	i := slices.IndexFunc(specs, func(k kindSpec) bool { return k.name == kind })
	return i >= 0 && specs[i].staff
}

//go:embed templates
var templateFS embed.FS

// templates holds each kind's parsed pair, built once at start-up: a
// template that does not parse is a build defect, caught by the tests.
var templates = parseTemplates()

type kindTemplates struct {
	text *texttemplate.Template // defines "subject" and "text"
	html *htmltemplate.Template // defines "html"
}

var funcs = map[string]any{
	"words": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"when":  func(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04 MST") },
	"short": func(s string) string {
		const n = 80
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n-1]) + "…"
	},
	// paragraphs splits text at blank lines, and each paragraph into lines,
	// for HTML that keeps the writer's layout without trusting their markup.
	"paragraphs": func(s string) [][]string {
		var out [][]string
		for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
			if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
				out = append(out, strings.Split(p, "\n"))
			}
		}
		return out
	},
}

func parseTemplates() map[string]kindTemplates {
	text := texttemplate.Must(texttemplate.New("layout.txt").Funcs(funcs).ParseFS(templateFS, "templates/layout.txt"))
	html := htmltemplate.Must(htmltemplate.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := make(map[string]kindTemplates, len(specs))
	for _, k := range specs {
		out[k.name] = kindTemplates{
			text: texttemplate.Must(texttemplate.Must(text.Clone()).ParseFS(templateFS, "templates/"+k.name+".txt")),
			html: htmltemplate.Must(htmltemplate.Must(html.Clone()).ParseFS(templateFS, "templates/"+k.name+".html")),
		}
	}
	return out
}

// view is what the templates execute on.
type view struct {
	TemplateData
	Staff   bool
	Subject string // for the HTML title; empty while rendering the subject
	Money   string // Amount and Currency, e.g. "120.50 USD"; empty without an amount
}

// Render renders the subject, plain-text and HTML body of kind from data.
// Every subject and body names the case reference, as [C-7Q4K2M] in the
// subject. Card numbers in free text are masked; the HTML body escapes
// everything it is given. It fails for an unknown kind or missing data.
func Render(kind string, data TemplateData) (subject, text, html string, err error) {
	i := slices.IndexFunc(specs, func(k kindSpec) bool { return k.name == kind })
	if i < 0 {
		return "", "", "", fmt.Errorf("mail: unknown kind %q", kind)
	}
	spec, t := specs[i], templates[kind]
	if err := check(spec, data); err != nil {
		return "", "", "", err
	}
	v := view{TemplateData: clean(data), Staff: spec.staff}
	if !data.Amount.IsZero() {
		v.Money = casedesk.Money{Amount: data.Amount, Currency: data.Currency}.String()
	}

	return t.execute(kind, &v, func(subject string) { v.Subject = subject })
}

// execute renders the "subject", "text" and "html" templates of kind with
// v, telling setSubject the subject (on one line, whatever the data held)
// before the bodies are rendered.
func (t kindTemplates) execute(kind string, v any, setSubject func(string)) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := t.text.ExecuteTemplate(&b, "subject", v); err != nil {
		return "", "", "", fmt.Errorf("mail: rendering the subject of %s: %w", kind, err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	setSubject(subject)

	b.Reset()
	if err := t.text.ExecuteTemplate(&b, "text", v); err != nil {
		return "", "", "", fmt.Errorf("mail: rendering the text of %s: %w", kind, err)
	}
	text = b.String()

	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "html", v); err != nil {
		return "", "", "", fmt.Errorf("mail: rendering the HTML of %s: %w", kind, err)
	}
	return subject, text, b.String(), nil
}

// check returns an error naming every field kind needs that data lacks.
func check(spec kindSpec, data TemplateData) error {
	var problems []string
	if strings.TrimSpace(data.CaseID) == "" {
		problems = append(problems, "CaseID is required")
	}
	for _, f := range spec.required {
		var missing bool
		switch f {
		case "Body":
			missing = strings.TrimSpace(data.Body) == ""
		case "Amount":
			missing = data.Amount.IsZero()
		case "Currency":
			missing = data.Currency == ""
		case "InvoiceID":
			missing = data.InvoiceID == ""
		case "Outcome":
			missing = data.Outcome == ""
		case "Explanation":
			missing = strings.TrimSpace(data.Explanation) == ""
		case "CSATURL":
			missing = data.CSATURL == ""
		case "ApprovalID":
			missing = data.ApprovalID == ""
		case "ApprovalKind":
			missing = data.ApprovalKind == ""
		case "Clock":
			missing = data.Clock == ""
		case "Deadline":
			missing = data.Deadline.IsZero()
		default:
			panic("mail: the spec of " + spec.name + " names an unknown field " + f)
		}
		if missing {
			problems = append(problems, f+" is required")
		}
	}
	if !data.Amount.IsZero() || data.Currency != "" {
		if _, known := casedesk.CurrencyExponent(data.Currency); !known {
			problems = append(problems, fmt.Sprintf("Currency %q is not a currency casedesk supports", data.Currency))
		}
		if !data.Amount.IsPositive() {
			problems = append(problems, "Amount must be greater than zero")
		}
	}
	if data.Outcome != "" && data.Outcome != casedesk.OutcomeUpheld && data.Outcome != casedesk.OutcomeRejected {
		problems = append(problems, fmt.Sprintf("Outcome must be %q or %q", casedesk.OutcomeUpheld, casedesk.OutcomeRejected))
	}
	if len(problems) > 0 {
		return fmt.Errorf("mail: %s: %s", spec.name, strings.Join(slices.Compact(problems), "; "))
	}
	return nil
}

// clean masks card numbers in the free text and fills in the defaults.
func clean(d TemplateData) TemplateData {
	for _, s := range []*string{&d.CaseSubject, &d.CustomerName, &d.AgentName, &d.Body, &d.Explanation, &d.Reason} {
		*s = casedesk.MaskCardNumbers(strings.TrimSpace(*s))
	}
	if d.ProductName == "" {
		d.ProductName = DefaultProductName
	}
	return d
}
