package e2e_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

// devProcess is `casedesk dev` running as a child process.
type devProcess struct {
	cmd *exec.Cmd
	log *os.File
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "casedesk")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/casedesk/casedesk/cmd/casedesk").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startDev(t *testing.T, bin string, env []string, logPath string) *devProcess {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "dev")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devProcess{cmd: cmd, log: f}
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the process with SIGKILL, as `kill -9` does.
func (p *devProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
	p.log.Close()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	eventually(t, 60*time.Second, "casedesk to be ready", func() bool {
		res, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// devSystem is `casedesk dev` running as a child process on a fresh
// database, with an agent, a supervisor and a customer in it.
type devSystem struct {
	*system
	bin, logPath string
	env          []string
	dev          *devProcess
}

func startDevSystem(t *testing.T, extraEnv ...string) *devSystem {
	t.Helper()
	dbURL := testenv.DatabaseURL(t)
	addr := freeAddr(t)
	d := &devSystem{bin: buildBinary(t), logPath: filepath.Join(t.TempDir(), "dev.log"), env: append([]string{
		"DATABASE_URL=" + dbURL,
		"TEMPORAL_ADDRESS=" + testenv.TemporalAddress(t),
		"TEMPORAL_NAMESPACE=" + testenv.TemporalNamespace(),
		"CASEDESK_HTTP_ADDR=" + addr,
	}, extraEnv...)}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(d.logPath); err == nil {
				t.Logf("casedesk dev log:\n%s", b)
			}
		}
	})
	d.start(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	d.system = &system{t: t, url: "http://" + addr, db: db, tokens: map[casedesk.Role]string{}, users: map[casedesk.Role]casedesk.User{}}
	for _, role := range []casedesk.Role{casedesk.RoleAgent, casedesk.RoleSupervisor} {
		token := casedesk.NewToken()
		u, err := db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: string(role),
			Email: string(role) + "@dev.test", Role: role}, casedesk.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		d.tokens[role], d.users[role] = token, u
	}
	if d.customer, err = db.CreateCustomer(ctx, casedesk.Customer{ID: casedesk.NewID(casedesk.PrefixCustomer, 8), Name: "C", Email: "c@example.com"}); err != nil {
		t.Fatal(err)
	}
	return d
}

// start starts casedesk dev and waits until it is ready.
func (d *devSystem) start(t *testing.T) {
	t.Helper()
	d.dev = startDev(t, d.bin, d.env, d.logPath)
	waitReady(t, "http://"+d.addr())
}

func (d *devSystem) addr() string {
	for _, e := range d.env {
		if a, ok := strings.CutPrefix(e, "CASEDESK_HTTP_ADDR="); ok {
			return a
		}
	}
	return ""
}

func TestKillingCasedeskMidWalkLosesNothing(t *testing.T) {
	d := startDevSystem(t, "CASEDESK_REOPEN_WINDOW=1h")
	s, token, agent := d.system, d.as(casedesk.RoleAgent), d.users[casedesk.RoleAgent]

	r := s.call("POST", "/v1/cases", token, newInquiry(s))
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+id+"/assign", token, map[string]any{"assignee_id": agent.ID}), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+id+"/reply", token, map[string]any{"body": "On it"}), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+id+"/request-info", token, map[string]any{"body": "Which card?"}), http.StatusOK)

	d.dev.kill()
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Fatal("casedesk still answers after kill -9")
	}
	d.start(t)

	g := s.call("GET", "/v1/cases/"+id, token, nil)
	if g.body["status"] != "waiting_on_customer" || g.body["version"] != float64(4) {
		t.Fatalf("after the restart the case is %v v%v, want waiting_on_customer v4", g.body["status"], g.body["version"])
	}
	for _, st := range []struct{ action, status string }{{"customer-reply", "open"}, {"resolve", "resolved"}, {"close", "closed"}} {
		body := map[string]any{"body": "Visa"}
		if st.action == "resolve" {
			body = map[string]any{"outcome": "answered"}
		} else if st.action == "close" {
			body = map[string]any{}
		}
		r := s.call("POST", "/v1/cases/"+id+"/"+st.action, token, body)
		expect(t, r, http.StatusOK)
		if r.body["status"] != st.status {
			t.Fatalf("%s: status %v, want %s", st.action, r.body["status"], st.status)
		}
	}
	var types []string
	for _, e := range s.call("GET", "/v1/cases/"+id+"/events", token, nil).body["items"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	want := []string{"case_opened", "assigned", "replied", "info_requested", "sla_paused", "customer_replied", "sla_resumed", "resolved", "closed"}
	if !slices.Equal(types, want) {
		t.Fatalf("timeline %v, want %v", types, want)
	}
	// Each customer email is in the outbox once, kill -9 or not.
	var kinds []string
	// A Notify activity cut off by the kill is retried once its one-minute
	// start-to-close timeout has passed.
	eventually(t, 90*time.Second, "the last email to reach the outbox", func() bool {
		msgs, err := d.db.CaseMessages(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		kinds = kinds[:0]
		for _, m := range msgs {
			kinds = append(kinds, m.Kind)
		}
		return len(kinds) >= 4
	})
	slices.Sort(kinds)
	if want := []string{"agent_reply", "case_opened", "case_resolved", "info_requested"}; !slices.Equal(kinds, want) {
		t.Errorf("outbox %v, want each customer email once: %v", kinds, want)
	}
}

func TestATimerDueWhileCasedeskIsDownFiresWhenItIsBack(t *testing.T) {
	slaFile := filepath.Join(t.TempDir(), "sla.json")
	if err := os.WriteFile(slaFile, []byte(secondsPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDevSystem(t, "CASEDESK_SLA_CONFIG="+slaFile)
	s, token := d.system, d.as(casedesk.RoleAgent)
	body := newInquiry(s)
	body["priority"] = "normal" // first response 3s, resolution 6s
	r := s.call("POST", "/v1/cases", token, body)
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	sla := r.body["sla"].(map[string]any)
	lastDue := parseTime(t, sla["resolution_due"])
	if first := parseTime(t, sla["first_response_due"]); first.After(lastDue) {
		lastDue = first
	}

	d.dev.kill()
	eventually(t, 30*time.Second, "every deadline of the case to pass while nothing runs", func() bool {
		return time.Now().After(lastDue)
	})
	events, err := d.db.CaseEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Type == casedesk.EventSLABreached {
			t.Fatalf("a breach was recorded at %s while casedesk was down", e.At)
		}
	}
	back := time.Now()
	d.start(t)
	eventually(t, 20*time.Second, "the breaches after the restart", func() bool {
		n := 0
		for _, e := range s.timeline(token, id) {
			if e["type"] == "sla_breached" {
				n++
			}
		}
		return n == 2
	})
	for _, e := range s.timeline(token, id) {
		if e["type"] != "sla_breached" {
			continue
		}
		fired := parseTime(t, e["at"])
		if fired.Before(back.Add(-time.Second)) || fired.After(time.Now()) {
			t.Errorf("breach at %s; casedesk came back at %s: it must fire once the worker is back", fired, back)
		}
	}
}
