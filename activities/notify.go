package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
	Recipients(ctx context.Context, c casedesk.Case, audience string) ([]casedesk.Recipient, error)
	EnqueueMessages(ctx context.Context, msgs []casedesk.Message) error
	OutboxMessages(ctx context.Context, caseID string) ([]casedesk.Message, error)
	MarkSending(ctx context.Context, id string) error
	MarkSent(ctx context.Context, id, sendGridID string, at time.Time) error
	MarkFailed(ctx context.Context, id, reason string, final bool) error
}

// Mailer sends one email; mail.Sender is the real one.
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

// Notify renders the email the events call for into the outbox (once per
// case, event, kind and recipient, whatever retries happen) and sends what
// the outbox holds for the case. Without a mailer (no SendGrid key) messages
// are kept as captured, for people to read through the API. A SendGrid
// refusal (4xx) fails the message for good; 429, 5xx and timeouts return an
// error so the activity is retried with backoff. A message SendGrid accepted
// is marked sent and never sent again.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	if err := a.enqueue(ctx, in); err != nil {
		return err
	}
	if a.Mailer == nil {
		return nil
	}
	msgs, err := a.Outbox.OutboxMessages(ctx, in.Case.ID)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := a.send(ctx, in.Case, m); err != nil {
			return err
		}
	}
	return nil
}

func (a *Activities) enqueue(ctx context.Context, in NotifyInput) error {
	c := in.Case
	status := casedesk.MessagePending
	if a.Mailer == nil {
		status = casedesk.MessageCaptured
	}
	var msgs []casedesk.Message
	for _, e := range in.Events {
		for _, n := range casedesk.Notices(c, e) {
			recipients, err := a.Outbox.Recipients(ctx, c, n.Audience)
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
				audience := casedesk.AudienceCustomer
				if n.Audience != casedesk.AudienceCustomer {
					audience = "staff"
				}
				msgs = append(msgs, casedesk.Message{ID: "M-" + strings.ToUpper(hex.EncodeToString(sum[:8])), CaseID: c.ID,
					EventSeq: e.Seq, Kind: n.Kind, Audience: audience, Recipient: r.Email, RecipientName: r.Name,
					DedupeKey: key, Subject: subject, Text: text, HTML: html, Status: status})
			}
		}
	}
	return a.Outbox.EnqueueMessages(ctx, msgs)
}

func (a *Activities) send(ctx context.Context, c casedesk.Case, m casedesk.Message) error {
	if err := a.Outbox.MarkSending(ctx, m.ID); err != nil {
		return err
	}
	out := mail.Message{Kind: m.Kind, CaseID: c.ID, DedupeKey: m.DedupeKey, From: a.Mail.From,
		To: []mail.Address{{Email: m.Recipient, Name: m.RecipientName}}, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Categories: []string{m.Kind}, CustomArgs: map[string]string{"message_id": m.ID}}
	if m.Audience == casedesk.AudienceCustomer && a.Mail.ReplyDomain != "" && len(a.Mail.Links.Secret) > 0 {
		out.ReplyTo = &mail.Address{Email: a.Mail.Links.ReplyAddress(c.ID, a.Mail.ReplyDomain), Name: a.Mail.From.Name}
	}
	id, err := a.Mailer.Send(ctx, out)
	if err == nil {
		return a.Outbox.MarkSent(ctx, m.ID, id, a.now())
	}
	var se *mail.SendError
	if errors.As(err, &se) && !se.Retryable {
		return a.Outbox.MarkFailed(ctx, m.ID, se.Message, true)
	}
	if merr := a.Outbox.MarkFailed(ctx, m.ID, err.Error(), false); merr != nil {
		return merr
	}
	return err // retried with backoff
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
			d.CaseURL = a.Mail.PublicURL + "/c/" + a.Mail.Links.CaseToken(c.ID, a.now().Add(ttl))
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
