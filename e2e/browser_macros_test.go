package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// TestMacrosInTheComposer drives web/tests/macros.test.mjs: "::dup" in the
// composer offers the shared macro "Duplicate authorisation", and Enter
// inserts its text rendered for the case; then the agent corrects the
// customer's email in the side panel and its history shows the change.
func TestMacrosInTheComposer(t *testing.T) {
	root := needBrowser(t)
	s := startSystem(t, casedesk.DefaultRules())
	const password = "browser test password"
	_, agentEmail := s.staffWithPassword(casedesk.RoleAgent, password)
	expect(t, s.call("POST", "/v1/macros", s.as(casedesk.RoleSupervisor), map[string]any{"name": "Duplicate authorisation",
		"body": "Hello {{customer.name}}, the second charge on {{case.id}} is a duplicate authorisation.", "shared": true,
		"actions": map[string]any{"resolve": "answered"}}), http.StatusCreated)
	r := s.call("POST", "/v1/cases", s.as(casedesk.RoleAgent), map[string]any{"type": "inquiry", "customer_id": s.customer.ID,
		"subject": "Charged twice", "channel": "phone"})
	expect(t, r, http.StatusCreated)
	runBrowserTests(t, root, "macros.test.mjs", 2*time.Minute, "CASEDESK_URL="+s.url, "PASSWORD="+password,
		"AGENT_EMAIL="+agentEmail, "CASE_ID="+r.body["id"].(string), "CUSTOMER_NAME="+s.customer.Name,
		"CUSTOMER_EMAIL="+s.customer.Email)
}
