package casedesk

import (
	"net/netip"
	"testing"
	"time"
)

func TestWebhookURLs(t *testing.T) {
	tests := []struct {
		url        string
		production bool
		ok         bool
	}{
		{"https://billing.example.com/hooks", false, true},
		{"http://127.0.0.1:9000/hooks", false, true},
		{"http://localhost/hooks", false, true},
		{"https://billing.example.com/hooks", true, true},
		{"https://203.0.113.7/hooks", true, true},
		{"ftp://x", false, false},
		{"ftp://x", true, false},
		{"/hooks", false, false},
		{"billing.example.com/hooks", false, false},
		{"https://", false, false},
		{"https://user:pass@billing.example.com/", false, false},
		{"http://billing.example.com/hooks", true, false},
		{"http://127.0.0.1/", true, false},
		{"https://127.0.0.1/", true, false},
		{"https://localhost/", true, false},
		{"https://10.1.2.3/", true, false},
		{"https://192.168.0.10/", true, false},
		{"https://172.16.5.4/", true, false},
		{"https://169.254.169.254/latest/meta-data/", true, false},
		{"https://metadata.google.internal/", true, false},
		{"https://[::1]/", true, false},
		{"https://[fe80::1]/", true, false},
		{"https://[fd00:ec2::254]/", true, false},
		{"https://[::ffff:127.0.0.1]/", true, false},
		{"https://0.0.0.0/", true, false},
		{"https://100.64.0.1/", true, false},
	}
	for _, tt := range tests {
		err := CheckWebhookURL(tt.url, tt.production)
		if (err == nil) != tt.ok {
			t.Errorf("CheckWebhookURL(%q, production=%v) = %v; want ok=%v", tt.url, tt.production, err, tt.ok)
		}
	}
}

func TestWebhookAddressesAfterResolution(t *testing.T) {
	for addr, ok := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::1": true,
		"127.0.0.53": false, "10.0.0.1": false, "169.254.170.2": false, "::1": false, "fc00::1": false,
		"100.100.100.200": false, "224.0.0.1": false,
	} {
		if err := CheckWebhookAddress(netip.MustParseAddr(addr)); (err == nil) != ok {
			t.Errorf("CheckWebhookAddress(%s) = %v; want ok=%v", addr, err, ok)
		}
	}
}

func TestAWebhookEndpointRequestNamesItsBadFields(t *testing.T) {
	tests := []struct {
		name   string
		req    WebhookEndpointRequest
		fields []string
	}{
		{"a valid request", WebhookEndpointRequest{URL: "https://x.example/h", Events: []string{HookCaseOpened, HookRefundPosted}}, nil},
		{"every event", WebhookEndpointRequest{URL: "https://x.example/h", Events: []string{HookAll}}, nil},
		{"no events", WebhookEndpointRequest{URL: "https://x.example/h"}, []string{"events"}},
		{"an unknown event", WebhookEndpointRequest{URL: "https://x.example/h", Events: []string{"case.opened", "case.exploded"}}, []string{"events[1]"}},
		{"an ftp URL", WebhookEndpointRequest{URL: "ftp://x", Events: []string{HookAll}}, []string{"url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate(false)
			var got []string
			if e, ok := err.(*Error); ok {
				for _, f := range e.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatalf("error %T %v", err, err)
			}
			if len(got) != len(tt.fields) || (len(got) > 0 && got[0] != tt.fields[0]) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
		})
	}
	if err := (&WebhookEndpointRequest{URL: "http://127.0.0.1/", Events: []string{HookAll}}).Validate(true); ErrorCode(err) != EINVALID {
		t.Errorf("production http://127.0.0.1/: %v, want invalid", err)
	}
}

func TestEveryDocumentedWebhookTypeIsSentForSomething(t *testing.T) {
	sent := map[string]bool{HookCaseStatusChanged: true, HookEmailDelivery: true, HookCSATReceived: true}
	for _, typ := range hookOfEvent {
		sent[typ] = true
	}
	for _, typ := range WebhookEventTypes {
		if !sent[typ] {
			t.Errorf("%s is documented but nothing sends it", typ)
		}
	}
	if len(sent) != len(WebhookEventTypes) {
		t.Errorf("%d types are sent, %d documented", len(sent), len(WebhookEventTypes))
	}
}

func TestWebhookRetriesBackOffForThreeDays(t *testing.T) {
	created := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	if d := WebhookBackoff(0, 1); d != DefaultWebhookRetry {
		t.Errorf("first delay %v, want %v", d, DefaultWebhookRetry)
	}
	if d := WebhookBackoff(time.Second, 4); d != 8*time.Second {
		t.Errorf("fourth delay %v, want 8s", d)
	}
	if d := WebhookBackoff(time.Second, 60); d != 6*time.Hour {
		t.Errorf("delay after 60 attempts %v, want the 6h cap", d)
	}
	at, attempts := created, 0
	for {
		attempts++
		next, ok := WebhookNext(created, attempts, WebhookOutcome{At: at, StatusCode: 500})
		if !ok {
			break
		}
		at = next
	}
	if span := at.Sub(created); span > WebhookRetryFor || span < WebhookRetryFor-6*time.Hour {
		t.Errorf("the last attempt came %v after the event, want within the last 6h of %v", span, WebhookRetryFor)
	}
	t.Logf("%d attempts over %v", attempts, at.Sub(created))
	since := created
	failed := func(at time.Duration) WebhookOutcome { return WebhookOutcome{At: created.Add(at), StatusCode: 500} }
	if WebhookShouldDisable(&since, failed(71*time.Hour), created.Add(72*time.Hour), true) ||
		!WebhookShouldDisable(&since, failed(72*time.Hour), created.Add(78*time.Hour), true) {
		t.Error("an endpoint is disabled after exactly three days of failures")
	}
	if !WebhookShouldDisable(&since, failed(69*time.Hour), created.Add(75*time.Hour), false) {
		t.Error("a delivery that gives up after failing all along does not disable its endpoint")
	}
	later := created.Add(70 * time.Hour)
	if WebhookShouldDisable(&later, failed(71*time.Hour), created.Add(75*time.Hour), false) {
		t.Error("an endpoint failing for an hour is disabled because an old delivery gave up")
	}
	short := WebhookOutcome{At: created.Add(2 * time.Second), StatusCode: 500, RetryFor: 2 * time.Second}
	if !WebhookShouldDisable(&since, short, short.At.Add(time.Second), true) {
		t.Error("a configured window of 2s does not disable after 2s")
	}
	if got := WebhookDisabledReason(WebhookRetryFor); got != "every delivery failed for 3 days" {
		t.Errorf("reason %q", got)
	}
	e := WebhookEndpoint{Secret: "new", PreviousSecret: "old"}
	until := created.Add(WebhookRotationOverlap)
	e.PreviousSecretUntil = &until
	if got := e.Secrets(created); len(got) != 2 {
		t.Errorf("during a rotation: %v, want both secrets", got)
	}
	if got := e.Secrets(until); len(got) != 1 || got[0] != "new" {
		t.Errorf("after a rotation: %v, want the new secret", got)
	}
}

func TestWebhookDeliveryLimit(t *testing.T) {
	for raw, want := range map[string]int{"": DefaultWebhookDeliveries, "1": 1, "200": 200} {
		if n, err := ParseWebhookDeliveryLimit(raw); err != nil || n != want {
			t.Errorf("limit %q: %d, %v; want %d", raw, n, err, want)
		}
	}
	for _, raw := range []string{"0", "201", "-1", "ten", "1e2", "99999999999"} {
		if _, err := ParseWebhookDeliveryLimit(raw); ErrorCode(err) != EINVALID {
			t.Errorf("limit %q: %v, want invalid", raw, err)
		}
	}
}
