package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casedesk/casedesk"
)

// act measures a mix of case actions (notes, replies, assignments) on
// existing cases against a trivial Update of a trivial workflow.
func (b *bench) act(ctx context.Context) (Report, error) {
	n := b.cfg.Cases
	if n <= 0 {
		n = max(256, 16*b.cfg.Concurrency)
	}
	r := Report{Started: time.Now().UTC(), Params: map[string]any{
		"concurrency": b.cfg.Concurrency, "rate": b.cfg.Rate, "phase_seconds": b.cfg.Duration.Seconds(), "rounds": b.cfg.Rounds, "cases": n,
		"mix":     "2 notes : 1 reply : 1 assign, each on the next case in turn (a note on the next case with room for one)",
		"warm_up": "one unmeasured phase of the mix before the first measured one",
	}}
	ids := make([]string, n)
	// Case j is assigned to agent j first, then to agent j+1, j+2… in turn,
	// never to the agent it is assigned to.
	assigned := make([]atomic.Int32, n)
	assignee := func(j int) string {
		return b.agents[(j+int(assigned[j].Add(1)))%len(b.agents)].id
	}
	setup := runPhase(ctx, "setup", b.cfg.Concurrency, 0, n, func(ctx context.Context, i int) error {
		u := b.agent()
		id, err := b.openCase(ctx, u, i)
		if err != nil {
			return err
		}
		ids[i] = id
		return b.call(ctx, u.token, "POST", "/v1/cases/"+id+"/assign",
			map[string]any{"assignee_id": b.agents[i%len(b.agents)].id}, http.StatusOK, nil)
	})
	if setup.errors > 0 {
		return r, fmt.Errorf("opening %d cases to act on: %d failed, first: %s", n, setup.errors, setup.firstErr)
	}
	// A case takes casedesk.MaxNotesPerMinute notes a minute: a note goes to
	// the next case that has room for one, or becomes a reply.
	var notesMu sync.Mutex
	notes := make([][]time.Time, n)
	noteCase := func(j int) (int, bool) {
		notesMu.Lock()
		defer notesMu.Unlock()
		now := time.Now()
		for k := range n {
			c := (j + k) % n
			recent := notes[c][:0]
			for _, t := range notes[c] {
				if now.Sub(t) < time.Minute+5*time.Second {
					recent = append(recent, t)
				}
			}
			notes[c] = recent
			if len(recent) < casedesk.MaxNotesPerMinute {
				notes[c] = append(notes[c], now)
				return c, true
			}
		}
		return j, false
	}
	actions := func(ctx context.Context) *phase {
		return b.drive(ctx, "act", func(ctx context.Context, i int) error {
			u, id := b.agent(), ids[i%n]
			kind := i % 4
			if kind == 0 || kind == 2 {
				c, ok := noteCase(i % n)
				if ok {
					id = ids[c]
				} else {
					kind = 1
				}
			}
			switch kind {
			case 0, 2:
				return b.call(ctx, u.token, "POST", "/v1/cases/"+id+"/notes",
					map[string]any{"body": fmt.Sprintf("Checked the ledger (%d).", i)}, http.StatusOK, nil)
			case 1:
				return b.call(ctx, u.token, "POST", "/v1/cases/"+id+"/reply",
					map[string]any{"body": fmt.Sprintf("We are looking into the charge (%d).", i)}, http.StatusOK, nil)
			default:
				return b.call(ctx, u.token, "POST", "/v1/cases/"+id+"/assign",
					map[string]any{"assignee_id": assignee(i % n)}, http.StatusOK, nil)
			}
		})
	}
	var update func(ctx context.Context) *phase
	var waiters []string
	if b.base != nil {
		tag := randomHex(4)
		for i := range n {
			id := fmt.Sprintf("bench-waiter-%s-%d", tag, i)
			if _, err := b.base.start(ctx, id, waiterWorkflow); err != nil {
				return r, fmt.Errorf("start a baseline workflow: %w", err)
			}
			waiters = append(waiters, id)
		}
		defer func() {
			for _, id := range waiters {
				_ = b.cfg.Temporal.SignalWorkflow(context.WithoutCancel(ctx), id, "", stopSignal, nil)
			}
		}()
		update = func(ctx context.Context) *phase {
			return b.drive(ctx, "update", func(ctx context.Context, i int) error {
				return b.base.ping(ctx, waiters[i%n], i)
			})
		}
	}
	// One unmeasured phase first: what the setup left running (the new
	// cases' first tasks, their email) is done, and the worker's cache
	// holds the cases, before the first measured phase.
	actions(ctx)
	r.against(interleave(ctx, b.cfg.Rounds, "case actions", actions, "baseline: trivial Update", update))
	if update == nil {
		r.Notes = append(r.Notes, errNoBaseline.Error())
	}
	return r, nil
}
