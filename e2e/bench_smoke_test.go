package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/bench"
)

// TestBenchScenariosRunAndReport runs a short version of every casedesk
// bench scenario against the system and checks that each reports what it
// should; how fast is for the full runs (docs/performance.md).
func TestBenchScenariosRunAndReport(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	base := bench.Config{
		URL: s.url, Token: s.as(casedesk.RoleAdmin), Temporal: s.temporal, DB: s.db.Pool,
		Concurrency: 2, Duration: 400 * time.Millisecond, Rounds: 2, Users: 3, Requests: 3,
		// Seeded cases far in the past stay out of every other test's lists.
		SeedBefore: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	ctx := context.Background()
	sizes := map[string]func(*bench.Config){
		"open": func(*bench.Config) {},
		"act":  func(c *bench.Config) { c.Cases = 8 },
		"timers": func(c *bench.Config) {
			c.Cases, c.Lead, c.Window, c.Settle = 4, 4*time.Second, 2*time.Second, time.Minute
		},
		"list": func(c *bench.Config) { c.Cases = 150 },
		"soak": func(c *bench.Config) { c.Cases, c.Batch = 6, 3 },
	}
	var all []bench.Report
	for _, name := range bench.Scenarios {
		cfg := base
		sizes[name](&cfg)
		if name == "list" {
			var have int
			if err := s.db.Pool.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&have); err != nil {
				t.Fatal(err)
			}
			cfg.Cases += have
		}
		reports, err := bench.Run(ctx, cfg, []string{name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(reports) != 1 || reports[0].Scenario != name {
			t.Fatalf("%s: reports %+v", name, reports)
		}
		r := reports[0]
		if len(r.Series) == 0 {
			t.Fatalf("%s: no series", name)
		}
		for _, st := range r.Series {
			if st.Count == 0 || st.Errors != 0 {
				t.Errorf("%s: series %q counted %d with %d errors (%s)", name, st.Name, st.Count, st.Errors, st.FirstError)
			}
			if !(st.P50 <= st.P90 && st.P90 <= st.P99 && st.P99 <= st.Max) {
				t.Errorf("%s: series %q percentiles out of order: %+v", name, st.Name, st)
			}
		}
		switch name {
		case "open", "act":
			if len(r.Series) != 2 || !strings.HasPrefix(r.Series[1].Name, "baseline") || r.RateRatio <= 0 {
				t.Errorf("%s: want the scenario and its baseline with a rate ratio: %+v", name, r)
			}
			if len(r.Phases) != 4 || r.Phases[0].Name != r.Series[0].Name || r.Phases[1].Name != r.Series[1].Name ||
				r.Phases[2].Name != r.Series[0].Name {
				t.Errorf("%s: phases not interleaved A B A B: %+v", name, r.Phases)
			}
			for _, st := range r.Series {
				if st.Rate <= 0 {
					t.Errorf("%s: series %q has no rate", name, st.Name)
				}
			}
		case "timers":
			if len(r.Series) != 3 || r.Series[1].Count != cfg.Cases || r.Series[2].Count != cfg.Cases {
				t.Errorf("timers: want every chargeback and bare timer measured: %+v", r.Series)
			}
		case "list":
			if len(r.Series) < 10 {
				t.Errorf("list: %d queries measured", len(r.Series))
			}
			var have int
			if err := s.db.Pool.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&have); err != nil {
				t.Fatal(err)
			}
			if have < cfg.Cases {
				t.Errorf("list: %d cases in the read model after seeding, want at least %d", have, cfg.Cases)
			}
		case "soak":
			if len(r.Samples) != 3 || r.Samples[2].OpenCases != 6 {
				t.Fatalf("soak: samples %+v", r.Samples)
			}
			for _, sm := range r.Samples {
				if sm.RSSMiB <= 0 || sm.HeapMiB <= 0 || sm.Goroutines <= 0 {
					t.Errorf("soak: a sample without the worker's figures: %+v", sm)
				}
			}
			if r.Samples[2].StickyCache <= 0 {
				t.Errorf("soak: the sticky cache holds no case after 6 opened: %+v", r.Samples[2])
			}
		}
		all = append(all, r)
	}

	// Paced: open at a fixed rate, both the cases and the bare starts.
	paced := base
	paced.Rate, paced.Duration = 10, time.Second
	reports, err := bench.Run(ctx, paced, []string{"open"})
	if err != nil {
		t.Fatalf("open at a rate: %v", err)
	}
	for _, st := range reports[0].Series {
		// 10 due per phase of a second, two phases: no more, and all answered.
		if st.Count+st.Errors != 20 || st.Errors != 0 {
			t.Errorf("open at 10/s for 2 × 1 s: series %q counted %d with %d errors (%s)", st.Name, st.Count, st.Errors, st.FirstError)
		}
	}
	if reports[0].Params["rate"] != 10.0 {
		t.Errorf("open at a rate: params %v", reports[0].Params)
	}

	var table bytes.Buffer
	if err := bench.WriteTable(&table, all); err != nil {
		t.Fatal(err)
	}
	for _, name := range bench.Scenarios {
		if !strings.Contains(table.String(), "== "+name+" (") {
			t.Errorf("the table has no %s section:\n%s", name, table.String())
		}
	}
	raw, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(raw, &back); err != nil || len(back) != len(all) {
		t.Fatalf("JSON: %v %s", err, raw)
	}
	for _, key := range []string{"rate_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors"} {
		if _, ok := back[0]["series"].([]any)[0].(map[string]any)[key]; !ok {
			t.Errorf("the JSON series has no %s: %s", key, raw)
		}
	}
	t.Logf("\n%s", table.String())
}
