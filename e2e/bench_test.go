package e2e_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// BenchmarkApproveToPosted measures, on the dev server and PostgreSQL, the
// time from a supervisor's approval of a 500.00 refund to the refund being
// posted to the ledger (the approval's response returns once it is), and
// reports the p50 and p99.
//
//	make test ARGS='-run ^$ -bench ApproveToPosted -benchtime 200x ./e2e/'
func BenchmarkApproveToPosted(b *testing.B) {
	// Each refund alone, not the agent's growing total, decides its level.
	rules := casedesk.DefaultRules()
	approvals := casedesk.DefaultApprovalRules()
	approvals.Cumulative = casedesk.Cumulative{}
	rules.Approvals = &approvals
	s := startSystem(b, rules)
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	p := s.payment("1000000.00", "USD")
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		id := s.openVerified()
		r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"))
		if r.status != http.StatusOK {
			b.Fatalf("refund: %s", r.raw)
		}
		aid := r.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
		b.StartTimer()
		began := time.Now()
		a := s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{})
		took := time.Since(began)
		b.StopTimer()
		if a.status != http.StatusOK {
			b.Fatalf("approve: %s", a.raw)
		}
		c := s.call("GET", "/v1/cases/"+id, agent, nil)
		if c.body["movements"].([]any)[0].(map[string]any)["status"] != "posted" {
			b.Fatalf("not posted when the approval returned: %s", c.raw)
		}
		latencies = append(latencies, took)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
