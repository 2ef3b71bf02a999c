package postgres

import (
	"context"

	"github.com/casedesk/casedesk"
)

// CreateUser stores u with the hash of its token.
func (db *DB) CreateUser(ctx context.Context, u casedesk.User, tokenHash []byte) (casedesk.User, error) {
	err := db.Pool.QueryRow(ctx, `
		INSERT INTO users (id, name, email, role, token_hash) VALUES ($1, $2, $3, $4, $5)
		RETURNING created_at`, u.ID, u.Name, u.Email, u.Role, tokenHash).Scan(&u.CreatedAt)
	if err != nil {
		return casedesk.User{}, translate(err, "a user with this email")
	}
	return u, nil
}

// SetUserToken replaces the token of user id.
func (db *DB) SetUserToken(ctx context.Context, id string, tokenHash []byte) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE users SET token_hash = $2 WHERE id = $1`, id, tokenHash)
	if err != nil {
		return translate(err, "user token")
	}
	if tag.RowsAffected() == 0 {
		return casedesk.Errorf(casedesk.ENOTFOUND, "user %s not found", id)
	}
	return nil
}

const userColumns = `id, name, email, role, created_at`

// UserByToken returns the user whose token hashes to tokenHash.
func (db *DB) UserByToken(ctx context.Context, tokenHash []byte) (casedesk.User, error) {
	var u casedesk.User
	err := db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE token_hash = $1`, tokenHash).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.CreatedAt)
	return u, translate(err, "user")
}

// User returns user id.
func (db *DB) User(ctx context.Context, id string) (casedesk.User, error) {
	var u casedesk.User
	err := db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.CreatedAt)
	return u, translate(err, "user "+id)
}

// UserByEmail returns the user with email (case-insensitive).
func (db *DB) UserByEmail(ctx context.Context, email string) (casedesk.User, error) {
	var u casedesk.User
	err := db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, email).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.CreatedAt)
	return u, translate(err, "user "+email)
}
