package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// browser is a client with a cookie jar, as the console's browser is, that
// sends the session's CSRF token once it has one.
type browser struct {
	t      testing.TB
	s      *system
	client *http.Client
	csrf   string
}

func (s *system) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &browser{t: s.t, s: s, client: &http.Client{Jar: jar}}
}

func (b *browser) call(method, path string, body any, headers ...string) response {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, b.s.url+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set("X-Casedesk-CSRF", b.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			b.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

// signIn signs in and keeps the CSRF token.
func (b *browser) signIn(email, password string) response {
	b.t.Helper()
	r := b.call("POST", "/v1/session", map[string]any{"email": email, "password": password})
	if r.status == http.StatusCreated {
		b.csrf, _ = r.body["csrf_token"].(string)
	}
	return r
}

// staffWithPassword creates a user of role with password through the API.
func (s *system) staffWithPassword(role casedesk.Role, password string) (id, email string) {
	s.t.Helper()
	email = string(role) + "-" + randomHex(4) + "@casedesk.test"
	r := s.call("POST", "/v1/users", s.as(casedesk.RoleAdmin), map[string]any{
		"name": "Signed " + string(role), "email": email, "role": role, "password": password})
	expect(s.t, r, http.StatusCreated)
	if r.body["has_password"] != true {
		s.t.Fatalf("created user has no password: %s", r.raw)
	}
	return r.body["id"].(string), email
}

func TestConsoleSessions(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	const password = "a long enough password"

	t.Run("signing in sets an HttpOnly SameSite=Lax cookie and the session works for reads and CSRF-checked writes", func(t *testing.T) {
		id, email := s.staffWithPassword(casedesk.RoleAgent, password)
		b := s.browser()
		r := b.signIn(strings.ToUpper(email), password)
		expect(t, r, http.StatusCreated)
		cookie := r.header.Get("Set-Cookie")
		for _, want := range []string{"casedesk_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("Set-Cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("Set-Cookie %q is Secure outside production", cookie)
		}
		if b.csrf == "" || r.body["user"].(map[string]any)["id"] != id {
			t.Fatalf("sign-in answer: %s", r.raw)
		}
		me := b.call("GET", "/v1/me", nil)
		expect(t, me, http.StatusOK)
		if me.body["id"] != id {
			t.Errorf("/v1/me is %v; want %s", me.body["id"], id)
		}
		got := b.call("GET", "/v1/session", nil)
		expect(t, got, http.StatusOK)
		if got.body["csrf_token"] != b.csrf {
			t.Error("GET /v1/session returns another CSRF token")
		}

		csrf := b.csrf
		b.csrf = ""
		expectProblem(t, b.call("POST", "/v1/cases", newInquiry(s)), http.StatusForbidden, "")
		b.csrf = "not-the-token"
		expectProblem(t, b.call("POST", "/v1/cases", newInquiry(s)), http.StatusForbidden, "")
		b.csrf = csrf
		opened := b.call("POST", "/v1/cases", newInquiry(s))
		expect(t, opened, http.StatusCreated)
		if opened.body["opened_by"] != id {
			t.Errorf("opened by %v; want the signed-in user %s", opened.body["opened_by"], id)
		}
	})

	t.Run("a wrong password, an unknown email and an integration user get the same 401", func(t *testing.T) {
		_, email := s.staffWithPassword(casedesk.RoleSupervisor, password)
		for _, tc := range []struct{ name, email, password string }{
			{"wrong password", email, password + "!"},
			{"unknown email", "nobody-" + randomHex(3) + "@casedesk.test", password},
			{"user without a password", s.users[casedesk.RoleAgent].Email, password},
			{"integration user", s.users[casedesk.RoleIntegration].Email, password},
		} {
			r := s.browser().signIn(tc.email, tc.password)
			expectProblem(t, r, http.StatusUnauthorized, "")
			if r.body["detail"] != "the email or password is not right" {
				t.Errorf("%s: detail %q", tc.name, r.body["detail"])
			}
		}
	})

	t.Run("a password under 12 characters is refused, and an integration user takes none", func(t *testing.T) {
		admin := s.as(casedesk.RoleAdmin)
		expectProblem(t, s.call("POST", "/v1/users", admin, map[string]any{"name": "Short", "email": "short-" + randomHex(3) + "@casedesk.test",
			"role": "agent", "password": "elevenchars"}), http.StatusUnprocessableEntity, "password")
		expectProblem(t, s.call("POST", "/v1/users", admin, map[string]any{"name": "Feed", "email": "feed-" + randomHex(3) + "@casedesk.test",
			"role": "integration", "password": password}), http.StatusUnprocessableEntity, "password")
	})

	t.Run("bearer tokens keep working beside sessions", func(t *testing.T) {
		expect(t, s.call("GET", "/v1/me", s.as(casedesk.RoleIntegration), nil), http.StatusOK)
		expect(t, s.call("POST", "/v1/cases", s.as(casedesk.RoleAgent), newInquiry(s)), http.StatusCreated)
		expectProblem(t, s.call("GET", "/v1/session", s.as(casedesk.RoleAgent), nil), http.StatusNotFound, "")
	})

	t.Run("signing out ends the session", func(t *testing.T) {
		_, email := s.staffWithPassword(casedesk.RoleAgent, password)
		b := s.browser()
		expect(t, b.signIn(email, password), http.StatusCreated)
		expect(t, b.call("DELETE", "/v1/session", nil), http.StatusNoContent)
		expectProblem(t, b.call("GET", "/v1/me", nil), http.StatusUnauthorized, "")
	})

	t.Run("a password change ends every session; one's own needs the current password", func(t *testing.T) {
		id, email := s.staffWithPassword(casedesk.RoleAgent, password)
		self, other := s.browser(), s.browser()
		expect(t, self.signIn(email, password), http.StatusCreated)
		expect(t, other.signIn(email, password), http.StatusCreated)
		expectProblem(t, self.call("PUT", "/v1/users/"+id+"/password", map[string]any{"password": "my new password", "current_password": "wrong one"}),
			http.StatusUnprocessableEntity, "current_password")
		expect(t, self.call("PUT", "/v1/users/"+id+"/password", map[string]any{"password": "my new password", "current_password": password}),
			http.StatusNoContent)
		expectProblem(t, other.call("GET", "/v1/me", nil), http.StatusUnauthorized, "")
		// The browser that changed it got a new session.
		expect(t, self.call("GET", "/v1/me", nil), http.StatusOK)
		expectProblem(t, s.browser().signIn(email, password), http.StatusUnauthorized, "")
		expect(t, s.browser().signIn(email, "my new password"), http.StatusCreated)

		// An admin resets it; an agent may not set another's.
		expectProblem(t, s.call("PUT", "/v1/users/"+id+"/password", s.as(casedesk.RoleAgent), map[string]any{"password": "stolen password!"}),
			http.StatusForbidden, "")
		expect(t, s.call("PUT", "/v1/users/"+id+"/password", s.as(casedesk.RoleAdmin), map[string]any{"password": "reset by the admin"}),
			http.StatusNoContent)
		expectProblem(t, self.call("GET", "/v1/me", nil), http.StatusUnauthorized, "")
		expect(t, s.browser().signIn(email, "reset by the admin"), http.StatusCreated)
	})

	t.Run("deactivation ends the user's sessions and token at once", func(t *testing.T) {
		id, email := s.staffWithPassword(casedesk.RoleAgent, password)
		b := s.browser()
		expect(t, b.signIn(email, password), http.StatusCreated)
		expectProblem(t, s.call("POST", "/v1/users/"+id+"/deactivate", s.as(casedesk.RoleSupervisor), nil), http.StatusForbidden, "")
		r := s.call("POST", "/v1/users/"+id+"/deactivate", s.as(casedesk.RoleAdmin), nil)
		expect(t, r, http.StatusOK)
		if r.body["deactivated_at"] == nil {
			t.Errorf("deactivated user: %s", r.raw)
		}
		expectProblem(t, b.call("GET", "/v1/me", nil), http.StatusUnauthorized, "")
		expectProblem(t, s.browser().signIn(email, password), http.StatusUnauthorized, "")
		expectProblem(t, s.call("POST", "/v1/users/"+s.users[casedesk.RoleAdmin].ID+"/deactivate", s.as(casedesk.RoleAdmin), nil),
			http.StatusConflict, "")
		list := s.call("GET", "/v1/users", s.as(casedesk.RoleAgent), nil)
		expect(t, list, http.StatusOK)
		found := false
		for _, it := range list.body["items"].([]any) {
			if u := it.(map[string]any); u["id"] == id {
				found = u["deactivated_at"] != nil
			}
		}
		if !found {
			t.Error("the user list does not show the user deactivated")
		}
	})

	t.Run("sign-in attempts for one address are rate limited", func(t *testing.T) {
		_, email := s.staffWithPassword(casedesk.RoleAgent, password)
		var last response
		for range 11 {
			last = s.browser().signIn(email, "not the password")
		}
		expectProblem(t, last, http.StatusTooManyRequests, "")
		if last.header.Get("Retry-After") == "" || last.body["code"] != "rate_limited" {
			t.Errorf("429 without Retry-After or code: %v %s", last.header, last.raw)
		}
		// Even the right password waits.
		expectProblem(t, s.browser().signIn(email, password), http.StatusTooManyRequests, "")
	})
}

func TestQueuesCountTheirCases(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent := s.as(casedesk.RoleAgent)
	expect(t, s.call("POST", "/v1/cases", agent, newInquiry(s)), http.StatusCreated)
	s.openAssigned()
	r := s.call("GET", "/v1/queues", agent, nil)
	expect(t, r, http.StatusOK)
	counts := map[string]float64{}
	for _, it := range r.body["items"].([]any) {
		q := it.(map[string]any)
		counts[q["name"].(string)] = q["count"].(float64)
	}
	want := map[string]float64{"mine": 1, "unassigned": 1, "waiting": 0, "pending_approval": 0, "needs_supervisor": 0, "all": 2}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("queue %s counts %v; want %v (all: %v)", k, counts[k], v, counts)
		}
	}
}
