package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestTheInboundWebhookIsRateLimitedPerPathSecret(t *testing.T) {
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), InboundSecret: "inbound-secret-0123",
		Limits: Limits{Inbound: casedesk.RateLimit{Rate: 0.01, Burst: 2}}}
	h := s.Handler()
	post := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/webhooks/sendgrid/inbound/inbound-secret-0123", strings.NewReader("not a form")))
		return w
	}
	for i := range 2 {
		if w := post(); w.Code != http.StatusOK {
			t.Fatalf("post %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := post()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		t.Fatalf("third post: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

func TestALimiterRefillsAndForgetsIdleKeys(t *testing.T) {
	l := newLimiter(casedesk.RateLimit{Rate: 1, Burst: 1})
	now := time.Unix(1_000_000, 0)
	if ok, _ := l.allow("a", now); !ok {
		t.Fatal("the first request is refused")
	}
	if ok, wait := l.allow("a", now); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("the second at once: ok %v, wait %s", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Fatal("another key shares the first one's bucket")
	}
	if ok, _ := l.allow("a", now.Add(time.Second)); !ok {
		t.Fatal("the bucket did not refill after a second")
	}
	l.allow("c", now.Add(time.Hour))
	if _, kept := l.keys["a"]; kept {
		t.Error("an idle key is kept for ever")
	}
	if newLimiter(casedesk.RateLimit{}) != nil {
		t.Error("a zero rate is a limiter")
	}
	var none *limiter
	if ok, _ := none.allow("x", now); !ok {
		t.Error("no limiter refused a request")
	}
}
