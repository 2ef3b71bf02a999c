package e2e_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// The worst case: evidence items of 20,000 characters full of <,
// each sent by JSON as \u003c. The case refuses the one that would carry
// it past its bounds with 422 on text, long before Temporal's 2 MB payload
// limit, and keeps taking actions.
func TestEvidenceFullOfEscapesIsRefusedBeforeItBricksTheCase(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	opened := s.call("POST", "/v1/cases", agent, s.chargeback(s.payment("49.99", "USD"), time.Now().Add(30*24*time.Hour)))
	expect(t, opened, http.StatusCreated)
	id := opened.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)

	text := strings.Repeat("<", casedesk.MaxBodyLen)
	taken := 0
	for range 20 {
		r := s.call("POST", "/v1/cases/"+id+"/evidence", agent, map[string]any{"kind": "receipt", "text": text})
		if r.status != http.StatusOK {
			expectProblem(t, r, http.StatusUnprocessableEntity, "text")
			break
		}
		taken++
	}
	if want := casedesk.MaxEvidenceBytes / casedesk.EncodedLen(text); taken != want {
		t.Fatalf("%d items taken, want %d", taken, want)
	}
	// The case goes on: a note, a shorter item, the response.
	expect(t, s.call("POST", "/v1/cases/"+id+"/notes", agent, map[string]any{"body": "evidence is full"}), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+id+"/evidence", agent, map[string]any{"kind": "receipt", "text": "Signed receipt"}), http.StatusOK)
	r := s.call("POST", "/v1/cases/"+id+"/respond", agent, map[string]any{"summary": "Delivered"})
	expect(t, r, http.StatusOK)
	if r.body["status"] != "pending_approval" {
		t.Fatalf("after responding: %s", r.body["status"])
	}
	if n := len(r.raw); n > 1<<20 {
		t.Errorf("the case is %d bytes", n)
	}
}

// The timeline pages oldest first; the customer's page shows the latest
// events and links earlier ones.
func TestTimelinePages(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	opened := s.call("POST", "/v1/cases", agent, map[string]any{"type": "inquiry", "customer_id": s.customer.ID,
		"subject": "Charged twice", "channel": "phone"})
	expect(t, opened, http.StatusCreated)
	id := opened.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	for i := range 5 {
		expect(t, s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "Update " + string(rune('A'+i))}), http.StatusOK)
	}

	var seqs []float64
	path := "/v1/cases/" + id + "/events?limit=3"
	for pages := 0; path != ""; pages++ {
		r := s.call("GET", path, agent, nil)
		expect(t, r, http.StatusOK)
		for _, e := range r.body["items"].([]any) {
			seqs = append(seqs, e.(map[string]any)["seq"].(float64))
		}
		path = ""
		if next, ok := r.body["next_cursor"].(string); ok {
			path = "/v1/cases/" + id + "/events?limit=3&cursor=" + url.QueryEscape(next)
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if len(seqs) != 7 || seqs[0] != 1 || seqs[6] != 7 {
		t.Fatalf("pages gave seqs %v, want 1…7", seqs)
	}
	whole := s.call("GET", "/v1/cases/"+id+"/events", agent, nil)
	expect(t, whole, http.StatusOK)
	if len(whole.body["items"].([]any)) != 7 || whole.body["next_cursor"] != nil {
		t.Fatalf("the default page: %s", whole.raw)
	}
	expectProblem(t, s.call("GET", "/v1/cases/"+id+"/events?limit=501", agent, nil), http.StatusUnprocessableEntity, "limit")
	expectProblem(t, s.call("GET", "/v1/cases/"+id+"/events?cursor=7", agent, nil), http.StatusUnprocessableEntity, "cursor")

	// 51 replies from the customer's side: the page shows the latest 50.
	for i := range 45 {
		expect(t, s.call("POST", "/v1/cases/"+id+"/customer-reply", agent, map[string]any{"body": "Reply " + string(rune('a'+i%26))}), http.StatusOK)
	}
	token := testSigner.CustomerToken(id, s.customer.ID, time.Now().Add(time.Hour))
	page := getPage(t, s.url+"/c/"+token)
	if n := strings.Count(page, "<li>"); n != 50 {
		t.Fatalf("the customer's page shows %d events, want 50", n)
	}
	if strings.Contains(page, "You contacted us") || !strings.Contains(page, "?before=") {
		t.Fatalf("the latest page holds the opening or no Earlier link")
	}
	i := strings.Index(page, "/c/"+token+"?before=")
	link := page[i : strings.Index(page[i:], `"`)+i]
	earlier := getPage(t, s.url+link)
	if !strings.Contains(earlier, "You contacted us") || strings.Contains(earlier, "?before=") || strings.Count(earlier, "<li>") != 1 {
		t.Fatalf("the earlier page: %d events", strings.Count(earlier, "<li>"))
	}
}

// getPage returns the body of a GET of url, which must answer 200.
func getPage(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(body)
}
