package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk/webhook"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"EV-1","type":"case.opened","created_at":"2027-01-15T08:00:00Z","data":{}}`)
	tests := []struct {
		name   string
		header string
		body   []byte
		want   error
	}{
		{"a fresh signature of the body verifies", webhook.Sign(now, body, "whsec_new"), body, nil},
		{"either secret's signature verifies during a rotation", webhook.Sign(now, body, "whsec_old", "whsec_new"), body, nil},
		{"a tampered body fails", webhook.Sign(now, body, "whsec_new"), []byte(strings.Replace(string(body), "case.opened", "case.closed", 1)), webhook.ErrMismatch},
		{"another secret's signature fails", webhook.Sign(now, body, "whsec_other"), body, webhook.ErrMismatch},
		{"a signature older than the tolerance fails", webhook.Sign(now.Add(-6*time.Minute), body, "whsec_new"), body, webhook.ErrTooOld},
		{"a signature from the future beyond the tolerance fails", webhook.Sign(now.Add(6*time.Minute), body, "whsec_new"), body, webhook.ErrTooOld},
		{"a header without a timestamp fails", "v1=00", body, webhook.ErrMalformed},
		{"a header without a signature fails", "t=1800000000", body, webhook.ErrMalformed},
		{"an empty header fails", "", body, webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.VerifyAt("whsec_new", tt.header, tt.body, 5*time.Minute, now)
			if !errors.Is(err, tt.want) {
				t.Errorf("VerifyAt(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

func TestVerifyUsesTheClock(t *testing.T) {
	body := []byte(`{}`)
	if err := webhook.Verify("s", webhook.Sign(time.Now(), body, "s"), body, 0); err != nil {
		t.Errorf("Verify of a fresh signature: %v", err)
	}
	if err := webhook.Verify("s", webhook.Sign(time.Now().Add(-time.Hour), body, "s"), body, time.Minute); !errors.Is(err, webhook.ErrTooOld) {
		t.Errorf("Verify of an hour-old signature: %v, want ErrTooOld", err)
	}
}
