package e2e_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/inbound"
)

// postInbound posts a reply the way SendGrid Inbound Parse does.
func (s *system) postInbound(secret, to, text string) response {
	s.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields := map[string]string{
		"from": "Jordan Rivera <" + s.customer.Email + ">", "to": to, "subject": "Re: your case",
		"text":     text,
		"envelope": fmt.Sprintf(`{"to":[%q],"from":%q}`, to, s.customer.Email),
		"charsets": `{"to":"UTF-8","from":"UTF-8","subject":"UTF-8","text":"UTF-8"}`,
	}
	for _, k := range []string{"from", "to", "subject", "text", "envelope", "charsets"} {
		_ = w.WriteField(k, fields[k])
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", s.url+"/v1/webhooks/sendgrid/inbound/"+secret, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return s.do(req)
}

func (s *system) do(req *http.Request) response {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: buf.Bytes()}
	if buf.Len() > 0 && buf.Bytes()[0] == '{' {
		_ = jsonUnmarshal(buf.Bytes(), &r.body)
	}
	return r
}

func customerReplies(s *system, id string) []string {
	var out []string
	for _, e := range s.timeline(s.as(casedesk.RoleAgent), id) {
		if e["type"] == "customer_replied" {
			out = append(out, e["data"].(map[string]any)["body"].(string))
		}
	}
	return out
}

func TestAnEmailedReplyReachesItsCase(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	id := s.openAssigned()
	addr := testSigner.ReplyAddress(id, testReplyDomain)
	text := "It was my Visa.\n\nOn Mon, 2 Mar 2026 at 10:00, casedesk support <support@casedesk.test> wrote:\n> Which card did you pay with?\n"

	t.Run("a wrong path secret is a 404 and changes nothing", func(t *testing.T) {
		expectProblem(t, s.postInbound("guess", addr, text), http.StatusNotFound, "")
	})
	t.Run("a tampered reply address is refused and changes nothing", func(t *testing.T) {
		tampered := "reply+" + id[:len(id)-1] + "x" + addr[len("reply+")+len(id):]
		r := s.postInbound(testInboundSecret, tampered, text)
		expect(t, r, http.StatusOK)
		if r.body["accepted"] != false {
			t.Fatalf("accepted a tampered address: %s", r.raw)
		}
		if got := customerReplies(s, id); len(got) != 0 {
			t.Fatalf("replies %v after a tampered address", got)
		}
	})
	t.Run("a signed reply lands as a customer reply without the quoted history", func(t *testing.T) {
		r := s.postInbound(testInboundSecret, addr, text)
		expect(t, r, http.StatusOK)
		if r.body["accepted"] != true || r.body["case_id"] != id {
			t.Fatalf("inbound: %s", r.raw)
		}
		if got := customerReplies(s, id); len(got) != 1 || got[0] != "It was my Visa." {
			t.Fatalf("customer replies %q", got)
		}
	})
}

// signedEvents posts payload to the event webhook signed with key.
func (s *system) signedEvents(key *ecdsa.PrivateKey, payload string, at time.Time) response {
	s.t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	sum := sha256.Sum256([]byte(ts + payload))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		s.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.url+"/v1/webhooks/sendgrid/events", bytes.NewBufferString(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(inbound.SignatureHeader, base64.StdEncoding.EncodeToString(sig))
	req.Header.Set(inbound.TimestampHeader, ts)
	return s.do(req)
}

func TestSignedDeliveryEventsAreRecordedAndForgedOnesRefused(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := inbound.NewEventVerifier(base64.StdEncoding.EncodeToString(der))
	if err != nil {
		t.Fatal(err)
	}
	s := startSystemWith(t, casedesk.Rules{ReopenWindow: time.Hour}, systemOptions{verifier: verifier})
	id := s.openAssigned()
	ctx := context.Background()
	var msgs []casedesk.Message
	eventually(t, 10*time.Second, "the case_opened email", func() bool {
		msgs, _ = s.db.CaseMessages(ctx, id)
		return len(msgs) > 0
	})
	// As if SendGrid had accepted the captured message.
	if _, err := s.db.Pool.Exec(ctx, `UPDATE messages SET status = 'sent', sendgrid_message_id = 'sgmsg123abc', sent_at = now()
		WHERE id = $1`, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	event := func(kind string) string {
		return fmt.Sprintf(`[{"email":%q,"timestamp":%d,"event":%q,"sg_event_id":"ev-%s","sg_message_id":"sgmsg123abc.filter0001.1.0","reason":"550 mailbox unavailable"}]`,
			s.customer.Email, time.Now().Unix(), kind, kind)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	expectProblem(t, s.signedEvents(other, event("delivered"), time.Now()), http.StatusUnauthorized, "")
	req, _ := http.NewRequest("POST", s.url+"/v1/webhooks/sendgrid/events", bytes.NewBufferString(event("delivered")))
	expectProblem(t, s.do(req), http.StatusUnauthorized, "")
	expectProblem(t, s.signedEvents(key, event("delivered"), time.Now().Add(-time.Hour)), http.StatusUnauthorized, "")
	if m, _ := s.db.CaseMessages(ctx, id); m[0].DeliveryStatus != "" {
		t.Fatalf("a refused post recorded %q", m[0].DeliveryStatus)
	}
	r := s.signedEvents(key, event("bounce"), time.Now())
	expect(t, r, http.StatusOK)
	if r.body["recorded"] != float64(1) {
		t.Fatalf("events: %s", r.raw)
	}
	if m, _ := s.db.CaseMessages(ctx, id); m[0].DeliveryStatus != "bounce" {
		t.Errorf("delivery status %q, want bounce", m[0].DeliveryStatus)
	}
	c := s.call("GET", "/v1/customers/"+s.customer.ID, s.as(casedesk.RoleAgent), nil)
	if c.body["email_bounced_at"] == nil {
		t.Errorf("the bounced customer is not marked: %s", c.raw)
	}
}
