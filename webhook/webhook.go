// Package webhook signs casedesk's outgoing webhooks and verifies them for
// receivers. A delivery carries
//
//	Casedesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// with one v1 per signing secret (two while a secret is being rotated).
// Receivers call Verify with their secret, the header and the raw body.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	SignatureHeader = "Casedesk-Signature"
	EventIDHeader   = "Casedesk-Event-Id"
)

// DefaultTolerance is how old a signature Verify accepts by default.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrMalformed = errors.New("webhook: malformed Casedesk-Signature header")
	ErrTooOld    = errors.New("webhook: signature timestamp outside the tolerance")
	ErrMismatch  = errors.New("webhook: no signature matches the body")
)

// mac is the hex HMAC-SHA256 of "<t>.<body>" with secret.
func mac(secret string, t int64, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(t, 10)))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Sign returns the Casedesk-Signature header for body at t, with a v1 for
// each secret.
func Sign(t time.Time, body []byte, secrets ...string) string {
	unix := t.Unix()
	parts := []string{"t=" + strconv.FormatInt(unix, 10)}
	for _, s := range secrets {
		parts = append(parts, "v1="+mac(s, unix, body))
	}
	return strings.Join(parts, ",")
}

// Verify checks that header signs body with secret and that its timestamp
// is within tolerance of now (tolerance <= 0: DefaultTolerance).
func Verify(secret, header string, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, header, body, tolerance, time.Now())
}

// VerifyAt is Verify at the time now.
func VerifyAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts int64
	var sigs []string
	seenT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || seenT {
				return ErrMalformed
			}
			ts, seenT = n, true
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if !seenT || len(sigs) == 0 {
		return ErrMalformed
	}
	if age := now.Sub(time.Unix(ts, 0)); age > tolerance || age < -tolerance {
		return ErrTooOld
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrMismatch
}
