package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"
)

// chaosReport is what casedesk chaos prints.
type chaosReport struct {
	OK       bool      `json:"ok"`
	RunID    string    `json:"run_id"`
	Started  time.Time `json:"started"`
	Workload struct {
		CasesRequested int            `json:"cases_requested"`
		CasesOpened    int            `json:"cases_opened"`
		OpensInDoubt   int            `json:"opens_in_doubt"`
		ByType         map[string]int `json:"by_type"`
		Requests       int            `json:"requests"`
		Retried        int            `json:"requests_retried"`
		InDoubt        int            `json:"requests_in_doubt"`
		Refusals       map[string]int `json:"refusals"`
		Seconds        float64        `json:"seconds"`
		Latency        latencyFigures `json:"latency"`
		Slowest        []slowRequest  `json:"slowest"`
	} `json:"workload"`
	Faults []faultRecord `json:"faults"`
	// WorkerKills is the latency clients saw in the 20 s before and the 30 s
	// after each kill -9 of a worker.
	WorkerKills       []workerKill  `json:"worker_kills"`
	ConvergedSeconds  float64       `json:"converged_seconds"`
	Converged         bool          `json:"converged"`
	Invariants        []invariant   `json:"invariants"`
	SLA               slaFigures    `json:"sla"`
	Largest           largestFigure `json:"largest"`
	Email             emailFigures  `json:"email"`
	Ledger            ledgerFigures `json:"ledger"`
	ExportedHistories []string      `json:"exported_histories,omitempty"`
}

// slowRequest is one of the slowest requests of the run.
type slowRequest struct {
	What     string    `json:"what"`
	At       time.Time `json:"at"`
	Ms       float64   `json:"ms"`
	Attempts int       `json:"attempts"`
	First    int       `json:"first_status"`
}

type workerKill struct {
	Target string         `json:"target"`
	At     time.Time      `json:"at"`
	Before latencyFigures `json:"before"`
	After  latencyFigures `json:"after"`
}

// invariant is one checked property and its violations.
type invariant struct {
	Name       string   `json:"name"`
	Checked    int      `json:"checked"`
	Violations int      `json:"violations"`
	Examples   []string `json:"examples,omitempty"`
}

func (i *invariant) fail(format string, args ...any) {
	i.Violations++
	if len(i.Examples) < 10 {
		i.Examples = append(i.Examples, fmt.Sprintf(format, args...))
	}
}

func (r *chaosReport) violated() int {
	n := 0
	for _, i := range r.Invariants {
		if i.Violations > 0 {
			n++
		}
	}
	return n
}

// execute runs the workload and the faults, waits for convergence and
// checks.
func (r *chaosRun) execute(ctx context.Context) (*chaosReport, error) {
	rep := &chaosReport{Started: time.Now().UTC()}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	rep.RunID = hex.EncodeToString(b)
	w := &workload{run: r, runID: rep.RunID, tracks: map[string]*caseTrack{}, refusals: map[string]int{},
		decidedKeys: map[string]bool{}, decideRetries: map[string]int{}}
	r.log.Info("chaos: setting up", "run", rep.RunID, "cases", r.o.cases, "faults", len(r.o.faults))
	if err := w.setup(ctx); err != nil {
		return nil, err
	}
	// One send in nine fails with a 500: the outbox retries it.
	if err := r.armSendGridFailures(ctx, 500, 9); err != nil {
		return nil, err
	}
	decideCtx, stopDeciding := context.WithCancel(ctx)
	defer stopDeciding()
	go w.decide(decideCtx)

	start := time.Now()
	next := make(chan int)
	var wg sync.WaitGroup
	for n := range r.o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.worker(ctx, n, next)
		}()
	}
	workDone := make(chan struct{})
	faultsDone := make(chan []faultRecord, 1)
	go func() {
		var out []faultRecord
		nth := map[faultKind]int{} // alternates the two workers and the two APIs
		for i, k := range r.o.faults {
			// Fault i waits for its share of the cases to be opened, and for
			// the system to settle from the one before.
			if i > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(r.o.gap):
				}
			}
			due := int64(r.o.cases * (i + 1) / (len(r.o.faults) + 1))
			for w.opened.Load() < due {
				select {
				case <-workDone:
					due = 0
				case <-ctx.Done():
					faultsDone <- out
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
			out = append(out, r.inject(ctx, k, nth[k]))
			nth[k]++
		}
		faultsDone <- out
	}()
	progress := time.NewTicker(15 * time.Second)
	defer progress.Stop()
feed:
	for i := range r.o.cases {
		for {
			select {
			case next <- i:
				continue feed
			case <-progress.C:
				r.log.Info("chaos: progress", "opened", w.opened.Load(), "of", r.o.cases)
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(next)
	wg.Wait()
	close(workDone)
	rep.Faults = <-faultsDone
	end := time.Now()
	rep.Workload.Seconds = end.Sub(start).Seconds()
	r.log.Info("chaos: workload done; converging", "seconds", int(rep.Workload.Seconds))
	if err := r.armSendGridFailures(ctx, 500, 0); err != nil {
		r.log.Warn("chaos: could not stop the SendGrid failures", "err", err)
	}
	rep.Converged, rep.ConvergedSeconds = r.converge(ctx, end.Add(r.o.converge))
	// Deadlines due by the end of the workload get 20 s to fire before the
	// check: a timer fires late under load, and later after downtime.
	time.Sleep(time.Until(end.Add(20 * time.Second)))
	stopDeciding()

	rep.Workload.CasesRequested = r.o.cases
	rep.Workload.OpensInDoubt = w.openDoubt
	rep.Workload.Refusals = w.refusals
	rep.Workload.ByType = map[string]int{}
	for _, t := range w.tracks {
		rep.Workload.CasesOpened++
		rep.Workload.ByType[t.typ]++
	}
	r.http.mu.Lock()
	for _, s := range r.http.samples {
		rep.Workload.Requests++
		if s.Attempts > 1 {
			rep.Workload.Retried++
		}
		if !definite(apiResult{status: s.Final}) {
			rep.Workload.InDoubt++
		}
	}
	slow := append([]requestSample(nil), r.http.samples...)
	r.http.mu.Unlock()
	sort.Slice(slow, func(i, j int) bool { return slow[i].Took > slow[j].Took })
	for _, s := range slow[:min(5, len(slow))] {
		rep.Workload.Slowest = append(rep.Workload.Slowest, slowRequest{What: s.What, At: s.Start, Ms: chaosMs(s.Took), Attempts: s.Attempts, First: s.First})
	}
	rep.Workload.Latency = r.http.figures(start, end)
	for i, f := range rep.Faults {
		if f.Kind != faultWorker {
			continue
		}
		// The windows stop at the neighbouring faults, so that each shows
		// the worker's kill alone.
		from, to := f.At.Add(-20*time.Second), f.At.Add(30*time.Second)
		if i > 0 {
			prev := rep.Faults[i-1]
			from = laterTime(from, prev.At.Add(time.Duration(prev.DownMs*float64(time.Millisecond))))
		}
		if i+1 < len(rep.Faults) {
			to = earlierTime(to, rep.Faults[i+1].At)
		}
		rep.WorkerKills = append(rep.WorkerKills, workerKill{Target: f.Target, At: f.At,
			Before: r.http.figures(from, f.At), After: r.http.figures(f.At, to)})
	}
	if err := r.check(ctx, w, end, rep); err != nil {
		return nil, err
	}
	rep.OK = rep.violated() == 0
	return rep, nil
}

func laterTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// converge waits until the outbox has nothing left to send and no approval
// waits for a supervisor, or until deadline.
func (r *chaosRun) converge(ctx context.Context, deadline time.Time) (bool, float64) {
	start := time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var pending, approvals int
		err := r.db.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM messages WHERE status IN ('pending', 'sending')),
			(SELECT count(*) FROM approvals WHERE status = 'pending')`).Scan(&pending, &approvals)
		if err == nil && pending == 0 && approvals == 0 {
			// Let the timers due by now fire and the last projections land.
			time.Sleep(5 * time.Second)
			return true, time.Since(start).Seconds()
		}
		time.Sleep(time.Second)
	}
	return false, time.Since(start).Seconds()
}
