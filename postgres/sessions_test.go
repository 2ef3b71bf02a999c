package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	policy := casedesk.SessionPolicy{Idle: time.Hour, Absolute: 24 * time.Hour}
	now := time.Now().UTC().Truncate(time.Microsecond)

	t.Run("a user created with a password has it, and credentials return its hash", func(t *testing.T) {
		u, err := db.CreateUserWithPassword(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8),
			Name: "Pat Password", Email: "Pat.Password@example.com", Role: casedesk.RoleAgent},
			casedesk.HashToken(casedesk.NewToken()), casedesk.HashPassword("correct horse battery"))
		if err != nil {
			t.Fatal(err)
		}
		if !u.HasPassword {
			t.Error("the created user has no password")
		}
		got, hash, err := db.Credentials(ctx, "pat.password@EXAMPLE.com")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || !got.HasPassword || !casedesk.VerifyPassword(hash, "correct horse battery") {
			t.Errorf("credentials = %+v, %q", got, hash)
		}
	})

	t.Run("a user without a password has an empty hash", func(t *testing.T) {
		u, _ := newUser(t, db, "no.password@example.com", casedesk.RoleAgent)
		_, hash, err := db.Credentials(ctx, u.Email)
		if err != nil || hash != "" {
			t.Errorf("credentials: %q, %v", hash, err)
		}
		if h, err := db.PasswordHash(ctx, u.ID); err != nil || h != "" {
			t.Errorf("password hash: %q, %v", h, err)
		}
	})

	t.Run("a session reads back by its token with its user, and is touched", func(t *testing.T) {
		u, _ := newUser(t, db, "session.read@example.com", casedesk.RoleAgent)
		token := casedesk.NewToken()
		s := policy.NewSession(u.ID, now)
		if err := db.CreateSession(ctx, casedesk.HashToken(token), s); err != nil {
			t.Fatal(err)
		}
		got, gu, err := db.SessionByToken(ctx, casedesk.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		if gu.ID != u.ID || got.CSRFToken != s.CSRFToken || !got.ExpiresAt.Equal(s.ExpiresAt) || !got.LastSeenAt.Equal(now) {
			t.Errorf("session = %+v of %s; want %+v of %s", got, gu.ID, s, u.ID)
		}
		later := now.Add(10 * time.Minute)
		if err := db.TouchSession(ctx, casedesk.HashToken(token), later); err != nil {
			t.Fatal(err)
		}
		got, _, _ = db.SessionByToken(ctx, casedesk.HashToken(token))
		if !got.LastSeenAt.Equal(later) {
			t.Errorf("last seen %v after touch; want %v", got.LastSeenAt, later)
		}
		if err := db.TouchSession(ctx, casedesk.HashToken(token), now); err != nil {
			t.Fatal(err)
		}
		got, _, _ = db.SessionByToken(ctx, casedesk.HashToken(token))
		if !got.LastSeenAt.Equal(later) {
			t.Errorf("an older touch moved last seen back to %v", got.LastSeenAt)
		}
		if err := db.DeleteSession(ctx, casedesk.HashToken(token)); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.SessionByToken(ctx, casedesk.HashToken(token))
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("an unknown session token is not found", func(t *testing.T) {
		_, _, err := db.SessionByToken(ctx, casedesk.HashToken(casedesk.NewToken()))
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("a new password ends every session of the user and no one else's", func(t *testing.T) {
		u, _ := newUser(t, db, "new.password@example.com", casedesk.RoleAgent)
		other, _ := newUser(t, db, "other.user@example.com", casedesk.RoleAgent)
		mine1, mine2, theirs := casedesk.NewToken(), casedesk.NewToken(), casedesk.NewToken()
		for tok, uid := range map[string]string{mine1: u.ID, mine2: u.ID, theirs: other.ID} {
			if err := db.CreateSession(ctx, casedesk.HashToken(tok), policy.NewSession(uid, now)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetPassword(ctx, u.ID, casedesk.HashPassword("a brand new password")); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{mine1, mine2} {
			_, _, err := db.SessionByToken(ctx, casedesk.HashToken(tok))
			wantCode(t, err, casedesk.ENOTFOUND)
		}
		if _, _, err := db.SessionByToken(ctx, casedesk.HashToken(theirs)); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
		hash, err := db.PasswordHash(ctx, u.ID)
		if err != nil || !casedesk.VerifyPassword(hash, "a brand new password") {
			t.Errorf("the new password does not verify: %v", err)
		}
		wantCode(t, db.SetPassword(ctx, "U-NOSUCH00", casedesk.HashPassword("a brand new password")), casedesk.ENOTFOUND)
	})

	t.Run("deactivation ends sessions and the token, once", func(t *testing.T) {
		u, apiToken := newUser(t, db, "leaving@example.com", casedesk.RoleAgent)
		tok := casedesk.NewToken()
		if err := db.CreateSession(ctx, casedesk.HashToken(tok), policy.NewSession(u.ID, now)); err != nil {
			t.Fatal(err)
		}
		got, err := db.DeactivateUser(ctx, u.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.DeactivatedAt == nil || !got.DeactivatedAt.Equal(now) {
			t.Errorf("deactivated_at = %v; want %v", got.DeactivatedAt, now)
		}
		_, _, err = db.SessionByToken(ctx, casedesk.HashToken(tok))
		wantCode(t, err, casedesk.ENOTFOUND)
		_, err = db.UserByToken(ctx, casedesk.HashToken(apiToken))
		wantCode(t, err, casedesk.ENOTFOUND)
		again, err := db.DeactivateUser(ctx, u.ID, now.Add(time.Hour))
		if err != nil || !again.DeactivatedAt.Equal(now) {
			t.Errorf("a second deactivation moved the time to %v (%v)", again.DeactivatedAt, err)
		}
		// A session created for a deactivated user (a race with sign-in)
		// does not authenticate.
		late := casedesk.NewToken()
		if err := db.CreateSession(ctx, casedesk.HashToken(late), policy.NewSession(u.ID, now)); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.SessionByToken(ctx, casedesk.HashToken(late))
		wantCode(t, err, casedesk.ENOTFOUND)
		_, err = db.DeactivateUser(ctx, "U-NOSUCH00", now)
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("users list by name with their state", func(t *testing.T) {
		users, err := db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) < 5 {
			t.Fatalf("%d users listed", len(users))
		}
		for i := 1; i < len(users); i++ {
			if strings.ToLower(users[i-1].Name) > strings.ToLower(users[i].Name) {
				t.Errorf("%q listed before %q", users[i-1].Name, users[i].Name)
			}
		}
	})
}
