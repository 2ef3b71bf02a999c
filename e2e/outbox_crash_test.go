package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/sendgridfake"
)

// acceptedKeys counts what the stand-in accepted per dedupe key.
func acceptedKeys(fake *sendgridfake.Server) map[string]int {
	out := map[string]int{}
	for _, a := range fake.Accepted() {
		for _, p := range a.Mail.Personalizations {
			key := p.CustomArgs[inbound.ArgDedupeKey]
			if key == "" {
				key = a.Mail.CustomArgs[inbound.ArgDedupeKey]
			}
			out[key]++
		}
	}
	return out
}

func TestKillingTheWorkerWhileSendingLosesNoEmailAndSendsNoneTwice(t *testing.T) {
	fake := sendgridfake.New("SG.crash-test-key")
	fake.SetLatency(400 * time.Millisecond) // slow enough to be killed mid-send
	sg := httptest.NewServer(fake.Handler())
	t.Cleanup(sg.Close)
	d := startDevSystem(t, "SENDGRID_API_KEY=SG.crash-test-key", "SENDGRID_BASE_URL="+sg.URL, "CASEDESK_OUTBOX_LEASE=3s")
	s, token := d.system, d.as(casedesk.RoleAgent)

	const cases = 30
	for range cases {
		expect(t, s.call("POST", "/v1/cases", token, newInquiry(s)), http.StatusCreated)
	}
	eventually(t, 30*time.Second, "the stand-in to accept the first emails", func() bool { return len(fake.Accepted()) >= 3 })
	d.dev.kill()
	sentBefore := len(fake.Accepted())
	d.start(t)

	eventually(t, 90*time.Second, "every case's opening email to be accepted", func() bool { return len(acceptedKeys(fake)) >= cases })
	keys := acceptedKeys(fake)
	for key, n := range keys {
		if n != 1 {
			t.Errorf("%s accepted %d times", key, n)
		}
	}
	if len(keys) != cases {
		t.Errorf("%d distinct emails accepted, want %d", len(keys), cases)
	}
	t.Logf("%d of %d emails were accepted before the kill", sentBefore, cases)
}
