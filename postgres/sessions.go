package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// Credentials returns the user with email (case-insensitive) and the hash of
// their password ("" when they have none).
func (db *DB) Credentials(ctx context.Context, email string) (casedesk.User, string, error) {
	var hash *string
	var u casedesk.User
	err := db.Pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE lower(email) = lower($1)`, email).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.CreatedAt, &u.DeactivatedAt, &u.HasPassword, &hash)
	if err != nil {
		return u, "", translate(err, "user "+email)
	}
	if hash == nil {
		return u, "", nil
	}
	return u, *hash, nil
}

// PasswordHash returns the hash of user id's password ("" when none).
func (db *DB) PasswordHash(ctx context.Context, id string) (string, error) {
	var hash *string
	err := db.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, id).Scan(&hash)
	if err != nil || hash == nil {
		return "", translate(err, "user "+id)
	}
	return *hash, nil
}

// SetPassword replaces user id's password hash and ends every session of
// theirs, in one transaction.
func (db *DB) SetPassword(ctx context.Context, id, passwordHash string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, passwordHash)
		if err != nil {
			return translate(err, "user "+id)
		}
		if tag.RowsAffected() == 0 {
			return casedesk.Errorf(casedesk.ENOTFOUND, "user %s not found", id)
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		return err
	})
}

// DeactivateUser marks user id deactivated at at (once; a second call keeps
// the first time) and ends every session of theirs.
func (db *DB) DeactivateUser(ctx context.Context, id string, at time.Time) (casedesk.User, error) {
	var u casedesk.User
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET deactivated_at = COALESCE(deactivated_at, $2)
			WHERE id = $1 RETURNING `+userColumns, id, at))
		if err != nil {
			return translate(err, "user "+id)
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		return err
	})
	return u, err
}

// ListUsers returns every user, by name.
func (db *DB) ListUsers(ctx context.Context) ([]casedesk.User, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY lower(name), id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.User, error) { return scanUser(row) })
}

// CreateSession stores s under the hash of its token and drops the user's
// sessions that have expired.
func (db *DB) CreateSession(ctx context.Context, tokenHash []byte, s casedesk.Session) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2`, s.UserID, s.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, tokenHash, s.UserID, s.CSRFToken, s.CreatedAt, s.LastSeenAt, s.ExpiresAt)
		return translate(err, "session")
	})
}

// SessionByToken returns the session whose token hashes to tokenHash and its
// user, who must be active. Expiry is the caller's to judge.
func (db *DB) SessionByToken(ctx context.Context, tokenHash []byte) (casedesk.Session, casedesk.User, error) {
	var s casedesk.Session
	var u casedesk.User
	err := db.Pool.QueryRow(ctx, `
		SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
			u.id, u.name, u.email, u.role, u.created_at, u.deactivated_at, u.password_hash IS NOT NULL
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND u.deactivated_at IS NULL`, tokenHash).
		Scan(&s.UserID, &s.CSRFToken, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt,
			&u.ID, &u.Name, &u.Email, &u.Role, &u.CreatedAt, &u.DeactivatedAt, &u.HasPassword)
	return s, u, translate(err, "session")
}

// TouchSession records a request on the session at at.
func (db *DB) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	_, err := db.Pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2`, tokenHash, at)
	return err
}

// DeleteSession ends the session whose token hashes to tokenHash.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := db.Pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}
