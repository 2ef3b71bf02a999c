package e2e_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/api"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

// tcpProxy stands between casedesk and PostgreSQL so that a test can take
// the database away from this one system (and give it back) without
// stopping the cluster every other test uses.
type tcpProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// down refuses new connections and cuts the open ones: PostgreSQL is gone.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// up takes connections again on the same address: PostgreSQL is back.
func (p *tcpProxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

func TestWithPostgreSQLDownTheAPIAnswers503AndLosesNothing(t *testing.T) {
	direct, err := url.Parse(testenv.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, direct.Host)
	via := *direct
	via.Host = proxy.addr
	ctx := context.Background()
	db, err := postgres.Open(ctx, via.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := startSystemWith(t, casedesk.DefaultRules(), systemOptions{db: db, actionTimeout: 3 * time.Second})
	agent := s.as(casedesk.RoleAgent)
	id := s.openAssigned()
	before := len(s.call("GET", "/v1/cases", agent, nil).body["items"].([]any))

	proxy.down()
	t.Run("a note with a token used in the last minute answers 200 or 503, never 500", func(t *testing.T) {
		r := s.call("POST", "/v1/cases/"+id+"/notes", agent, map[string]any{"body": "Written while the database was down"})
		if r.status != http.StatusOK && r.status != http.StatusServiceUnavailable {
			t.Fatalf("note: %d %s", r.status, r.raw)
		}
	})
	t.Run("a read answers 503 with Retry-After", func(t *testing.T) {
		r := s.call("GET", "/v1/cases/"+id, agent, nil)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || r.body["code"] != casedesk.EUNAVAILABLE {
			t.Fatalf("read: %d %v %s", r.status, r.header.Get("Retry-After"), r.raw)
		}
	})
	t.Run("readyz names PostgreSQL", func(t *testing.T) {
		r := s.call("GET", "/readyz", "", nil)
		if r.status != http.StatusServiceUnavailable || r.body["checks"].(map[string]any)["postgres"] == "ok" {
			t.Fatalf("readyz: %d %s", r.status, r.raw)
		}
	})
	t.Run("opening a case answers 503 and leaves nothing behind", func(t *testing.T) {
		r := s.call("POST", "/v1/cases", agent, newInquiry(s))
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("open: %d %s", r.status, r.raw)
		}
	})
	proxy.up()

	eventually(t, 90*time.Second, "the note written during the outage to reach the timeline", func() bool {
		r := s.call("GET", "/v1/cases/"+id+"/events", agent, nil)
		return r.status == http.StatusOK && strings.Contains(string(r.raw), "Written while the database was down")
	})
	notes := 0
	for _, e := range s.timeline(agent, id) {
		if e["type"] == "note_added" {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d notes, want exactly one", notes)
	}
	if after := len(s.call("GET", "/v1/cases", agent, nil).body["items"].([]any)); after != before {
		t.Errorf("%d cases after the outage, %d before: the refused open left one behind", after, before)
	}
}

func TestACustomerLinkPostingTooFastIsSlowedDown(t *testing.T) {
	s := startSystemWith(t, casedesk.Rules{ReopenWindow: time.Hour},
		systemOptions{limits: api.Limits{CustomerLink: casedesk.DefaultCustomerLinkLimit}})
	id := s.openAssigned()
	token := testSigner.CaseToken(id, time.Now().Add(time.Hour))
	link := s.url + "/c/" + token
	accepted, limited := 0, 0
	var retry string
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := range 60 {
		res, err := client.PostForm(link+"/reply", url.Values{"token": {token}, "body": {"Reply " + string(rune('A'+i%26))}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusSeeOther:
			accepted++
		case http.StatusTooManyRequests:
			limited++
			retry = res.Header.Get("Retry-After")
		default:
			t.Fatalf("reply %d: %d", i, res.StatusCode)
		}
	}
	if accepted != casedesk.DefaultCustomerLinkLimit.Burst || limited != 60-accepted || retry == "" {
		t.Fatalf("%d accepted, %d refused (Retry-After %q), want %d then 429s", accepted, limited, retry, casedesk.DefaultCustomerLinkLimit.Burst)
	}
	if status, _, _ := page(t, "GET", link, nil); status != http.StatusOK {
		t.Errorf("the case page answers %d after the burst", status)
	}
	if got := customerReplies(s, id); len(got) != accepted {
		t.Errorf("%d replies on the case, want %d", len(got), accepted)
	}
}
