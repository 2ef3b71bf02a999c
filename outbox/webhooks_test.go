package outbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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
