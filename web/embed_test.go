package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func get(t *testing.T, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

func TestConsoleIsServed(t *testing.T) {
	if !Built() {
		if os.Getenv("CASEDESK_REQUIRE_SERVICES") != "" || os.Getenv("CI") != "" {
			t.Fatal("the console is not built into the test binary: scripts/test.sh builds it before go test")
		}
		rec := get(t, "/")
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not built") {
			t.Fatalf("GET / without a built console = %d %q", rec.Code, rec.Body)
		}
		t.Skip("the console is not built (make test builds it)")
	}
	t.Run("every app path gets index.html, uncached", func(t *testing.T) {
		for _, p := range []string{"/", "/queues", "/cases/C-7Q4K2M", "/approvals?status=pending"} {
			rec := get(t, p)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<div id="root">`) {
				t.Errorf("GET %s = %d", p, rec.Code)
			}
			if rec.Header().Get("Cache-Control") != "no-cache" {
				t.Errorf("GET %s Cache-Control %q", p, rec.Header().Get("Cache-Control"))
			}
			if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("GET %s has no CSP", p)
			}
		}
	})
	t.Run("hashed assets are cached for good and gzipped when accepted", func(t *testing.T) {
		entries, err := fs.ReadDir(app, "assets")
		if err != nil || len(entries) == 0 {
			t.Fatalf("no assets: %v", err)
		}
		var js string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".js") {
				js = "/assets/" + e.Name()
			}
		}
		plain := get(t, js)
		if plain.Code != http.StatusOK || !strings.HasPrefix(plain.Header().Get("Content-Type"), "text/javascript") ||
			!strings.Contains(plain.Header().Get("Cache-Control"), "immutable") || plain.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s = %d %v", js, plain.Code, plain.Header())
		}
		gz := get(t, js, "Accept-Encoding", "gzip, br")
		if gz.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(gz.Header().Get("Content-Type"), "text/javascript") ||
			gz.Body.Len() >= plain.Body.Len() {
			t.Errorf("gzipped GET %s: %v, %d bytes of %d", js, gz.Header(), gz.Body.Len(), plain.Body.Len())
		}
	})
	t.Run("a missing asset is a 404, not the app", func(t *testing.T) {
		for _, p := range []string{"/assets/nope.js", "/favicon.ico"} {
			if rec := get(t, p); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s = %d", p, rec.Code)
			}
		}
	})
}
