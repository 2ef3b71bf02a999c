package mail

import (
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEveryTemplateFileBelongsToAKind(t *testing.T) {
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	// Case email has a kind of Kinds() each; email of no case (the admins'
	// webhook notice) renders on its own, without the layout.
	kinds := append(Kinds(), KindWebhookDisabled)
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".txt"), ".html")
		if name != "layout" && !slices.Contains(kinds, name) {
			t.Errorf("templates/%s belongs to no kind", e.Name())
		}
	}
	if want := 2 * (len(kinds) + 1); len(entries) != want {
		t.Errorf("%d template files, want %d: a text and an HTML file per kind, and the layouts", len(entries), want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"an HTTP date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"a date in the past is no wait", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"X-RateLimit-Reset when Retry-After is missing", http.Header{"X-Ratelimit-Reset": {"1773050430"}}, 30 * time.Second},
		{"Retry-After wins over X-RateLimit-Reset", http.Header{"Retry-After": {"2"}, "X-Ratelimit-Reset": {"1773050430"}}, 2 * time.Second},
		{"garbage is no wait", http.Header{"Retry-After": {"soon"}}, 0},
		{"nothing is no wait", http.Header{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.header, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}
