// Package outbox sends the email that case workflows render into the
// PostgreSQL outbox. A Dispatcher runs in every worker process: per lane
// (customer email, staff alerts) a few loops claim the message that is due
// (FOR UPDATE SKIP LOCKED, so dispatchers share the load and a slow send
// holds up nothing else), send it through SendGrid and mark it. A message
// that fails for a reason that may pass (429, 5xx, a timeout) gets its own
// next attempt, with exponential backoff and jitter, or after SendGrid's
// Retry-After; the others go on. A staff alert to many recipients is one
// request with a personalization each.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/mail"
)

// Lanes of the outbox: customer email never waits behind staff alerts.
const (
	LaneCustomer = casedesk.AudienceCustomer
	LaneStaff    = "staff"
)

// Store is the outbox in PostgreSQL.
type Store interface {
	ClaimDue(ctx context.Context, lane string, lease time.Duration) ([]casedesk.Message, error)
	ClaimExpired(ctx context.Context, lane string, lease time.Duration, limit int) ([]casedesk.Message, error)
	MarkSent(ctx context.Context, ids []string, sendGridID string, at time.Time) error
	Retry(ctx context.Context, ids []string, reason string, delay time.Duration) error
	Fail(ctx context.Context, ids []string, reason string) error
	OutboxLanes(ctx context.Context) ([]casedesk.OutboxLane, error)
	QueueDigests(ctx context.Context, every time.Duration, build func([]casedesk.Message) (casedesk.Message, error)) (int, error)
}

// Mailer sends through SendGrid and asks its activity feed what it
// accepted; mail.Sender is the real one.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (string, error)
	Lookup(ctx context.Context, name, value string) (messageID string, found bool, err error)
}

// Defaults of a Dispatcher's zero fields.
const (
	DefaultCustomerWorkers = 4
	DefaultStaffWorkers    = 2
	DefaultLease           = time.Minute
	DefaultPoll            = 500 * time.Millisecond
	DefaultFirstRetry      = time.Second
	DefaultMaxBackoff      = 5 * time.Minute
	DefaultGiveUpAfter     = 24 * time.Hour
	DefaultWarnAfter       = 5 * time.Minute
)

// ArgMessageID is the custom arg naming the outbox message in every
// personalization; a claim that expired is resolved by asking SendGrid
// for it.
const ArgMessageID = "message_id"

// Dispatcher sends the outbox. Zero fields take the defaults above.
type Dispatcher struct {
	Store  Store
	Mailer Mailer
	From   mail.Address
	Log    *slog.Logger

	CustomerWorkers, StaffWorkers int
	// Lease is how long a claimed message is the claimant's; one still
	// 'sending' after it is looked up at SendGrid and resent only if
	// SendGrid never accepted it. It must exceed the mailer's timeout.
	Lease time.Duration
	// Poll is how long an idle loop waits before it looks again.
	Poll time.Duration
	// FirstRetry is the first backoff, doubling up to MaxBackoff; a message
	// still failing GiveUpAfter after it was queued fails for good.
	FirstRetry, MaxBackoff, GiveUpAfter time.Duration
	// WarnAfter: a message waiting longer than this is logged as a warning.
	WarnAfter time.Duration
	// Lookups paces SendGrid's Email Activity API (6 requests a minute).
	Lookups *rate.Limiter
	// DigestEvery is how often held alerts go out as a digest; 0: never
	// (no alert is held without an alerts configuration that asks for it).
	DigestEvery time.Duration

	Now  func() time.Time
	Rand func() float64 // in [0, 1), for jitter

	warnedLookup sync.Once
}

// positive is v, or def when v is not set (zero or less).
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (d *Dispatcher) defaults() {
	d.CustomerWorkers = positive(d.CustomerWorkers, DefaultCustomerWorkers)
	d.StaffWorkers = positive(d.StaffWorkers, DefaultStaffWorkers)
	d.Lease = positive(d.Lease, DefaultLease)
	d.Poll = positive(d.Poll, DefaultPoll)
	d.FirstRetry = positive(d.FirstRetry, DefaultFirstRetry)
	d.MaxBackoff = positive(d.MaxBackoff, DefaultMaxBackoff)
	d.GiveUpAfter = positive(d.GiveUpAfter, DefaultGiveUpAfter)
	d.WarnAfter = positive(d.WarnAfter, DefaultWarnAfter)
	if d.Lookups == nil {
		d.Lookups = rate.NewLimiter(rate.Every(10*time.Second), 6)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rand == nil {
		d.Rand = rand.Float64
	}
}

// Run dispatches until ctx ends, then lets the sends in flight finish and
// mark their messages before it returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.defaults()
	var wg sync.WaitGroup
	for _, lane := range []struct {
		name    string
		workers int
	}{{LaneCustomer, d.CustomerWorkers}, {LaneStaff, d.StaffWorkers}} {
		for range lane.workers {
			wg.Go(func() { d.sendLoop(ctx, lane.name) })
		}
		wg.Go(func() { d.every(ctx, d.Lease/2, func() { d.recoverExpired(ctx, lane.name) }) })
	}
	wg.Go(func() { d.every(ctx, 30*time.Second, func() { d.watch(ctx) }) })
	if d.DigestEvery > 0 {
		wg.Go(func() { d.every(ctx, min(d.DigestEvery, time.Minute), func() { d.digest(ctx) }) })
	}
	wg.Wait()
	return nil
}

// every runs fn every period until ctx ends.
func (d *Dispatcher) every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// sendLoop claims and sends the due messages of lane, one request at a time.
func (d *Dispatcher) sendLoop(ctx context.Context, lane string) {
	for ctx.Err() == nil {
		msgs, err := d.Store.ClaimDue(ctx, lane, d.Lease)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("claiming email from the outbox failed", "lane", lane, "error", err)
		}
		if len(msgs) == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d.Poll):
			}
			continue
		}
		// A send under way finishes after shutdown begins: its outcome is
		// recorded, so nothing is left for the lease to resolve.
		d.Send(context.WithoutCancel(ctx), msgs)
	}
}

// Send sends claimed messages msgs (one message, or the recipients of one
// batch) in one request and records the outcome on each.
func (d *Dispatcher) Send(ctx context.Context, msgs []casedesk.Message) {
	d.defaults()
	ids := messageIDs(msgs)
	id, err := d.Mailer.Send(ctx, d.request(msgs))
	switch se := (*mail.SendError)(nil); {
	case err == nil:
		err = d.Store.MarkSent(ctx, ids, id, d.Now())
	case errors.As(err, &se) && !se.Retryable:
		err = d.Store.Fail(ctx, ids, se.Message)
	default:
		var after time.Duration
		if se != nil {
			after = se.RetryAfter
		}
		if age := d.Now().Sub(msgs[0].CreatedAt); age > d.GiveUpAfter {
			err = d.Store.Fail(ctx, ids, fmt.Sprintf("gave up after %v: %v", age.Round(time.Minute), err))
			break
		}
		delay := d.Backoff(msgs[0].Attempts, after)
		d.Log.Info("email will be retried", "messages", len(ids), "kind", msgs[0].Kind, "attempt", msgs[0].Attempts,
			"retry_in", delay, "error", err)
		err = d.Store.Retry(ctx, ids, err.Error(), delay)
	}
	if err != nil {
		// The lease runs out and the recovery finds out what happened.
		d.Log.Error("recording the outcome of an email failed", "message_id", ids[0], "error", err)
	}
}

// Backoff is how long to wait after the attempt-th failed attempt: the first
// retry after about FirstRetry, doubling up to MaxBackoff, each delay drawn
// between half and all of it (jitter, so retries of many messages spread),
// and never sooner than SendGrid's Retry-After.
func (d *Dispatcher) Backoff(attempt int, retryAfter time.Duration) time.Duration {
	d.defaults()
	base := d.FirstRetry
	for i := 1; i < attempt && base < d.MaxBackoff; i++ {
		base *= 2
	}
	base = min(base, d.MaxBackoff)
	delay := base/2 + time.Duration(d.Rand()*float64(base/2))
	if retryAfter > delay {
		delay = retryAfter + time.Duration(d.Rand()*float64(retryAfter/10))
	}
	return delay
}

// request is the Mail Send request of msgs: one personalization per
// message, each with its outbox ID and dedupe key as custom args.
func (d *Dispatcher) request(msgs []casedesk.Message) mail.Message {
	m := msgs[0]
	out := mail.Message{Kind: m.Kind, CaseID: m.CaseID, From: d.From, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Categories: []string{m.Kind}}
	if m.ReplyTo != "" {
		out.ReplyTo = &mail.Address{Email: m.ReplyTo, Name: d.From.Name}
	}
	if len(msgs) == 1 {
		out.DedupeKey = m.DedupeKey
		out.To = []mail.Address{{Email: m.Recipient, Name: m.RecipientName}}
		out.CustomArgs = map[string]string{ArgMessageID: m.ID}
		return out
	}
	for _, x := range msgs {
		out.To = append(out.To, mail.Address{Email: x.Recipient, Name: x.RecipientName})
		out.ToArgs = append(out.ToArgs, map[string]string{ArgMessageID: x.ID, mail.ArgDedupeKey: x.DedupeKey})
	}
	return out
}

// recoverExpired resolves messages of lane whose claim ran out while they
// were 'sending': SendGrid's activity feed says whether it accepted the
// request (then they are sent) or not (then they are due again). Without
// the activity feed (the add-on is missing) they are sent again: at least
// once, for that window only.
func (d *Dispatcher) recoverExpired(ctx context.Context, lane string) {
	msgs, err := d.Store.ClaimExpired(ctx, lane, d.Lease, 100)
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Error("claiming expired email claims failed", "lane", lane, "error", err)
		}
		return
	}
	for _, group := range batches(msgs) {
		if err := d.Lookups.Wait(ctx); err != nil {
			return // shutting down: the claims expire again and another dispatcher resolves them
		}
		ids := messageIDs(group)
		sgID, found, err := d.Mailer.Lookup(ctx, ArgMessageID, group[0].ID)
		var se *mail.SendError
		switch {
		case err == nil && found:
			d.Log.Info("an email SendGrid accepted before its dispatcher stopped is marked sent", "message_id", ids[0], "messages", len(ids))
			err = d.Store.MarkSent(ctx, ids, sgID, d.Now())
		case err == nil:
			err = d.Store.Retry(ctx, ids, "its dispatcher stopped before SendGrid accepted it", 0)
		case errors.As(err, &se) && noActivityFeed(se.Status):
			d.warnedLookup.Do(func() {
				d.Log.Warn("SendGrid's Email Activity API is not available to this key: email whose dispatcher stopped mid-send is sent again, and may arrive twice",
					"error", err)
			})
			err = d.Store.Retry(ctx, ids, "its dispatcher stopped mid-send; resent without knowing whether SendGrid accepted it", 0)
		default:
			d.Log.Warn("looking up an email at SendGrid failed; trying again after the lease", "message_id", ids[0], "error", err)
			err = nil
		}
		if err != nil {
			d.Log.Error("resolving an expired email claim failed", "message_id", ids[0], "error", err)
		}
	}
}

func noActivityFeed(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// watch logs a warning for each lane whose oldest waiting message has
// waited longer than WarnAfter.
func (d *Dispatcher) watch(ctx context.Context) {
	lanes, err := d.Store.OutboxLanes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Error("reading the outbox depth failed", "error", err)
		}
		return
	}
	for _, l := range lanes {
		if age := time.Duration(l.OldestPendingAge * float64(time.Second)); age > d.WarnAfter {
			d.Log.Warn("email has waited in the outbox longer than CASEDESK_OUTBOX_WARN_AFTER", "lane", l.Lane,
				"oldest_pending_age", age.Round(time.Second), "pending", l.Statuses[casedesk.MessagePending],
				"sending", l.Statuses[casedesk.MessageSending], "warn_after", d.WarnAfter)
		}
	}
}

// digest queues a digest for every staff member whose held alerts are due.
func (d *Dispatcher) digest(ctx context.Context) {
	n, err := d.Store.QueueDigests(ctx, d.DigestEvery, func(held []casedesk.Message) (casedesk.Message, error) {
		return Digest(held, d.Now())
	})
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Error("queueing digests failed", "error", err)
		}
		return
	}
	if n > 0 {
		d.Log.Info("digests queued", "digests", n)
	}
}

// Digest is the pending digest email listing held alerts, all to one
// recipient. Its dedupe key names the alerts, so the same alerts are never
// digested twice.
func Digest(held []casedesk.Message, now time.Time) (casedesk.Message, error) {
	items := make([]mail.DigestItem, len(held))
	keys := make([]string, len(held))
	for i, m := range held {
		items[i] = mail.DigestItem{CaseID: m.CaseID, Subject: m.Subject}
		keys[i] = m.ID
	}
	subject, text, html, err := mail.RenderDigest(items, "")
	if err != nil {
		return casedesk.Message{}, err
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, ",")))
	r := held[0]
	key := fmt.Sprintf("digest/%s/%s", strings.ToLower(r.Recipient), hex.EncodeToString(sum[:8]))
	return casedesk.Message{ID: messageID(key), Kind: casedesk.MailDigest,
		Audience: LaneStaff, Recipient: r.Recipient, RecipientName: r.RecipientName, UserID: r.UserID, DedupeKey: key,
		Subject: subject, Text: text, HTML: html, Status: casedesk.MessagePending, CreatedAt: now}, nil
}

// messageID is the outbox ID of the message with dedupe key key, as the
// case workflows derive theirs: the same key is always the same message.
func messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "M-" + strings.ToUpper(hex.EncodeToString(sum[:8]))
}

// batches splits claimed messages into the requests they were sent in.
func batches(msgs []casedesk.Message) [][]casedesk.Message {
	var out [][]casedesk.Message
	index := map[string]int{}
	for _, m := range msgs {
		key := m.BatchKey
		if key == "" {
			key = m.ID
		}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], m)
	}
	return out
}

func messageIDs(msgs []casedesk.Message) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}
