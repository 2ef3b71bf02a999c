package mail_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/sendgridfake"
)

const apiKey = "SG.casedesk-test.0123456789abcdef"

// startFake runs the SendGrid fake for the test and returns it and its URL.
func startFake(t *testing.T) (*sendgridfake.Server, string) {
	t.Helper()
	fake := sendgridfake.New(apiKey)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// message renders a case_opened email into a Message.
func message(t *testing.T) mail.Message {
	t.Helper()
	d := full()
	subject, text, html, err := mail.Render(mail.KindCaseOpened, d)
	if err != nil {
		t.Fatal(err)
	}
	return mail.Message{
		Kind:       mail.KindCaseOpened,
		CaseID:     caseID,
		DedupeKey:  caseID + "/case_opened/1",
		From:       mail.Address{Email: "support@casedesk.example", Name: "casedesk support"},
		To:         []mail.Address{{Email: "ada@example.com", Name: "Ada Lovelace"}},
		ReplyTo:    &mail.Address{Email: "reply+C-7Q4K2M.abc@reply.casedesk.example"},
		Subject:    subject,
		Text:       text,
		HTML:       html,
		Categories: []string{"customer", mail.KindCaseOpened},
		CustomArgs: map[string]string{"tenant": "demo", mail.ArgCaseID: "C-OTHER"},
	}
}

// sendError asserts err is a *mail.SendError and returns it.
func sendError(t *testing.T, err error) *mail.SendError {
	t.Helper()
	var se *mail.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is no *mail.SendError", err, err)
	}
	if strings.Contains(err.Error(), apiKey) || strings.Contains(se.Message, apiKey) {
		t.Errorf("error %q reveals the API key", err)
	}
	return se
}

func TestSendAccepted(t *testing.T) {
	fake, url := startFake(t)
	m := message(t)
	m.To = append(m.To, mail.Address{Email: "billing@example.com"})

	id, err := mail.NewSender(apiKey, url, 5*time.Second).Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Accepted()
	if len(got) != 1 {
		t.Fatalf("the fake accepted %d messages, want 1", len(got))
	}
	a := got[0]
	if id == "" || id != a.MessageID {
		t.Errorf("Send returned ID %q, the fake answered %q", id, a.MessageID)
	}

	b := a.Mail
	t.Run("plain text comes before HTML", func(t *testing.T) {
		if len(b.Content) != 2 || b.Content[0].Type != "text/plain" || b.Content[1].Type != "text/html" ||
			b.Content[0].Value != m.Text || b.Content[1].Value != m.HTML {
			t.Errorf("content %+v", b.Content)
		}
	})
	t.Run("each recipient gets a personalization of their own", func(t *testing.T) {
		if len(b.Personalizations) != 2 ||
			b.Personalizations[0].To[0] != (sendgridfake.Email{Email: "ada@example.com", Name: "Ada Lovelace"}) ||
			b.Personalizations[1].To[0] != (sendgridfake.Email{Email: "billing@example.com"}) ||
			len(b.Personalizations[0].To) != 1 || len(b.Personalizations[1].To) != 1 {
			t.Errorf("personalizations %+v", b.Personalizations)
		}
	})
	t.Run("custom_args carry case, kind and dedupe key, which win over the caller's", func(t *testing.T) {
		want := map[string]string{"case_id": caseID, "kind": "case_opened", "dedupe_key": caseID + "/case_opened/1", "tenant": "demo"}
		if len(b.CustomArgs) != len(want) {
			t.Errorf("custom_args %v, want %v", b.CustomArgs, want)
		}
		for k, v := range want {
			if b.CustomArgs[k] != v {
				t.Errorf("custom_args[%q] = %q, want %q", k, b.CustomArgs[k], v)
			}
		}
	})
	t.Run("sender, reply-to, subject and categories are as given", func(t *testing.T) {
		if b.From != (sendgridfake.Email{Email: "support@casedesk.example", Name: "casedesk support"}) ||
			b.ReplyTo == nil || b.ReplyTo.Email != m.ReplyTo.Email || b.Subject != m.Subject ||
			strings.Join(b.Categories, ",") != "customer,case_opened" {
			t.Errorf("body %+v", b)
		}
	})
	t.Run("the raw body is SendGrid's v3 JSON", func(t *testing.T) {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(a.Raw, &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"personalizations", "from", "subject", "content", "custom_args", "reply_to", "categories"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("body lacks %q: %s", k, a.Raw)
			}
		}
	})
}

func TestSendWithoutHTML(t *testing.T) {
	fake, url := startFake(t)
	m := message(t)
	m.HTML = ""
	if _, err := mail.NewSender(apiKey, url, 5*time.Second).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if c := fake.Accepted()[0].Mail.Content; len(c) != 1 || c[0].Type != "text/plain" {
		t.Errorf("content %+v, want the plain text alone", c)
	}
}

func TestSendRefused(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		edit   func(m *mail.Message)
		status int
		says   []string
	}{
		{"a wrong API key is refused for good", "SG.wrong-key", nil, http.StatusUnauthorized,
			[]string{"401", "authorization grant is invalid"}},
		{"a bad recipient address is refused for good", apiKey, func(m *mail.Message) { m.To[0].Email = "ada.example.com" }, http.StatusBadRequest,
			[]string{"400", "personalizations.0.to.0.email", "Does not contain a valid address."}},
		{"a message without recipients is refused for good", apiKey, func(m *mail.Message) { m.To = nil }, http.StatusBadRequest,
			[]string{"personalizations", "at least one personalization"}},
		{"a message without a body is refused for good", apiKey, func(m *mail.Message) { m.Text, m.HTML = "", "" }, http.StatusBadRequest,
			[]string{"content"}},
		{"a bad sender and a bad reply-to are both named", apiKey, func(m *mail.Message) {
			m.From.Email = "support"
			m.ReplyTo.Email = "nobody"
		}, http.StatusBadRequest, []string{"from.email", "reply_to.email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, url := startFake(t)
			m := message(t)
			if tt.edit != nil {
				tt.edit(&m)
			}
			id, err := mail.NewSender(tt.key, url, 5*time.Second).Send(context.Background(), m)
			if err == nil {
				t.Fatalf("sent as %q", id)
			}
			se := sendError(t, err)
			if se.Status != tt.status || se.Retryable || se.RetryAfter != 0 {
				t.Errorf("error %+v, want status %d, not retryable", se, tt.status)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "SG.wrong-key") {
				t.Errorf("error %q reveals the key", err)
			}
			if len(fake.Accepted()) != 0 {
				t.Error("the fake accepted the message")
			}
		})
	}
}

func TestSendRetryable(t *testing.T) {
	t.Run("a 500 is retryable and the retry succeeds", func(t *testing.T) {
		fake, url := startFake(t)
		fake.FailNext(http.StatusInternalServerError, 1)
		s := mail.NewSender(apiKey, url, 5*time.Second)
		_, err := s.Send(context.Background(), message(t))
		se := sendError(t, err)
		if se.Status != http.StatusInternalServerError || !se.Retryable {
			t.Errorf("error %+v, want a retryable 500", se)
		}
		id, err := s.Send(context.Background(), message(t))
		if err != nil || id == "" {
			t.Fatalf("retry: id %q, err %v", id, err)
		}
		if fake.Requests() != 2 || len(fake.Accepted()) != 1 {
			t.Errorf("fake saw %d requests and accepted %d, want 2 and 1", fake.Requests(), len(fake.Accepted()))
		}
	})
	t.Run("a 429 is retryable after the Retry-After SendGrid gave", func(t *testing.T) {
		fake, url := startFake(t)
		fake.FailNext(http.StatusTooManyRequests, 1)
		_, err := mail.NewSender(apiKey, url, 5*time.Second).Send(context.Background(), message(t))
		se := sendError(t, err)
		if se.Status != http.StatusTooManyRequests || !se.Retryable || se.RetryAfter != sendgridfake.RetryAfter {
			t.Errorf("error %+v, want a retryable 429 after %v", se, sendgridfake.RetryAfter)
		}
		if !strings.Contains(se.Message, "too many requests") {
			t.Errorf("message %q lacks SendGrid's message", se.Message)
		}
	})
	t.Run("a 503 is retryable", func(t *testing.T) {
		fake, url := startFake(t)
		fake.FailNext(http.StatusServiceUnavailable, 1)
		_, err := mail.NewSender(apiKey, url, 5*time.Second).Send(context.Background(), message(t))
		if se := sendError(t, err); se.Status != http.StatusServiceUnavailable || !se.Retryable {
			t.Errorf("error %+v, want a retryable 503", se)
		}
	})
	t.Run("a server that does not answer times out, retryably", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })

		start := time.Now()
		_, err := mail.NewSender(apiKey, srv.URL, 100*time.Millisecond).Send(context.Background(), message(t))
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Send took %v with a 100ms timeout", took)
		}
		se := sendError(t, err)
		if se.Status != 0 || !se.Retryable || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %+v, want a retryable timeout", se)
		}
		if !strings.Contains(se.Message, "no answer within 100ms") {
			t.Errorf("message %q does not say it timed out", se.Message)
		}
	})
	t.Run("a server that is not there is retryable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := mail.NewSender(apiKey, url, time.Second).Send(context.Background(), message(t))
		if se := sendError(t, err); se.Status != 0 || !se.Retryable || se.Err == nil {
			t.Errorf("error %+v, want a retryable transport error", se)
		}
	})
	t.Run("a cancelled context is reported as such", func(t *testing.T) {
		_, url := startFake(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := mail.NewSender(apiKey, url, time.Second).Send(ctx, message(t))
		sendError(t, err)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v is not context.Canceled", err)
		}
	})
}

func TestSendErrorBodies(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"a body that is not SendGrid's JSON is quoted", http.StatusForbidden, "access forbidden", "403 Forbidden: access forbidden"},
		{"an empty body gives the status alone", http.StatusNotFound, "", "sendgrid: 404 Not Found"},
		{"a long body is cut", http.StatusBadRequest, strings.Repeat("x", 500), "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			_, err := mail.NewSender(apiKey, srv.URL+"/", time.Second).Send(context.Background(), message(t))
			se := sendError(t, err)
			if se.Status != tt.status || se.Retryable || !strings.Contains(err.Error(), tt.want) || len(se.Message) > 300 {
				t.Errorf("error %q (%+v), want status %d, not retryable, saying %q", err, se, tt.status, tt.want)
			}
		})
	}
}

func TestSendUsesTheGivenHostAndPath(t *testing.T) {
	var gotPath, gotAuth, gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth, gotType = r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		w.Header().Set("X-Message-Id", "abc")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	id, err := mail.NewSender(apiKey, srv.URL+"/", 0).Send(context.Background(), message(t))
	if err != nil || id != "abc" {
		t.Fatalf("id %q, err %v", id, err)
	}
	if gotPath != "/v3/mail/send" || gotAuth != "Bearer "+apiKey || gotType != "application/json" {
		t.Errorf("request to %q with Authorization %q and Content-Type %q", gotPath, gotAuth, gotType)
	}
}

func TestSendNeverRevealsTheKey(t *testing.T) {
	// A misbehaving proxy that echoes the request's headers in its error.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("upstream refused " + r.Header.Get("Authorization")))
	}))
	t.Cleanup(srv.Close)
	_, err := mail.NewSender(apiKey, srv.URL, time.Second).Send(context.Background(), message(t))
	se := sendError(t, err) // fails on the key
	if !se.Retryable || !strings.Contains(se.Message, "upstream refused Bearer [redacted]") {
		t.Errorf("error %+v", se)
	}
}
