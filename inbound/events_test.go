package inbound_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"github.com/casedesk/casedesk/inbound"
)

// webhookKey is a key pair standing in for SendGrid's signing key.
type webhookKey struct {
	priv   *ecdsa.PrivateKey
	public string // base64 DER, as SendGrid's settings page shows it
}

func newWebhookKey(t *testing.T, curve elliptic.Curve) webhookKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return webhookKey{priv: priv, public: base64.StdEncoding.EncodeToString(der)}
}

// sign signs as SendGrid does: ECDSA over SHA-256 of timestamp then payload,
// the ASN.1 DER signature in standard base64.
func (k webhookKey) sign(t *testing.T, payload []byte, timestamp string) string {
	t.Helper()
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func verifierAt(t *testing.T, publicKey string, now time.Time) *inbound.EventVerifier {
	t.Helper()
	v, err := inbound.NewEventVerifier(publicKey)
	if err != nil {
		t.Fatalf("NewEventVerifier: %v", err)
	}
	v.Now = func() time.Time { return now }
	return v
}

var webhookNow = time.Unix(1767225600, 0) // 2026-01-01T00:00:00Z

const eventsPayload = `[{"email":"jane@example.com","timestamp":1767225590,"smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","event":"delivered","category":["case_opened"],"sg_event_id":"ZGVsaXZlcmVkLTAtMTA5OTQ5MTktTFJ6WGxfTkhTdE9HaFE0a29mU21fQS0w","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","response":"250 OK","case_id":"C-7Q4K2M","kind":"case_opened","dedupe_key":"C-7Q4K2M/case_opened/1"}]` + "\r\n"

func TestEventWebhookSignature(t *testing.T) {
	key := newWebhookKey(t, elliptic.P256())
	payload := []byte(eventsPayload)
	ts := strconv.FormatInt(webhookNow.Unix()-5, 10)
	sig := key.sign(t, payload, ts)
	v := verifierAt(t, key.public, webhookNow)

	t.Run("a POST signed by the key verifies", func(t *testing.T) {
		if err := v.Verify(payload, sig, ts); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})

	t.Run("the package function verifies with the real clock", func(t *testing.T) {
		now := strconv.FormatInt(time.Now().Unix(), 10)
		if err := inbound.VerifyEventWebhook(key.public, payload, key.sign(t, payload, now), now); err != nil {
			t.Fatalf("VerifyEventWebhook: %v", err)
		}
		if err := inbound.VerifyEventWebhook(key.public, payload, sig, ts); !errors.Is(err, inbound.ErrStale) {
			t.Fatalf("VerifyEventWebhook with a 2026 timestamp: err = %v, want ErrStale", err)
		}
	})

	t.Run("a tampered payload does not verify", func(t *testing.T) {
		for name, bad := range map[string][]byte{
			"one character changed": bytes.Replace(payload, []byte("delivered"), []byte("delivereD"), 1),
			"case ID changed":       bytes.Replace(payload, []byte("C-7Q4K2M"), []byte("C-7Q4K2N"), 1),
			"trailing CRLF dropped": bytes.TrimRight(payload, "\r\n"),
			"re-encoded":            []byte(strings.ReplaceAll(eventsPayload, ",", ", ")),
			"empty":                 nil,
		} {
			if err := v.Verify(bad, sig, ts); !errors.Is(err, inbound.ErrBadSignature) {
				t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
			}
		}
	})

	t.Run("a tampered timestamp does not verify", func(t *testing.T) {
		for _, bad := range []string{
			strconv.FormatInt(webhookNow.Unix()-4, 10),
			strconv.FormatInt(webhookNow.Unix()-6, 10),
			"0" + ts, " " + ts, ts + " ", "+" + ts, ts + ".0", "", "now",
		} {
			if err := v.Verify(payload, sig, bad); !errors.Is(err, inbound.ErrBadSignature) {
				t.Errorf("timestamp %q: err = %v, want ErrBadSignature", bad, err)
			}
		}
	})

	t.Run("a tampered, truncated or missing signature does not verify", func(t *testing.T) {
		der, _ := base64.StdEncoding.DecodeString(sig)
		flipped := bytes.Clone(der)
		flipped[len(flipped)-1] ^= 1
		other := key.sign(t, []byte("[]"), ts)
		for name, bad := range map[string]string{
			"last byte flipped":    base64.StdEncoding.EncodeToString(flipped),
			"truncated DER":        base64.StdEncoding.EncodeToString(der[:len(der)-2]),
			"truncated base64":     sig[:len(sig)-4],
			"not base64":           "!!" + sig[2:],
			"base64url":            base64.URLEncoding.EncodeToString(append([]byte{0xfb, 0xff}, der...)),
			"of another payload":   other,
			"empty":                "",
			"raw r||s, not ASN.1":  base64.StdEncoding.EncodeToString(make([]byte, 64)),
			"ASN.1 of zero values": base64.StdEncoding.EncodeToString([]byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00}),
		} {
			if err := v.Verify(payload, bad, ts); !errors.Is(err, inbound.ErrBadSignature) {
				t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
			}
		}
	})

	t.Run("a POST signed with another key does not verify", func(t *testing.T) {
		other := newWebhookKey(t, elliptic.P256())
		if err := v.Verify(payload, other.sign(t, payload, ts), ts); !errors.Is(err, inbound.ErrBadSignature) {
			t.Errorf("err = %v, want ErrBadSignature", err)
		}
		if err := verifierAt(t, other.public, webhookNow).Verify(payload, sig, ts); !errors.Is(err, inbound.ErrBadSignature) {
			t.Errorf("err = %v, want ErrBadSignature", err)
		}
	})

	t.Run("a timestamp outside ten minutes either way is stale", func(t *testing.T) {
		for _, tc := range []struct {
			age  time.Duration
			want error
		}{
			{0, nil},
			{inbound.MaxSkew, nil},
			{inbound.MaxSkew + time.Second, inbound.ErrStale},
			{24 * time.Hour, inbound.ErrStale},
			{-inbound.MaxSkew, nil},
			{-inbound.MaxSkew - time.Second, inbound.ErrStale},
		} {
			ts := strconv.FormatInt(webhookNow.Add(-tc.age).Unix(), 10)
			err := v.Verify(payload, key.sign(t, payload, ts), ts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("signed %v ago: err = %v, want %v", tc.age, err, tc.want)
			}
		}
	})

	t.Run("a stale timestamp that is also forged is a bad signature", func(t *testing.T) {
		old := strconv.FormatInt(webhookNow.Add(-time.Hour).Unix(), 10)
		if err := v.Verify(payload, sig, old); !errors.Is(err, inbound.ErrBadSignature) {
			t.Errorf("err = %v, want ErrBadSignature", err)
		}
	})

	t.Run("the skew can be narrowed", func(t *testing.T) {
		narrow := verifierAt(t, key.public, webhookNow)
		narrow.MaxSkew = time.Second
		if err := narrow.Verify(payload, sig, ts); !errors.Is(err, inbound.ErrStale) {
			t.Errorf("err = %v, want ErrStale", err)
		}
	})

	t.Run("a request is read, limited and verified by its headers", func(t *testing.T) {
		req := func(body []byte) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/events", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(inbound.SignatureHeader, sig)
			r.Header.Set(inbound.TimestampHeader, ts)
			return r
		}
		got, err := v.VerifyRequest(req(payload), 1<<20)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("VerifyRequest = %q, %v", got, err)
		}
		if _, err := v.VerifyRequest(req(payload), 100); !errors.Is(err, inbound.ErrTooLarge) {
			t.Errorf("over the limit: err = %v, want ErrTooLarge", err)
		}
		chunked := req(payload)
		chunked.ContentLength = -1
		if _, err := v.VerifyRequest(chunked, 100); !errors.Is(err, inbound.ErrTooLarge) {
			t.Errorf("over the limit, length unknown: err = %v, want ErrTooLarge", err)
		}
		unsigned := req(payload)
		unsigned.Header.Del(inbound.SignatureHeader)
		if _, err := v.VerifyRequest(unsigned, 1<<20); !errors.Is(err, inbound.ErrBadSignature) {
			t.Errorf("no signature header: err = %v, want ErrBadSignature", err)
		}
	})
}

func TestEventWebhookKey(t *testing.T) {
	good := newWebhookKey(t, elliptic.P256())
	der, _ := base64.StdEncoding.DecodeString(good.public)

	t.Run("a PEM block or a wrapped base64 key is accepted", func(t *testing.T) {
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		wrapped := good.public[:40] + "\n" + good.public[40:] + "\n"
		for _, k := range []string{pemKey, wrapped, " " + good.public + " "} {
			if _, err := inbound.NewEventVerifier(k); err != nil {
				t.Errorf("NewEventVerifier(%q): %v", k, err)
			}
		}
	})

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKIXPublicKey(edPub)
	p384 := newWebhookKey(t, elliptic.P384())

	for name, k := range map[string]string{
		"empty":                 "",
		"not base64":            "not a key!",
		"base64 of garbage":     base64.StdEncoding.EncodeToString([]byte("garbage")),
		"truncated":             good.public[:len(good.public)/2],
		"an RSA key":            base64.StdEncoding.EncodeToString(rsaDER),
		"an Ed25519 key":        base64.StdEncoding.EncodeToString(edDER),
		"a P-384 key":           p384.public,
		"a private key":         base64.StdEncoding.EncodeToString(mustMarshalPrivate(t, good.priv)),
		"a certificate request": base64.StdEncoding.EncodeToString([]byte{0x30, 0x03, 0x02, 0x01, 0x01}),
	} {
		t.Run("a malformed key is refused: "+name, func(t *testing.T) {
			if _, err := inbound.NewEventVerifier(k); !errors.Is(err, inbound.ErrBadKey) {
				t.Errorf("NewEventVerifier: err = %v, want ErrBadKey", err)
			}
			if err := inbound.VerifyEventWebhook(k, []byte("[]"), "sig", "1"); !errors.Is(err, inbound.ErrBadKey) {
				t.Errorf("VerifyEventWebhook: err = %v, want ErrBadKey", err)
			}
		})
	}

	t.Run("a verifier made without a key refuses everything", func(t *testing.T) {
		var v inbound.EventVerifier
		if err := v.Verify([]byte("[]"), "sig", "1"); !errors.Is(err, inbound.ErrBadKey) {
			t.Errorf("err = %v, want ErrBadKey", err)
		}
	})
}

func mustMarshalPrivate(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestEventWebhookPublishedVector checks the test vector that the SendGrid
// SDK ships in helpers/eventwebhook/eventwebhook_test.go: a real key, a real
// signature and the payload byte for byte (its JSON encoder sorts the keys and
// leaves '<' unescaped; SendGrid ends the body with CRLF).
func TestEventWebhookPublishedVector(t *testing.T) {
	const (
		publicKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
		signature = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
		timestamp = "1600112502"
		payload   = `[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]` + "\r\n"
	)
	v := verifierAt(t, publicKey, time.Unix(1600112502, 0).Add(3*time.Second))

	if err := v.Verify([]byte(payload), signature, timestamp); err != nil {
		t.Fatalf("the published vector does not verify: %v", err)
	}
	if err := v.Verify([]byte(strings.TrimSuffix(payload, "\r\n")), signature, timestamp); !errors.Is(err, inbound.ErrBadSignature) {
		t.Errorf("without the CRLF: err = %v, want ErrBadSignature", err)
	}
	if err := v.Verify([]byte(payload), signature, "1600112503"); !errors.Is(err, inbound.ErrBadSignature) {
		t.Errorf("another timestamp: err = %v, want ErrBadSignature", err)
	}
	late := verifierAt(t, publicKey, time.Unix(1600112502, 0).Add(11*time.Minute))
	if err := late.Verify([]byte(payload), signature, timestamp); !errors.Is(err, inbound.ErrStale) {
		t.Errorf("eleven minutes on: err = %v, want ErrStale", err)
	}

	events, err := inbound.ParseEvents([]byte(payload))
	if err != nil || len(events) != 1 {
		t.Fatalf("ParseEvents = %v, %v", events, err)
	}
	want := inbound.DeliveryEvent{
		Event: "dropped", Email: "hello@world.com", Reason: "Bounced Address",
		SGMessageID: "LRzXl_NHStOGhQ4kofSm_A", SGEventID: "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
		Timestamp: time.Unix(1600112492, 0).UTC(),
	}
	if events[0] != want {
		t.Errorf("ParseEvents = %+v, want %+v", events[0], want)
	}
}

func TestHeaderNamesAreTheSDKs(t *testing.T) {
	if inbound.SignatureHeader != eventwebhook.VerificationHTTPHeader || inbound.TimestampHeader != eventwebhook.TimestampHTTPHeader {
		t.Errorf("headers %q, %q differ from the SDK's %q, %q", inbound.SignatureHeader, inbound.TimestampHeader,
			eventwebhook.VerificationHTTPHeader, eventwebhook.TimestampHTTPHeader)
	}
}

func TestParseEvents(t *testing.T) {
	// One of each kind of event, shaped as SendGrid documents them, with the
	// mailer's custom args on the ones about casedesk messages.
	const payload = `[
 {"email":"jane@example.com","timestamp":1767225600,"smtp-id":"<X1a2b3C4d5E6f7G8h9I0jA@geopod-ismtpd-1>","event":"processed","category":"case_opened","sg_event_id":"cHJvY2Vzc2Vk","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-5c4b5d8f6b-8zxqj-1-6789ABCD-2.0","case_id":"C-7Q4K2M","kind":"case_opened","dedupe_key":"C-7Q4K2M/case_opened/1"},
 {"email":"jane@example.com","timestamp":1767225601,"event":"deferred","sg_event_id":"ZGVmZXJyZWQ","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-5c4b5d8f6b-8zxqj-1-6789ABCD-2.0","response":"400 try again later","attempt":"5","case_id":"C-7Q4K2M","kind":"case_opened","dedupe_key":"C-7Q4K2M/case_opened/1"},
 {"email":"jane@example.com","timestamp":1767225602,"event":"delivered","ip":"168.1.1.1","sg_event_id":"ZGVsaXZlcmVk","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-5c4b5d8f6b-8zxqj-1-6789ABCD-2.0","response":"250 OK","tls":1,"case_id":"C-7Q4K2M","kind":"case_opened","dedupe_key":"C-7Q4K2M/case_opened/1"},
 {"email":"old@example.com","timestamp":1767225603,"event":"bounce","bounce_classification":"Invalid Address","type":"blocked","reason":"550 5.1.1 The email account that you tried to reach does not exist.","status":"5.1.1","sg_event_id":"Ym91bmNl","sg_message_id":"Y9z8y7X6w5V4u3T2s1R0qP.recvd-1-2.0","case_id":"C-9ZZZZZ","kind":"refund_issued","dedupe_key":"C-9ZZZZZ/refund_issued/3"},
 {"email":"spam@example.com","timestamp":1767225604,"event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcHBlZA","sg_message_id":"Zz.filter","case_id":"C-9ZZZZZ","kind":"refund_issued","dedupe_key":"C-9ZZZZZ/refund_issued/4"},
 {"email":"jane@example.com","timestamp":1767225605,"event":"open","sg_machine_open":false,"useragent":"Mozilla/5.0","ip":"255.255.255.255","sg_event_id":"b3Blbg","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-2.0","case_id":"C-7Q4K2M","kind":"case_opened","dedupe_key":"C-7Q4K2M/case_opened/1"},
 {"email":"jane@example.com","timestamp":1767225606,"event":"click","url":"https://casedesk.example/c/AQAAAABpm0TgQy03UTRLMk0","url_offset":{"index":0,"type":"html"},"sg_event_id":"Y2xpY2s","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-3.0","case_id":"C-7Q4K2M","kind":"case_opened","dedupe_key":"C-7Q4K2M/case_opened/1"},
 {"email":"jane@example.com","timestamp":1767225607,"event":"spamreport","sg_event_id":"c3BhbQ","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-4.0"},
 {"email":"jane@example.com","timestamp":1767225608,"event":"unsubscribe","sg_event_id":"dW5zdWI","sg_message_id":"X1a2b3C4d5E6f7G8h9I0jA.recvd-5.0"},
 {"email":"jane@example.com","timestamp":1767225609,"event":"group_unsubscribe","asm_group_id":10,"sg_event_id":"Z3JvdXA","smtp-id":"<W1w2W3@ismtpd-9>"},
 {"email":"jane@example.com","timestamp":1767225610,"event":"some_future_event","case_id":42,"kind":null,"sg_event_id":"ZnV0dXJl"}
]`
	events, err := inbound.ParseEvents([]byte(payload))
	if err != nil {
		t.Fatalf("ParseEvents: %v", err)
	}
	at := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	want := []inbound.DeliveryEvent{
		{Event: "processed", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "cHJvY2Vzc2Vk", Timestamp: at(1767225600), CaseID: "C-7Q4K2M", Kind: "case_opened", DedupeKey: "C-7Q4K2M/case_opened/1"},
		{Event: "deferred", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "ZGVmZXJyZWQ", Reason: "400 try again later", Timestamp: at(1767225601), CaseID: "C-7Q4K2M", Kind: "case_opened", DedupeKey: "C-7Q4K2M/case_opened/1"},
		{Event: "delivered", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "ZGVsaXZlcmVk", Timestamp: at(1767225602), CaseID: "C-7Q4K2M", Kind: "case_opened", DedupeKey: "C-7Q4K2M/case_opened/1"},
		{Event: "bounce", Email: "old@example.com", SGMessageID: "Y9z8y7X6w5V4u3T2s1R0qP", SGEventID: "Ym91bmNl", Reason: "550 5.1.1 The email account that you tried to reach does not exist.", Type: "blocked", Timestamp: at(1767225603), CaseID: "C-9ZZZZZ", Kind: "refund_issued", DedupeKey: "C-9ZZZZZ/refund_issued/3"},
		{Event: "dropped", Email: "spam@example.com", SGMessageID: "Zz", SGEventID: "ZHJvcHBlZA", Reason: "Bounced Address", Timestamp: at(1767225604), CaseID: "C-9ZZZZZ", Kind: "refund_issued", DedupeKey: "C-9ZZZZZ/refund_issued/4"},
		{Event: "open", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "b3Blbg", Timestamp: at(1767225605), CaseID: "C-7Q4K2M", Kind: "case_opened", DedupeKey: "C-7Q4K2M/case_opened/1"},
		{Event: "click", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "Y2xpY2s", URL: "https://casedesk.example/c/AQAAAABpm0TgQy03UTRLMk0", Timestamp: at(1767225606), CaseID: "C-7Q4K2M", Kind: "case_opened", DedupeKey: "C-7Q4K2M/case_opened/1"},
		{Event: "spamreport", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "c3BhbQ", Timestamp: at(1767225607)},
		{Event: "unsubscribe", Email: "jane@example.com", SGMessageID: "X1a2b3C4d5E6f7G8h9I0jA", SGEventID: "dW5zdWI", Timestamp: at(1767225608)},
		{Event: "group_unsubscribe", Email: "jane@example.com", SGMessageID: "W1w2W3", SGEventID: "Z3JvdXA", Timestamp: at(1767225609)},
		{Event: "some_future_event", Email: "jane@example.com", SGEventID: "ZnV0dXJl", Timestamp: at(1767225610)},
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events, want %d", len(events), len(want))
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, events[i], want[i])
		}
	}

	t.Run("an empty batch is no events", func(t *testing.T) {
		if events, err := inbound.ParseEvents([]byte("[]\r\n")); err != nil || len(events) != 0 {
			t.Errorf("ParseEvents([]) = %v, %v", events, err)
		}
	})

	t.Run("a payload that is not an array of events is malformed", func(t *testing.T) {
		for _, bad := range []string{
			``, `{}`, `{"event":"delivered","timestamp":1}`, `[1]`, `["delivered"]`, `[null]`, `[{"event":"delivered","timestamp":1}`,
			`[{"timestamp":1767225600}]`,
			`[{"event":"","timestamp":1767225600}]`,
			`[{"event":"delivered"}]`,
			`[{"event":"delivered","timestamp":"yesterday"}]`,
			`[{"event":"delivered","timestamp":-5}]`,
		} {
			if _, err := inbound.ParseEvents([]byte(bad)); !errors.Is(err, inbound.ErrMalformed) {
				t.Errorf("ParseEvents(%q): err = %v, want ErrMalformed", bad, err)
			}
		}
	})

	t.Run("a timestamp given as a string or with a fraction is read", func(t *testing.T) {
		events, err := inbound.ParseEvents([]byte(`[{"event":"open","timestamp":"1767225600"},{"event":"open","timestamp":1767225600.75}]`))
		if err != nil || !events[0].Timestamp.Equal(at(1767225600)) || !events[1].Timestamp.Equal(at(1767225600)) {
			t.Errorf("ParseEvents = %+v, %v", events, err)
		}
	})
}

func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(eventsPayload))
	f.Add([]byte(`[{"event":"open","timestamp":1e300}]`))
	f.Add([]byte(`[{"event":"x","timestamp":1,"sg_message_id":".","smtp-id":"@"}]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		events, err := inbound.ParseEvents(payload)
		if err != nil && !errors.Is(err, inbound.ErrMalformed) {
			t.Fatalf("unexpected kind of error: %v", err)
		}
		for _, e := range events {
			if e.Event == "" || e.Timestamp.IsZero() {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
