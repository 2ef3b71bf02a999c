package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/activity"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/links"
	"github.com/casedesk/casedesk/mail"
)

// Outbox keeps the email of cases in PostgreSQL.
type Outbox interface {
	Recipients(ctx context.Context, c casedesk.Case, audience string, target casedesk.StaffTarget) ([]casedesk.Recipient, error)
	EnqueueMessages(ctx context.Context, msgs []casedesk.Message) error
}

// Mailer sends one email; mail.Sender is the real one. Notify only checks
// that there is one: the outbox dispatcher (package outbox) sends.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (string, error)
}

// MailSettings say how email looks and where its links point.
type MailSettings struct {
	From        mail.Address
	ReplyDomain string
	PublicURL   string
	Links       links.Signer
	LinkTTL     time.Duration
}

// NotifyInput is a case and the events of it that call for email.
type NotifyInput struct {
	Case   casedesk.Case    `json:"case"`
	Events []casedesk.Event `json:"events"`
}

// Notify renders the email the events call for into the outbox, once per
// case, event, kind and recipient whatever retries happen, in one batch of
// inserts. It sends nothing: the outbox dispatcher does, each message on its
// own schedule. Staff alerts go to whom the alert routing says, each
// recipient's copy pending (sent at once, in one request with the other
// recipients of the alert) or held for their digest. Without a mailer (no
// SendGrid key) messages are kept as captured, for people to read through
// the API.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	c := in.Case
	status := casedesk.MessagePending
	if a.Mailer == nil {
		status = casedesk.MessageCaptured
	}
	var msgs []casedesk.Message
	inBatch := map[string]int{} // recipients so far of each staff alert, for its batch key
	for _, e := range in.Events {
		for _, n := range casedesk.Notices(c, e) {
			var target casedesk.StaffTarget
			if n.Audience != casedesk.AudienceCustomer {
				target = a.Alerts.Target(c, n)
			}
			recipients, err := a.Outbox.Recipients(ctx, c, n.Audience, target)
			if err != nil {
				return err
			}
			for _, r := range recipients {
				data := a.templateData(c, e, n, r)
				subject, text, html, err := mail.Render(n.Kind, data)
				if err != nil {
					// A template that cannot render this event is a defect: log
					// it and go on with the other messages.
					activity.GetLogger(ctx).Error("rendering an email failed", "case_id", c.ID, "kind", n.Kind, "error", err)
					continue
				}
				key := fmt.Sprintf("%s/%d/%s/%s", c.ID, e.Seq, n.Kind, strings.ToLower(r.Email))
				sum := sha256.Sum256([]byte(key))
				m := casedesk.Message{ID: "M-" + strings.ToUpper(hex.EncodeToString(sum[:8])), CaseID: c.ID,
					EventSeq: e.Seq, Kind: n.Kind, Audience: casedesk.AudienceCustomer, Recipient: r.Email, RecipientName: r.Name,
					DedupeKey: key, Subject: subject, Text: text, HTML: html, Status: status, UserID: r.UserID}
				switch {
				case n.Audience == casedesk.AudienceCustomer:
					if a.Mail.ReplyDomain != "" && len(a.Mail.Links.Secret) > 0 {
						m.ReplyTo = a.Mail.Links.ReplyAddress(c.ID, a.Mail.ReplyDomain)
					}
				case status == casedesk.MessagePending && a.Alerts.Mode(n.Kind, r.Modes[n.Kind]) == casedesk.AlertDigest:
					m.Audience, m.Status = "staff", casedesk.MessageHeld
				default:
					// Every recipient of one staff alert is one personalization
					// of one request, up to SendGrid's limit per request.
					m.Audience = "staff"
					alert := fmt.Sprintf("%s/%d/%s", c.ID, e.Seq, n.Kind)
					m.BatchKey = fmt.Sprintf("%s/%d", alert, inBatch[alert]/mail.MaxPersonalizations)
					inBatch[alert]++
				}
				msgs = append(msgs, m)
			}
		}
	}
	return a.Outbox.EnqueueMessages(ctx, msgs)
}

// templateData fills what the templates of kind n need from event e.
func (a *Activities) templateData(c casedesk.Case, e casedesk.Event, n casedesk.Notice, r casedesk.Recipient) mail.TemplateData {
	str := func(k string) string {
		v, _ := e.Data[k].(string)
		return v
	}
	d := mail.TemplateData{CaseID: c.ID, CaseSubject: c.Subject, Body: str("body"), Currency: str("currency"),
		InvoiceID: str("invoice_id"), Explanation: str("summary"), Clock: str("clock"),
		ApprovalID: str("approval_id"), ApprovalKind: str("kind"), Reason: str("reason")}
	if n.Kind == casedesk.MailDisputeOutcome {
		d.Outcome = str("outcome")
	}
	if n.Audience == casedesk.AudienceCustomer {
		d.CustomerName = r.Name
		if len(a.Mail.Links.Secret) > 0 {
			ttl := a.Mail.LinkTTL
			if ttl <= 0 {
				ttl = 30 * 24 * time.Hour
			}
			d.CaseURL = a.Mail.PublicURL + "/c/" + a.Mail.Links.CustomerToken(c.ID, c.CustomerID, a.now().Add(ttl))
			d.CSATURL = d.CaseURL + "#csat"
		}
	}
	if amount, err := decimal.NewFromString(str("amount")); err == nil {
		d.Amount = amount
	}
	if d.Explanation == "" {
		d.Explanation = c.ResolutionSummary
	}
	for _, k := range []string{"due", "expires_at"} {
		if t, err := time.Parse(time.RFC3339Nano, str(k)); err == nil {
			d.Deadline = t
		}
	}
	if e.Type == casedesk.EventReminder || e.Type == casedesk.EventInfoRequested {
		if d.Body == "" {
			d.Body = "We still need a little information from you to go on with your case."
		}
	}
	return d
}
