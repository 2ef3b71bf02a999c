package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// timers opens chargebacks whose network deadlines (due_by) all fall inside
// one window (a minute by default) and measures how late each case's
// automatic expiry lands after its deadline, from the case timeline; then
// the same number of bare workflow timers due in the same way.
func (b *bench) timers(ctx context.Context) (Report, error) {
	n := b.cfg.Cases
	if n <= 0 {
		n = 1000
	}
	window := b.cfg.Window
	lead := b.cfg.Lead
	if lead <= 0 {
		lead = 30*time.Second + time.Duration(n)*time.Second/20
	}
	r := Report{Started: time.Now().UTC(), Params: map[string]any{
		"cases": n, "concurrency": b.cfg.Concurrency, "lead_seconds": lead.Seconds(), "window_seconds": window.Seconds(),
	}}
	before, scrapeErr := b.scrape(ctx)

	// Each chargeback needs a payment of its own.
	payments := make([]string, n)
	ref := randomHex(4)
	pay := runPhase(ctx, "payments", b.cfg.Concurrency, 0, n, func(ctx context.Context, i int) error {
		var p struct {
			ID string `json:"id"`
		}
		err := b.callRetry(ctx, b.feed().token, "POST", "/v1/customers/"+b.customer+"/payments", map[string]any{
			"amount": "100.00", "currency": "USD", "method": "card", "reference": fmt.Sprintf("ch_bench_%s_%d", ref, i),
		}, http.StatusCreated, &p)
		payments[i] = p.ID
		return err
	})
	if pay.errors > 0 {
		return r, fmt.Errorf("recording %d payments: %d failed, first: %s", n, pay.errors, pay.firstErr)
	}
	first := time.Now().Add(lead).Truncate(time.Second).Add(time.Second)
	due := func(i int) time.Time {
		if n == 1 {
			return first
		}
		return first.Add(window * time.Duration(i) / time.Duration(n-1))
	}
	ids := make([]string, n)
	opened := runPhase(ctx, "open", b.cfg.Concurrency, 0, n, func(ctx context.Context, i int) error {
		var c struct {
			ID string `json:"id"`
		}
		err := b.call(ctx, b.agent().token, "POST", "/v1/cases", map[string]any{
			"type": "chargeback", "customer_id": b.customer, "subject": fmt.Sprintf("Visa chargeback %d", i),
			"channel": "email", "payment_id": payments[i], "amount": "49.99", "currency": "USD", "network": "visa",
			"reason_code": "13.1", "due_by": due(i).UTC().Format(time.RFC3339Nano),
		}, http.StatusCreated, &c)
		ids[i] = c.ID
		return err
	})
	r.Series = append(r.Series, stats("open the chargebacks", opened))
	if opened.errors > 0 {
		return r, fmt.Errorf("opening %d chargebacks: %d failed, first: %s", n, opened.errors, opened.firstErr)
	}
	if late := time.Since(first); late > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("opening ended %s after the first deadline: raise the lead", late.Round(time.Millisecond)))
	}
	b.logf("bench timers: %d chargebacks open, deadlines from %s over %s", n, first.Format(time.TimeOnly), window)

	// Read each case's timeline for its expiry once the last deadline is
	// past (the event's time is what counts, not when it is read; reading
	// during the burst would only load the system under test).
	last := due(n - 1)
	waitUntil(ctx, last.Add(2*time.Second))
	lateness := make([]time.Duration, n)
	found := make([]bool, n)
	giveUp := last.Add(b.cfg.Settle)
	for {
		var pending []int
		for i := range n {
			if !found[i] && time.Now().After(due(i)) {
				pending = append(pending, i)
			}
		}
		if len(pending) == 0 && time.Now().After(last) {
			break
		}
		var mu sync.Mutex
		runPhase(ctx, "read", b.cfg.Concurrency, 0, len(pending), func(ctx context.Context, k int) error {
			i := pending[k]
			at, ok, err := b.expiredAt(ctx, ids[i])
			if ok {
				mu.Lock()
				found[i], lateness[i] = true, at.Sub(due(i))
				mu.Unlock()
			}
			return err
		})
		if time.Now().After(giveUp) || ctx.Err() != nil {
			break
		}
		waitUntil(ctx, time.Now().Add(time.Second))
	}
	var got []time.Duration
	missing := 0
	within2, within5 := 0, 0
	for i := range n {
		if !found[i] {
			missing++
			continue
		}
		got = append(got, lateness[i])
		if lateness[i] <= 2*time.Second {
			within2++
		}
		if lateness[i] <= 5*time.Second {
			within5++
		}
	}
	s := durationStats("expiry lateness (timeline at - due_by)", got)
	s.Errors = missing
	if missing > 0 {
		s.FirstError = fmt.Sprintf("%d cases had not expired %s after the last deadline", missing, b.cfg.Settle)
	}
	r.Series = append(r.Series, s)
	r.Notes = append(r.Notes, fmt.Sprintf("%d of %d expired within 2 s of due_by, %d within 5 s", within2, n, within5))
	if scrapeErr == nil {
		if after, err := b.scrape(ctx); err == nil {
			for _, m := range []struct{ name, what string }{
				{"casedesk_sla_breach_lateness_seconds", "SLA breach lateness (/metrics)"},
				{"workflow_task_schedule_to_start_latency", "workflow task schedule-to-start (SDK, /metrics)"},
			} {
				ha, okA := histogramOf(after, m.name)
				hb, okB := histogramOf(before, m.name)
				if okA {
					if okB {
						ha = ha.minus(hb)
					}
					r.Notes = append(r.Notes, ha.describe(m.what))
				}
			}
		}
	} else {
		r.Notes = append(r.Notes, "no metrics: "+scrapeErr.Error())
	}

	if b.base != nil {
		bs, err := b.bareTimers(ctx, n, lead, window)
		if err != nil {
			return r, err
		}
		r.Series = append(r.Series, bs)
	} else {
		r.Notes = append(r.Notes, errNoBaseline.Error())
	}
	return r, nil
}

// expiredAt reads a case's timeline for its chargeback_expired event.
func (b *bench) expiredAt(ctx context.Context, id string) (time.Time, bool, error) {
	cursor := ""
	for {
		var page struct {
			Items []struct {
				Type string    `json:"type"`
				At   time.Time `json:"at"`
			} `json:"items"`
			Next *string `json:"next_cursor"`
		}
		path := "/v1/cases/" + id + "/events?limit=500"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := b.call(ctx, b.agent().token, "GET", path, nil, http.StatusOK, &page); err != nil {
			return time.Time{}, false, err
		}
		for _, e := range page.Items {
			if e.Type == "chargeback_expired" {
				return e.At, true, nil
			}
		}
		if page.Next == nil || *page.Next == "" {
			return time.Time{}, false, nil
		}
		cursor = *page.Next
	}
}

// bareTimers starts n workflows that each sleep until a deadline spread as
// the chargebacks' were and measures when their next task ran.
func (b *bench) bareTimers(ctx context.Context, n int, lead, window time.Duration) (Stats, error) {
	first := time.Now().Add(min(lead, 30*time.Second+time.Duration(n)*time.Second/40)).Truncate(time.Second).Add(time.Second)
	due := func(i int) time.Time {
		if n == 1 {
			return first
		}
		return first.Add(window * time.Duration(i) / time.Duration(n-1))
	}
	tag := randomHex(4)
	runs := make([]func() (time.Time, error), n)
	started := runPhase(ctx, "start", b.cfg.Concurrency, 0, n, func(ctx context.Context, i int) error {
		run, err := b.base.start(ctx, fmt.Sprintf("bench-timer-%s-%d", tag, i), timerWorkflow, due(i))
		if err != nil {
			return err
		}
		runs[i] = func() (time.Time, error) {
			var at time.Time
			err := run.Get(ctx, &at)
			return at, err
		}
		return nil
	})
	if started.errors > 0 {
		return Stats{}, fmt.Errorf("starting %d bare timers: %d failed, first: %s", n, started.errors, started.firstErr)
	}
	var mu sync.Mutex
	var lateness []time.Duration
	done := runPhase(ctx, "wait", b.cfg.Concurrency, 0, n, func(ctx context.Context, i int) error {
		at, err := runs[i]()
		if err == nil {
			mu.Lock()
			lateness = append(lateness, at.Sub(due(i)))
			mu.Unlock()
		}
		return err
	})
	s := durationStats("baseline: bare workflow timers (task time - due)", lateness)
	s.Errors = done.errors
	s.FirstError = done.firstErr
	return s, nil
}

// waitUntil sleeps until t or until ctx ends.
func waitUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}
