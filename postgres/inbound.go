package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// RecordInbound journals mail that reached a case's reply address. A
// message already taken for the case (the same key) is not journaled again.
func (db *DB) RecordInbound(ctx context.Context, r casedesk.InboundRecord) error {
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO inbound_mail (case_id, message_key, sender, subject, taken_as, result_case, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		r.CaseID, r.MessageKey, r.From, r.Subject, r.TakenAs, r.ResultCase, r.Reason)
	return err
}

// InboundTaken returns how the message of key was taken on caseID, if it
// was.
func (db *DB) InboundTaken(ctx context.Context, caseID, key string) (casedesk.InboundRecord, bool, error) {
	r := casedesk.InboundRecord{CaseID: caseID, MessageKey: key}
	err := db.Pool.QueryRow(ctx, `SELECT sender, subject, taken_as, result_case, reason FROM inbound_mail
		WHERE case_id = $1 AND message_key = $2 AND message_key <> '' AND taken_as <> $3`,
		caseID, key, casedesk.InboundNotTaken).Scan(&r.From, &r.Subject, &r.TakenAs, &r.ResultCase, &r.Reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return casedesk.InboundRecord{}, false, nil
	}
	return r, err == nil, err
}
