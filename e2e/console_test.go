package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestConsoleIsServedBesideTheAPI(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	for _, p := range []string{"/", "/queues", "/cases/C-7Q4K2M"} {
		r := s.call("GET", p, "", nil)
		if r.status != http.StatusOK || !strings.Contains(string(r.raw), `<div id="root">`) {
			t.Errorf("GET %s = %d", p, r.status)
		}
	}
	// The API keeps its own paths: problems, not the console.
	for _, p := range []string{"/v1/nope", "/c/", "/v1"} {
		expectProblem(t, s.call("GET", p, "", nil), http.StatusNotFound, "")
	}
	expectProblem(t, s.call("POST", "/queues", "", nil), http.StatusNotFound, "")
	expect(t, s.call("GET", "/openapi.json", "", nil), http.StatusOK)
	expect(t, s.call("GET", "/healthz", "", nil), http.StatusOK)
}
