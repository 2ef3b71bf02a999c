package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// openCase opens an inquiry as agent u and returns its ID.
func (b *bench) openCase(ctx context.Context, u user, i int) (string, error) {
	var c struct {
		ID string `json:"id"`
	}
	err := b.call(ctx, u.token, "POST", "/v1/cases", map[string]any{
		"type": "inquiry", "customer_id": b.customer, "channel": "phone", "priority": "normal",
		"subject": fmt.Sprintf("Charged twice for invoice %d", i), "description": "The customer sees two charges for one invoice.",
	}, http.StatusCreated, &c)
	return c.ID, err
}

// open measures POST /v1/cases against bare StartWorkflow of a no-op.
func (b *bench) open(ctx context.Context) (Report, error) {
	r := Report{Started: time.Now().UTC(), Params: map[string]any{
		"concurrency": b.cfg.Concurrency, "rate": b.cfg.Rate, "phase_seconds": b.cfg.Duration.Seconds(), "rounds": b.cfg.Rounds,
	}}
	caseOpen := func(ctx context.Context) *phase {
		return b.drive(ctx, "open", func(ctx context.Context, i int) error {
			_, err := b.openCase(ctx, b.agent(), i)
			return err
		})
	}
	var bare func(ctx context.Context) *phase
	if b.base != nil {
		tag := randomHex(4)
		bare = func(ctx context.Context) *phase {
			return b.drive(ctx, "bare start", func(ctx context.Context, i int) error {
				_, err := b.base.start(ctx, fmt.Sprintf("bench-noop-%s-%d-%s", tag, i, randomHex(2)), noopWorkflow)
				return err
			})
		}
	}
	r.against(interleave(ctx, b.cfg.Rounds, "POST /v1/cases", caseOpen, "baseline: StartWorkflow of a no-op", bare))
	if bare == nil {
		r.Notes = append(r.Notes, errNoBaseline.Error())
	}
	return r, nil
}
