package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// malformedBodies are what a careless or hostile client sends.
func malformedBodies() map[string][]byte {
	long := strings.Repeat("x", 100_000)
	wrong := `{"body":1,"reason":[],"amount":{},"currency":7,"name":true,"email":9,"assignee_id":1.5,"method":null,"summary":{},"kind":2,"outcome":3,"comment":[1],"password":4,"subject":5,"type":6,"customer_id":7,"channel":8,"payment_id":9,"invoice_id":[]}`
	return map[string][]byte{
		"an empty body":               nil,
		"invalid JSON":                []byte(`{"body": "unfinished`),
		"a JSON array":                []byte(`[{"body":"x"}]`),
		"a 2 MB body":                 bytes.Repeat([]byte(`{"body":"`+strings.Repeat("y", 1000)+`"}`), 2048),
		"unknown fields":              []byte(`{"zzz_unknown": 1, "another": "x"}`),
		"wrong types":                 []byte(wrong),
		"strings of 100,000":          []byte(fmt.Sprintf(`{"body":%q,"reason":%q,"summary":%q,"name":%q,"subject":%q,"text":%q,"comment":%q,"note":%q}`, long, long, long, long, long, long, long, long)),
		"control characters":          []byte("{\"body\":\"\\u0000\\u0001\\u0007\\u001b[31m\\u007f\",\"name\":\"\\u0000\",\"reason\":\"\\u0008\"}"),
		"an amount of 1 MB of digits": []byte(`{"payment_id":"PAY-X","currency":"USD","reason":"r","amount":"` + strings.Repeat("9", 1<<20) + `"}`),
		"a null":                      []byte(`null`),
		"a bare string":               []byte(`"hello"`),
		"two objects":                 []byte(`{"body":"a"} {"body":"b"}`),
	}
}

// counts reads how many rows each table that a request could change holds.
func (s *system) counts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"cases", "case_events", "customers", "payments", "invoices", "users", "holds", "ledger_entries"} {
		var n int
		if err := s.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestEveryRouteRefusesEveryMalformedBodyAndChangesNothing(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	admin := s.as(casedesk.RoleAdmin)
	// Objects for every path parameter, in states where a well-formed
	// empty request would not change them either.
	caseID := s.openVerified()
	p := s.payment("900.00", "USD")
	r := s.call("POST", "/v1/cases/"+caseID+"/refunds", admin, refundBody(p, "500.00")) // the admin's own: they cannot approve it
	expect(t, r, http.StatusOK)
	approvalID := r.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
	token := testSigner.CaseToken(caseID, time.Now().Add(time.Hour))
	params := map[string]string{
		"/v1/cases/:id": caseID, "/v1/approvals/:id": approvalID, "/v1/customers/:id": s.customer.ID,
		"/v1/payments/:id": p.ID, "/v1/users/:id": s.users[casedesk.RoleAgent].ID, "/c/:token": token,
		"/v1/webhooks/sendgrid/inbound/:secret": testInboundSecret,
	}
	path := func(route string) string {
		out := route
		for prefix, v := range params {
			if strings.HasPrefix(route, prefix) {
				out = strings.Replace(out, prefix[strings.LastIndex(prefix, "/:"):], "/"+v, 1)
			}
		}
		for strings.Contains(out, "/:") { // a parameter no object stands for
			i := strings.Index(out, "/:")
			j := strings.IndexByte(out[i+1:], '/')
			if j < 0 {
				out = out[:i] + "/X-UNKNOWN"
			} else {
				out = out[:i] + "/X-UNKNOWN" + out[i+1+j:]
			}
		}
		return out
	}
	engine, ok := s.handler.(*gin.Engine)
	if !ok {
		t.Fatalf("the API's handler is a %T, not a router to walk", s.handler)
	}
	before := s.counts(t)
	version := s.call("GET", "/v1/cases/"+caseID, admin, nil).body["version"]
	// Routes whose operation takes no body (a sign-out, a deactivation) have
	// nothing to be malformed; the OpenAPI document says which they are.
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	raw, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	takesBody := func(method, route string) bool {
		p := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(route, "{$1}")
		raw, ok := doc.Paths[p][strings.ToLower(method)]
		var op struct {
			RequestBody *json.RawMessage `json:"requestBody"`
		}
		_ = json.Unmarshal(raw, &op)
		return !ok || op.RequestBody != nil || strings.HasPrefix(route, "/c/") || strings.Contains(route, "/sendgrid/")
	}
	walked := 0
	for _, route := range engine.Routes() {
		if route.Method != http.MethodPost && route.Method != http.MethodPut && route.Method != http.MethodPatch ||
			!takesBody(route.Method, route.Path) {
			continue
		}
		walked++
		for name, body := range malformedBodies() {
			t.Run(route.Method+" "+route.Path+" with "+name, func(t *testing.T) {
				req, err := http.NewRequest(route.Method, s.url+path(route.Path), bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+admin)
				res := s.do(req)
				if res.status >= 500 {
					t.Fatalf("%d: %s", res.status, res.raw)
				}
				if res.status < 400 && !strings.HasPrefix(route.Path, "/c/") && !strings.Contains(route.Path, "/sendgrid/") {
					t.Fatalf("accepted with %d: %s", res.status, res.raw)
				}
				if ct := res.header.Get("Content-Type"); res.status >= 400 && !strings.HasPrefix(route.Path, "/c/") &&
					!strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("%d answered as %s, not problem+json", res.status, ct)
				}
			})
		}
	}
	if walked < 30 {
		t.Errorf("walked %d write routes; the router has more", walked)
	}
	if after := s.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows before %v, after %v", before, after)
	}
	if v := s.call("GET", "/v1/cases/"+caseID, admin, nil).body["version"]; v != version {
		t.Errorf("the case moved from version %v to %v", version, v)
	}
}
