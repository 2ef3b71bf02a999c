package outbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/mail"
)

func TestAProductionWebhookNeverDialsALoopbackAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	for _, production := range []bool{false, true} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
		resp, err := webhookClient(production, 5*time.Second).Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		if production && err == nil {
			t.Errorf("production: %s was dialled", srv.URL)
		}
		if !production && err != nil {
			t.Errorf("development: %v", err)
		}
	}
}

func TestTheAdminsAreToldOfADisabledEndpointInBatchesOfOneRequest(t *testing.T) {
	at := time.Date(2027, 3, 9, 10, 0, 0, 0, time.UTC)
	since := at.Add(-72 * time.Hour)
	n := casedesk.WebhookDisabledNotice{Endpoint: casedesk.WebhookEndpoint{ID: "WH-1", URL: "https://hooks.example.com/in",
		DisabledAt: &at, FailingSince: &since, DisabledReason: casedesk.WebhookDisabledReason(casedesk.WebhookRetryFor)}, Pending: 3}
	for i := range mail.MaxPersonalizations + 1 {
		n.Admins = append(n.Admins, casedesk.Recipient{Email: fmt.Sprintf("Admin%d@Example.com", i), UserID: fmt.Sprintf("U-%d", i)})
	}
	msgs, err := WebhookDisabledAlert(n, false)
	if err != nil || len(msgs) != len(n.Admins) {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	first, last := msgs[0], msgs[len(msgs)-1]
	if first.Audience != LaneStaff || first.Status != casedesk.MessagePending || first.Kind != mail.KindWebhookDisabled ||
		first.CaseID != "" || first.UserID != "U-0" || !strings.Contains(first.Text, "WH-1") {
		t.Errorf("first message %+v", first)
	}
	if first.BatchKey != msgs[mail.MaxPersonalizations-1].BatchKey || first.BatchKey == last.BatchKey {
		t.Errorf("batches %q … %q: want %d recipients a request", first.BatchKey, last.BatchKey, mail.MaxPersonalizations)
	}
	again, _ := WebhookDisabledAlert(n, true)
	if again[0].ID != first.ID || again[0].DedupeKey != "webhook_disabled/WH-1/"+fmt.Sprint(at.UnixMilli())+"/admin0@example.com" ||
		again[0].Status != casedesk.MessageCaptured {
		t.Errorf("recorded again: %+v; want the same message, captured without SendGrid", again[0])
	}
	n.Endpoint.DisabledAt = nil
	if _, err := WebhookDisabledAlert(n, false); err == nil {
		t.Error("an alert about an endpoint that is not disabled")
	}
}
