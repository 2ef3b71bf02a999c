package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"time"
)

// faultRecord is one injected fault as the report shows it.
type faultRecord struct {
	Kind   faultKind `json:"kind"`
	Target string    `json:"target"`
	At     time.Time `json:"at"`
	// Down is how long the target was down (killed until started again, or
	// stopped until started).
	DownMs float64 `json:"down_ms"`
	// RecoveredMs is how long the restart took until the target answered.
	RecoveredMs float64 `json:"recovered_ms"`
	Error       string  `json:"error,omitempty"`
}

// control runs scripts/cluster.sh --dir DIR ARGS...
func (r *chaosRun) control(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, r.o.control[0], append(append([]string{}, r.o.control[1:]...), args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// inject runs the n-th fault of kind k and returns what happened.
func (r *chaosRun) inject(ctx context.Context, k faultKind, n int) faultRecord {
	f := faultRecord{Kind: k, At: time.Now()}
	var stop, start []string
	pause := r.o.down
	switch k {
	case faultWorker:
		f.Target = fmt.Sprintf("worker-%d", n%2+1)
		stop, start = []string{"kill", f.Target}, []string{"start", f.Target}
	case faultAPI:
		f.Target = fmt.Sprintf("api-%d", n%2+1)
		stop, start = []string{"kill", f.Target}, []string{"start", f.Target}
	case faultTemporal:
		f.Target = "temporal"
		stop, start = []string{"kill", "temporal"}, []string{"start", "temporal"}
	case faultPGRestart:
		f.Target = "postgres"
		stop, pause = []string{"pg-restart"}, 0
	case faultPGOutage:
		f.Target = "postgres"
		stop, start, pause = []string{"pg-stop"}, []string{"pg-start"}, r.o.outage
	}
	r.log.Info("fault", "kind", k, "target", f.Target)
	if err := r.control(ctx, stop...); err != nil {
		f.Error = err.Error()
		return f
	}
	select {
	case <-ctx.Done():
	case <-time.After(pause):
	}
	restarted := time.Now()
	if start != nil {
		if err := r.control(ctx, start...); err != nil {
			f.Error = err.Error()
		}
	}
	f.DownMs = chaosMs(time.Since(f.At))
	f.RecoveredMs = chaosMs(time.Since(restarted))
	return f
}

// armSendGridFailures makes the stand-in fail one send in every, with
// status (every 0 stops it).
func (r *chaosRun) armSendGridFailures(ctx context.Context, status, every int) error {
	url := fmt.Sprintf("%s/_fake/fail?status=%d&every=%d", r.o.sendgrid, status, every)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the SendGrid stand-in answered %d to %s", resp.StatusCode, url)
	}
	return nil
}
