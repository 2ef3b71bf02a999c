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

// TestMacrosInTheComposer drives web/tests/macros.test.mjs: "::dup" in the
// composer offers the shared macro "Duplicate authorisation", and Enter
// inserts its text rendered for the case; then the agent corrects the
// customer's email in the side panel and its history shows the change.
func TestMacrosInTheComposer(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CASEDESK_REQUIRE_SERVICES") != "" || os.Getenv("CI") != "" {
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
	expect(t, s.call("POST", "/v1/macros", s.as(casedesk.RoleSupervisor), map[string]any{"name": "Duplicate authorisation",
		"body": "Hello {{customer.name}}, the second charge on {{case.id}} is a duplicate authorisation.", "shared": true,
		"actions": map[string]any{"resolve": "answered"}}), http.StatusCreated)
	r := s.call("POST", "/v1/cases", s.as(casedesk.RoleAgent), map[string]any{"type": "inquiry", "customer_id": s.customer.ID,
		"subject": "Charged twice", "channel": "phone"})
	expect(t, r, http.StatusCreated)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("tests", "macros.test.mjs"))
	cmd.Dir = filepath.Join(root, "web")
	cmd.Env = append(os.Environ(), "CASEDESK_URL="+s.url, "CHROMIUM="+chromium, "PASSWORD="+password,
		"AGENT_EMAIL="+agentEmail, "CASE_ID="+r.body["id"].(string), "CUSTOMER_NAME="+s.customer.Name,
		"CUSTOMER_EMAIL="+s.customer.Email)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("the macro browser test failed: %v", err)
	}
}
