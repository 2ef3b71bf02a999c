package e2e_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// queueBenchCases is how many cases TestQueueOf10000Cases seeds.
const queueBenchCases = 10_000

// TestQueueOf10000Cases measures the console's queue over 10,000 cases
// (docs/console.md has the figures): it seeds them with SQL, copies of one
// real projected case with their own IDs, priorities, opening times and
// deadlines (the next breach is the sooner of the two, as for a new case),
// and runs web/tests/queue-bench.mjs, which times the first
// render of the queue (newest first and by next breach), j/k moves and
// loading more pages with performance.now() in Chromium and prints them.
// It asserts only that the queue shows the cases; the figures are for
// reading, so it runs when CASEDESK_QUEUE_BENCH=1:
//
//	CASEDESK_QUEUE_BENCH=1 make test ARGS='-run TestQueueOf10000Cases -v ./e2e/'
func TestQueueOf10000Cases(t *testing.T) {
	if os.Getenv("CASEDESK_QUEUE_BENCH") == "" {
		t.Skip("set CASEDESK_QUEUE_BENCH=1 to measure the queue over 10,000 cases")
	}
	root := needBrowser(t)
	s := startSystem(t, casedesk.DefaultRules())
	const password = "browser test password"
	agent := s.namedStaff(casedesk.RoleAgent, "Queue Agent", password)
	r := s.call("POST", "/v1/cases", s.as(casedesk.RoleAgent), map[string]any{"type": "inquiry", "customer_id": s.customer.ID,
		"subject": "Template case", "channel": "email"})
	expect(t, r, http.StatusCreated)
	template := r.body["id"].(string)
	eventually(t, 30*time.Second, "the template case's projection", func() bool {
		_, err := s.db.Case(context.Background(), template)
		return err == nil
	})

	start := time.Now()
	tag, err := s.db.Pool.Exec(context.Background(), `
		INSERT INTO cases (id, type, status, priority, channel, customer_id, assignee_id, subject, description,
			category, identity_verified, outcome, first_contact_resolution, opened_by, opened_at, updated_at,
			resolved_at, closed_at, version, needs_supervisor, state, first_response_due, resolution_due, next_breach)
		SELECT n.id, t.type, t.status, n.priority, t.channel, t.customer_id, NULL, n.subject, t.description,
			t.category, t.identity_verified, t.outcome, t.first_contact_resolution, t.opened_by, n.opened_at, n.opened_at,
			NULL, NULL, t.version, false,
			t.state || jsonb_build_object('id', n.id, 'priority', n.priority, 'subject', n.subject,
				'opened_at', n.opened_at, 'updated_at', n.opened_at,
				'sla', (t.state->'sla') || jsonb_build_object('first_response_due', n.first_due, 'resolution_due', n.resolution_due)),
			n.first_due, n.resolution_due, least(n.first_due, n.resolution_due)
		FROM cases t, LATERAL (
			SELECT g, 'C-QB' || lpad(g::text, 6, '0') AS id,
				(ARRAY['low', 'normal', 'high', 'urgent'])[1 + g % 4] AS priority,
				'Seeded case number ' || g AS subject,
				t.opened_at - g * interval '1 minute' AS opened_at,
				t.opened_at + ((g * 7919) % 20000 - 5000) * interval '1 minute' AS first_due,
				t.opened_at + ((g * 104729) % 40000) * interval '1 minute' AS resolution_due
			FROM generate_series(1, $2::int) g) n
		WHERE t.id = $1`, template, queueBenchCases)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != queueBenchCases {
		t.Fatalf("seeded %d cases, want %d", tag.RowsAffected(), queueBenchCases)
	}
	if _, err := s.db.Pool.Exec(context.Background(), `ANALYZE cases`); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d cases in %s", queueBenchCases, time.Since(start).Round(time.Millisecond))
	// The API's own part of a first render: a page of 50 in each order, and
	// the queue counts.
	token := s.as(casedesk.RoleAgent)
	for _, path := range []string{"/v1/cases?limit=50", "/v1/cases?limit=50&sort=next_breach",
		"/v1/cases?limit=50&priority=urgent&sort=next_breach", "/v1/queues"} {
		var took []time.Duration
		for range 21 {
			t0 := time.Now()
			expect(t, s.call("GET", path, token, nil), http.StatusOK)
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		t.Logf("GET %s: median %s of 21", path, took[len(took)/2].Round(100*time.Microsecond))
	}
	runBrowserTests(t, root, "queue-bench.mjs", 4*time.Minute, "CASEDESK_URL="+s.url, "PASSWORD="+password,
		"AGENT_EMAIL="+agent)
}
