package casedesk

import (
	"strings"
	"testing"
	"time"
)

func TestPasswords(t *testing.T) {
	t.Run("a hash verifies its password and nothing else", func(t *testing.T) {
		h := HashPassword("correct horse battery")
		if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("hash %q is not an argon2id PHC string", h)
		}
		if !VerifyPassword(h, "correct horse battery") {
			t.Error("the password does not verify")
		}
		for _, wrong := range []string{"", "correct horse batter", "Correct horse battery", "correct horse battery "} {
			if VerifyPassword(h, wrong) {
				t.Errorf("%q verifies", wrong)
			}
		}
		if HashPassword("correct horse battery") == h {
			t.Error("two hashes of one password are equal: no salt")
		}
	})
	t.Run("a malformed hash verifies nothing", func(t *testing.T) {
		for _, h := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=0,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA"} {
			if VerifyPassword(h, "") || VerifyPassword(h, "plain") {
				t.Errorf("%q verifies", h)
			}
		}
		if VerifyNoPassword("anything at all") {
			t.Error("VerifyNoPassword succeeded")
		}
	})
	t.Run("new passwords have at least 12 characters", func(t *testing.T) {
		for _, tc := range []struct {
			pw string
			ok bool
		}{
			{"", false}, {"short", false}, {"elevenchars", false}, {"twelve chars", true},
			{"ééééééééééé", false}, {"éééééééééééé", true}, {"            ", false},
			{strings.Repeat("x", MaxPasswordLength), true}, {strings.Repeat("x", MaxPasswordLength+1), false},
			{"bad utf-8 \xff\xfe", false},
		} {
			var v Validation
			CheckPassword(&v, "password", tc.pw)
			if got := v.Err() == nil; got != tc.ok {
				t.Errorf("CheckPassword(%q) ok = %v; want %v (%v)", tc.pw, got, tc.ok, v.Err())
			}
		}
	})
	t.Run("staff may be created with a password, integrations may not", func(t *testing.T) {
		r := NewUserRequest{Name: "Ada", Email: "ada@example.com", Role: RoleAgent, Password: "twelve chars"}
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
		r.Password = "short"
		if err := r.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("short password: %v", err)
		}
		r = NewUserRequest{Name: "Feed", Email: "feed@example.com", Role: RoleIntegration, Password: "twelve chars"}
		if err := r.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("integration with a password: %v", err)
		}
	})
}

func TestSessionPolicy(t *testing.T) {
	p := SessionPolicy{Idle: 12 * time.Hour, Absolute: 7 * 24 * time.Hour}
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s := p.NewSession("U-1", t0)
	if s.CSRFToken == "" || !s.ExpiresAt.Equal(t0.Add(p.Absolute)) || !s.IdleExpiresAt.Equal(t0.Add(p.Idle)) {
		t.Fatalf("new session %+v", s)
	}
	tests := []struct {
		name string
		at   time.Duration
		live bool
	}{
		{"just started", 0, true},
		{"idle for less than the limit", 12*time.Hour - time.Second, true},
		{"idle for the limit", 12 * time.Hour, false},
	}
	for _, tt := range tests {
		if got := p.Live(s, t0.Add(tt.at)); got != tt.live {
			t.Errorf("%s: live = %v; want %v", tt.name, got, tt.live)
		}
	}
	t.Run("touching keeps it alive until the absolute end", func(t *testing.T) {
		cur := s
		for at := time.Duration(0); at < 7*24*time.Hour; at += 6 * time.Hour {
			if !p.Live(cur, t0.Add(at)) {
				t.Fatalf("ended at %s though touched every 6 hours", at)
			}
			var stored bool
			cur, stored = p.Touch(cur, t0.Add(at))
			if at > 0 && !stored {
				t.Fatalf("a touch after 6 hours was not worth storing")
			}
		}
		if p.Live(cur, t0.Add(7*24*time.Hour)) {
			t.Error("alive at the absolute end")
		}
	})
	t.Run("touches within a minute are not stored", func(t *testing.T) {
		if _, stored := p.Touch(s, t0.Add(30*time.Second)); stored {
			t.Error("stored a touch 30 seconds after the last")
		}
		got, stored := p.Touch(s, t0.Add(2*time.Minute))
		if !stored || !got.LastSeenAt.Equal(t0.Add(2*time.Minute)) || !got.IdleExpiresAt.Equal(t0.Add(2*time.Minute+12*time.Hour)) {
			t.Errorf("touch after 2 minutes: %+v, %v", got, stored)
		}
	})
}
