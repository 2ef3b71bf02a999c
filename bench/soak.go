package bench

import (
	"context"
	"fmt"
	"time"
)

// soak opens Cases cases in batches, leaving every one open, and samples the
// worker's memory, goroutines and sticky cache after each batch.
func (b *bench) soak(ctx context.Context) (Report, error) {
	n := b.cfg.Cases
	if n <= 0 {
		n = 100_000
	}
	batch := min(b.cfg.Batch, n)
	r := Report{Started: time.Now().UTC(), Params: map[string]any{
		"cases": n, "batch": batch, "concurrency": b.cfg.Concurrency, "metrics_url": b.cfg.MetricsURL,
	}}
	sample := func(open int, rate float64) error {
		fams, err := b.scrape(ctx)
		if err != nil {
			return fmt.Errorf("read the worker's metrics: %w", err)
		}
		s := Sample{OpenCases: open, OpenRate: round(rate, 1)}
		if v, ok := gauge(fams, "process_resident_memory_bytes"); ok {
			s.RSSMiB = round(v/(1<<20), 1)
		}
		if v, ok := gauge(fams, "go_memstats_heap_inuse_bytes"); ok {
			s.HeapMiB = round(v/(1<<20), 1)
		}
		if v, ok := gauge(fams, "go_goroutines"); ok {
			s.Goroutines = v
		}
		if v, ok := gauge(fams, "sticky_cache_size"); ok {
			s.StickyCache = v
		}
		r.Samples = append(r.Samples, s)
		b.logf("bench soak: %d open, RSS %.0f MiB, heap %.0f MiB, %g goroutines, sticky cache %g",
			s.OpenCases, s.RSSMiB, s.HeapMiB, s.Goroutines, s.StickyCache)
		return nil
	}
	if err := sample(0, 0); err != nil {
		return r, err
	}
	var phases []*phase
	for done := 0; done < n; {
		size := min(batch, n-done)
		p := runPhase(ctx, "open", b.cfg.Concurrency, 0, size, func(ctx context.Context, i int) error {
			_, err := b.openCase(ctx, b.agent(), done+i)
			return err
		})
		phases = append(phases, p)
		done += size
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		if err := sample(done, float64(len(p.latencies))/p.elapsed.Seconds()); err != nil {
			return r, err
		}
	}
	r.Series = append(r.Series, stats("POST /v1/cases (soak)", phases...))
	return r, nil
}
