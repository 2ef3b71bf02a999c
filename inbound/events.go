// Package inbound reads what SendGrid posts to casedesk: delivery events from
// the signed Event Webhook, and customers' emails from Inbound Parse.
//
// It verifies and parses; it neither stores nor routes. Errors are sentinel
// values for errors.Is, so that the HTTP layer can map them: ErrBadKey is a
// configuration fault, ErrBadSignature and ErrStale refuse the caller,
// ErrMalformed, ErrCharset and ErrTooLarge refuse the request.
package inbound

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
)

// Errors of this package.
var (
	ErrBadKey       = errors.New("inbound: event webhook verification key is not a base64 ECDSA P-256 public key")
	ErrBadSignature = errors.New("inbound: event webhook signature missing or invalid")
	ErrStale        = errors.New("inbound: event webhook timestamp outside the allowed skew")
	ErrMalformed    = errors.New("inbound: malformed request")
	ErrCharset      = errors.New("inbound: unsupported charset")
	ErrTooLarge     = errors.New("inbound: request body too large")
)

// Headers of a signed Event Webhook POST. They are the SDK's
// eventwebhook.VerificationHTTPHeader and TimestampHTTPHeader.
const (
	SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// MaxSkew is how far the signed timestamp of an Event Webhook POST may be
// from the receiver's clock, either way, before the POST is refused as a
// replay. SendGrid does not document a window; ten minutes absorbs clock
// drift and queueing without letting a captured request be replayed later.
const MaxSkew = 10 * time.Minute

// Event types of SendGrid's Event Webhook.
const (
	EventProcessed        = "processed"
	EventDeferred         = "deferred"
	EventDelivered        = "delivered"
	EventBounce           = "bounce"
	EventDropped          = "dropped"
	EventOpen             = "open"
	EventClick            = "click"
	EventSpamReport       = "spamreport"
	EventUnsubscribe      = "unsubscribe"
	EventGroupUnsubscribe = "group_unsubscribe"
	EventGroupResubscribe = "group_resubscribe"
)

// Names of the custom args that the mailer attaches to every message
// (personalizations[].custom_args), which SendGrid echoes at the top level of
// each event.
const (
	ArgCaseID    = "case_id"
	ArgKind      = "kind"
	ArgDedupeKey = "dedupe_key"
)

// EventVerifier checks signed Event Webhook POSTs against one verification
// key. Make it with NewEventVerifier; the zero Now means time.Now and the
// zero MaxSkew means the package's MaxSkew.
type EventVerifier struct {
	Now     func() time.Time
	MaxSkew time.Duration

	key *ecdsa.PublicKey
}

// NewEventVerifier parses the verification key that SendGrid shows for a
// signed Event Webhook: base64 of a DER SubjectPublicKeyInfo. A PEM block of
// the same key, or the base64 broken over lines, is accepted too.
func NewEventVerifier(publicKey string) (*EventVerifier, error) {
	key, err := parsePublicKey(publicKey)
	if err != nil {
		return nil, err
	}
	return &EventVerifier{key: key}, nil
}

// VerifyEventWebhook checks one Event Webhook POST with the real clock:
// payload is the raw body, signature and timestamp the values of
// SignatureHeader and TimestampHeader. Use an EventVerifier to parse the key
// once, or to inject the clock.
func VerifyEventWebhook(publicKey string, payload []byte, signature, timestamp string) error {
	v, err := NewEventVerifier(publicKey)
	if err != nil {
		return err
	}
	return v.Verify(payload, signature, timestamp)
}

// Verify returns nil if signature is SendGrid's ECDSA signature of
// timestamp+payload under the key and timestamp is within the skew of now;
// ErrBadSignature if not signed by the key (or missing, or malformed);
// ErrStale if authentic but too old or too far in the future.
func (v *EventVerifier) Verify(payload []byte, signature, timestamp string) error {
	if v == nil || v.key == nil {
		return fmt.Errorf("%w: verifier has no key", ErrBadKey)
	}
	if signature == "" || timestamp == "" {
		return fmt.Errorf("%w: missing %s or %s", ErrBadSignature, SignatureHeader, TimestampHeader)
	}
	secs, ok := parseUnixSeconds(timestamp)
	if !ok {
		return fmt.Errorf("%w: malformed timestamp", ErrBadSignature)
	}
	verified, err := eventwebhook.VerifySignature(v.key, payload, signature, timestamp)
	if err != nil || !verified {
		return ErrBadSignature
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = MaxSkew
	}
	if d := v.now().Sub(time.Unix(secs, 0)); d > skew || d < -skew {
		return fmt.Errorf("%w: timestamp is %s old", ErrStale, d.Round(time.Second))
	}
	return nil
}

// VerifyRequest reads the body of an Event Webhook POST, at most maxBytes of
// it, verifies it by its headers and returns it for ParseEvents.
func (v *EventVerifier) VerifyRequest(r *http.Request, maxBytes int64) ([]byte, error) {
	body, err := readBody(r, maxBytes)
	if err != nil {
		return nil, err
	}
	if err := v.Verify(body, r.Header.Get(SignatureHeader), r.Header.Get(TimestampHeader)); err != nil {
		return nil, err
	}
	return body, nil
}

func (v *EventVerifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func parsePublicKey(s string) (key *ecdsa.PublicKey, err error) {
	s = strings.TrimSpace(s)
	if block, _ := pem.Decode([]byte(s)); block != nil {
		s = base64.StdEncoding.EncodeToString(block.Bytes)
	}
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadKey)
	}
	// The SDK asserts the parsed key to *ecdsa.PublicKey unchecked, so an
	// RSA or Ed25519 key panics inside it; that is a bad key, not a crash.
	defer func() {
		if recover() != nil {
			key, err = nil, fmt.Errorf("%w: not an ECDSA key", ErrBadKey)
		}
	}()
	key, err = eventwebhook.ConvertPublicKeyBase64ToECDSA(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	if key == nil || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: not a P-256 key", ErrBadKey)
	}
	return key, nil
}

// parseUnixSeconds accepts only decimal digits: the signed header is the
// exact text SendGrid hashed, so no sign, space or fraction is expected.
func parseUnixSeconds(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 12 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// DeliveryEvent is one entry of an Event Webhook POST.
//
// SendGrid may post an event more than once, and has been seen to give the
// repeat a new sg_event_id; deduplicate on what the event says as well.
type DeliveryEvent struct {
	Event string // processed, delivered, bounce, dropped, deferred, open, click, …
	Email string // the recipient
	// SGMessageID is the X-Message-Id that the mail send API returned: the
	// part of sg_message_id before its first '.', or, when an event has no
	// sg_message_id, the local part of its smtp-id.
	SGMessageID string
	SGEventID   string
	Reason      string    // why a message bounced or was dropped; for a deferral, the SMTP response
	Type        string    // of a bounce: bounce or blocked
	URL         string    // of a click
	Timestamp   time.Time // when SendGrid saw the event, UTC, to the second

	// The custom args ArgCaseID, ArgKind and ArgDedupeKey that the mailer set.
	CaseID, Kind, DedupeKey string
}

// ParseEvents parses the JSON array of an Event Webhook POST. Every entry
// needs an event name and a timestamp; other fields are optional, unknown
// fields and event types are kept or ignored, never refused.
func ParseEvents(payload []byte) ([]DeliveryEvent, error) {
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("%w: events are not a JSON array of objects: %v", ErrMalformed, err)
	}
	events := make([]DeliveryEvent, 0, len(raw))
	for i, m := range raw {
		if m == nil {
			return nil, fmt.Errorf("%w: event %d is null", ErrMalformed, i)
		}
		e := DeliveryEvent{
			Event:     jsonString(m["event"]),
			Email:     jsonString(m["email"]),
			SGEventID: jsonString(m["sg_event_id"]),
			Reason:    jsonString(m["reason"]),
			Type:      jsonString(m["type"]),
			URL:       jsonString(m["url"]),
			CaseID:    jsonString(m[ArgCaseID]),
			Kind:      jsonString(m[ArgKind]),
			DedupeKey: jsonString(m[ArgDedupeKey]),
		}
		if e.Event == "" {
			return nil, fmt.Errorf("%w: event %d has no event type", ErrMalformed, i)
		}
		ts, ok := jsonUnix(m["timestamp"])
		if !ok {
			return nil, fmt.Errorf("%w: event %d has no valid timestamp", ErrMalformed, i)
		}
		e.Timestamp = ts
		e.SGMessageID = messageID(jsonString(m["sg_message_id"]), jsonString(m["smtp-id"]))
		if e.Reason == "" && e.Event == EventDeferred {
			e.Reason = jsonString(m["response"])
		}
		events = append(events, e)
	}
	return events, nil
}

// messageID returns the X-Message-Id that the mail send API returned: the
// prefix of sg_message_id ("LRzXl_NHStOGhQ4kofSm_A.filterdrecv-…") before its
// first '.', or else the local part of smtp-id ("<LRzXl_NHStOGhQ4kofSm_A@ismtpd…>").
func messageID(sgMessageID, smtpID string) string {
	if sgMessageID != "" {
		id, _, _ := strings.Cut(sgMessageID, ".")
		return id
	}
	smtpID = strings.Trim(strings.TrimSpace(smtpID), "<>")
	if id, _, ok := strings.Cut(smtpID, "@"); ok {
		return id
	}
	return ""
}

// jsonString returns a JSON string's value, and "" for anything else: custom
// args are strings by SendGrid's rules, and a field of another type is not
// one this package reads.
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// jsonUnix reads a Unix time in seconds, as a JSON number or numeric string.
func jsonUnix(raw json.RawMessage) (time.Time, bool) {
	var n json.Number
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil {
		return time.Time{}, false
	}
	if i, err := n.Int64(); err == nil && i > 0 {
		return time.Unix(i, 0).UTC(), true
	}
	if f, err := n.Float64(); err == nil && f > 0 && f < 1e12 {
		return time.Unix(int64(f), 0).UTC(), true
	}
	return time.Time{}, false
}

// readBody reads all of r's body, refusing more than maxBytes.
func readBody(r *http.Request, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		return nil, errors.New("inbound: maxBytes must be positive")
	}
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrMalformed)
	}
	if r.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBytes))
	if err != nil {
		return nil, readError(err)
	}
	return body, nil
}

// readError classifies an error met while reading a request body.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: limit %d bytes", ErrTooLarge, tooLarge.Limit)
	}
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrCharset) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}
