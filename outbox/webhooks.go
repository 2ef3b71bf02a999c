package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/webhook"
)

// WebhookStore claims due webhook deliveries and records their attempts.
type WebhookStore interface {
	ClaimWebhookDeliveries(ctx context.Context, n int, lease time.Duration) ([]casedesk.WebhookClaim, error)
	// RecordWebhookAttempt records o; when it disables the endpoint, the
	// messages alert makes of the notice are queued in the same transaction.
	RecordWebhookAttempt(ctx context.Context, d casedesk.WebhookClaim, o casedesk.WebhookOutcome,
		alert func(casedesk.WebhookDisabledNotice) ([]casedesk.Message, error)) (bool, error)
}

// WebhookDispatcher sends webhook deliveries in the background: each due
// delivery is claimed (shared with SKIP LOCKED), signed with its endpoint's
// secrets, posted and recorded. A 2xx within casedesk.WebhookTimeout is
// success; anything else is retried with backoff for three days.
type WebhookDispatcher struct {
	Store WebhookStore
	// Production refuses, after DNS resolution, every address
	// casedesk.CheckWebhookAddress refuses.
	Production bool
	// Workers is how many deliveries are sent at once (default 4); Poll how
	// often the table is looked at when nothing was due (default 1 s).
	Workers int
	Poll    time.Duration
	// RetryFirst is the first retry's delay (default 30 s), doubling up to
	// six hours per retry.
	RetryFirst time.Duration
	// RetryFor is how long a delivery is retried and an endpoint may fail
	// every attempt before it is disabled (default three days).
	RetryFor time.Duration
	// Capture keeps the admins' email about a disabled endpoint as
	// captured instead of sending it (no SendGrid key).
	Capture bool
	// Timeout is how long a receiver has (default casedesk.WebhookTimeout).
	Timeout time.Duration
	Log     *slog.Logger
	Now     func() time.Time

	client *http.Client
}

func (d *WebhookDispatcher) defaults() {
	if d.Workers <= 0 {
		d.Workers = 4
	}
	if d.Poll <= 0 {
		d.Poll = time.Second
	}
	if d.Timeout <= 0 {
		d.Timeout = casedesk.WebhookTimeout
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.client == nil {
		d.client = webhookClient(d.Production, d.Timeout)
	}
}

// webhookClient posts with a timeout, follows no redirect (a 3xx is a
// failure) and, in production, dials no forbidden address, checked on the
// address DNS resolved to.
func webhookClient(production bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if production {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil {
				return fmt.Errorf("webhook: %s is not an IP address", host)
			}
			return casedesk.CheckWebhookIP(ip)
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run sends due deliveries until ctx ends, then lets those in flight finish.
func (d *WebhookDispatcher) Run(ctx context.Context) error {
	d.defaults()
	sem := make(chan struct{}, d.Workers)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		free := d.Workers - len(sem)
		claimed, err := d.Store.ClaimWebhookDeliveries(ctx, free, d.lease())
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("webhooks: claim deliveries", "error", err)
		}
		for _, c := range claimed {
			sem <- struct{}{}
			inFlight.Add(1)
			go func() {
				defer func() { <-sem; inFlight.Done() }()
				d.Deliver(context.WithoutCancel(ctx), c)
			}()
		}
		if len(claimed) > 0 && len(claimed) == free {
			// More may be due: look again once a worker is free.
			sem <- struct{}{}
			<-sem
			timer.Reset(0)
		} else {
			timer.Reset(d.Poll)
		}
	}
}

// lease is how long a claimed delivery is this dispatcher's: its attempt
// and recording fit well within it.
func (d *WebhookDispatcher) lease() time.Duration { return 3*d.Timeout + 30*time.Second }

// Deliver makes one attempt of c and records it.
func (d *WebhookDispatcher) Deliver(ctx context.Context, c casedesk.WebhookClaim) {
	d.defaults()
	o := d.attempt(ctx, c)
	log := d.Log.With("delivery_id", c.ID, "event_id", c.EventID, "endpoint_id", c.EndpointID, "attempt", c.Attempts)
	disabled, err := d.Store.RecordWebhookAttempt(ctx, c, o, func(n casedesk.WebhookDisabledNotice) ([]casedesk.Message, error) {
		return WebhookDisabledAlert(n, d.Capture)
	})
	switch {
	case err != nil:
		log.Warn("webhooks: record attempt (it is tried again once its claim expires)", "error", err)
	case o.OK():
		log.Debug("webhook delivered", "status", o.StatusCode)
	default:
		log.Info("webhook attempt failed", "status", o.StatusCode, "error", o.Error)
	}
	if disabled {
		log.Warn("webhook endpoint disabled and the admins emailed: "+casedesk.WebhookDisabledReason(o.Window())+
			"; POST /v1/webhooks/endpoints/{id}/enable once it answers again", "url", c.Endpoint.URL)
	}
}

func (d *WebhookDispatcher) attempt(ctx context.Context, c casedesk.WebhookClaim) casedesk.WebhookOutcome {
	start := d.Now()
	o := casedesk.WebhookOutcome{At: start, RetryFirst: d.RetryFirst, RetryFor: d.RetryFor}
	if err := casedesk.CheckWebhookURL(c.Endpoint.URL, d.Production); err != nil {
		o.Error = "url " + err.Error()
		return o
	}
	body := []byte(c.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		o.Error = "bad request: " + err.Error()
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "casedesk-webhooks/1")
	req.Header.Set(webhook.EventIDHeader, c.EventID)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(start, body, c.Endpoint.Secrets(start)...))
	resp, err := d.client.Do(req)
	o.Duration = d.Now().Sub(start)
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			o.Error = fmt.Sprintf("no answer within %s", d.Timeout)
		} else {
			o.Error = err.Error()
		}
		return o
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	o.StatusCode = resp.StatusCode
	if !o.OK() {
		o.Error = "HTTP " + resp.Status
	}
	return o
}

// WebhookDisabledAlert is the email telling every admin of notice n that an
// endpoint was disabled: one message each, all in one batch (one request to
// SendGrid, a personalization per admin, up to its limit per request), on
// the staff lane. Their dedupe keys name the endpoint and when it was
// disabled, so a notice is queued once however often it is recorded.
func WebhookDisabledAlert(n casedesk.WebhookDisabledNotice, capture bool) ([]casedesk.Message, error) {
	e := n.Endpoint
	if e.DisabledAt == nil {
		return nil, fmt.Errorf("webhook endpoint %s is not disabled", e.ID)
	}
	data := mail.WebhookDisabledData{EndpointID: e.ID, URL: e.URL, Description: e.Description, Reason: e.DisabledReason,
		DisabledAt: *e.DisabledAt, LastError: n.LastError, Pending: n.Pending, Failed: n.Failed}
	if e.FailingSince != nil {
		data.FailingSince = *e.FailingSince
	}
	subject, text, html, err := mail.RenderWebhookDisabled(data)
	if err != nil {
		return nil, err
	}
	status := casedesk.MessagePending
	if capture {
		status = casedesk.MessageCaptured
	}
	alert := fmt.Sprintf("%s/%s/%d", mail.KindWebhookDisabled, e.ID, e.DisabledAt.UnixMilli())
	out := make([]casedesk.Message, 0, len(n.Admins))
	for i, r := range n.Admins {
		key := alert + "/" + strings.ToLower(r.Email)
		out = append(out, casedesk.Message{ID: messageID(key),
			Kind: mail.KindWebhookDisabled, Audience: LaneStaff, Recipient: r.Email, RecipientName: r.Name, UserID: r.UserID,
			DedupeKey: key, Subject: subject, Text: text, HTML: html, Status: status,
			BatchKey: fmt.Sprintf("%s/%d", alert, i/mail.MaxPersonalizations)})
	}
	return out, nil
}
