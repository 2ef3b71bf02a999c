// Package bench drives a running casedesk through its HTTP API and measures
// it against bare Temporal on the same server: each scenario's figures come
// with a baseline measured in the same run, interleaved (A B A B), so that
// the ratio holds on a noisy machine. `casedesk bench` runs it;
// docs/performance.md has the figures and the commands that produced them.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
)

// Scenarios lists the scenarios in the order Run runs them.
var Scenarios = []string{"open", "act", "timers", "list", "soak"}

// Config says what to drive and how hard.
type Config struct {
	// URL is the casedesk API's base URL; Token an admin's API token (the
	// bench creates its own agents, integration user and customers with it).
	URL   string
	Token string
	// Temporal is a client of the Temporal server casedesk uses; baselines
	// run on it, on a task queue of their own. Nil: no baselines.
	Temporal client.Client
	// DB is casedesk's database, for seeding the read model (list).
	DB *pgxpool.Pool
	// MetricsURL is the worker's Prometheus endpoint (soak, timers); empty:
	// URL + "/metrics", which is the worker's too under `casedesk dev`.
	MetricsURL string
	// Concurrency is how many requests are in flight at once.
	Concurrency int
	// Rate, when above zero, paces open and act at that many requests a
	// second, however fast they are answered (at most 8 × Concurrency in
	// flight), and measures each latency from when its request was due:
	// the latency at a given load, where Concurrency alone measures the
	// peak rate.
	Rate float64
	// Duration is how long each phase (one A or one B) lasts; Rounds how
	// many A B pairs run.
	Duration time.Duration
	Rounds   int
	// Cases is the scenario's size: cases acted on (act), deadlines (timers),
	// rows in the read model (list), cases kept open (soak).
	Cases int
	// Batch is how many cases soak opens between two samples.
	Batch int
	// Lead is how long after the start the first timers deadline falls (0:
	// enough to open every case at 20 a second); Window spreads the deadlines
	// over that span; Settle is how long to wait past the last for them.
	Lead, Window, Settle time.Duration
	// SeedBefore is when the newest case list seeds was opened (the others
	// every 20 seconds before it); zero: a minute ago.
	SeedBefore time.Time
	// Requests is how many requests each list query makes, within Duration
	// (a slow query stops early).
	Requests int
	// Users is how many agents, and how many integration users, the bench
	// signs in as (requests rotate over their tokens, so one token's rate
	// limit does not bound the bench).
	Users int
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// HTTP is the client for the API; nil: one with enough idle connections.
	HTTP *http.Client
}

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Rounds <= 0 {
		c.Rounds = 2
	}
	if c.Batch <= 0 {
		c.Batch = 10_000
	}
	if c.Window < 0 {
		c.Window = 0
	}
	if c.Settle <= 0 {
		c.Settle = 5 * time.Minute
	}
	if c.Requests <= 0 {
		c.Requests = 200
	}
	if c.Users <= 0 {
		c.Users = max(32, c.Concurrency)
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.MetricsURL == "" {
		c.MetricsURL = strings.TrimRight(c.URL, "/") + "/metrics"
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 4 * c.Concurrency, MaxIdleConnsPerHost: 4 * c.Concurrency, IdleConnTimeout: time.Minute,
		}}
	}
}

// Stats are one series of measurements: how many, how fast, how spread.
// Latencies are in milliseconds.
type Stats struct {
	Name    string  `json:"name"`
	Count   int     `json:"count"`
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate_per_s"`
	P50     float64 `json:"p50_ms"`
	P90     float64 `json:"p90_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	// FirstError is the first error met, to say what went wrong.
	FirstError string `json:"first_error,omitempty"`
}

// Sample is one soak measurement of the worker.
type Sample struct {
	OpenCases   int     `json:"open_cases"`
	OpenRate    float64 `json:"open_rate_per_s"`
	RSSMiB      float64 `json:"rss_mib"`
	HeapMiB     float64 `json:"heap_inuse_mib"`
	Goroutines  float64 `json:"goroutines"`
	StickyCache float64 `json:"sticky_cache_size"`
}

// Report is what one scenario measured.
type Report struct {
	Scenario string         `json:"scenario"`
	Started  time.Time      `json:"started"`
	Params   map[string]any `json:"params"`
	// Series are the scenario's measurements, the baseline's last. Phases
	// are the same, one per A or B phase in the order they ran.
	Series []Stats `json:"series"`
	Phases []Stats `json:"phases,omitempty"`
	// RateRatio is the first series' rate over the baseline's (open, act).
	RateRatio float64  `json:"rate_ratio,omitempty"`
	Samples   []Sample `json:"samples,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// Run runs the named scenarios one after the other.
func Run(ctx context.Context, cfg Config, scenarios []string) ([]Report, error) {
	cfg.defaults()
	for _, s := range scenarios {
		if !slices.Contains(Scenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (the scenarios are %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	b := &bench{cfg: cfg}
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	defer b.close()
	var out []Report
	for _, s := range scenarios {
		fmt.Fprintf(cfg.Log, "bench %s: starting\n", s)
		var r Report
		var err error
		switch s {
		case "open":
			r, err = b.open(ctx)
		case "act":
			r, err = b.act(ctx)
		case "timers":
			r, err = b.timers(ctx)
		case "list":
			r, err = b.list(ctx)
		case "soak":
			r, err = b.soak(ctx)
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", s, err)
		}
		r.Scenario = s
		out = append(out, r)
	}
	return out, nil
}

// bench holds what the scenarios share: the agents it acts as, a customer,
// the baseline worker.
type bench struct {
	cfg      Config
	agents   []user
	feeds    []user
	customer string
	next     atomic.Uint64
	base     *baseline
}

type user struct{ id, token string }

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.cfg.Log, format+"\n", args...)
}

func (b *bench) setup(ctx context.Context) error {
	var me struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	}
	if err := b.call(ctx, b.cfg.Token, "GET", "/v1/me", nil, http.StatusOK, &me); err != nil {
		return fmt.Errorf("the token does not sign in at %s: %w", b.cfg.URL, err)
	}
	if me.Role != "admin" {
		return fmt.Errorf("the token is a %s's; the bench needs an admin's (it creates its own users)", me.Role)
	}
	tag := randomHex(4)
	mk := func(role string, i int) (user, error) {
		var u struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		err := b.callRetry(ctx, b.cfg.Token, "POST", "/v1/users", map[string]any{
			"name": fmt.Sprintf("Bench %s %d", role, i), "email": fmt.Sprintf("bench-%s-%s-%d@casedesk.test", role, tag, i), "role": role,
		}, http.StatusCreated, &u)
		return user{u.ID, u.Token}, err
	}
	for i := range b.cfg.Users {
		u, err := mk("agent", i)
		if err != nil {
			return fmt.Errorf("create an agent: %w", err)
		}
		b.agents = append(b.agents, u)
	}
	for i := range b.cfg.Users {
		u, err := mk("integration", i)
		if err != nil {
			return fmt.Errorf("create an integration user: %w", err)
		}
		b.feeds = append(b.feeds, u)
	}
	var err error
	if b.customer, err = b.newCustomer(ctx, tag); err != nil {
		return err
	}
	if b.cfg.Temporal != nil {
		if b.base, err = startBaseline(b.cfg.Temporal); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) close() {
	if b.base != nil {
		b.base.stop()
	}
}

func (b *bench) newCustomer(ctx context.Context, tag string) (string, error) {
	var c struct {
		ID string `json:"id"`
	}
	err := b.call(ctx, b.cfg.Token, "POST", "/v1/customers", map[string]any{
		"name": "Bench Customer " + tag, "email": "bench-customer-" + tag + "@example.com",
	}, http.StatusCreated, &c)
	if err != nil {
		return "", fmt.Errorf("create a customer: %w", err)
	}
	return c.ID, nil
}

// agent returns the next agent, round robin.
func (b *bench) agent() user { return b.agents[b.next.Add(1)%uint64(len(b.agents))] }

// feed returns the next integration user, round robin.
func (b *bench) feed() user { return b.feeds[b.next.Add(1)%uint64(len(b.feeds))] }

// statusError is an HTTP answer other than the one expected.
type statusError struct {
	status     int
	body       string
	retryAfter time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// callRetry is call for the bench's own setup (users, payments): a 429
// waits for its Retry-After (at least 200 ms) and tries again, up to a
// minute.
func (b *bench) callRetry(ctx context.Context, token, method, path string, body any, want int, out any) error {
	giveUp := time.Now().Add(time.Minute)
	for {
		err := b.call(ctx, token, method, path, body, want, out)
		var se *statusError
		if !errors.As(err, &se) || se.status != http.StatusTooManyRequests || time.Now().After(giveUp) {
			return err
		}
		wait := 200 * time.Millisecond
		if se.retryAfter > wait {
			wait = se.retryAfter
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// call sends a JSON request and decodes the answer into out (if not nil),
// failing unless the status is want.
func (b *bench) call(ctx context.Context, token, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(b.cfg.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		if len(raw) > 300 {
			raw = raw[:300]
		}
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &statusError{resp.StatusCode, strings.TrimSpace(string(raw)), time.Duration(retry) * time.Second}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// phase is one run of an operation at a concurrency for a while.
type phase struct {
	mu        sync.Mutex
	name      string
	latencies []time.Duration
	errors    int
	firstErr  string
	elapsed   time.Duration
}

// record counts one call: its latency, or its error. Safe for concurrent use.
func (p *phase) record(took time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.errors++
		if p.firstErr == "" {
			p.firstErr = err.Error()
		}
		return
	}
	p.latencies = append(p.latencies, took)
}

// runPhase calls op from n goroutines until d has passed or, with count
// above zero, until count calls were made (or d passed, if d is set), timing
// each call.
func runPhase(ctx context.Context, name string, n int, d time.Duration, count int, op func(ctx context.Context, i int) error) *phase {
	p := &phase{name: name}
	var calls atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(calls.Add(1)) - 1
				if count > 0 && i >= count {
					return
				}
				if (count <= 0 || d > 0) && time.Now().After(deadline) {
					return
				}
				t := time.Now()
				err := op(ctx, i)
				p.record(time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	return p
}

// drive runs one phase of op for the configured duration: closed loop at
// the configured concurrency, or paced at the configured rate.
func (b *bench) drive(ctx context.Context, name string, op func(ctx context.Context, i int) error) *phase {
	if b.cfg.Rate > 0 {
		return runPaced(ctx, name, b.cfg.Rate, 8*b.cfg.Concurrency, b.cfg.Duration, op)
	}
	return runPhase(ctx, name, b.cfg.Concurrency, b.cfg.Duration, 0, op)
}

// runPaced starts a call of op every 1/rate seconds for d (an open loop),
// with at most inflight calls running; a call due while inflight are
// running starts when one ends. Each latency runs from when the call was
// due, so a backlog counts against the system, not against the schedule.
func runPaced(ctx context.Context, name string, rate float64, inflight int, d time.Duration, op func(ctx context.Context, i int) error) *phase {
	p := &phase{name: name}
	var wg sync.WaitGroup
	slots := make(chan struct{}, inflight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
pace:
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d {
			break
		}
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			break pace
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
			break pace
		case slots <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := op(ctx, i)
			p.record(time.Since(due), err)
			<-slots
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	return p
}

// stats summarises phases of one series as one.
func stats(name string, phases ...*phase) Stats {
	var all []time.Duration
	var elapsed time.Duration
	for _, p := range phases {
		all = append(all, p.latencies...)
		elapsed += p.elapsed
	}
	s := durationStats(name, all)
	for _, p := range phases {
		s.Errors += p.errors
		if s.FirstError == "" {
			s.FirstError = p.firstErr
		}
	}
	s.Seconds = round(elapsed.Seconds(), 2)
	if elapsed > 0 {
		s.Rate = round(float64(s.Count)/elapsed.Seconds(), 1)
	}
	return s
}

// durationStats is the distribution of ds (which it sorts).
func durationStats(name string, ds []time.Duration) Stats {
	slices.Sort(ds)
	s := Stats{Name: name, Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	q := func(f float64) float64 {
		i := int(f*float64(len(ds))+0.999999) - 1
		return ms(ds[max(0, min(i, len(ds)-1))])
	}
	s.P50, s.P90, s.P99, s.Max = q(0.50), q(0.90), q(0.99), ms(ds[len(ds)-1])
	return s
}

func ms(d time.Duration) float64 { return round(float64(d.Microseconds())/1000, 1) }

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

// interleave runs a and b one after the other, rounds times (A B A B), and
// returns the series of each and the phases in the order they ran.
// against records what interleave measured: the scenario's series a, its
// baseline's base (the zero Stats when it had none) and the phases in the
// order they ran, and the rate of a as a share of the baseline's.
func (r *Report) against(a, base Stats, phases []Stats) {
	r.Series, r.Phases = []Stats{a}, phases
	if base.Name == "" {
		return
	}
	r.Series = append(r.Series, base)
	if base.Rate > 0 {
		r.RateRatio = round(a.Rate/base.Rate, 3)
	}
}

func interleave(ctx context.Context, rounds int, aName string, a func(ctx context.Context) *phase, bName string, bf func(ctx context.Context) *phase) (Stats, Stats, []Stats) {
	var as, bs []*phase
	var order []Stats
	for range rounds {
		pa := a(ctx)
		as = append(as, pa)
		order = append(order, stats(aName, pa))
		if bf != nil {
			pb := bf(ctx)
			bs = append(bs, pb)
			order = append(order, stats(bName, pb))
		}
	}
	sa := stats(aName, as...)
	if bf == nil {
		return sa, Stats{}, order
	}
	return sa, stats(bName, bs...), order
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errNoBaseline marks a report measured without its baseline.
var errNoBaseline = errors.New("no Temporal client: the baseline was not measured")
