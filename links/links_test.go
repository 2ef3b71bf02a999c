package links_test

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk/links"
)

var (
	t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

	secret      = []byte("0123456789abcdef0123456789abcdef")
	otherSecret = []byte("fedcba9876543210fedcba9876543210")

	caseIDPattern = regexp.MustCompile(`^C-[0-9A-HJKMNP-TV-Z]+$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

const (
	domain = "reply.casedesk.example"
	// longestID is the longest case ID whose reply address stays within
	// 64 characters of local part.
	longestID = "C-0123456789ABCDEFGHJKMNP"
)

// signerAt returns a signer whose clock reads *now.
func signerAt(now *time.Time, key []byte) links.Signer {
	return links.Signer{Secret: key, Now: func() time.Time { return *now }}
}

func TestCaseToken(t *testing.T) {
	now := t0
	s := signerAt(&now, secret)

	t.Run("a token verifies to its case ID, upper case, whatever case it was made from", func(t *testing.T) {
		for _, tc := range []struct{ in, want string }{
			{"C-7Q4K2M", "C-7Q4K2M"},
			{"c-7q4k2m", "C-7Q4K2M"},
			{"C-0", "C-0"},
			{longestID, longestID},
		} {
			tok := s.CaseToken(tc.in, t0.Add(time.Hour))
			got, err := verifyCase(s, tok)
			if err != nil || got != tc.want {
				t.Errorf("VerifyToken(CaseToken(%q)) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		}
	})

	t.Run("a token is short and needs no escaping in a URL path", func(t *testing.T) {
		for _, id := range []string{"C-7Q4K2M", longestID} {
			tok := s.CaseToken(id, t0.Add(30*24*time.Hour))
			if !tokenPattern.MatchString(tok) || url.PathEscape(tok) != tok {
				t.Errorf("token %q is not URL-path safe", tok)
			}
			if len(tok) > 68 {
				t.Errorf("token for %s is %d characters, want at most 68", id, len(tok))
			}
		}
		if tok := s.CaseToken("C-7Q4K2M", t0); len(tok) != 44 {
			t.Errorf("token for a six-character ID is %d characters, want 44", len(tok))
		}
	})

	t.Run("a token is valid until its expiry and expired from that instant", func(t *testing.T) {
		exp := t0.Add(72 * time.Hour)
		tok := s.CaseToken("C-7Q4K2M", exp)
		for _, tc := range []struct {
			now  time.Time
			want error
		}{
			{t0, nil},
			{exp.Add(-time.Nanosecond), nil},
			{exp, links.ErrExpired},
			{exp.Add(time.Second), links.ErrExpired},
			{exp.Add(10 * 365 * 24 * time.Hour), links.ErrExpired},
		} {
			now = tc.now
			_, err := verifyCase(s, tok)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("at %v: err = %v, want %v", tc.now, err, tc.want)
			}
		}
		now = t0
	})

	t.Run("an expiry's fraction of a second is dropped, never added", func(t *testing.T) {
		exp := t0.Add(time.Hour + 900*time.Millisecond)
		tok := s.CaseToken("C-7Q4K2M", exp)
		now = t0.Add(time.Hour - time.Nanosecond)
		if _, err := verifyCase(s, tok); err != nil {
			t.Errorf("just before the whole second: %v", err)
		}
		now = t0.Add(time.Hour)
		if _, err := verifyCase(s, tok); !errors.Is(err, links.ErrExpired) {
			t.Errorf("at the whole second: err = %v, want ErrExpired", err)
		}
		now = t0
	})

	t.Run("a token already expired when made never verifies", func(t *testing.T) {
		for _, exp := range []time.Time{t0, t0.Add(-time.Second), time.Unix(0, 0), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)} {
			if _, err := verifyCase(s, s.CaseToken("C-7Q4K2M", exp)); !errors.Is(err, links.ErrExpired) {
				t.Errorf("expiry %v: err = %v, want ErrExpired", exp, err)
			}
		}
	})

	t.Run("changing any character of a token makes it invalid, even of an expired one", func(t *testing.T) {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for _, exp := range []time.Time{t0.Add(time.Hour), t0.Add(-time.Hour)} {
			tok := s.CaseToken("C-7Q4K2M", exp)
			for i := range len(tok) {
				for _, c := range []byte(alphabet + "=.~") {
					if c == tok[i] {
						continue
					}
					bad := tok[:i] + string(c) + tok[i+1:]
					if id, err := verifyCase(s, bad); !errors.Is(err, links.ErrInvalid) {
						t.Fatalf("token with [%d]=%q: got %q, %v; want ErrInvalid", i, c, id, err)
					}
				}
			}
		}
	})

	t.Run("a truncated or extended token is invalid", func(t *testing.T) {
		tok := s.CaseToken("C-7Q4K2M", t0.Add(time.Hour))
		for i := range len(tok) {
			if _, err := verifyCase(s, tok[:i]); !errors.Is(err, links.ErrInvalid) {
				t.Fatalf("prefix of %d characters: err = %v, want ErrInvalid", i, err)
			}
		}
		for _, bad := range []string{tok + "A", tok + "AAAA", tok + "=", " " + tok, tok + "\n", tok[:20] + "\r\n" + tok[20:], tok + strings.Repeat("A", 10000)} {
			if _, err := verifyCase(s, bad); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("VerifyToken(%.60q…): err = %v, want ErrInvalid", bad, err)
			}
		}
	})

	t.Run("a token made with another secret is invalid", func(t *testing.T) {
		other := signerAt(&now, otherSecret)
		if _, err := verifyCase(s, other.CaseToken("C-7Q4K2M", t0.Add(time.Hour))); !errors.Is(err, links.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})

	t.Run("an expired token made with another secret is invalid, not expired", func(t *testing.T) {
		other := signerAt(&now, otherSecret)
		if _, err := verifyCase(s, other.CaseToken("C-7Q4K2M", t0.Add(-time.Hour))); !errors.Is(err, links.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})

	t.Run("the signature of a reply address does not make a token", func(t *testing.T) {
		addr := s.ReplyAddress("C-7Q4K2M", domain)
		sig := addr[strings.IndexByte(addr, '.')+1 : strings.IndexByte(addr, '@')]
		for _, bad := range []string{sig, strings.ToUpper(sig), "c-7q4k2m." + sig} {
			if _, err := verifyCase(s, bad); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("VerifyToken(%q): err = %v, want ErrInvalid", bad, err)
			}
		}
	})

	t.Run("garbage is invalid", func(t *testing.T) {
		for _, bad := range []string{"", "A", "!!!!", "C-7Q4K2M", "../../etc/passwd", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "\x00\xff"} {
			if _, err := verifyCase(s, bad); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("VerifyToken(%q): err = %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestReplyAddress(t *testing.T) {
	now := t0
	s := signerAt(&now, secret)
	addr := s.ReplyAddress("C-7Q4K2M", domain)
	local := addr[:strings.IndexByte(addr, '@')]

	t.Run("an address has the documented shape", func(t *testing.T) {
		re := regexp.MustCompile(`^reply\+c-7q4k2m\.[0-9a-hjkmnp-tv-z]{32}@reply\.casedesk\.example$`)
		if !re.MatchString(addr) {
			t.Errorf("ReplyAddress = %q, want it to match %s", addr, re)
		}
		if got := s.ReplyAddress("c-7q4k2m", "REPLY.CaseDesk.example"); got != addr {
			t.Errorf("ReplyAddress is not normalised: %q != %q", got, addr)
		}
	})

	t.Run("the local part stays within 64 characters for the longest case ID", func(t *testing.T) {
		long := s.ReplyAddress(longestID, domain)
		lp := long[:strings.IndexByte(long, '@')]
		if len(lp) > 64 {
			t.Errorf("local part %q is %d characters", lp, len(lp))
		}
		if got, err := s.VerifyReplyAddress(long, domain); err != nil || got != longestID {
			t.Errorf("VerifyReplyAddress = %q, %v", got, err)
		}
	})

	t.Run("a case ID too long for a reply address is refused", func(t *testing.T) {
		defer expectPanic(t)
		s.ReplyAddress(longestID+"Q", domain)
	})

	t.Run("an address verifies however a mail system dresses or folds it", func(t *testing.T) {
		for _, in := range []string{
			addr,
			strings.ToUpper(addr),
			strings.ToUpper(local[:10]) + addr[10:],
			"<" + addr + ">",
			"Acme Billing <" + addr + ">",
			`"Acme Billing, Support" <` + strings.ToUpper(addr) + ">",
			"=?UTF-8?Q?Acme_F=C3=A9d=C3=A9ration?= <" + addr + ">",
			" " + addr + " ",
			local + "@REPLY.CASEDESK.EXAMPLE",
		} {
			got, err := s.VerifyReplyAddress(in, domain)
			if err != nil || got != "C-7Q4K2M" {
				t.Errorf("VerifyReplyAddress(%q) = %q, %v; want C-7Q4K2M", in, got, err)
			}
		}
		if got, err := s.VerifyReplyAddress(addr, "Reply.CaseDesk.Example"); err != nil || got != "C-7Q4K2M" {
			t.Errorf("with the domain in mixed case: %q, %v", got, err)
		}
	})

	t.Run("an address at another domain is refused", func(t *testing.T) {
		for _, d := range []string{"casedesk.example", "x.reply.casedesk.example", "reply.casedesk.example.evil", "evil.example", ""} {
			if _, err := s.VerifyReplyAddress(addr, d); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("domain %q: err = %v, want ErrInvalid", d, err)
			}
			if _, err := s.VerifyReplyAddress(local+"@"+d, domain); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("address at %q: err = %v, want ErrInvalid", d, err)
			}
		}
	})

	t.Run("changing or dropping any character of the local part makes it invalid", func(t *testing.T) {
		const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz+-._="
		for i := range len(local) {
			for _, c := range []byte(alphabet) {
				if c == local[i] {
					continue
				}
				bad := local[:i] + string(c) + local[i+1:] + "@" + domain
				if id, err := s.VerifyReplyAddress(bad, domain); !errors.Is(err, links.ErrInvalid) {
					t.Fatalf("VerifyReplyAddress(%q) = %q, %v; want ErrInvalid", bad, id, err)
				}
			}
			bad := local[:i] + local[i+1:] + "@" + domain
			if id, err := s.VerifyReplyAddress(bad, domain); !errors.Is(err, links.ErrInvalid) {
				t.Fatalf("VerifyReplyAddress(%q) = %q, %v; want ErrInvalid", bad, id, err)
			}
		}
	})

	t.Run("an unsigned address or one signed for another case is refused", func(t *testing.T) {
		other := s.ReplyAddress("C-9ZZZZZ", domain)
		otherSig := other[strings.IndexByte(other, '.')+1 : strings.IndexByte(other, '@')]
		for _, bad := range []string{
			"reply+c-7q4k2m@" + domain,
			"reply+c-7q4k2m.@" + domain,
			"reply+c-7q4k2m." + otherSig + "@" + domain,
			"c-7q4k2m." + local[len("reply+c-7q4k2m."):] + "@" + domain,
			"support@" + domain,
			"reply+@" + domain,
		} {
			if id, err := s.VerifyReplyAddress(bad, domain); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("VerifyReplyAddress(%q) = %q, %v; want ErrInvalid", bad, id, err)
			}
		}
	})

	t.Run("an address made with another secret is refused", func(t *testing.T) {
		other := signerAt(&now, otherSecret).ReplyAddress("C-7Q4K2M", domain)
		if _, err := s.VerifyReplyAddress(other, domain); !errors.Is(err, links.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})

	t.Run("non-ASCII look-alikes that fold to ASCII are refused, in the local part or the domain", func(t *testing.T) {
		kelvin := strings.Replace(addr, "k", "\u212a", 1)                               // KELVIN SIGN folds to k
		longS := strings.Replace(strings.ToUpper(addr), "CASEDESK", "CA\u017fEDESK", 1) // LONG S folds to s
		for _, bad := range []string{kelvin, longS} {
			if _, err := s.VerifyReplyAddress(bad, domain); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("VerifyReplyAddress(%q): err = %v, want ErrInvalid", bad, err)
			}
		}
	})

	t.Run("things that are not addresses are refused", func(t *testing.T) {
		for _, bad := range []string{"", "reply", "@" + domain, addr + "@" + domain, addr + ", other@example.com", strings.Repeat("a", 5000) + "@" + domain} {
			if _, err := s.VerifyReplyAddress(bad, domain); !errors.Is(err, links.ErrInvalid) {
				t.Errorf("VerifyReplyAddress(%.60q): err = %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestSignerConfiguration(t *testing.T) {
	t.Run("a short secret fails validation", func(t *testing.T) {
		for _, key := range [][]byte{nil, {}, secret[:31]} {
			if err := (links.Signer{Secret: key}).Validate(); err == nil {
				t.Errorf("Validate with %d-byte secret: no error", len(key))
			}
		}
		if err := (links.Signer{Secret: secret}).Validate(); err != nil {
			t.Errorf("Validate with a 32-byte secret: %v", err)
		}
	})

	t.Run("verifying with a short secret is a configuration error, not a bad link", func(t *testing.T) {
		good := links.Signer{Secret: secret}
		tok := good.CaseToken("C-7Q4K2M", time.Now().Add(time.Hour))
		bad := links.Signer{Secret: secret[:8]}
		if _, err := verifyCase(bad, tok); err == nil || errors.Is(err, links.ErrInvalid) {
			t.Errorf("VerifyToken: err = %v, want a configuration error", err)
		}
		if _, err := bad.VerifyReplyAddress(good.ReplyAddress("C-7Q4K2M", domain), domain); err == nil || errors.Is(err, links.ErrInvalid) {
			t.Errorf("VerifyReplyAddress: err = %v, want a configuration error", err)
		}
	})

	t.Run("a nil clock means the real clock", func(t *testing.T) {
		s := links.Signer{Secret: secret}
		if _, err := verifyCase(s, s.CaseToken("C-7Q4K2M", time.Now().Add(time.Minute))); err != nil {
			t.Errorf("fresh token: %v", err)
		}
		if _, err := verifyCase(s, s.CaseToken("C-7Q4K2M", time.Now().Add(-time.Second))); !errors.Is(err, links.ErrExpired) {
			t.Errorf("stale token: err = %v, want ErrExpired", err)
		}
	})

	t.Run("signing with a bad secret, case ID or domain panics", func(t *testing.T) {
		good := links.Signer{Secret: secret}
		for name, f := range map[string]func(){
			"short secret, token":   func() { links.Signer{Secret: secret[:4]}.CaseToken("C-7Q4K2M", t0) },
			"short secret, address": func() { links.Signer{Secret: secret[:4]}.ReplyAddress("C-7Q4K2M", domain) },
			"empty case ID":         func() { good.CaseToken("", t0) },
			"prefix only":           func() { good.CaseToken("C-", t0) },
			"customer ID":           func() { good.CaseToken("CU-7Q4K2M", t0) },
			"letter U in ID":        func() { good.CaseToken("C-7Q4K2U", t0) },
			"non-ASCII ID":          func() { good.CaseToken("C-7Q4K2\u017f", t0) },
			"too long ID":           func() { good.CaseToken(longestID+"0", t0) },
			"empty domain":          func() { good.ReplyAddress("C-7Q4K2M", "") },
			"domain with @":         func() { good.ReplyAddress("C-7Q4K2M", "a@b.example") },
			"domain with space":     func() { good.ReplyAddress("C-7Q4K2M", "b .example") },
		} {
			t.Run(name, func(t *testing.T) {
				defer expectPanic(t)
				f()
			})
		}
	})
}

func expectPanic(t *testing.T) {
	t.Helper()
	if recover() == nil {
		t.Error("did not panic")
	}
}

func FuzzVerifyToken(f *testing.F) {
	now := t0
	s := signerAt(&now, secret)
	f.Add(s.CaseToken("C-7Q4K2M", t0.Add(time.Hour)))
	f.Add(s.CaseToken(longestID, t0.Add(-time.Hour)))
	f.Add(signerAt(&now, otherSecret).CaseToken("C-7Q4K2M", t0.Add(time.Hour)))
	f.Add("")
	f.Add("AQAAAABpm0TgQy03UTRLMk0")
	f.Add(s.CustomerToken("C-7Q4K2M", "CU-7Q4K2M9X", t0.Add(time.Hour)))
	f.Fuzz(func(t *testing.T, token string) {
		id, err := verifyCase(s, token)
		if err != nil {
			if !errors.Is(err, links.ErrInvalid) && !errors.Is(err, links.ErrExpired) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			return
		}
		if !caseIDPattern.MatchString(id) {
			t.Fatalf("verified token %q gave case ID %q", token, id)
		}
	})
}

func FuzzVerifyReplyAddress(f *testing.F) {
	now := t0
	s := signerAt(&now, secret)
	addr := s.ReplyAddress("C-7Q4K2M", domain)
	f.Add(addr)
	f.Add("Acme <" + strings.ToUpper(addr) + ">")
	f.Add(s.ReplyAddress(longestID, domain))
	f.Add("reply+c-7q4k2m@" + domain)
	f.Add(`"a\"b" <reply+.@` + domain + ">")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		id, err := s.VerifyReplyAddress(in, domain)
		if err != nil {
			if !errors.Is(err, links.ErrInvalid) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			return
		}
		if !caseIDPattern.MatchString(id) {
			t.Fatalf("verified address %q gave case ID %q", in, id)
		}
	})
}

// verifyCase returns the case ID a token verifies to.
func verifyCase(s links.Signer, tok string) (string, error) {
	t, err := s.VerifyToken(tok)
	return t.CaseID, err
}

func TestCustomerToken(t *testing.T) {
	now := t0
	s := signerAt(&now, secret)

	t.Run("a customer token verifies to its case and its customer", func(t *testing.T) {
		for _, tc := range []struct{ caseID, customerID, wantCase string }{
			{"C-7Q4K2M", "CU-7Q4K2M9X", "C-7Q4K2M"},
			{"c-7q4k2m", "CU-7Q4K2M9X", "C-7Q4K2M"},
			{longestID, strings.Repeat("x", links.MaxCustomerIDLen), longestID},
			{"C-0", "a", "C-0"},
		} {
			tok := s.CustomerToken(tc.caseID, tc.customerID, t0.Add(time.Hour))
			got, err := s.VerifyToken(tok)
			if err != nil || got.CaseID != tc.wantCase || got.CustomerID != tc.customerID || !got.Expires.Equal(t0.Add(time.Hour)) {
				t.Errorf("VerifyToken(CustomerToken(%q, %q)) = %+v, %v", tc.caseID, tc.customerID, got, err)
			}
			if !tokenPattern.MatchString(tok) || url.PathEscape(tok) != tok {
				t.Errorf("token %q is not URL-path safe", tok)
			}
		}
		if tok := s.CustomerToken("C-7Q4K2M", "CU-7Q4K2M9X", t0); len(tok) != 60 {
			t.Errorf("token is %d characters, want 60", len(tok))
		}
	})

	t.Run("a version-1 token verifies with no customer", func(t *testing.T) {
		got, err := s.VerifyToken(s.CaseToken("C-7Q4K2M", t0.Add(time.Hour)))
		if err != nil || got.CaseID != "C-7Q4K2M" || got.CustomerID != "" {
			t.Errorf("VerifyToken(CaseToken) = %+v, %v", got, err)
		}
	})

	t.Run("a customer token expires like any token", func(t *testing.T) {
		tok := s.CustomerToken("C-7Q4K2M", "CU-1", t0.Add(time.Hour))
		now = t0.Add(time.Hour)
		if _, err := s.VerifyToken(tok); !errors.Is(err, links.ErrExpired) {
			t.Errorf("err = %v, want ErrExpired", err)
		}
		now = t0
	})

	t.Run("changing any character of a customer token makes it invalid", func(t *testing.T) {
		tok := s.CustomerToken("C-7Q4K2M", "CU-7Q4K2M9X", t0.Add(time.Hour))
		for i := range len(tok) {
			for _, c := range []byte("AaZz09-_") {
				if c == tok[i] {
					continue
				}
				bad := tok[:i] + string(c) + tok[i+1:]
				if got, err := s.VerifyToken(bad); !errors.Is(err, links.ErrInvalid) {
					t.Fatalf("token with [%d]=%q: got %+v, %v; want ErrInvalid", i, c, got, err)
				}
			}
		}
	})

	t.Run("another secret's customer token is invalid", func(t *testing.T) {
		tok := signerAt(&now, otherSecret).CustomerToken("C-7Q4K2M", "CU-1", t0.Add(time.Hour))
		if _, err := s.VerifyToken(tok); !errors.Is(err, links.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})

	t.Run("a customer ID of the wrong shape panics", func(t *testing.T) {
		for _, id := range []string{"", "CU 1", "CU/1", strings.Repeat("x", links.MaxCustomerIDLen+1)} {
			func() {
				defer expectPanic(t)
				s.CustomerToken("C-7Q4K2M", id, t0.Add(time.Hour))
			}()
		}
	})
}

func TestCheckReplyWindow(t *testing.T) {
	now := t0
	s := signerAt(&now, secret)
	closed := t0.Add(-10 * 24 * time.Hour)
	for _, tc := range []struct {
		name     string
		closedAt *time.Time
		ttl      time.Duration
		want     error
	}{
		{"an open case's address works", nil, time.Hour, nil},
		{"a closed case's address works within the TTL", &closed, 11 * 24 * time.Hour, nil},
		{"a closed case's address expires at the TTL", &closed, 10 * 24 * time.Hour, links.ErrExpired},
		{"a closed case's address expires after the TTL", &closed, 24 * time.Hour, links.ErrExpired},
		{"no TTL means the default", &closed, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CheckReplyWindow(tc.closedAt, tc.ttl)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	s := links.Signer{Secret: secret}
	tok := s.CustomerToken("C-7Q4K2M", "CU-7Q4K2M9X", time.Now().Add(time.Hour))
	old := s.CaseToken("C-7Q4K2M", time.Now().Add(time.Hour))
	for _, tc := range []struct{ in, want string }{
		{"See https://casedesk.example/c/" + tok + " for your case.", "See https://casedesk.example/c/… for your case."},
		{`<a href="https://casedesk.example/c/` + tok + `#csat">Rate us</a>`, `<a href="https://casedesk.example/c/…#csat">Rate us</a>`},
		{"old /c/" + old + "\nand new /c/" + tok, "old /c/…\nand new /c/…"},
		{"nothing to hide at /c/{token}", "nothing to hide at /c/{token}"},
		{"", ""},
	} {
		if got := links.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(links.Redact(tc.in), tok) {
			t.Errorf("Redact(%q) keeps the token", tc.in)
		}
	}
}
