// Package links signs the references to a case that casedesk hands out in
// email: the token of a customer link (/c/{token}) and the reply-to address
// that routes a customer's answer back to its case.
//
// Both are HMAC-SHA256 over the case ID with a server secret, each under its
// own purpose label, so a signature made for one use is worthless in the other.
// Neither hides the case ID: the customer already knows their reference; the
// signature only proves that casedesk issued the link or address. A token
// also names the customer it was issued to, so that the page refuses it for a
// case that is not (or no longer) that customer's.
//
// A reply address carries no expiry: it is issued in every email of a case
// before the case closes, and stays the same in all of them so that replies
// thread. It expires with the case instead: CheckReplyWindow refuses it from
// the link TTL after the case closed on.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Errors of verification, for errors.Is. A token or address is ErrExpired
// only when it is authentic; anything forged, altered, malformed or signed
// with another secret is ErrInvalid.
var (
	ErrInvalid = errors.New("links: invalid link")
	ErrExpired = errors.New("links: link expired")
)

// MinSecretLen is the shortest secret a Signer accepts: 256 bits, the size
// of the HMAC-SHA256 key that the secret becomes.
const MinSecretLen = 32

// ReplyPrefix starts the local part of every reply address, so that the
// inbound route can tell replies from other mail to the same domain.
const ReplyPrefix = "reply+"

// maxCaseIDLen keeps a reply address's local part within the 64 octets of
// RFC 5321: len("reply+") + id + len(".") + replySigLen <= 64.
const maxCaseIDLen = 64 - len(ReplyPrefix) - 1 - replySigLen

const (
	casePrefix = "C-"
	// idAlphabet is Crockford's base 32, the alphabet of casedesk IDs.
	idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

	// tokenV1 names the case only; tokenV2 also the customer.
	tokenV1     = 1
	tokenV2     = 2
	tokenMACLen = 16 // 128 bits: forging needs ~2^128 online guesses.
	tokenHeader = 1 + 8
	minTokenLen = tokenHeader + len(casePrefix) + 1 + tokenMACLen
	maxTokenLen = tokenHeader + 1 + maxCaseIDLen + MaxCustomerIDLen + tokenMACLen

	// MaxCustomerIDLen bounds the customer ID a token carries.
	MaxCustomerIDLen = 64

	replyMACLen = 20 // 160 bits, exactly 32 base-32 characters.
	replySigLen = replyMACLen * 8 / 5

	labelToken = "casedesk/links/case-token/v1\x00"
	labelReply = "casedesk/links/reply-address/v1\x00"
)

var (
	tokenEncoding = base64.RawURLEncoding.Strict()
	// Lower-case Crockford base 32: the local part of an address must survive
	// providers that fold case, and this alphabet has no I/L/O/U to misread.
	sigEncoding = base32.NewEncoding(strings.ToLower(idAlphabet)).WithPadding(base32.NoPadding)
)

// Signer issues and verifies case tokens and reply addresses. The zero Now
// means time.Now. Secret must be at least MinSecretLen bytes; Validate checks
// it at start-up, and signing with a bad secret panics.
type Signer struct {
	Secret []byte
	Now    func() time.Time
}

// Validate reports whether the signer is configured well enough to sign.
func (s Signer) Validate() error {
	if len(s.Secret) < MinSecretLen {
		return fmt.Errorf("links: secret is %d bytes, need at least %d", len(s.Secret), MinSecretLen)
	}
	return nil
}

// Token is what a verified case token says.
type Token struct {
	CaseID string
	// CustomerID is the customer the token was issued to; "" in a
	// version-1 token, which predates it.
	CustomerID string
	Expires    time.Time
}

// CustomerToken returns a URL-safe token naming caseID and the customer it
// is issued to that verifies until expires, at one-second resolution (a
// fraction of a second is dropped, so a token never outlives its expiry).
// caseID is a case ID such as C-7Q4K2M, in either letter case and of at most
// 25 characters (the most a reply address has room for); customerID is 1 to
// MaxCustomerIDLen letters, digits, '-' or '_'. Others are a programming
// error and panic.
//
// Layout before base64url: version 2 (1) | expiry, Unix seconds (8) | length
// of the case ID (1) | case ID | customer ID | HMAC (16). About 60
// characters for IDs such as C-7Q4K2M and CU-7Q4K2M9X.
func (s Signer) CustomerToken(caseID, customerID string, expires time.Time) string {
	s.mustValidate()
	id := mustCaseID(caseID)
	if !isCustomerID(customerID) {
		panic(fmt.Sprintf("links: invalid customer ID %q", customerID))
	}
	buf := make([]byte, 0, tokenHeader+1+len(id)+len(customerID)+tokenMACLen)
	buf = append(buf, tokenV2)
	buf = binary.BigEndian.AppendUint64(buf, uint64(expires.Unix()))
	buf = append(buf, byte(len(id)))
	buf = append(buf, id...)
	buf = append(buf, customerID...)
	buf = append(buf, s.mac(labelToken, buf)[:tokenMACLen]...)
	return tokenEncoding.EncodeToString(buf)
}

// CaseToken returns a version-1 token, which names the case only: the
// format of the links sent before tokens named the customer. VerifyToken
// still takes them until they expire; casedesk issues CustomerToken.
//
// Layout before base64url: version 1 (1) | expiry, Unix seconds (8) | case ID |
// HMAC (16). About 44 characters for a six-character ID.
func (s Signer) CaseToken(caseID string, expires time.Time) string {
	s.mustValidate()
	id := mustCaseID(caseID)
	buf := make([]byte, 0, tokenHeader+len(id)+tokenMACLen)
	buf = append(buf, tokenV1)
	buf = binary.BigEndian.AppendUint64(buf, uint64(expires.Unix()))
	buf = append(buf, id...)
	buf = append(buf, s.mac(labelToken, buf)[:tokenMACLen]...)
	return tokenEncoding.EncodeToString(buf)
}

// VerifyToken returns what token says if casedesk signed it with this
// secret and it has not expired: it is valid while Now is before the
// expiry, and ErrExpired from that instant on. Both versions verify; the
// caller checks Token.CustomerID, when set, against the case's customer.
func (s Signer) VerifyToken(token string) (Token, error) {
	if err := s.Validate(); err != nil {
		return Token{}, err
	}
	// Bound the work before decoding anything an attacker sends.
	if len(token) > tokenEncoding.EncodedLen(maxTokenLen) {
		return Token{}, fmt.Errorf("%w: token too long", ErrInvalid)
	}
	// The decoder skips CR and LF; a token has exactly one spelling.
	for i := 0; i < len(token); i++ {
		if !isTokenChar(token[i]) {
			return Token{}, fmt.Errorf("%w: malformed token", ErrInvalid)
		}
	}
	raw, err := tokenEncoding.DecodeString(token)
	if err != nil || len(raw) < minTokenLen || len(raw) > maxTokenLen {
		return Token{}, fmt.Errorf("%w: malformed token", ErrInvalid)
	}
	if raw[0] != tokenV1 && raw[0] != tokenV2 {
		return Token{}, fmt.Errorf("%w: unknown token version", ErrInvalid)
	}
	body, sig := raw[:len(raw)-tokenMACLen], raw[len(raw)-tokenMACLen:]
	if !hmac.Equal(sig, s.mac(labelToken, body)[:tokenMACLen]) {
		return Token{}, ErrInvalid
	}
	// Only a token the secret signed gets this far: what follows refuses
	// what neither issuer makes.
	t := Token{Expires: time.Unix(int64(binary.BigEndian.Uint64(body[1:tokenHeader])), 0)}
	rest := body[tokenHeader:]
	if raw[0] == tokenV1 {
		t.CaseID = string(rest)
	} else {
		if len(rest) < 1 || int(rest[0]) > len(rest)-1 {
			return Token{}, fmt.Errorf("%w: malformed token", ErrInvalid)
		}
		n := int(rest[0])
		t.CaseID, t.CustomerID = string(rest[1:1+n]), string(rest[1+n:])
		if !isCustomerID(t.CustomerID) {
			return Token{}, fmt.Errorf("%w: malformed customer ID", ErrInvalid)
		}
	}
	if !isCaseID(t.CaseID) {
		return Token{}, fmt.Errorf("%w: malformed case ID", ErrInvalid)
	}
	if !s.now().Before(t.Expires) {
		return Token{}, ErrExpired
	}
	return t, nil
}

// DefaultTTL is how long a customer link works, and a reply address after
// its case closed, unless configured otherwise.
const DefaultTTL = 30 * 24 * time.Hour

// CheckReplyWindow tells whether a reply address of a case closed at
// closedAt (nil: not closed) still works: ErrExpired from ttl after the
// close on (ttl zero or less means DefaultTTL).
func (s Signer) CheckReplyWindow(closedAt *time.Time, ttl time.Duration) error {
	if closedAt == nil {
		return nil
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if !s.now().Before(closedAt.Add(ttl)) {
		return fmt.Errorf("%w: the case closed more than %s ago", ErrExpired, ttl)
	}
	return nil
}

// linkPattern finds the token of a customer link in any text: /c/ and 16
// or more token characters (the shortest token has 38).
var linkPattern = regexp.MustCompile(`/c/[A-Za-z0-9_-]{16,}`)

// RedactedLink replaces a customer link's token in what Redact returns.
const RedactedLink = "/c/…"

// Redact returns s with the token of every customer link replaced by "…",
// for showing sent email to staff, who must never hold a working link.
func Redact(s string) string {
	return linkPattern.ReplaceAllLiteralString(s, RedactedLink)
}

// ReplyAddress returns the reply-to address of the case at domain, such as
// reply+c-7q4k2m.<32 characters of signature>@reply.example.com. The local
// part is lower case, at most 64 characters, and made of letters, digits,
// '+', '-' and '.', so that no mail system needs to quote or alter it. A
// case ID or domain of the wrong shape is a programming error and panics.
func (s Signer) ReplyAddress(caseID, domain string) string {
	s.mustValidate()
	id := mustCaseID(caseID)
	if !isDomain(domain) {
		panic(fmt.Sprintf("links: invalid reply domain %q", domain))
	}
	return ReplyPrefix + strings.ToLower(id) + "." + s.replySig(id) + "@" + strings.ToLower(domain)
}

// VerifyReplyAddress returns the case ID, upper case, of a reply address at
// domain. addr may carry a display name and angle brackets ("Support"
// <reply+…@domain>), and any letter case, since mail systems may fold it.
// An address at another domain, without the reply prefix, with a missing or
// altered signature, or naming another case is ErrInvalid. Reply addresses do
// not expire: whether a reply is still welcome is up to the case.
func (s Signer) VerifyReplyAddress(addr, domain string) (caseID string, err error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	if len(addr) > 1024 {
		return "", fmt.Errorf("%w: address too long", ErrInvalid)
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil {
		return "", fmt.Errorf("%w: not an email address", ErrInvalid)
	}
	at := strings.LastIndexByte(parsed.Address, '@')
	if at < 0 {
		return "", fmt.Errorf("%w: not an email address", ErrInvalid)
	}
	if !isASCII(parsed.Address) {
		// Unicode case folding maps a few non-ASCII letters onto ASCII ones
		// (K, the Kelvin sign, to k); refuse them rather than fold them.
		return "", fmt.Errorf("%w: not a reply address", ErrInvalid)
	}
	local, host := strings.ToLower(parsed.Address[:at]), parsed.Address[at+1:]
	if domain == "" || !strings.EqualFold(strings.TrimSuffix(host, "."), strings.TrimSuffix(domain, ".")) {
		return "", fmt.Errorf("%w: address is not at the reply domain", ErrInvalid)
	}
	rest, ok := strings.CutPrefix(local, ReplyPrefix)
	if !ok {
		return "", fmt.Errorf("%w: not a reply address", ErrInvalid)
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return "", fmt.Errorf("%w: unsigned reply address", ErrInvalid)
	}
	id, sig := strings.ToUpper(rest[:dot]), rest[dot+1:]
	if !isCaseID(id) {
		return "", fmt.Errorf("%w: malformed case ID", ErrInvalid)
	}
	// Comparing the encoded text, not decoded bytes, leaves no second
	// spelling of a valid signature.
	if !hmac.Equal([]byte(sig), []byte(s.replySig(id))) {
		return "", ErrInvalid
	}
	return id, nil
}

func (s Signer) replySig(id string) string {
	return sigEncoding.EncodeToString(s.mac(labelReply, []byte(id))[:replyMACLen])
}

func (s Signer) mac(label string, msg []byte) []byte {
	h := hmac.New(sha256.New, s.Secret)
	h.Write([]byte(label))
	h.Write(msg)
	return h.Sum(nil)
}

func (s Signer) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s Signer) mustValidate() {
	if err := s.Validate(); err != nil {
		panic(err)
	}
}

// mustCaseID returns caseID in upper case, panicking if it is not a case ID.
func mustCaseID(caseID string) string {
	id := strings.ToUpper(caseID)
	if !isASCII(caseID) || !isCaseID(id) {
		panic(fmt.Sprintf("links: invalid case ID %q", caseID))
	}
	return id
}

// isCaseID reports whether id is C- followed by Crockford base-32 characters,
// upper case, short enough for a reply address.
func isCaseID(id string) bool {
	rest, ok := strings.CutPrefix(id, casePrefix)
	if !ok || len(rest) == 0 || len(id) > maxCaseIDLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(idAlphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// isCustomerID reports whether id is a plausible customer ID: letters,
// digits, '-' and '_', at most MaxCustomerIDLen of them.
func isCustomerID(id string) bool {
	if id == "" || len(id) > MaxCustomerIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isTokenChar(id[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isDomain is a sanity check on configuration, not a full RFC 1035 parser.
func isDomain(d string) bool {
	if d == "" || len(d) > 253 || d[0] == '.' || d[0] == '-' {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
