package main

import (
	"bytes"
	"strings"
	"testing"
)

// In production, the long-running commands refuse the development secrets
// before they connect to anything: no PostgreSQL or Temporal is needed to
// see them fail.
func TestProductionCommandsRefuseDevelopmentSecrets(t *testing.T) {
	t.Setenv("CASEDESK_ENV", "production")
	for _, name := range []string{"CASEDESK_LINK_SECRET", "CASEDESK_INBOUND_SECRET", "CASEDESK_ADMIN_TOKEN"} {
		t.Setenv(name, "")
	}
	// Addresses nothing listens on: reaching them would fail differently.
	t.Setenv("DATABASE_URL", "postgres://casedesk:casedesk@127.0.0.1:1/casedesk?sslmode=disable&connect_timeout=1")
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	for _, cmd := range []string{"api", "worker", "dev"} {
		t.Run(cmd, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{cmd}, &stdout, &stderr); code == 0 {
				t.Fatalf("casedesk %s exited 0 in production without secrets", cmd)
			}
			for _, name := range []string{"CASEDESK_LINK_SECRET", "CASEDESK_INBOUND_SECRET", "CASEDESK_ADMIN_TOKEN"} {
				if !strings.Contains(stderr.String(), name) {
					t.Errorf("casedesk %s: stderr %q does not name %s", cmd, stderr.String(), name)
				}
			}
			if strings.Contains(stderr.String(), "127.0.0.1:1") {
				t.Errorf("casedesk %s tried to connect before checking: %s", cmd, stderr.String())
			}
		})
	}
}
