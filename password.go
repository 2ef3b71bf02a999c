package casedesk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password limits. The upper bound keeps hashing a refused giant input cheap.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// CheckPassword checks a new password against the password rules; field names
// the JSON field in the error.
func CheckPassword(v *Validation, field, password string) {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		v.Add(field, "is required")
	case !utf8.ValidString(password):
		v.Add(field, "must be valid UTF-8 text")
	case n < MinPasswordLength:
		v.Add(field, "must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		v.Add(field, "must be at most %d characters", MaxPasswordLength)
	case strings.TrimSpace(password) == "":
		v.Add(field, "must not be only spaces")
	}
}

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, one
// lane), stored with every hash so they can be raised later.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns the stored form of password: an argon2id hash in the
// PHC string format, $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches hash, a HashPassword
// result. A malformed hash matches nothing.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || passes == 0 || passes > 16 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when the email is unknown, so that an unknown
// address takes as long to refuse as a wrong password.
var dummyHash = HashPassword("casedesk-no-such-user-password")

// VerifyNoPassword spends the time VerifyPassword would, and fails.
func VerifyNoPassword(password string) bool {
	VerifyPassword(dummyHash, password)
	return false
}

// SessionPolicy is how long a console session lasts: it ends after Idle
// without a request, and after Absolute whatever happens.
type SessionPolicy struct {
	Idle     time.Duration
	Absolute time.Duration
}

// Default session lifetimes.
const (
	DefaultSessionIdle     = 12 * time.Hour
	DefaultSessionAbsolute = 7 * 24 * time.Hour
)

// Session is a signed-in console session. Only the hash of its token is
// stored; the token travels in an HttpOnly cookie.
type Session struct {
	UserID     string    `json:"-"`
	CSRFToken  string    `json:"csrf_token"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// ExpiresAt is the absolute end; IdleExpiresAt moves with each request.
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
}

// NewSession starts a session for user at now.
func (p SessionPolicy) NewSession(userID string, now time.Time) Session {
	return Session{UserID: userID, CSRFToken: NewToken(), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(p.Absolute), IdleExpiresAt: minTime(now.Add(p.Idle), now.Add(p.Absolute))}
}

// Live reports whether s is still valid at now.
func (p SessionPolicy) Live(s Session, now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(p.Idle))
}

// Touch returns s seen at now, and whether that is worth storing: the last
// request is recorded at most once a minute, which is precise enough for a
// 12-hour idle limit and spares a write per request.
func (p SessionPolicy) Touch(s Session, now time.Time) (Session, bool) {
	s.IdleExpiresAt = minTime(now.Add(p.Idle), s.ExpiresAt)
	if now.Sub(s.LastSeenAt) < time.Minute {
		s.IdleExpiresAt = minTime(s.LastSeenAt.Add(p.Idle), s.ExpiresAt)
		return s, false
	}
	s.LastSeenAt = now
	return s, true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// SignInRequest is what a member of staff types to sign in.
type SignInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Validate trims the email; a wrong password is for the store to find.
func (r *SignInRequest) Validate() error {
	var v Validation
	r.Email = CleanText(r.Email)
	if r.Email == "" {
		v.Add("email", "is required")
	}
	if r.Password == "" {
		v.Add("password", "is required")
	}
	return v.Err()
}

// SetPasswordRequest sets a user's password: an admin sets anyone's, a user
// their own with their current password.
type SetPasswordRequest struct {
	Password        string `json:"password"`
	CurrentPassword string `json:"current_password,omitempty"`
}

// Validate checks the new password.
func (r *SetPasswordRequest) Validate() error {
	var v Validation
	CheckPassword(&v, "password", r.Password)
	return v.Err()
}

// CanSetPassword says whether me may set target's password: their own, or
// anyone's as an admin; only staff who sign in have one, and a deactivated
// user's stays as it is.
func CanSetPassword(me, target User) error {
	switch {
	case me.ID != target.ID && me.Role != RoleAdmin:
		return Errorf(EFORBIDDEN, "only an admin sets another user's password")
	case !target.Role.IsStaff():
		return Errorf(ECONFLICT, "a %s user signs in with its API key, not a password", target.Role)
	case target.DeactivatedAt != nil:
		return Errorf(ECONFLICT, "user %s is deactivated", target.ID)
	}
	return nil
}
