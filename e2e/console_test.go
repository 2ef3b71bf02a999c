package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
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

func TestStreamTellsOfEveryCaseChange(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	const password = "a long enough password"
	_, email := s.staffWithPassword(casedesk.RoleAgent, password)
	b := s.browser()
	expect(t, b.signIn(email, password), http.StatusCreated)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.url+"/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET /v1/stream = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "case":
				events <- strings.TrimPrefix(line, "data: ")
			}
		}
		close(events)
	}()
	// The listener may still be connecting: wait until a change is heard.
	var id string
	eventually(t, 10*time.Second, "the stream is listening", func() bool {
		r := s.call("POST", "/v1/cases", s.as(casedesk.RoleAgent), newInquiry(s))
		expect(t, r, http.StatusCreated)
		id = r.body["id"].(string)
		select {
		case data := <-events:
			return strings.Contains(data, id)
		case <-time.After(time.Second):
			return false
		}
	})
	// Every later change of the case is told, with its version.
	expect(t, s.call("POST", "/v1/cases/"+id+"/notes", s.as(casedesk.RoleAgent), map[string]any{"body": "checked"}), http.StatusOK)
	select {
	case data, ok := <-events:
		var ch struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
		}
		if !ok || json.Unmarshal([]byte(data), &ch) != nil || ch.ID != id || ch.Version != 2 {
			t.Errorf("after a note: %q; want case %s version 2", data, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s of a note")
	}
}
