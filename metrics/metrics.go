// Package metrics owns casedesk's Prometheus registry and every metric in
// it: HTTP requests, case actions and refusals, SLA warnings and breaches,
// approvals, money, the outbox, projection lag, and the Temporal SDK's own
// metrics (through its OpenTelemetry handler, exported into the same
// registry). The API serves it at /metrics on its router; the worker on its
// own listener (Serve). docs/operations.md lists each metric.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shopspring/decimal"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"

	"github.com/casedesk/casedesk"
)

// Registry holds every casedesk metric, and the Go runtime's and the
// process's.
var Registry = prometheus.NewRegistry()

// Lateness and latency buckets, in seconds.
var (
	httpBuckets     = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	latenessBuckets = []float64{.1, .5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}
	lagBuckets      = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
)

var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_http_requests_total",
		Help: "HTTP requests answered, by route template, method and status code.",
	}, []string{"route", "method", "status"})
	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "casedesk_http_request_duration_seconds",
		Help:    "Time from an HTTP request's arrival to its response, by route template and method.",
		Buckets: httpBuckets,
	}, []string{"route", "method"})

	caseActions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_case_actions_total",
		Help: "Case actions (opening included) sent to case workflows, by command and result: ok, refused (by the case rules) or error (Temporal unavailable or timed out).",
	}, []string{"command", "result"})
	caseRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_case_refusals_total",
		Help: "Case actions the case rules refused, by command and error code.",
	}, []string{"command", "code"})

	slaFired = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_sla_events_total",
		Help: "SLA warnings and breaches fired, by event (sla_warning, sla_breached) and clock (first_response, resolution).",
	}, []string{"event", "clock"})
	slaLateness = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "casedesk_sla_breach_lateness_seconds",
		Help:    "How late each SLA breach fired: its fire time minus the target's due time, by clock.",
		Buckets: latenessBuckets,
	}, []string{"clock"})

	approvalsOpened = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_approvals_opened_total",
		Help: "Approvals requested, by kind.",
	}, []string{"kind"})
	approvalsDecided = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_approvals_decided_total",
		Help: "Approvals that ended, by outcome: approved, rejected, withdrawn.",
	}, []string{"outcome"})
	approvalsExpired = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "casedesk_approvals_expired_total",
		Help: "Approvals that expired undecided.",
	})

	moneyPosted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_money_posted_total",
		Help: "Refunds issued and credits applied (posted to the ledger), by kind and currency.",
	}, []string{"kind", "currency"})
	moneyPostedAmount = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_money_posted_amount_total",
		Help: "Sum of the amounts posted, in the currency's major unit, by kind and currency (for dashboards; the ledger is the record).",
	}, []string{"kind", "currency"})

	projectionLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "casedesk_projection_lag_seconds",
		Help:    "Time from a timeline event in its workflow to its commit in the read model.",
		Buckets: lagBuckets,
	})
	projectedEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_projected_events_total",
		Help: "Timeline events written to the read model, by type.",
	}, []string{"type"})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		httpRequests, httpDuration, caseActions, caseRefusals, slaFired, slaLateness,
		approvalsOpened, approvalsDecided, approvalsExpired, moneyPosted, moneyPostedAmount,
		projectionLag, projectedEvents, &outbox,
	)
	// Families with labels appear once something is counted; these are
	// known up front, so a scrape shows them at zero.
	for _, e := range []string{casedesk.EventSLAWarning, casedesk.EventSLABreached} {
		for _, c := range []string{"first_response", "resolution"} {
			slaFired.WithLabelValues(e, c)
		}
	}
	for _, c := range []string{"first_response", "resolution"} {
		slaLateness.WithLabelValues(c)
	}
	for _, o := range []string{"approved", "rejected", "withdrawn"} {
		approvalsDecided.WithLabelValues(o)
	}
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// HTTPRequest counts one answered request. route is the router's template
// ("/v1/cases/:id"), never the raw path, so label values stay few.
func HTTPRequest(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	httpRequests.WithLabelValues(route, method, fmt.Sprint(status)).Inc()
	httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

// CaseAction counts one action sent to a case workflow and its result.
func CaseAction(command string, err error) {
	switch code := casedesk.ErrorCode(err); {
	case err == nil:
		caseActions.WithLabelValues(command, "ok").Inc()
	case code == casedesk.EUNAVAILABLE || code == casedesk.EINTERNAL:
		caseActions.WithLabelValues(command, "error").Inc()
	default:
		caseActions.WithLabelValues(command, "refused").Inc()
		caseRefusals.WithLabelValues(command, code).Inc()
	}
}

// Projected counts timeline events the moment the read model first holds
// them (at committed). Each event is counted once: the projection passes
// only the events its transaction inserted, never the ones a retried or
// repeated projection found already there.
func Projected(c casedesk.Case, events []casedesk.Event, committed time.Time) {
	for _, e := range events {
		projectedEvents.WithLabelValues(e.Type).Inc()
		projectionLag.Observe(max(0, committed.Sub(e.At).Seconds()))
		switch e.Type {
		case casedesk.EventSLAWarning, casedesk.EventSLABreached:
			clock, _ := e.Data["clock"].(string)
			slaFired.WithLabelValues(e.Type, clock).Inc()
			if due, ok := timeOf(e.Data["due"]); ok && e.Type == casedesk.EventSLABreached {
				slaLateness.WithLabelValues(clock).Observe(e.At.Sub(due).Seconds())
			}
		case casedesk.EventApprovalRequested:
			kind, _ := e.Data["kind"].(string)
			approvalsOpened.WithLabelValues(kind).Inc()
		case casedesk.EventApprovalApproved:
			approvalsDecided.WithLabelValues("approved").Inc()
		case casedesk.EventApprovalRejected:
			approvalsDecided.WithLabelValues("rejected").Inc()
		case casedesk.EventApprovalWithdrawn:
			approvalsDecided.WithLabelValues("withdrawn").Inc()
		case casedesk.EventApprovalExpired:
			approvalsExpired.Inc()
		case casedesk.EventRefundIssued, casedesk.EventCreditApplied:
			kind := "refund"
			if e.Type == casedesk.EventCreditApplied {
				kind = "credit"
			}
			amount, currency := amountOf(e.Data["amount"])
			moneyPosted.WithLabelValues(kind, currency).Inc()
			f, _ := amount.Float64()
			moneyPostedAmount.WithLabelValues(kind, currency).Add(f)
		}
	}
}

// timeOf reads a time from event data: a time.Time in the worker's own
// events, an RFC 3339 string once it went through JSON.
func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case *time.Time:
		if t != nil {
			return *t, true
		}
	case string:
		x, err := time.Parse(time.RFC3339Nano, t)
		return x, err == nil
	}
	return time.Time{}, false
}

// amountOf reads "120.50 USD" (casedesk.FormatAmount) from event data.
func amountOf(v any) (decimal.Decimal, string) {
	s, _ := v.(string)
	num, currency, _ := strings.Cut(strings.TrimSpace(s), " ")
	d, err := decimal.NewFromString(num)
	if err != nil {
		return decimal.Zero, currency
	}
	return d, currency
}

var temporalOnce struct {
	sync.Once
	handler client.MetricsHandler
	err     error
}

// TemporalHandler is the Temporal SDK's metrics handler (client, worker,
// workflow and activity metrics the SDK counts itself), exported into
// Registry through OpenTelemetry. Every client of the process shares it.
func TemporalHandler() (client.MetricsHandler, error) {
	temporalOnce.Do(func() {
		exp, err := otelprom.New(otelprom.WithRegisterer(Registry), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
		if err != nil {
			temporalOnce.err = fmt.Errorf("temporal metrics: %w", err)
			return
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
		temporalOnce.handler = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: mp.Meter("temporal-sdk-go")})
	})
	return temporalOnce.handler, temporalOnce.err
}

// Serve serves Handler at /metrics on addr until ctx ends; the worker's
// listener. The listener is bound before Serve returns an error, so a
// taken address stops start-up.
func Serve(ctx context.Context, addr string, log *slog.Logger, pprof bool) (net.Addr, error) {
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener (CASEDESK_METRICS_ADDR=%s): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler())
	if pprof {
		// Go's profiles of this process, for finding where the time goes
		// (docs/performance.md); off unless CASEDESK_PPROF is set.
		mux.HandleFunc("/debug/pprof/", httppprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	return ln.Addr(), nil
}
