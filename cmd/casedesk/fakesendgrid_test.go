package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/sendgridfake"
)

// syncBuffer is a bytes.Buffer the command and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls out until re matches, and returns the first submatch.
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[len(m)-1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("output never matched %s:\n%s", re, out.String())
	return ""
}

func TestFakeSendGridServes(t *testing.T) {
	const key = "SG.fake-command-test-key"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- runFakeSendGrid(ctx, []string{"--addr", "127.0.0.1:0", "--key", key}, &out) }()
	base := waitFor(t, &out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))

	sender := mail.NewSender(key, base, 5*time.Second)
	msg := mail.Message{
		Kind: mail.KindCaseOpened, CaseID: "C-7Q4K2M", DedupeKey: "C-7Q4K2M/1",
		From:    mail.Address{Email: "support@casedesk.example"},
		To:      []mail.Address{{Email: "ada@example.com"}},
		Subject: "[C-7Q4K2M] We received your request", Text: "Hello", HTML: "<p>Hello</p>",
	}
	id, err := sender.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("each accepted message is logged with its recipients and subject", func(t *testing.T) {
		line := waitFor(t, &out, regexp.MustCompile(`(?m)^.*msg=accepted.*$`))
		for _, w := range []string{"message_id=" + id, "to=ada@example.com", `subject="[C-7Q4K2M] We received your request"`, "case_id=C-7Q4K2M", "kind=case_opened"} {
			if !strings.Contains(line, w) {
				t.Errorf("log line %q lacks %q", line, w)
			}
		}
		if strings.Contains(out.String(), key) {
			t.Error("the output shows the key")
		}
	})
	t.Run("GET /_fake/messages lists the accepted messages", func(t *testing.T) {
		res, err := http.Get(base + "/_fake/messages")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var got []sendgridfake.Accepted
		if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].MessageID != id || got[0].Mail.CustomArgs["dedupe_key"] != "C-7Q4K2M/1" {
			t.Errorf("messages %+v", got)
		}
	})
	t.Run("POST /_fake/fail arms failures", func(t *testing.T) {
		res, err := http.Post(base+"/_fake/fail?status=500&n=1", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		_, err = sender.Send(context.Background(), msg)
		var se *mail.SendError
		if !(errors.As(err, &se) && se.Status == 500 && se.Retryable) {
			t.Errorf("error %v, want a retryable 500", err)
		}
		if _, err := sender.Send(context.Background(), msg); err != nil {
			t.Errorf("after the armed failure: %v", err)
		}
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the command ended with %v, want nil on cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not stop when its context was cancelled")
	}
}

func TestFakeSendGridArguments(t *testing.T) {
	tests := []struct {
		name string
		env  string
		args []string
		want string // in the error; "" for none
		out  string // in stdout
	}{
		{"--help prints the usage", "", []string{"--help"}, "", "Usage: casedesk fake-sendgrid"},
		{"no key anywhere is refused", "", []string{"--addr", "127.0.0.1:0"}, "pass --key or set SENDGRID_API_KEY", ""},
		{"an unknown flag is refused", "k", []string{"--port", "1"}, "flag provided but not defined: -port", ""},
		{"a stray argument is refused", "k", []string{"serve"}, `unexpected argument "serve"`, ""},
		{"an address that cannot be listened on is reported", "k", []string{"--addr", "256.0.0.1:1"}, "256.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SENDGRID_API_KEY", tt.env)
			var out syncBuffer
			err := runFakeSendGrid(context.Background(), tt.args, &out)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("output %q lacks %q", out.String(), tt.out)
			}
		})
	}
}

func TestFakeSendGridIsACommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fake-sendgrid", "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "Usage: casedesk fake-sendgrid") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	usage(&stdout)
	if !strings.Contains(stdout.String(), "fake-sendgrid") {
		t.Errorf("usage does not list fake-sendgrid:\n%s", stdout.String())
	}
}
