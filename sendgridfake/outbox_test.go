package sendgridfake_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/casedesk/casedesk/sendgridfake"
)

func TestFailEveryFailsOneRequestInN(t *testing.T) {
	s := sendgridfake.New(key)
	s.FailEvery(http.StatusInternalServerError, 4)
	var statuses []int
	for range 8 {
		statuses = append(statuses, send(t, s, "Bearer "+key, validBody).status)
	}
	want := []int{202, 202, 202, 500, 202, 202, 202, 500}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
	if len(s.Accepted()) != 6 || s.Requests() != 8 {
		t.Errorf("accepted %d of %d requests, want 6 of 8", len(s.Accepted()), s.Requests())
	}
	s.Reset()
	if r := send(t, s, "Bearer "+key, validBody); r.status != 202 || s.Requests() != 1 {
		t.Errorf("after reset: %d, %d requests", r.status, s.Requests())
	}
}

func TestFailEveryIsArmedOverHTTP(t *testing.T) {
	s := sendgridfake.New(key)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_fake/fail?status=503&every=2", nil))
	if rec.Code != 200 {
		t.Fatalf("arming: %d %s", rec.Code, rec.Body)
	}
	if a, b := send(t, s, "Bearer "+key, validBody), send(t, s, "Bearer "+key, validBody); a.status != 202 || b.status != 503 {
		t.Errorf("statuses %d, %d; want 202, 503", a.status, b.status)
	}
}

func TestPersonalizationsCountsEveryRecipientAccepted(t *testing.T) {
	s := sendgridfake.New(key)
	body := strings.Replace(validBody, `"personalizations": [{"to": [{"email": "ada@example.com", "name": "Ada"}]}]`,
		`"personalizations": [{"to": [{"email": "ada@example.com"}], "custom_args": {"message_id": "M-1"}},
		 {"to": [{"email": "bob@example.com"}], "custom_args": {"message_id": "M-2"}}]`, 1)
	if r := send(t, s, "Bearer "+key, body); r.status != 202 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	send(t, s, "Bearer "+key, validBody)
	if got := s.Personalizations(); got != 3 {
		t.Errorf("Personalizations() = %d, want 3", got)
	}

	// The activity feed finds a recipient by the custom arg of their personalization.
	lookup := func(auth, query string) (int, []map[string]string) {
		req := httptest.NewRequest(http.MethodGet, sendgridfake.ActivityPath+"?limit=10&query="+url.QueryEscape(query), nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var b struct {
			Messages []map[string]string `json:"messages"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &b)
		return rec.Code, b.Messages
	}
	code, found := lookup("Bearer "+key, `unique_args['message_id']="M-2"`)
	if code != 200 || len(found) != 1 || found[0]["to_email"] != "bob@example.com" ||
		!strings.HasPrefix(found[0]["msg_id"], s.Accepted()[0].MessageID+".") {
		t.Errorf("lookup of M-2: %d %v", code, found)
	}
	if code, found := lookup("Bearer "+key, `unique_args['message_id']="M-9"`); code != 200 || len(found) != 0 {
		t.Errorf("lookup of an unknown message: %d %v", code, found)
	}
	if code, _ := lookup("Bearer wrong", `unique_args['message_id']="M-2"`); code != 401 {
		t.Errorf("lookup with a wrong key: %d, want 401", code)
	}
	if code, _ := lookup("Bearer "+key, `subject="x"`); code != 400 {
		t.Errorf("a query the stand-in does not answer: %d, want 400", code)
	}
}
