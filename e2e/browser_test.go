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
	required := os.Getenv("CASEDESK_REQUIRE_SERVICES") != "" || os.Getenv("CI") != ""
	if _, err := os.Stat(chromium); err != nil {
		if required {
			t.Fatalf("%s is missing: scripts/test.sh installs Debian's chromium", chromium)
		}
		t.Skipf("%s is missing (make test installs it)", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is missing: make test installs it")
	}
	if !web.Built() {
		t.Fatal("the console is not built into the test binary: make test builds it first")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("tests", "console.test.mjs"))
	cmd.Dir = filepath.Join(root, "web")
	cmd.Env = append(os.Environ(),
		"CASEDESK_URL="+s.url,
		"CHROMIUM="+chromium,
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
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("the browser tests failed: %v", err)
	}
}
