package e2e_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/web"
)

// chromium is Debian's browser, which scripts/test.sh installs; the browser
// tests never download one of their own.
const chromium = "/usr/bin/chromium"

// TestConsoleInABrowser drives the embedded console in headless Chromium
// with Playwright (web/tests/console.test.mjs) against a whole casedesk:
// sign-in, queues, working a case to resolution, a refund approved by a
// supervisor in a second browser, the admin screen, and axe-core on each.
func TestConsoleInABrowser(t *testing.T) {
	root := needBrowser(t)
	s := startSystem(t, casedesk.DefaultRules())
	const password = "browser test password"
	_, agentEmail := s.staffWithPassword(casedesk.RoleAgent, password)
	_, supervisorEmail := s.staffWithPassword(casedesk.RoleSupervisor, password)
	_, adminEmail := s.staffWithPassword(casedesk.RoleAdmin, password)
	agentToken := s.as(casedesk.RoleAgent)

	// A new case for the agent to find in Unassigned, and a payment to refund.
	r := s.call("POST", "/v1/cases", agentToken, map[string]any{"type": "inquiry", "customer_id": s.customer.ID,
		"subject": "Charged twice for one order", "description": "Two charges on the same day.", "channel": "phone"})
	expect(t, r, http.StatusCreated)
	newCase := r.body["id"].(string)
	payment := s.payment("750.00", "USD")

	shots := filepath.Join(root, "web", "test-results", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	runBrowserTests(t, root, "console.test.mjs", 4*time.Minute,
		"CASEDESK_URL="+s.url,
		"SCREENSHOTS="+shots,
		"PASSWORD="+password,
		"AGENT_EMAIL="+agentEmail,
		"SUPERVISOR_EMAIL="+supervisorEmail,
		"ADMIN_EMAIL="+adminEmail,
		"API_TOKEN="+agentToken,
		"NEW_CASE="+newCase,
		"CUSTOMER_ID="+s.customer.ID,
		"PAYMENT_ID="+payment.ID,
	)
}

// needBrowser skips (or, under make test and CI, fails) a test when the
// browser or Node.js or the built console is missing, and returns the
// project's root.
func needBrowser(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CASEDESK_REQUIRE_SERVICES") != "" || os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: scripts/test.sh installs Debian's chromium", chromium)
		}
		t.Skipf("%s is missing (make test installs it)", chromium)
	}
	if !web.Built() {
		t.Fatal("the console is not built into the test binary: make test builds it first")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// runBrowserTests runs the Node test file of web/tests with env and logs
// what it printed, failing the test when it fails.
func runBrowserTests(t *testing.T, root, file string, within time.Duration, env ...string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is missing: make test installs it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("tests", file))
	cmd.Dir = filepath.Join(root, "web")
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+chromium), env...)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("the browser tests in %s failed: %v", file, err)
	}
}
