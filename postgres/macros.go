package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

const macroColumns = `m.id, m.name, m.body, m.actions, m.shared, m.owner_id, m.created_at, m.updated_at,
	(SELECT count(*) FROM macro_uses u WHERE u.macro_id = m.id)`

func scanMacro(row pgx.Row) (casedesk.Macro, error) {
	var m casedesk.Macro
	err := row.Scan(&m.ID, &m.Name, &m.Body, &m.Actions, &m.Shared, &m.OwnerID, &m.CreatedAt, &m.UpdatedAt, &m.Uses)
	return m, err
}

func collectMacros(rows pgx.Rows, err error) ([]casedesk.Macro, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.Macro, error) { return scanMacro(row) })
}

// CreateMacro stores m.
func (db *DB) CreateMacro(ctx context.Context, m casedesk.Macro) (casedesk.Macro, error) {
	err := db.Pool.QueryRow(ctx, `INSERT INTO macros (id, name, body, actions, shared, owner_id) VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING created_at, updated_at`, m.ID, m.Name, m.Body, m.Actions, m.Shared, m.OwnerID).Scan(&m.CreatedAt, &m.UpdatedAt)
	return m, translate(err, "macro "+m.ID)
}

// Macro returns macro id with its use count.
func (db *DB) Macro(ctx context.Context, id string) (casedesk.Macro, error) {
	m, err := scanMacro(db.Pool.QueryRow(ctx, `SELECT `+macroColumns+` FROM macros m WHERE m.id = $1`, id))
	return m, translate(err, "macro "+id)
}

// Macros returns the macros userID may use, shared and their own, by name.
func (db *DB) Macros(ctx context.Context, userID string) ([]casedesk.Macro, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+macroColumns+` FROM macros m WHERE m.shared OR m.owner_id = $1
		ORDER BY lower(m.name), m.id`, userID)
	return collectMacros(rows, err)
}

// MacroUsage returns every macro, shared and personal, most used first.
func (db *DB) MacroUsage(ctx context.Context) ([]casedesk.Macro, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+macroColumns+` FROM macros m ORDER BY 9 DESC, lower(m.name), m.id`)
	return collectMacros(rows, err)
}

// UpdateMacro stores m's name, body, actions and sharing.
func (db *DB) UpdateMacro(ctx context.Context, m casedesk.Macro) (casedesk.Macro, error) {
	err := db.Pool.QueryRow(ctx, `UPDATE macros SET name = $2, body = $3, actions = $4, shared = $5, updated_at = now()
		WHERE id = $1 RETURNING updated_at`, m.ID, m.Name, m.Body, m.Actions, m.Shared).Scan(&m.UpdatedAt)
	return m, translate(err, "macro "+m.ID)
}

// DeleteMacro deletes macro id and its use counts.
func (db *DB) DeleteMacro(ctx context.Context, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM macros WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return casedesk.Errorf(casedesk.ENOTFOUND, "macro %s not found", id)
	}
	return err
}

// RecordMacroUse counts one application of macro id on a case by a user;
// an application with an update ID (an Idempotency-Key) is counted once.
func (db *DB) RecordMacroUse(ctx context.Context, id, caseID, userID, updateID string) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO macro_uses (macro_id, case_id, user_id, update_id)
		VALUES ($1, $2, $3, nullif($4, '')) ON CONFLICT (update_id) WHERE update_id IS NOT NULL DO NOTHING`,
		id, caseID, userID, updateID)
	return translate(err, "macro "+id)
}
