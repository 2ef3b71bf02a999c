package postgres_test

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

// newUser stores a user with a fresh token and returns it with the token.
func newUser(t *testing.T, db *postgres.DB, email string, role casedesk.Role) (casedesk.User, string) {
	t.Helper()
	token := casedesk.NewToken()
	u, err := db.CreateUser(t.Context(), casedesk.User{
		ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: "Ada Agent", Email: email, Role: role,
	}, casedesk.HashToken(token))
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u, token
}

func TestUsers(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("a created user reads back by ID, by email in any case and by token", func(t *testing.T) {
		u, token := newUser(t, db, "Ada.Read@Example.com", casedesk.RoleSupervisor)
		if u.CreatedAt.IsZero() {
			t.Fatal("CreateUser did not return created_at")
		}
		reads := []struct {
			how  string
			read func() (casedesk.User, error)
		}{
			{"by ID", func() (casedesk.User, error) { return db.User(ctx, u.ID) }},
			{"by email", func() (casedesk.User, error) { return db.UserByEmail(ctx, "Ada.Read@Example.com") }},
			{"by email in another case", func() (casedesk.User, error) { return db.UserByEmail(ctx, "ada.read@EXAMPLE.COM") }},
			{"by token", func() (casedesk.User, error) { return db.UserByToken(ctx, casedesk.HashToken(token)) }},
		}
		for _, r := range reads {
			got, err := r.read()
			if err != nil {
				t.Fatalf("%s: %v", r.how, err)
			}
			if !reflect.DeepEqual(inUTC(got), inUTC(u)) {
				t.Fatalf("%s: got %+v, want %+v", r.how, got, u)
			}
		}
	})

	t.Run("an email already taken, in any letter case, is a conflict", func(t *testing.T) {
		newUser(t, db, "dup@example.com", casedesk.RoleAgent)
		for _, email := range []string{"dup@example.com", "DUP@example.com", "Dup@Example.Com"} {
			_, err := db.CreateUser(ctx, casedesk.User{
				ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: "Twin", Email: email, Role: casedesk.RoleAgent,
			}, casedesk.HashToken(casedesk.NewToken()))
			wantCode(t, err, casedesk.ECONFLICT)
		}
	})

	t.Run("a token that hashes to nothing stored is not found", func(t *testing.T) {
		_, token := newUser(t, db, "wrong.hash@example.com", casedesk.RoleAgent)
		for _, tc := range []struct {
			name string
			hash []byte
		}{
			{"an unknown token", casedesk.HashToken(casedesk.NewToken())},
			{"the right hash cut short", casedesk.HashToken(token)[:16]},
			{"the token itself instead of its hash", []byte(token)},
			{"an empty hash", []byte{}},
		} {
			_, err := db.UserByToken(ctx, tc.hash)
			if casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
				t.Errorf("%s: error = %v, want %s", tc.name, err, casedesk.ENOTFOUND)
			}
		}
	})

	t.Run("a new token replaces the old one", func(t *testing.T) {
		u, old := newUser(t, db, "rotate@example.com", casedesk.RoleAgent)
		fresh := casedesk.NewToken()
		if err := db.SetUserToken(ctx, u.ID, casedesk.HashToken(fresh)); err != nil {
			t.Fatal(err)
		}
		_, err := db.UserByToken(ctx, casedesk.HashToken(old))
		wantCode(t, err, casedesk.ENOTFOUND)
		got, err := db.UserByToken(ctx, casedesk.HashToken(fresh))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID {
			t.Fatalf("new token resolves to %s, want %s", got.ID, u.ID)
		}
	})

	t.Run("setting the token of an unknown user is not found", func(t *testing.T) {
		err := db.SetUserToken(ctx, "U-NOBODY00", casedesk.HashToken(casedesk.NewToken()))
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("an unknown user is not found by ID or email", func(t *testing.T) {
		_, err := db.User(ctx, "U-NOBODY00")
		wantCode(t, err, casedesk.ENOTFOUND)
		_, err = db.UserByEmail(ctx, "nobody@example.com")
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("only the hash of a token is stored, never the token", func(t *testing.T) {
		u, token := newUser(t, db, "secret@example.com", casedesk.RoleAdmin)
		// Every column of the row, rendered as text, whatever the schema
		// grows into.
		var row string
		var stored []byte
		err := db.Pool.QueryRow(ctx, `SELECT to_jsonb(u)::text, u.token_hash FROM users u WHERE id = $1`, u.ID).
			Scan(&row, &stored)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.TrimPrefix(token, "cdk_")
		for _, leak := range []struct{ name, text string }{
			{"the token", token},
			{"the token without its prefix", body},
			{"the token's bytes in hex", hex.EncodeToString([]byte(token))},
		} {
			if strings.Contains(row, leak.text) {
				t.Errorf("the users row contains %s: %s", leak.name, row)
			}
		}
		if want := casedesk.HashToken(token); !reflect.DeepEqual(stored, want) {
			t.Fatalf("token_hash = %x, want sha256 %x", stored, want)
		}
	})
}
