package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// chaosClient calls the API replicas as a careful client does: each request
// with an Idempotency-Key, retried on a transport error, a 5xx or a 429
// against the next replica with backoff, until it gets a definite answer or
// its budget runs out (then its effect is in doubt).
type chaosClient struct {
	apis   []string
	hc     *http.Client
	budget time.Duration

	mu      sync.Mutex
	samples []requestSample
}

// requestSample is one logical request as the client saw it.
type requestSample struct {
	Start    time.Time
	Took     time.Duration
	First    int // status of the first attempt (0: no answer)
	Final    int // status of the last attempt (0: no answer)
	Attempts int
	What     string // method and path
}

// apiResult is a request's outcome.
type apiResult struct {
	status  int
	body    map[string]any
	raw     []byte
	inDoubt bool // no definite answer within the budget
}

func (r apiResult) ok() bool { return r.status >= 200 && r.status < 300 }

func (r apiResult) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func newChaosClient(apis []string) *chaosClient {
	return &chaosClient{apis: apis, budget: 4 * time.Minute,
		hc: &http.Client{Timeout: 45 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// do sends method path to replica (then the others in turn) and returns the
// definite answer.
func (c *chaosClient) do(ctx context.Context, replica int, method, path, token, key string, body any) apiResult {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	start := time.Now()
	s := requestSample{Start: start, What: method + " " + path}
	backoff := 100 * time.Millisecond
	var res apiResult
	for attempt := 0; ; attempt++ {
		s.Attempts++
		base := c.apis[(replica+attempt)%len(c.apis)]
		res = c.once(ctx, method, base+path, token, key, payload)
		if attempt == 0 {
			s.First = res.status
		}
		if definite(res) {
			break
		}
		if time.Since(start) > c.budget || ctx.Err() != nil {
			res.inDoubt = true
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	s.Final, s.Took = res.status, time.Since(start)
	c.mu.Lock()
	c.samples = append(c.samples, s)
	c.mu.Unlock()
	return res
}

// definite reports whether an answer settles the request: a success or a
// refusal, not an outage, a rate limit or a request still in progress.
func definite(r apiResult) bool {
	switch {
	case r.status == 0, r.status >= 500, r.status == http.StatusTooManyRequests:
		return false
	case r.status == http.StatusConflict && strings.Contains(string(r.raw), "still being processed"):
		return false
	}
	return true
}

func (c *chaosClient) once(ctx context.Context, method, url, token, key string, payload []byte) apiResult {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return apiResult{}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return apiResult{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResult{status: resp.StatusCode, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

// latencyFigures summarises the requests made within [from, to): started
// and answered there.
type latencyFigures struct {
	Requests int `json:"requests"`
	// FirstAttemptFailures are requests whose first attempt got no answer, a
	// 5xx or a 429 (the client retried them).
	FirstAttemptFailures int `json:"first_attempt_failures"`
	// FirstAttemptStatuses counts them by status ("0": no answer at all).
	FirstAttemptStatuses map[string]int `json:"first_attempt_statuses,omitempty"`
	Failed               int            `json:"failed"` // no definite answer at all
	P50ms                float64        `json:"p50_ms"`
	P99ms                float64        `json:"p99_ms"`
	MaxMs                float64        `json:"max_ms"`
}

func (c *chaosClient) figures(from, to time.Time) latencyFigures {
	c.mu.Lock()
	defer c.mu.Unlock()
	var f latencyFigures
	var took []time.Duration
	for _, s := range c.samples {
		if s.Start.Before(from) || s.Start.Add(s.Took).After(to) {
			continue
		}
		f.Requests++
		took = append(took, s.Took)
		if s.First == 0 || s.First >= 500 || s.First == http.StatusTooManyRequests {
			f.FirstAttemptFailures++
			if f.FirstAttemptStatuses == nil {
				f.FirstAttemptStatuses = map[string]int{}
			}
			f.FirstAttemptStatuses[strconv.Itoa(s.First)]++
		}
		if !definite(apiResult{status: s.Final}) {
			f.Failed++
		}
	}
	if len(took) == 0 {
		return f
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	f.P50ms = chaosMs(chaosPercentile(took, 0.50))
	f.P99ms = chaosMs(chaosPercentile(took, 0.99))
	f.MaxMs = chaosMs(took[len(took)-1])
	return f
}

// chaosPercentile returns the p-th of sorted durations (nearest rank).
func chaosPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func chaosMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
