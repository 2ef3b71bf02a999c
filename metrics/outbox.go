package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casedesk/casedesk"
)

var (
	outboxDepthDesc = prometheus.NewDesc("casedesk_outbox_messages",
		"Messages waiting in the outbox, by lane (customer, staff) and status (held, pending, sending), read from PostgreSQL at scrape time.",
		[]string{"lane", "status"}, nil)
	outboxOldestDesc = prometheus.NewDesc("casedesk_outbox_oldest_waiting_seconds",
		"Age of the oldest message of a lane waiting to be sent (pending or sending); 0 when none waits.",
		[]string{"lane"}, nil)
	outboxUpDesc = prometheus.NewDesc("casedesk_outbox_scrape_ok",
		"1 when the outbox depth could be read at this scrape, 0 when PostgreSQL did not answer.", nil, nil)

	sendAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_outbox_send_attempts_total",
		Help: "Messages claimed from the outbox for a send attempt, by lane.",
	}, []string{"lane"})
	sendResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casedesk_outbox_send_results_total",
		Help: "Outcomes recorded for messages after a send attempt, by result: sent, retry (due again later), failed (for good).",
	}, []string{"result"})
)

func init() {
	Registry.MustRegister(sendAttempts, sendResults)
	for _, lane := range []string{casedesk.AudienceCustomer, "staff"} {
		sendAttempts.WithLabelValues(lane)
	}
	for _, r := range []string{"sent", "retry", "failed"} {
		sendResults.WithLabelValues(r)
	}
}

// OutboxClaimed counts n messages of lane claimed for a send attempt.
func OutboxClaimed(lane string, n int) { sendAttempts.WithLabelValues(lane).Add(float64(n)) }

// OutboxResult counts n messages whose attempt ended in result.
func OutboxResult(result string, n int64) { sendResults.WithLabelValues(result).Add(float64(n)) }

// outboxCollector reads the outbox depth when scraped.
type outboxCollector struct {
	mu    sync.Mutex
	lanes func(context.Context) ([]casedesk.OutboxLane, error)
	log   *slog.Logger
}

var outbox outboxCollector

// WatchOutbox makes every scrape read the outbox depth with lanes
// (postgres.DB.OutboxLanes). The worker calls it; a later call replaces
// the source.
func WatchOutbox(lanes func(context.Context) ([]casedesk.OutboxLane, error), log *slog.Logger) {
	outbox.mu.Lock()
	defer outbox.mu.Unlock()
	outbox.lanes, outbox.log = lanes, log
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxOldestDesc
	ch <- outboxUpDesc
}

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	o.mu.Lock()
	lanes, log := o.lanes, o.log
	o.mu.Unlock()
	if lanes == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ls, err := lanes(ctx)
	if err != nil {
		if log != nil {
			log.Warn("reading the outbox depth for /metrics failed", "error", err)
		}
		ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 1)
	for _, l := range ls {
		for _, status := range []string{casedesk.MessageHeld, casedesk.MessagePending, casedesk.MessageSending} {
			ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(l.Statuses[status]), l.Lane, status)
		}
		ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, l.OldestPendingAge, l.Lane)
	}
}
