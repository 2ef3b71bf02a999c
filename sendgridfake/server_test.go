package sendgridfake_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/casedesk/casedesk/sendgridfake"
)

const key = "SG.test-key"

// validBody is the smallest message SendGrid accepts, with both body parts.
const validBody = `{
  "personalizations": [{"to": [{"email": "ada@example.com", "name": "Ada"}]}],
  "from": {"email": "support@casedesk.example", "name": "casedesk"},
  "subject": "[C-7Q4K2M] We received your request",
  "content": [{"type": "text/plain", "value": "Hello"}, {"type": "text/html", "value": "<p>Hello</p>"}],
  "custom_args": {"case_id": "C-7Q4K2M"}
}`

type apiError struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Help    *string `json:"help"`
}

type response struct {
	status int
	header http.Header
	body   string
	errors []apiError
}

// send posts body to the fake's Mail Send route with auth (when not empty).
func send(t *testing.T, s *sendgridfake.Server, auth, body string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, sendgridfake.SendPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(t, s, req)
}

func do(t *testing.T, s *sendgridfake.Server, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	r := response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if r.status >= 400 {
		var b struct {
			Errors []apiError `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || len(b.Errors) == 0 {
			t.Fatalf("status %d: body %q is not SendGrid's error JSON", r.status, r.body)
		}
		r.errors = b.Errors
	}
	return r
}

// patch returns validBody with the top-level fields of change set (null
// deletes a field).
func patch(t *testing.T, change string) string {
	t.Helper()
	var doc, delta map[string]any
	if err := json.Unmarshal([]byte(validBody), &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(change), &delta); err != nil {
		t.Fatalf("bad test change %s: %v", change, err)
	}
	for k, v := range delta {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fields(errs []apiError) []string {
	var out []string
	for _, e := range errs {
		if e.Field == nil {
			out = append(out, "<null>")
		} else {
			out = append(out, *e.Field)
		}
	}
	return out
}

func TestValidation(t *testing.T) {
	many := func(n int, item func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	tests := []struct {
		name   string
		change string // applied to validBody by patch
		fields []string
	}{
		{"a valid message is accepted", `{}`, nil},
		{"a message without personalizations is refused", `{"personalizations": null}`, []string{"personalizations"}},
		{"an empty personalizations array is refused", `{"personalizations": []}`, []string{"personalizations"}},
		{"personalizations that is no array is refused", `{"personalizations": {"to": []}}`, []string{"personalizations"}},
		{"more than 1000 personalizations are refused", `{"personalizations": ` + many(1001, func(i int) string {
			return fmt.Sprintf(`{"to": [{"email": "r%d@example.com"}]}`, i)
		}) + `}`, []string{"personalizations"}},
		{"exactly 1000 personalizations are accepted", `{"personalizations": ` + many(1000, func(i int) string {
			return fmt.Sprintf(`{"to": [{"email": "r%d@example.com"}]}`, i)
		}) + `}`, nil},
		{"a personalization without to is refused", `{"personalizations": [{"cc": [{"email": "a@example.com"}]}]}`, []string{"personalizations.0.to"}},
		{"a personalization with an empty to is refused", `{"personalizations": [{"to": []}]}`, []string{"personalizations.0.to"}},
		{"a recipient without an email is refused", `{"personalizations": [{"to": [{"name": "Ada"}]}]}`, []string{"personalizations.0.to.0.email"}},
		{"a recipient with a bad email is refused", `{"personalizations": [{"to": [{"email": "ada@example.com"}, {"email": "not-an-address"}]}]}`, []string{"personalizations.0.to.1.email"}},
		{"a recipient with a display name in the email is refused", `{"personalizations": [{"to": [{"email": "Ada <ada@example.com>"}]}]}`, []string{"personalizations.0.to.0.email"}},
		{"a bad cc and a bad bcc are refused", `{"personalizations": [{"to": [{"email": "a@example.com"}], "cc": [{"email": "x@"}], "bcc": [{"email": "@y.com"}]}]}`, []string{"personalizations.0.cc.0.email", "personalizations.0.bcc.0.email"}},
		{"the same address twice in one personalization is refused", `{"personalizations": [{"to": [{"email": "a@example.com"}], "bcc": [{"email": "A@example.com"}]}]}`, []string{"personalizations.0"}},
		{"more than 1000 recipients in all are refused", `{"personalizations": [{"to": ` + many(600, func(i int) string {
			return fmt.Sprintf(`{"email": "t%d@example.com"}`, i)
		}) + `}, {"to": ` + many(401, func(i int) string {
			return fmt.Sprintf(`{"email": "u%d@example.com"}`, i)
		}) + `}]}`, []string{"personalizations"}},
		{"a message without from is refused", `{"from": null}`, []string{"from.email"}},
		{"a from without email is refused", `{"from": {"name": "casedesk"}}`, []string{"from.email"}},
		{"a from with a bad email is refused", `{"from": {"email": "support"}}`, []string{"from.email"}},
		{"a message without any subject is refused", `{"subject": null}`, []string{"subject"}},
		{"an empty subject is refused", `{"subject": ""}`, []string{"subject"}},
		{"a subject in every personalization is enough", `{"subject": null, "personalizations": [{"to": [{"email": "a@example.com"}], "subject": "one"}, {"to": [{"email": "b@example.com"}], "subject": "two"}]}`, nil},
		{"a subject in only some personalizations is not enough", `{"subject": null, "personalizations": [{"to": [{"email": "a@example.com"}], "subject": "one"}, {"to": [{"email": "b@example.com"}]}]}`, []string{"subject"}},
		{"a subject that is no string is refused", `{"subject": 5}`, []string{"subject", "subject"}},
		{"a message without content is refused", `{"content": null}`, []string{"content"}},
		{"an empty content array is refused", `{"content": []}`, []string{"content"}},
		{"a template_id stands in for content and subject", `{"content": null, "subject": null, "template_id": "d-123"}`, nil},
		{"a content without type is refused", `{"content": [{"value": "Hello"}]}`, []string{"content.0.type"}},
		{"a content with an empty value is refused", `{"content": [{"type": "text/plain", "value": ""}]}`, []string{"content.0.value"}},
		{"a content whose value is no string is refused", `{"content": [{"type": "text/plain", "value": 7}]}`, []string{"content.0.value"}},
		{"text/html before text/plain is refused", `{"content": [{"type": "text/html", "value": "<p>Hi</p>"}, {"type": "text/plain", "value": "Hi"}]}`, []string{"content"}},
		{"text/plain after another type is refused", `{"content": [{"type": "text/calendar", "value": "BEGIN"}, {"type": "text/plain", "value": "Hi"}]}`, []string{"content"}},
		{"text/html alone is accepted", `{"content": [{"type": "text/html", "value": "<p>Hi</p>"}]}`, nil},
		{"text/plain, text/html then another type is accepted", `{"content": [{"type": "text/plain", "value": "Hi"}, {"type": "text/html", "value": "<p>Hi</p>"}, {"type": "text/calendar", "value": "BEGIN"}]}`, nil},
		{"text/plain twice is refused", `{"content": [{"type": "text/plain", "value": "Hi"}, {"type": "text/plain", "value": "Ho"}]}`, []string{"content"}},
		{"a valid reply_to is accepted", `{"reply_to": {"email": "reply+C-7Q4K2M.abc@reply.casedesk.example"}}`, nil},
		{"a reply_to with a bad email is refused", `{"reply_to": {"email": "nobody"}}`, []string{"reply_to.email"}},
		{"custom_args with a number value is refused", `{"custom_args": {"case_id": "C-1", "attempt": 2}}`, []string{"custom_args.attempt"}},
		{"custom_args that is no object is refused", `{"custom_args": ["case_id"]}`, []string{"custom_args"}},
		{"custom_args of a personalization with a bool value is refused", `{"personalizations": [{"to": [{"email": "a@example.com"}], "custom_args": {"vip": true}}]}`, []string{"personalizations.0.custom_args.vip"}},
		{"custom_args over 10000 bytes are refused", `{"custom_args": {"big": "` + strings.Repeat("x", 10001) + `"}}`, []string{"personalizations.0.custom_args"}},
		{"ten categories are accepted", `{"categories": ["a","b","c","d","e","f","g","h","i","j"]}`, nil},
		{"eleven categories are refused", `{"categories": ["a","b","c","d","e","f","g","h","i","j","k"]}`, []string{"categories"}},
		{"a duplicate category is refused", `{"categories": ["case_opened", "case_opened"]}`, []string{"categories.1"}},
		{"a category that is no string is refused", `{"categories": ["ok", 3]}`, []string{"categories.1"}},
		{"an empty category is refused", `{"categories": [""]}`, []string{"categories.0"}},
		{"every problem is listed at once", `{"from": null, "subject": null, "content": null, "personalizations": [{"to": [{"email": "bad"}]}]}`,
			[]string{"personalizations.0.to.0.email", "from.email", "subject", "content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sendgridfake.New(key)
			r := send(t, s, "Bearer "+key, patch(t, tt.change))
			if tt.fields == nil {
				if r.status != http.StatusAccepted {
					t.Fatalf("status %d, body %s; want 202", r.status, r.body)
				}
				if got := len(s.Accepted()); got != 1 {
					t.Fatalf("%d accepted, want 1", got)
				}
				return
			}
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", r.status)
			}
			if got := fields(r.errors); !slices.Equal(got, tt.fields) {
				t.Errorf("error fields %q, want %q; errors %+v", got, tt.fields, r.errors)
			}
			for _, e := range r.errors {
				if e.Message == "" || e.Help == nil || !strings.HasPrefix(*e.Help, "http") {
					t.Errorf("error %+v lacks a message or a help link", e)
				}
			}
			if got := len(s.Accepted()); got != 0 {
				t.Errorf("%d accepted, want none", got)
			}
		})
	}
}

func TestMalformedBodies(t *testing.T) {
	for _, body := range []string{``, `not json`, `[1, 2]`, `"text"`, validBody + `{}`, `{"personalizations": `} {
		t.Run(fmt.Sprintf("%.20q is a bad request", body), func(t *testing.T) {
			r := send(t, sendgridfake.New(key), "Bearer "+key, body)
			if r.status != http.StatusBadRequest || r.errors[0].Message != "Bad Request" || r.errors[0].Field != nil {
				t.Errorf("status %d, errors %+v; want 400 Bad Request with a null field", r.status, r.errors)
			}
		})
	}
}

func TestAccepted(t *testing.T) {
	s := sendgridfake.New(key)
	r := send(t, s, "Bearer "+key, validBody)
	if r.status != http.StatusAccepted || r.body != "" {
		t.Fatalf("status %d, body %q; want 202 and no body", r.status, r.body)
	}
	id := r.header.Get("X-Message-Id")
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(id) {
		t.Errorf("X-Message-Id %q is not 22 URL-safe characters", id)
	}
	got := s.Accepted()
	if len(got) != 1 {
		t.Fatalf("%d accepted, want 1", len(got))
	}
	a := got[0]
	if a.MessageID != id || a.Received.IsZero() {
		t.Errorf("accepted %q at %v, want %q at a time", a.MessageID, a.Received, id)
	}
	m := a.Mail
	if m.From.Email != "support@casedesk.example" || m.Personalizations[0].To[0] != (sendgridfake.Email{Email: "ada@example.com", Name: "Ada"}) ||
		m.Subject != "[C-7Q4K2M] We received your request" || len(m.Content) != 2 || m.Content[0].Type != "text/plain" ||
		m.CustomArgs["case_id"] != "C-7Q4K2M" {
		t.Errorf("decoded %+v", m)
	}
	if !json.Valid(a.Raw) {
		t.Errorf("raw body %q is not JSON", a.Raw)
	}

	second := send(t, s, "Bearer "+key, validBody).header.Get("X-Message-Id")
	if second == id {
		t.Errorf("two messages share the ID %q", id)
	}
	if got := s.Accepted(); len(got) != 2 || got[1].MessageID != second {
		t.Errorf("accepted %+v, want the second message last", got)
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name string
		auth string
	}{
		{"no Authorization header is refused", ""},
		{"a wrong key is refused", "Bearer SG.other"},
		{"the key without Bearer is refused", key},
		{"a basic scheme is refused", "Basic " + key},
		{"the key with a suffix is refused", "Bearer " + key + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sendgridfake.New(key)
			r := send(t, s, tt.auth, validBody)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", r.status)
			}
			want := `{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked","field":null,"help":null}]}`
			if strings.TrimSpace(r.body) != want {
				t.Errorf("body %s, want %s", r.body, want)
			}
			if len(s.Accepted()) != 0 {
				t.Error("an unauthorized message was accepted")
			}
		})
	}
	t.Run("an empty key authorizes nothing", func(t *testing.T) {
		if r := send(t, sendgridfake.New(""), "Bearer ", validBody); r.status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", r.status)
		}
	})
}

func TestRequestShape(t *testing.T) {
	t.Run("a GET on the send route is refused with 405", func(t *testing.T) {
		s := sendgridfake.New(key)
		req := httptest.NewRequest(http.MethodGet, sendgridfake.SendPath, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		if r := do(t, s, req); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost {
			t.Errorf("status %d, Allow %q; want 405 and POST", r.status, r.header.Get("Allow"))
		}
	})
	t.Run("a body that is not declared JSON is refused with 415", func(t *testing.T) {
		s := sendgridfake.New(key)
		req := httptest.NewRequest(http.MethodPost, sendgridfake.SendPath, strings.NewReader(validBody))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "text/plain")
		if r := do(t, s, req); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("status %d, want 415", r.status)
		}
	})
	t.Run("a gzipped body is accepted", func(t *testing.T) {
		s := sendgridfake.New(key)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(validBody))
		zw.Close()
		req := httptest.NewRequest(http.MethodPost, sendgridfake.SendPath, &buf)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("Content-Encoding", "gzip")
		if r := do(t, s, req); r.status != http.StatusAccepted {
			t.Errorf("status %d, body %s; want 202", r.status, r.body)
		}
	})
	t.Run("a body over 30 MB is refused with 413", func(t *testing.T) {
		// Whitespace is valid JSON padding: only the size is wrong.
		big := strings.Repeat(" ", sendgridfake.MaxBodyBytes) + validBody
		if r := send(t, sendgridfake.New(key), "Bearer "+key, big); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", r.status)
		}
	})
	t.Run("an unknown path is 404", func(t *testing.T) {
		if r := do(t, sendgridfake.New(key), httptest.NewRequest(http.MethodPost, "/v3/mail/batch", nil)); r.status != http.StatusNotFound {
			t.Errorf("status %d, want 404", r.status)
		}
	})
}

func TestFailNext(t *testing.T) {
	t.Run("armed 500s answer the next n requests, before auth, then sends succeed", func(t *testing.T) {
		s := sendgridfake.New(key)
		s.FailNext(http.StatusInternalServerError, 2)
		if r := send(t, s, "Bearer wrong", validBody); r.status != http.StatusInternalServerError {
			t.Fatalf("first: status %d, want 500 even with a wrong key", r.status)
		}
		if r := send(t, s, "Bearer "+key, validBody); r.status != http.StatusInternalServerError {
			t.Fatalf("second: status %d, want 500", r.status)
		}
		if r := send(t, s, "Bearer "+key, validBody); r.status != http.StatusAccepted {
			t.Fatalf("third: status %d, want 202", r.status)
		}
		if got := s.Requests(); got != 3 {
			t.Errorf("Requests() = %d, want 3", got)
		}
		if got := len(s.Accepted()); got != 1 {
			t.Errorf("%d accepted, want 1", got)
		}
	})
	t.Run("an armed 429 says when to retry", func(t *testing.T) {
		s := sendgridfake.New(key)
		s.FailNext(http.StatusTooManyRequests, 1)
		r := send(t, s, "Bearer "+key, validBody)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("status %d, headers %v; want 429 with Retry-After: 1 and X-RateLimit-Reset", r.status, r.header)
		}
	})
	t.Run("arming again replaces the earlier arming and n=0 disarms", func(t *testing.T) {
		s := sendgridfake.New(key)
		s.FailNext(http.StatusInternalServerError, 5)
		s.FailNext(http.StatusServiceUnavailable, 1)
		if r := send(t, s, "Bearer "+key, validBody); r.status != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", r.status)
		}
		s.FailNext(http.StatusInternalServerError, 3)
		s.FailNext(http.StatusInternalServerError, 0)
		if r := send(t, s, "Bearer "+key, validBody); r.status != http.StatusAccepted {
			t.Errorf("status %d, want 202", r.status)
		}
	})
	t.Run("Reset forgets messages, counts and armed failures", func(t *testing.T) {
		s := sendgridfake.New(key)
		send(t, s, "Bearer "+key, validBody)
		s.FailNext(http.StatusInternalServerError, 1)
		s.Reset()
		if s.Requests() != 0 || len(s.Accepted()) != 0 {
			t.Errorf("after Reset: %d requests, %d accepted", s.Requests(), len(s.Accepted()))
		}
		if r := send(t, s, "Bearer "+key, validBody); r.status != http.StatusAccepted {
			t.Errorf("status %d after Reset, want 202", r.status)
		}
	})
	t.Run("a status that is no error panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("FailNext(200, 1) did not panic")
			}
		}()
		sendgridfake.New(key).FailNext(http.StatusOK, 1)
	})
}

func TestControlRoutes(t *testing.T) {
	s := sendgridfake.New(key)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	post := func(path string) *http.Response {
		t.Helper()
		res, err := http.Post(srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/_fake/fail?status=500&n=2"); res.StatusCode != http.StatusOK {
		t.Fatalf("arming: status %d", res.StatusCode)
	}
	for _, bad := range []string{"/_fake/fail?status=200", "/_fake/fail?status=abc", "/_fake/fail?status=500&n=-1"} {
		if res := post(bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, res.StatusCode)
		}
	}
	for i, want := range []int{500, 500, 202} {
		if r := send(t, s, "Bearer "+key, validBody); r.status != want {
			t.Errorf("send %d: status %d, want %d", i, r.status, want)
		}
	}

	res, err := http.Get(srv.URL + "/_fake/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got []sendgridfake.Accepted
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Mail.Personalizations[0].To[0].Email != "ada@example.com" || got[0].MessageID == "" {
		t.Errorf("GET /_fake/messages = %+v, want the one accepted message", got)
	}

	if res := post("/_fake/reset"); res.StatusCode != http.StatusNoContent || len(s.Accepted()) != 0 {
		t.Errorf("reset: status %d, %d accepted", res.StatusCode, len(s.Accepted()))
	}
}

func TestOnAccept(t *testing.T) {
	s := sendgridfake.New(key)
	var got []string
	s.OnAccept(func(a sendgridfake.Accepted) { got = append(got, a.Mail.Subject) })
	send(t, s, "Bearer "+key, validBody)
	send(t, s, "Bearer wrong", validBody)
	if len(got) != 1 || got[0] != "[C-7Q4K2M] We received your request" {
		t.Errorf("OnAccept saw %q, want the one accepted subject", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := sendgridfake.New(key)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	const senders, each, failures = 8, 25, 10
	s.FailNext(http.StatusInternalServerError, failures)

	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := strings.Replace(validBody, "ada@example.com", fmt.Sprintf("g%d-%d@example.com", g, i), 1)
				req, _ := http.NewRequest(http.MethodPost, srv.URL+sendgridfake.SendPath, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
				_ = s.Accepted() // readers alongside writers
				_ = s.Requests()
			}
		}()
	}
	wg.Wait()

	total := senders * each
	if statuses[500] != failures || statuses[202] != total-failures {
		t.Errorf("statuses %v, want %d × 500 and %d × 202", statuses, failures, total-failures)
	}
	if got := s.Requests(); got != total {
		t.Errorf("Requests() = %d, want %d", got, total)
	}
	ids := map[string]bool{}
	for _, a := range s.Accepted() {
		ids[a.MessageID] = true
	}
	if len(ids) != total-failures {
		t.Errorf("%d distinct message IDs, want %d", len(ids), total-failures)
	}
}
