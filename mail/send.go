// Package mail renders casedesk's customer and staff email and sends it
// through SendGrid's v3 Mail Send API with the official client.
//
// Render turns a kind and its TemplateData into a subject, a plain-text and
// an HTML body from templates embedded in the binary. A Sender posts a Message
// and returns SendGrid's message ID, or a *SendError that says whether trying
// again can help.
package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// DefaultBaseURL is SendGrid's API host.
const DefaultBaseURL = "https://api.sendgrid.com"

// MaxPersonalizations is how many recipients one Mail Send request may
// have, each in a personalization of their own.
const MaxPersonalizations = 1000

// DefaultTimeout bounds one Send when NewSender is given no timeout.
const DefaultTimeout = 10 * time.Second

// sendPath is the route of the Mail Send API.
const sendPath = "/v3/mail/send"

// The custom_args every message carries, so that SendGrid's delivery events,
// which echo them, can be matched back to the message and its case.
const (
	ArgCaseID    = "case_id"
	ArgKind      = "kind"
	ArgDedupeKey = "dedupe_key"
)

// Address is an email address with an optional display name.
type Address struct {
	Email string
	Name  string
}

// Message is one email to send.
type Message struct {
	Kind      string // the template kind, e.g. KindCaseOpened
	CaseID    string
	DedupeKey string // the outbox's key for this (case, event)
	From      Address
	// To receives the message; each address gets its own copy (its own
	// personalization), so recipients never see each other's addresses.
	To []Address
	// ToArgs, when set, holds for each address of To the custom args of its
	// personalization (which SendGrid adds to the message's own in the
	// delivery events of that recipient).
	ToArgs     []map[string]string
	ReplyTo    *Address
	Subject    string
	Text, HTML string
	Categories []string
	// CustomArgs are sent along with case_id, kind and dedupe_key (from the
	// fields above); a non-empty field wins over a key of the same name here.
	CustomArgs map[string]string
}

// Sender sends messages through SendGrid's v3 Mail Send API.
type Sender struct {
	apiKey  string // never logged nor put in an error
	baseURL string
	timeout time.Duration
	now     func() time.Time
}

// NewSender returns a Sender that authenticates with apiKey against baseURL
// (DefaultBaseURL when empty; the local fake in tests and development) and
// gives each Send at most timeout (DefaultTimeout when not positive).
func NewSender(apiKey, baseURL string, timeout time.Duration) *Sender {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Sender{apiKey: apiKey, baseURL: strings.TrimRight(baseURL, "/"), timeout: timeout, now: time.Now}
}

// SendError is a failed Send. Retryable is true when sending again may
// succeed: on 429, 5xx, timeouts and transport errors; false on other
// statuses, such as 400 for an invalid message or 401 for a bad key.
type SendError struct {
	Status     int // the HTTP status; 0 when no response came
	Retryable  bool
	Message    string        // what went wrong, with SendGrid's own error messages
	RetryAfter time.Duration // when SendGrid said how long to wait; else 0
	Err        error         // the transport error, when no response came
}

func (e *SendError) Error() string { return "sendgrid: " + e.Message }

// Unwrap returns the transport error, so errors.Is(err, context.DeadlineExceeded) works.
func (e *SendError) Unwrap() error { return e.Err }

// Send posts m and returns the X-Message-Id SendGrid answered 202 with. Any
// failure is a *SendError. SendGrid has no idempotency key: a retry after a
// lost 202 sends the message twice, which is why dedupe_key rides along.
func (s *Sender) Send(ctx context.Context, m Message) (messageID string, err error) {
	req := sendgrid.GetRequest(s.apiKey, sendPath, s.baseURL)
	req.Method = http.MethodPost
	req.Body = sgmail.GetRequestBody(v3Body(m))

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := sendgrid.MakeRequestWithContext(ctx, req)
	if err != nil {
		msg := "sending failed: " + err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("no answer within %v: %v", s.timeout, err)
		}
		return "", &SendError{Retryable: true, Message: s.redact(msg), Err: err}
	}
	header := http.Header(res.Headers)
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		// Accepted without an ID is still accepted: failing here would make
		// the caller send the message again.
		return header.Get("X-Message-Id"), nil
	}
	e := &SendError{
		Status:    res.StatusCode,
		Retryable: res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500,
		Message:   s.redact(fmt.Sprintf("%d %s%s", res.StatusCode, http.StatusText(res.StatusCode), describeErrors(res.Body))),
	}
	if e.Retryable {
		e.RetryAfter = retryAfter(header, s.now())
	}
	return "", e
}

// ActivityPath is the route of the Email Activity API (a paid SendGrid
// add-on, limited to 6 requests a minute).
const ActivityPath = "/v3/messages"

// Lookup asks SendGrid's Email Activity API whether it accepted a message
// whose custom arg name is value, and returns the X-Message-Id of the
// request that carried it. found is false when SendGrid knows no such
// message, which is only proof once its activity feed caught up (seconds to
// minutes after the send). Any failure, including an account without the
// add-on (401, 403, 404), is a *SendError.
func (s *Sender) Lookup(ctx context.Context, name, value string) (messageID string, found bool, err error) {
	req := sendgrid.GetRequest(s.apiKey, ActivityPath, s.baseURL)
	req.Method = http.MethodGet
	req.QueryParams = map[string]string{"limit": "10", "query": fmt.Sprintf("unique_args['%s']=%q", name, value)}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := sendgrid.MakeRequestWithContext(ctx, req)
	if err != nil {
		return "", false, &SendError{Retryable: true, Message: s.redact("activity lookup failed: " + err.Error()), Err: err}
	}
	if res.StatusCode != http.StatusOK {
		e := &SendError{Status: res.StatusCode,
			Retryable: res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500,
			Message:   s.redact(fmt.Sprintf("activity lookup: %d %s%s", res.StatusCode, http.StatusText(res.StatusCode), describeErrors(res.Body)))}
		if e.Retryable {
			e.RetryAfter = retryAfter(http.Header(res.Headers), s.now())
		}
		return "", false, e
	}
	var body struct {
		Messages []struct {
			MsgID string `json:"msg_id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		return "", false, &SendError{Status: res.StatusCode, Retryable: true, Message: "activity lookup: an answer that is not JSON"}
	}
	if len(body.Messages) == 0 {
		return "", false, nil
	}
	// msg_id is the X-Message-Id, a dot, and where SendGrid filtered it.
	id, _, _ := strings.Cut(body.Messages[0].MsgID, ".")
	return id, true, nil
}

// v3Body builds the Mail Send body: one personalization per recipient, plain
// text before HTML as SendGrid requires, and the matching custom_args.
func v3Body(m Message) *sgmail.SGMailV3 {
	b := sgmail.NewV3Mail()
	b.SetFrom(sgmail.NewEmail(m.From.Name, m.From.Email))
	b.Subject = m.Subject
	for i, to := range m.To {
		p := sgmail.NewPersonalization()
		p.AddTos(sgmail.NewEmail(to.Name, to.Email))
		if i < len(m.ToArgs) {
			for k, v := range m.ToArgs[i] {
				p.SetCustomArg(k, v)
			}
		}
		b.AddPersonalizations(p)
	}
	if m.ReplyTo != nil {
		b.SetReplyTo(sgmail.NewEmail(m.ReplyTo.Name, m.ReplyTo.Email))
	}
	if m.Text != "" {
		b.AddContent(sgmail.NewContent("text/plain", m.Text))
	}
	if m.HTML != "" {
		b.AddContent(sgmail.NewContent("text/html", m.HTML))
	}
	b.AddCategories(m.Categories...)
	for k, v := range m.CustomArgs {
		b.SetCustomArg(k, v)
	}
	for k, v := range map[string]string{ArgCaseID: m.CaseID, ArgKind: m.Kind, ArgDedupeKey: m.DedupeKey} {
		if v != "" {
			b.SetCustomArg(k, v)
		}
	}
	return b
}

// describeErrors renders SendGrid's {"errors": [{"message", "field"}]} body
// as ": field: message; ...", or a short excerpt of a body of another shape.
func describeErrors(body string) string {
	var b struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil || len(b.Errors) == 0 {
		body = strings.TrimSpace(body)
		if body == "" {
			return ""
		}
		if r := []rune(body); len(r) > 200 {
			body = string(r[:200]) + "…"
		}
		return ": " + body
	}
	parts := make([]string, 0, len(b.Errors))
	for _, e := range b.Errors {
		if e.Field != nil && *e.Field != "" {
			parts = append(parts, *e.Field+": "+e.Message)
		} else {
			parts = append(parts, e.Message)
		}
	}
	return ": " + strings.Join(slices.Compact(parts), "; ")
}

// retryAfter reads how long SendGrid asks to wait: Retry-After in seconds or
// as a date, else X-RateLimit-Reset, the Unix time the rate limit resets.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if unix, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(unix, 0).Sub(now), 0)
		}
	}
	return 0
}

// redact keeps the API key out of a message, whatever the transport put in
// it. Keys too short to be SendGrid's (69 characters) are left alone, so a
// test key such as "x" does not mangle every message.
func (s *Sender) redact(msg string) string {
	if len(s.apiKey) < 16 {
		return msg
	}
	return strings.ReplaceAll(msg, s.apiKey, "[redacted]")
}
