package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/metrics"
	"github.com/casedesk/casedesk/tracing"
)

// scrape returns what url/metrics serves.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// histogramCount is the observation count of histogram name with labels.
func histogramCount(t *testing.T, name string, labels map[string]string) uint64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metric
				}
			}
			return m.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func TestMetricsOnTheAPIAndTheWorkerShowWhatHappened(t *testing.T) {
	s := startSystem(t, secondsRules(t))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// The worker's own listener, as `casedesk worker` starts it.
	addr, err := metrics.Serve(ctx, "127.0.0.1:0", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	metrics.WatchOutbox(s.db.OutboxLanes, nil)
	workerURL := "http://" + addr.String()
	// With CASEDESK_PPROF the listener also serves Go's profiles.
	resp, err := http.Get(workerURL + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	profile, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(profile), "goroutine profile:") {
		t.Errorf("GET /debug/pprof/goroutine: %d %.100s", resp.StatusCode, profile)
	}

	breachesBefore := histogramCount(t, "casedesk_sla_breach_lateness_seconds", map[string]string{"clock": "first_response"})
	agent := s.as(casedesk.RoleAgent)
	body := newInquiry(s)
	body["priority"] = "normal" // first response due in 3s
	r := s.call("POST", "/v1/cases", agent, body)
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	// A refused action: a new case cannot be closed.
	expect(t, s.call("POST", "/v1/cases/"+id+"/close", agent, map[string]any{}), http.StatusConflict)

	eventually(t, 15*time.Second, "the first-response breach in the lateness histogram", func() bool {
		return histogramCount(t, "casedesk_sla_breach_lateness_seconds", map[string]string{"clock": "first_response"}) > breachesBefore
	})

	for _, target := range []struct{ name, url string }{{"API", s.url}, {"worker", workerURL}} {
		text := scrape(t, target.url)
		for _, family := range []string{
			"casedesk_http_requests_total", "casedesk_http_request_duration_seconds",
			"casedesk_case_actions_total", "casedesk_case_refusals_total",
			"casedesk_sla_events_total", "casedesk_sla_breach_lateness_seconds",
			"casedesk_approvals_decided_total", "casedesk_approvals_expired_total",
			"casedesk_outbox_messages", "casedesk_outbox_send_attempts_total", "casedesk_outbox_send_results_total",
			"casedesk_projection_lag_seconds", "casedesk_projected_events_total",
			"temporal_request", "temporal_workflow_task_execution_latency_seconds", "go_goroutines",
		} {
			if !strings.Contains(text, "# TYPE "+family+" ") {
				t.Errorf("%s /metrics has no %s", target.name, family)
			}
		}
		for _, sample := range []string{
			`casedesk_case_actions_total{command="open",result="ok"}`,
			`casedesk_case_refusals_total{code="conflict",command="close"}`,
			`casedesk_http_requests_total{method="POST",route="/v1/cases",status="201"}`,
			`casedesk_sla_events_total{clock="first_response",event="sla_breached"}`,
		} {
			if !strings.Contains(text, sample) {
				t.Errorf("%s /metrics has no sample %s", target.name, sample)
			}
		}
		if t.Failed() {
			t.Logf("%s /metrics:\n%s", target.name, text)
			return
		}
	}
}

// otlpReceiver is a small OTLP/HTTP trace receiver keeping every span.
type otlpReceiver struct {
	mu    sync.Mutex
	spans map[string][]string // trace ID (hex) -> span names
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if r.URL.Path != "/v1/traces" || err != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				id := traceHex(sp.GetTraceId())
				o.spans[id] = append(o.spans[id], sp.GetName())
			}
		}
	}
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func traceHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestOneCaseActionIsOneTraceFromTheAPIThroughTheWorkflowToTheDatabase(t *testing.T) {
	rcv := &otlpReceiver{spans: map[string][]string{}}
	collector := httptest.NewServer(rcv)
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	shutdown, err := tracing.Setup(context.Background(), true, "casedesk-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent := s.as(casedesk.RoleAgent)
	r := s.call("POST", "/v1/cases", agent, newInquiry(s))
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)

	// The caller's trace context is continued, so the action's trace ID is known.
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r = s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID},
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	expect(t, r, http.StatusOK)
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	rcv.mu.Lock()
	names := slices.Clone(rcv.spans[traceID])
	rcv.mu.Unlock()
	for _, want := range []string{"POST /v1/cases/:id/assign", "UpdateWorkflow:assign", "HandleUpdate:assign", "RunActivity:ProjectCase"} {
		if !slices.Contains(names, want) {
			t.Errorf("the trace has no span %q", want)
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "query ") || strings.HasPrefix(n, "batch") }) {
		t.Errorf("the trace has no PostgreSQL span")
	}
	if t.Failed() {
		t.Logf("spans of trace %s: %q", traceID, names)
	}
}
