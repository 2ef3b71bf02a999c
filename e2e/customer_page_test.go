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

// page fetches a customer page without following redirects.
func page(t *testing.T, method, u string, form url.Values) (int, string, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var res *http.Response
	var err error
	if method == "GET" {
		res, err = client.Get(u)
	} else {
		res, err = client.PostForm(u, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

func TestTheCustomerPageShowsThePublicTimelineTakesRepliesAndOneRating(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent := s.as(casedesk.RoleAgent)
	id := s.openAssigned()
	expect(t, s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "We are on it."}), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+id+"/notes", agent, map[string]any{"body": "SECRET internal note"}), http.StatusOK)
	token := testSigner.CaseToken(id, time.Now().Add(time.Hour))
	link := s.url + "/c/" + token

	status, body, _ := page(t, "GET", link, nil)
	if status != 200 || !strings.Contains(body, id) || !strings.Contains(body, "We are on it.") {
		t.Fatalf("page %d: %s", status, body)
	}
	if strings.Contains(body, "SECRET") || strings.Contains(body, s.users[casedesk.RoleAgent].ID) {
		t.Fatal("the page shows an internal note or a staff ID")
	}
	if strings.Contains(body, `action="/c/`+token+`/csat"`) {
		t.Error("a CSAT form before the case is resolved")
	}
	tampered := token[:len(token)-2] + "xx"
	if status, _, _ := page(t, "GET", s.url+"/c/"+tampered, nil); status != 404 {
		t.Errorf("a tampered token gave %d, want 404", status)
	}
	if status, _, _ := page(t, "GET", s.url+"/c/"+testSigner.CaseToken(id, time.Now().Add(-time.Second)), nil); status != 404 {
		t.Errorf("an expired token gave %d, want 404", status)
	}

	if status, _, _ := page(t, "POST", link+"/reply", url.Values{"token": {"other"}, "body": {"forged"}}); status != 403 {
		t.Errorf("a form without the link's token gave %d, want 403", status)
	}
	status, _, loc := page(t, "POST", link+"/reply", url.Values{"token": {token}, "body": {"Thanks, it was my Visa."}})
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "?done=reply") {
		t.Fatalf("reply: %d %s", status, loc)
	}
	if got := customerReplies(s, id); len(got) != 1 || got[0] != "Thanks, it was my Visa." {
		t.Fatalf("customer replies %q", got)
	}
	if status, _, _ := page(t, "POST", link+"/csat", url.Values{"token": {token}, "rating": {"5"}}); status != http.StatusConflict {
		t.Errorf("rating an open case gave %d, want 409", status)
	}

	expect(t, s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "answered", "summary": "Hold released."}), http.StatusOK)
	_, body, _ = page(t, "GET", link, nil)
	if !strings.Contains(body, `action="/c/`+token+`/csat"`) || !strings.Contains(body, "Hold released.") {
		t.Fatalf("no CSAT form or resolution on the resolved page: %s", body)
	}
	if status, _, _ := page(t, "POST", link+"/csat", url.Values{"token": {token}, "rating": {"9"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("a rating of 9 gave %d, want 422", status)
	}
	if status, _, loc := page(t, "POST", link+"/csat", url.Values{"token": {token}, "rating": {"4"}, "comment": {"Quick, thanks"}}); status != http.StatusSeeOther || !strings.HasSuffix(loc, "?done=csat") {
		t.Fatalf("rating: %d %s", status, loc)
	}
	status, body, _ = page(t, "POST", link+"/csat", url.Values{"token": {token}, "rating": {"1"}})
	if status != http.StatusConflict || !strings.Contains(body, "already have your rating") {
		t.Errorf("a second rating gave %d", status)
	}
	rating, comment, _, err := s.db.CSAT(t.Context(), id)
	if err != nil || rating != 4 || comment != "Quick, thanks" {
		t.Errorf("stored rating %d %q %v, want 4", rating, comment, err)
	}
}
