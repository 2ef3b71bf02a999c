package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// CreateUser stores u with the hash of its token.
func (db *DB) CreateUser(ctx context.Context, u casedesk.User, tokenHash []byte) (casedesk.User, error) {
	return db.CreateUserWithPassword(ctx, u, tokenHash, "")
}

// CreateUserWithPassword stores u with the hash of its token and, unless
// passwordHash is empty, the hash of its console password.
func (db *DB) CreateUserWithPassword(ctx context.Context, u casedesk.User, tokenHash []byte, passwordHash string) (casedesk.User, error) {
	err := db.Pool.QueryRow(ctx, `
		INSERT INTO users (id, name, email, role, token_hash, password_hash) VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''))
		RETURNING created_at`, u.ID, u.Name, u.Email, u.Role, tokenHash, passwordHash).Scan(&u.CreatedAt)
	if err != nil {
		return casedesk.User{}, translate(err, "a user with this email")
	}
	u.HasPassword = passwordHash != ""
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

const userColumns = `id, name, email, role, created_at, deactivated_at, password_hash IS NOT NULL`

// scanUser reads a row of userColumns.
func scanUser(row pgx.Row) (casedesk.User, error) {
	var u casedesk.User
	err := row.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.CreatedAt, &u.DeactivatedAt, &u.HasPassword)
	return u, err
}

// UserByToken returns the active user whose token hashes to tokenHash.
func (db *DB) UserByToken(ctx context.Context, tokenHash []byte) (casedesk.User, error) {
	u, err := scanUser(db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE token_hash = $1 AND deactivated_at IS NULL`, tokenHash))
	return u, translate(err, "user")
}

// User returns user id.
func (db *DB) User(ctx context.Context, id string) (casedesk.User, error) {
	u, err := scanUser(db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, translate(err, "user "+id)
}

// UserByEmail returns the user with email (case-insensitive).
func (db *DB) UserByEmail(ctx context.Context, email string) (casedesk.User, error) {
	u, err := scanUser(db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, email))
	return u, translate(err, "user "+email)
}
