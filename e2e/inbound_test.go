package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// postMail posts mail to case id's reply address as Inbound Parse does:
// from the customer with a plain-text body unless fields say otherwise
// (headers is the raw header block; a field set to "" is left out).
func (s *system) postMail(id string, fields map[string]string) response {
	s.t.Helper()
	to := testSigner.ReplyAddress(id, testReplyDomain)
	all := map[string]string{"from": s.customer.Email, "subject": "Re: your case", "text": "Thank you.", "headers": ""}
	for k, v := range fields {
		all[k] = v
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("to", to)
	_ = w.WriteField("envelope", fmt.Sprintf(`{"to":[%q],"from":%q}`, to, all["from"]))
	for _, k := range []string{"from", "subject", "text", "html", "headers"} {
		if all[k] != "" {
			_ = w.WriteField(k, all[k])
		}
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", s.url+"/v1/webhooks/sendgrid/inbound/"+testInboundSecret, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return s.do(req)
}

// takenAs checks that mail was taken, as kind, and returns the case it went to.
func takenAs(t *testing.T, r response, kind string) string {
	t.Helper()
	expect(t, r, http.StatusOK)
	if r.body["accepted"] != true || r.body["taken_as"] != kind {
		t.Fatalf("inbound: %s, want it taken as %s", r.raw, kind)
	}
	id, _ := r.body["case_id"].(string)
	return id
}

func eventsOf(s *system, id, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range s.timeline(s.as(casedesk.RoleAgent), id) {
		if e["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestInboundMailBehavesLikeAHelpdesk(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent := s.as(casedesk.RoleAgent)
	status := func(id string) any { return s.call("GET", "/v1/cases/"+id, agent, nil).body["status"] }

	t.Run("an auto-reply to a resolved case is recorded and leaves it resolved", func(t *testing.T) {
		id := s.openAssigned()
		expect(t, s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "answered", "summary": "Done."}), http.StatusOK)
		takenAs(t, s.postMail(id, map[string]string{"subject": "Re: your case",
			"headers": "Auto-Submitted: auto-replied\nMessage-ID: <ooo-1@example.com>\n", "text": "I am away until Monday."}), casedesk.InboundAutoReply)
		if got := status(id); got != "resolved" {
			t.Errorf("status %v, want resolved", got)
		}
		if e := eventsOf(s, id, casedesk.EventAutoReplyReceived); len(e) != 1 {
			t.Errorf("auto_reply_received events %v", e)
		}
		if r := customerReplies(s, id); len(r) != 0 {
			t.Errorf("customer replies %q", r)
		}
	})

	t.Run("an out-of-office subject or a bounce to a waiting case leaves it waiting", func(t *testing.T) {
		id := s.openAssigned()
		before := s.call("POST", "/v1/cases/"+id+"/request-info", agent, map[string]any{"body": "Which card?"}).body
		takenAs(t, s.postMail(id, map[string]string{"subject": "Out of Office: Re: your case", "text": "Back on Monday."}), casedesk.InboundAutoReply)
		takenAs(t, s.postMail(id, map[string]string{"from": "MAILER-DAEMON@mx.example.com", "subject": "Undelivered Mail Returned to Sender"}), casedesk.InboundBounce)
		c := s.call("GET", "/v1/cases/"+id, agent, nil).body
		if c["status"] != "waiting_on_customer" || !reflect.DeepEqual(c["sla"], before["sla"]) {
			t.Errorf("status %v, SLA %v; before %v", c["status"], c["sla"], before["sla"])
		}
	})

	t.Run("a reply from another address waits as an unverified reply for an agent", func(t *testing.T) {
		id := s.openAssigned()
		expect(t, s.call("POST", "/v1/cases/"+id+"/request-info", agent, map[string]any{"body": "Which card?"}), http.StatusOK)
		visa := map[string]string{"from": "someone@elsewhere.example", "text": "It was the Visa.\n\n> Which card?",
			"headers": "Message-ID: <visa-1@elsewhere.example>\n"}
		takenAs(t, s.postMail(id, visa), "unverified_reply")
		if r := s.postMail(id, visa); r.body["replayed"] != true || r.body["taken_as"] != "unverified_reply" {
			t.Errorf("SendGrid's retry: %s", r.raw)
		}
		takenAs(t, s.postMail(id, map[string]string{"from": "spam@elsewhere.example", "text": "Buy now"}), "unverified_reply")
		c := s.call("GET", "/v1/cases/"+id, agent, nil).body
		pending, _ := c["unverified_replies"].([]any)
		if c["status"] != "waiting_on_customer" || len(pending) != 2 || len(customerReplies(s, id)) != 0 {
			t.Fatalf("status %v, unverified %v, replies %q", c["status"], pending, customerReplies(s, id))
		}
		first, second := pending[0].(map[string]any), pending[1].(map[string]any)
		if first["from"] != "someone@elsewhere.example" || first["body"] != "It was the Visa." {
			t.Errorf("unverified reply %v", first)
		}
		path := func(u map[string]any, what string) string {
			return fmt.Sprintf("/v1/cases/%s/unverified-replies/%v/%s", id, u["seq"], what)
		}
		expect(t, s.call("POST", path(second, "discard"), agent, map[string]any{"reason": "spam"}), http.StatusOK)
		r := s.call("POST", path(first, "accept"), agent, nil)
		expect(t, r, http.StatusOK)
		if r.body["status"] != "open" || len(r.body["unverified_replies"].([]any)) != 0 {
			t.Errorf("after accepting: %s", r.raw)
		}
		if got := customerReplies(s, id); len(got) != 1 || got[0] != "It was the Visa." {
			t.Errorf("customer replies %q", got)
		}
		expectProblem(t, s.call("POST", path(first, "accept"), agent, nil), http.StatusNotFound, "")
		if e := eventsOf(s, id, casedesk.EventUnverifiedDiscarded); len(e) != 1 || e[0]["data"].(map[string]any)["reason"] != "spam" {
			t.Errorf("discarded events %v", e)
		}
	})

	t.Run("HTML-only mail from the customer is read as text", func(t *testing.T) {
		id := s.openAssigned()
		takenAs(t, s.postMail(id, map[string]string{"text": "",
			"html": `<div dir="ltr">It was my <b>Visa</b> &amp; it is fixed.</div><div class="gmail_quote">On Mon, 2 Mar 2026 at 10:00, casedesk support wrote:<br><blockquote>Which card?</blockquote></div>`}),
			casedesk.InboundReply)
		if got := customerReplies(s, id); len(got) != 1 || got[0] != "It was my Visa & it is fixed." {
			t.Errorf("customer replies %q", got)
		}
	})

	t.Run("staff never see a working customer link, and the outbox keeps it", func(t *testing.T) {
		id := s.openAssigned()
		var sent []casedesk.Message
		eventually(t, 10*time.Second, "the case_opened email", func() bool {
			sent, _ = s.db.CaseMessages(context.Background(), id)
			return len(sent) > 0
		})
		tokenIn := regexp.MustCompile(`/c/([A-Za-z0-9_-]+)`)
		working := func(text string) bool {
			for _, m := range tokenIn.FindAllStringSubmatch(text, -1) {
				if _, err := testSigner.VerifyToken(m[1]); err == nil {
					return true
				}
			}
			return false
		}
		if !working(sent[0].Text) {
			t.Fatalf("the outbox has no working link to redact: %q", sent[0].Text)
		}
		r := s.call("GET", "/v1/cases/"+id+"/messages", agent, nil)
		expect(t, r, http.StatusOK)
		if working(string(r.raw)) || !strings.Contains(string(r.raw), "/c/…") {
			t.Errorf("messages show a working link or no redacted one: %s", r.raw)
		}
	})

	t.Run("a closed case's reply address expires with the link TTL", func(t *testing.T) {
		id := s.openAssigned()
		s.closeCase(id)
		// Closed 31 days ago, past the default TTL of 30 days.
		if _, err := s.db.Pool.Exec(context.Background(), `UPDATE cases SET state = jsonb_set(state, '{closed_at}', to_jsonb($2::text))
			WHERE id = $1`, id, time.Now().Add(-31*24*time.Hour).UTC().Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
		r := s.postMail(id, map[string]string{"text": "Are you still there?"})
		expect(t, r, http.StatusOK)
		if reason, _ := r.body["reason"].(string); r.body["accepted"] != false || !strings.Contains(reason, "expired") {
			t.Fatalf("mail to an expired address: %s", r.raw)
		}
		var journaled int
		if err := s.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound_mail
			WHERE case_id = $1 AND taken_as = 'not_taken' AND reason LIKE '%expired%'`, id).Scan(&journaled); err != nil || journaled != 1 {
			t.Errorf("the refused mail is journaled %d times (%v), want once", journaled, err)
		}
	})

	t.Run("a customer link issued for another customer is refused", func(t *testing.T) {
		id := s.openAssigned()
		own := testSigner.CustomerToken(id, s.customer.ID, time.Now().Add(time.Hour))
		if st, _, _ := page(t, "GET", s.url+"/c/"+own, nil); st != http.StatusOK {
			t.Fatalf("the customer's own link gave %d", st)
		}
		other := testSigner.CustomerToken(id, "CU-SOMEONE1", time.Now().Add(time.Hour))
		if st, _, _ := page(t, "GET", s.url+"/c/"+other, nil); st != http.StatusNotFound {
			t.Errorf("another customer's link gave %d, want 404", st)
		}
		st, _, _ := page(t, "POST", s.url+"/c/"+other+"/reply", url.Values{"token": {other}, "body": {"forged"}})
		if st != http.StatusNotFound || len(customerReplies(s, id)) != 0 {
			t.Errorf("a reply through another customer's link gave %d", st)
		}
	})
}

func TestACustomerLinkStillWorksAfterItsCustomerIsMergedIntoAnother(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	dup := s.customer
	id := s.openAssigned()
	link := s.url + "/c/" + testSigner.CustomerToken(id, dup.ID, time.Now().Add(time.Hour))
	r := s.call("POST", "/v1/customers", s.as(casedesk.RoleAgent), map[string]any{"name": "Jordan Rivera", "email": "jordan.keep@example.com"})
	expect(t, r, http.StatusCreated)
	keep := r.body["id"].(string)
	expect(t, s.call("POST", "/v1/customers/"+dup.ID+"/merge", s.as(casedesk.RoleSupervisor), map[string]any{"into": keep}), http.StatusOK)
	if c := s.call("GET", "/v1/cases/"+id, s.as(casedesk.RoleAgent), nil).body; c["customer_id"] != keep {
		t.Fatalf("the case's customer is %v, want %s", c["customer_id"], keep)
	}
	if st, _, _ := page(t, "GET", link, nil); st != http.StatusOK {
		t.Errorf("the merged duplicate's link gave %d, want 200", st)
	}
	other := s.url + "/c/" + testSigner.CustomerToken(id, "CU-SOMEONE1", time.Now().Add(time.Hour))
	if st, _, _ := page(t, "GET", other, nil); st != http.StatusNotFound {
		t.Errorf("another customer's link gave %d, want 404", st)
	}
}
