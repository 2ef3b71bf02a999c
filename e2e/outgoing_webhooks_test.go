package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/api"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/outbox"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/sendgridfake"
	"github.com/casedesk/casedesk/webhook"
)

// startWebhookDispatcher sends the system's webhooks as `casedesk worker`
// does, with retries a tenth of a second apart at first, for retryFor (0:
// three days); capture keeps the admins' email as captured (no SendGrid).
func startWebhookDispatcher(t testing.TB, db *postgres.DB, log *slog.Logger, retryFor time.Duration, capture bool) {
	t.Helper()
	db.WebhookView = api.CaseView
	d := &outbox.WebhookDispatcher{Store: db, Log: log, Poll: 50 * time.Millisecond, RetryFirst: 100 * time.Millisecond,
		RetryFor: retryFor, Capture: capture}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// delivery is one request a receiver took.
type delivery struct {
	eventID, signature string
	body               []byte
	at                 time.Time
	answered           int
}

// receiver is a webhook endpoint that records every request and answers
// status(n) to the n-th (from 1).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{status: status}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		code := rc.status(len(rc.got) + 1)
		rc.got = append(rc.got, delivery{eventID: r.Header.Get(webhook.EventIDHeader),
			signature: r.Header.Get(webhook.SignatureHeader), body: body, at: time.Now(), answered: code})
		rc.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// accepted returns the events the receiver answered 2xx, by event ID.
func (rc *receiver) accepted(t *testing.T) map[string]hookEvent {
	t.Helper()
	out := map[string]hookEvent{}
	for _, d := range rc.requests() {
		if d.answered/100 != 2 {
			continue
		}
		var e hookEvent
		if err := json.Unmarshal(d.body, &e); err != nil {
			t.Fatalf("webhook body is not JSON: %v: %s", err, d.body)
		}
		e.delivery = d
		out[e.ID] = e
	}
	return out
}

// hookEvent is a webhook body as a receiver reads it.
type hookEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		Case  map[string]any `json:"case"`
		Event map[string]any `json:"event"`
	} `json:"data"`
	delivery delivery
}

func always(code int) func(int) int { return func(int) int { return code } }

// newDownReceiver is a receiver that answers 503 while it is down, as it
// is at first, and 200 once setDown(false).
func newDownReceiver(t *testing.T) (rc *receiver, setDown func(bool)) {
	var mu sync.Mutex
	down := true
	rc = newReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	return rc, func(d bool) {
		mu.Lock()
		defer mu.Unlock()
		down = d
	}
}

// endpoint registers url for events as the admin and returns its ID and secret.
func (s *system) endpoint(url string, events ...string) (id, secret string) {
	s.t.Helper()
	r := s.call("POST", "/v1/webhooks/endpoints", s.as(casedesk.RoleAdmin),
		map[string]any{"url": url, "events": events, "description": "billing platform"})
	expect(s.t, r, http.StatusCreated)
	id, _ = r.body["id"].(string)
	secret, _ = r.body["secret"].(string)
	if id == "" || !strings.HasPrefix(secret, "whsec_") {
		s.t.Fatalf("endpoint created without an ID or a secret: %s", r.raw)
	}
	return id, secret
}

func TestAnEndpointReceivesSignedCaseEventsWithinSeconds(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	rc := newReceiver(t, always(http.StatusNoContent))

	t.Run("only admins manage endpoints", func(t *testing.T) {
		body := map[string]any{"url": rc.URL, "events": []string{"case.opened"}}
		for _, role := range []casedesk.Role{casedesk.RoleAgent, casedesk.RoleSupervisor, casedesk.RoleIntegration} {
			expectProblem(t, s.call("POST", "/v1/webhooks/endpoints", s.as(role), body), http.StatusForbidden, "")
			expectProblem(t, s.call("GET", "/v1/webhooks/endpoints", s.as(role), nil), http.StatusForbidden, "")
		}
	})
	t.Run("a URL that is not absolute http or https is refused", func(t *testing.T) {
		for _, u := range []string{"ftp://x", "/hooks", "billing.example.com/hooks"} {
			expectProblem(t, s.call("POST", "/v1/webhooks/endpoints", s.as(casedesk.RoleAdmin),
				map[string]any{"url": u, "events": []string{"case.opened"}}), http.StatusUnprocessableEntity, "url")
		}
		expectProblem(t, s.call("POST", "/v1/webhooks/endpoints", s.as(casedesk.RoleAdmin),
			map[string]any{"url": rc.URL, "events": []string{"case.exploded"}}), http.StatusUnprocessableEntity, "events[0]")
	})

	id, secret := s.endpoint(rc.URL, "case.opened", "refund.posted")
	got := s.call("GET", "/v1/webhooks/endpoints/"+id, s.as(casedesk.RoleAdmin), nil)
	expect(t, got, http.StatusOK)
	if _, shown := got.body["secret"]; shown || got.body["status"] != "enabled" {
		t.Errorf("endpoint as read: %s; want enabled and no secret", got.raw)
	}

	opened := time.Now()
	caseID := s.openVerified()
	p := s.payment("500.00", "USD")
	expect(t, s.call("POST", "/v1/cases/"+caseID+"/refunds", s.as(casedesk.RoleAgent), refundBody(p, "40.00")), http.StatusOK)
	posted := time.Now()

	var events map[string]hookEvent
	eventually(t, 10*time.Second, "case.opened and refund.posted to reach the receiver", func() bool {
		events = rc.accepted(t)
		return len(events) == 2
	})
	byType := map[string]hookEvent{}
	for _, e := range events {
		byType[e.Type] = e
		if err := webhook.Verify(secret, e.delivery.signature, e.delivery.body, 5*time.Minute); err != nil {
			t.Errorf("%s: Verify: %v (header %q)", e.Type, err, e.delivery.signature)
		}
		if e.delivery.eventID != e.ID || !strings.HasPrefix(e.ID, "EV-") {
			t.Errorf("%s: Casedesk-Event-Id %q, body id %q", e.Type, e.delivery.eventID, e.ID)
		}
		if e.Data.Case["id"] != caseID || e.Data.Event["type"] == nil {
			t.Errorf("%s: data %s, want case %s and its event", e.Type, e.delivery.body, caseID)
		}
		if strings.Contains(string(e.delivery.body), "4111 1111 1111 1111") {
			t.Errorf("%s: the card number in the description is not masked: %s", e.Type, e.delivery.body)
		}
		tampered := []byte(strings.Replace(string(e.delivery.body), caseID, "C-OTHER", 1))
		if err := webhook.Verify(secret, e.delivery.signature, tampered, 5*time.Minute); err == nil {
			t.Errorf("%s: a tampered body verifies", e.Type)
		}
	}
	if e, ok := byType[casedesk.HookCaseOpened]; !ok || e.delivery.at.Sub(opened) > 5*time.Second {
		t.Errorf("case.opened: %v, received %v after the case opened", ok, e.delivery.at.Sub(opened))
	}
	if e, ok := byType[casedesk.HookRefundPosted]; !ok || e.delivery.at.Sub(posted) > 5*time.Second || e.Data.Event["type"] != casedesk.EventRefundIssued {
		t.Errorf("refund.posted: %v, received %v after the refund (event %v)", ok, e.delivery.at.Sub(posted), e.Data.Event["type"])
	}
	t.Logf("case.opened after %v, refund.posted after %v",
		byType[casedesk.HookCaseOpened].delivery.at.Sub(opened), byType[casedesk.HookRefundPosted].delivery.at.Sub(posted))

	t.Run("after a rotation both secrets sign", func(t *testing.T) {
		r := s.call("POST", "/v1/webhooks/endpoints/"+id+"/rotate-secret", s.as(casedesk.RoleAdmin), nil)
		expect(t, r, http.StatusOK)
		fresh, _ := r.body["secret"].(string)
		if fresh == "" || fresh == secret || r.body["previous_secret_until"] == nil {
			t.Fatalf("rotation: %s", r.raw)
		}
		before := len(rc.requests())
		s.openAssigned()
		eventually(t, 10*time.Second, "the next case.opened", func() bool { return len(rc.requests()) > before })
		last := rc.requests()[before]
		for _, k := range []string{secret, fresh} {
			if err := webhook.Verify(k, last.signature, last.body, time.Minute); err != nil {
				t.Errorf("Verify with the %s secret: %v", map[bool]string{true: "old", false: "new"}[k == secret], err)
			}
		}
	})
	t.Run("a deleted endpoint is gone", func(t *testing.T) {
		expect(t, s.call("DELETE", "/v1/webhooks/endpoints/"+id, s.as(casedesk.RoleAdmin), nil), http.StatusNoContent)
		expectProblem(t, s.call("GET", "/v1/webhooks/endpoints/"+id, s.as(casedesk.RoleAdmin), nil), http.StatusNotFound, "")
	})
}

func TestAFailingReceiverGetsTheThirdAttemptWithTheSameEventID(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	id, _ := s.endpoint(rc.URL, "case.opened")
	r := s.call("POST", "/v1/cases", s.as(casedesk.RoleAgent), newInquiry(s))
	expect(t, r, http.StatusCreated)

	eventually(t, 10*time.Second, "the third attempt", func() bool { return len(rc.requests()) >= 3 })
	reqs := rc.requests()
	for i, d := range reqs {
		if d.eventID != reqs[0].eventID {
			t.Errorf("attempt %d carries event %s, the first %s", i+1, d.eventID, reqs[0].eventID)
		}
	}
	var log response
	eventually(t, 5*time.Second, "the log to show the delivery succeeded", func() bool {
		log = s.call("GET", "/v1/webhooks/endpoints/"+id+"/deliveries", s.as(casedesk.RoleAdmin), nil)
		items, _ := log.body["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["status"] == "succeeded"
	})
	d := log.body["items"].([]any)[0].(map[string]any)
	attempts, _ := d["attempt_log"].([]any)
	if d["attempts"] != float64(3) || len(attempts) != 3 || d["last_status_code"] != float64(200) || d["event_id"] != reqs[0].eventID {
		t.Fatalf("delivery log %s; want three attempts, the last 200, event %s", log.raw, reqs[0].eventID)
	}
	for i, want := range []float64{500, 500, 200} {
		if a := attempts[i].(map[string]any); a["attempt"] != float64(i+1) || a["status_code"] != want {
			t.Errorf("attempt %d: %v, want status %v", i+1, a, want)
		}
	}

	t.Run("a redelivery sends the same event again", func(t *testing.T) {
		rd := s.call("POST", "/v1/webhooks/deliveries/"+d["id"].(string)+"/redeliver", s.as(casedesk.RoleAdmin), nil)
		expect(t, rd, http.StatusAccepted)
		eventually(t, 10*time.Second, "the redelivery", func() bool { return len(rc.requests()) >= 4 })
		if got := rc.requests()[3]; got.eventID != reqs[0].eventID || string(got.body) != string(reqs[2].body) {
			t.Errorf("redelivered event %s, want %s with the same body", got.eventID, reqs[0].eventID)
		}
		expectProblem(t, s.call("POST", "/v1/webhooks/deliveries/WD-NOSUCH/redeliver", s.as(casedesk.RoleAdmin), nil), http.StatusNotFound, "")
	})
}

func TestAnEndpointDownForAWholeCaseGetsEveryEventOnceItIsBack(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	rc, setDown := newDownReceiver(t)
	id, _ := s.endpoint(rc.URL, "*")
	agent := s.as(casedesk.RoleAgent)
	caseID := s.openAssigned()
	for _, step := range []struct {
		action string
		body   any
	}{
		{"reply", map[string]any{"body": "We are looking into it."}},
		{"request-info", map[string]any{"body": "Which card did you pay with?"}},
		{"customer-reply", map[string]any{"body": "My Visa."}},
		{"resolve", map[string]any{"outcome": "answered"}},
		{"reopen", map[string]any{"reason": "The customer called back."}},
		{"resolve", map[string]any{"outcome": "answered"}},
		{"close", nil},
	} {
		expect(t, s.call("POST", "/v1/cases/"+caseID+"/"+step.action, agent, step.body), http.StatusOK)
	}

	// What the walk should send: every timeline event with a webhook type,
	// and a status change for each status the case passed through.
	tl := s.call("GET", "/v1/cases/"+caseID+"/events?limit=200", agent, nil)
	expect(t, tl, http.StatusOK)
	want := map[string]int{}
	for _, it := range tl.body["items"].([]any) {
		if typ := casedesk.WebhookTypeOf(it.(map[string]any)["type"].(string)); typ != "" {
			want[typ]++
		}
	}
	// new → open → waiting → open → resolved → open → resolved → closed
	want[casedesk.HookCaseStatusChanged] = 7
	total := 0
	for _, n := range want {
		total += n
	}
	eventually(t, 10*time.Second, "every delivery to be tried while the endpoint is down", func() bool {
		r := s.call("GET", "/v1/webhooks/endpoints/"+id+"/deliveries", s.as(casedesk.RoleAdmin), nil)
		items, _ := r.body["items"].([]any)
		for _, it := range items {
			if it.(map[string]any)["attempts"] == float64(0) {
				return false
			}
		}
		return len(items) == total
	})
	if n := len(rc.accepted(t)); n != 0 {
		t.Fatalf("%d events accepted while the endpoint was down", n)
	}

	setDown(false)
	var events map[string]hookEvent
	eventually(t, 20*time.Second, "every event once the endpoint is back", func() bool {
		events = rc.accepted(t)
		return len(events) == total
	})
	got := map[string]int{}
	for _, e := range events {
		got[e.Type]++
		if e.Data.Case["id"] != caseID {
			t.Errorf("%s is about case %v, want %s", e.Type, e.Data.Case["id"], caseID)
		}
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: received %d, want %d (all: %v)", typ, got[typ], n, got)
		}
	}
	if got[casedesk.HookCaseOpened] != 1 || got[casedesk.HookCaseClosed] != 1 || got[casedesk.HookCaseReopened] != 1 {
		t.Errorf("received %v; want one each of case.opened, case.reopened and case.closed", got)
	}
}

// TestAnEndpointFailingForItsWindowIsDisabledTheAdminsToldAndItIsEnabledAgain
// runs with a retry window of 2 s instead of three days.
func TestAnEndpointFailingForItsWindowIsDisabledTheAdminsToldAndItIsEnabledAgain(t *testing.T) {
	fake := sendgridfake.New("SG.hooks-key")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	s := startSystemWith(t, casedesk.DefaultRules(), systemOptions{
		mailer: mail.NewSender("SG.hooks-key", srv.URL, 5*time.Second), webhookRetryFor: 2 * time.Second})
	ctx := context.Background()
	admins := []string{s.users[casedesk.RoleAdmin].Email}
	for i, active := range []bool{true, false} {
		u, err := s.db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: fmt.Sprintf("Admin %d", i),
			Email: fmt.Sprintf("admin%d-%s@casedesk.test", i, randomHex(3)), Role: casedesk.RoleAdmin}, casedesk.HashToken(casedesk.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		if active {
			admins = append(admins, u.Email)
		} else if _, err := s.db.Pool.Exec(ctx, `UPDATE users SET deactivated_at = now() WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(admins)

	rc, setDown := newDownReceiver(t)
	id, secret := s.endpoint(rc.URL, casedesk.HookCaseOpened)
	admin := s.as(casedesk.RoleAdmin)
	s.openAssigned()
	eventually(t, 10*time.Second, "the first attempt to fail", func() bool { return len(rc.requests()) > 0 })
	s.openAssigned()

	var e response
	eventually(t, 20*time.Second, "the endpoint to be disabled", func() bool {
		e = s.call("GET", "/v1/webhooks/endpoints/"+id, admin, nil)
		return e.body["status"] == casedesk.WebhookDisabled
	})
	if e.body["disabled_at"] == nil || e.body["disabled_reason"] != "every delivery failed for 2s" || e.body["failing_since"] == nil {
		t.Errorf("disabled endpoint %s", e.raw)
	}
	failedIDs := map[string]bool{}
	for _, d := range rc.requests() {
		failedIDs[d.eventID] = true
	}
	if len(failedIDs) != 2 {
		t.Fatalf("the receiver was tried with %d events, want the 2 case.opened", len(failedIDs))
	}

	t.Run("every active admin is emailed once, in one request", func(t *testing.T) {
		var alerts []sendgridfake.Accepted
		eventually(t, 20*time.Second, "the admins' email", func() bool {
			alerts = alerts[:0]
			for _, a := range fake.Accepted() {
				if a.Mail.CustomArgs[mail.ArgKind] == mail.KindWebhookDisabled {
					alerts = append(alerts, a)
				}
			}
			return len(alerts) > 0
		})
		if len(alerts) != 1 {
			t.Fatalf("%d requests tell the admins, want one", len(alerts))
		}
		var to []string
		for _, p := range alerts[0].Mail.Personalizations {
			for _, r := range p.To {
				to = append(to, r.Email)
			}
		}
		slices.Sort(to)
		if !slices.Equal(to, admins) {
			t.Errorf("sent to %v, want the active admins %v, one personalization each", to, admins)
		}
		text := ""
		for _, c := range alerts[0].Mail.Content {
			if c.Type == "text/plain" {
				text = c.Value
			}
		}
		for _, want := range []string{id, rc.URL, "POST /v1/webhooks/endpoints/" + id + "/enable", "HTTP 503"} {
			if !strings.Contains(text, want) || !strings.Contains(alerts[0].Mail.Subject, id) {
				t.Errorf("the email lacks %q: %q\n%s", want, alerts[0].Mail.Subject, text)
			}
		}
	})

	t.Run("a disabled endpoint takes no new event", func(t *testing.T) {
		before := len(s.call("GET", "/v1/webhooks/endpoints/"+id+"/deliveries", admin, nil).body["items"].([]any))
		caseID := s.openAssigned()
		// The case's projection, which would have queued the delivery, is in.
		eventually(t, 10*time.Second, "the case to be projected", func() bool {
			return s.call("GET", "/v1/cases/"+caseID, admin, nil).status == http.StatusOK
		})
		if after := len(s.call("GET", "/v1/webhooks/endpoints/"+id+"/deliveries", admin, nil).body["items"].([]any)); after != before {
			t.Errorf("%d deliveries queued for a disabled endpoint", after-before)
		}
	})

	t.Run("only admins enable, an endpoint that exists, with a body that makes sense", func(t *testing.T) {
		for _, role := range []casedesk.Role{casedesk.RoleAgent, casedesk.RoleSupervisor, casedesk.RoleIntegration} {
			expectProblem(t, s.call("POST", "/v1/webhooks/endpoints/"+id+"/enable", s.as(role), nil), http.StatusForbidden, "")
		}
		expectProblem(t, s.call("POST", "/v1/webhooks/endpoints/WH-NOSUCH/enable", admin, nil), http.StatusNotFound, "")
		expectProblem(t, s.call("POST", "/v1/webhooks/endpoints/"+id+"/enable", admin, map[string]any{"redeliver_failed": "yes"}),
			http.StatusUnprocessableEntity, "redeliver_failed")
	})

	setDown(false)
	r := s.call("POST", "/v1/webhooks/endpoints/"+id+"/enable", admin, map[string]any{"redeliver_failed": true})
	expect(t, r, http.StatusOK)
	ep, _ := r.body["endpoint"].(map[string]any)
	if ep["status"] != casedesk.WebhookEnabled || ep["failing_since"] != nil || ep["disabled_at"] != nil ||
		r.body["pending"].(float64)+r.body["redelivered"].(float64) != 2 || r.body["failed"] != float64(0) {
		t.Fatalf("enable: %s; want enabled afresh with both events due", r.raw)
	}
	var events map[string]hookEvent
	eventually(t, 10*time.Second, "both events once the endpoint is enabled", func() bool {
		events = rc.accepted(t)
		return len(events) == 2
	})
	for eventID, ev := range events {
		if !failedIDs[eventID] || ev.Type != casedesk.HookCaseOpened {
			t.Errorf("received %s %s; want the same event IDs as the failed attempts %v", ev.Type, eventID, failedIDs)
		}
		if err := webhook.Verify(secret, ev.delivery.signature, ev.delivery.body, time.Minute); err != nil {
			t.Errorf("%s: %v", eventID, err)
		}
	}
}
