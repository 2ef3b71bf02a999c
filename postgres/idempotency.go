package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// BeginIdempotent records req as the request of its (actor, key) unless one
// is stored already, and returns the stored one (nil when req is the first,
// or takes the place of an expired one). The caller decides with
// casedesk.DecideIdempotent.
func (db *DB) BeginIdempotent(ctx context.Context, req casedesk.IdempotentRequest) (*casedesk.IdempotentRequest, error) {
	var earlier *casedesk.IdempotentRequest
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO idempotency_keys (actor_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (actor_id, key) DO UPDATE
				SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
					status_code = NULL, content_type = '', location = '', response = NULL
				WHERE idempotency_keys.created_at <= $5`,
			req.ActorID, req.Key, req.RequestHash, req.StartedAt, req.StartedAt.Add(-casedesk.IdempotencyTTL))
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var e casedesk.IdempotentRequest
		var status *int
		err = tx.QueryRow(ctx, `
			SELECT actor_id, key, request_hash, created_at, status_code, content_type, location, COALESCE(response, '')
			FROM idempotency_keys WHERE actor_id = $1 AND key = $2`, req.ActorID, req.Key).
			Scan(&e.ActorID, &e.Key, &e.RequestHash, &e.StartedAt, &status, &e.ContentType, &e.Location, &e.Response)
		if status != nil {
			e.Status = *status
		}
		earlier = &e
		return err
	})
	return earlier, err
}

// CompleteIdempotent keeps the first response of req's key.
func (db *DB) CompleteIdempotent(ctx context.Context, req casedesk.IdempotentRequest) error {
	_, err := db.Pool.Exec(ctx, `
		UPDATE idempotency_keys SET status_code = $3, content_type = $4, location = $5, response = $6
		WHERE actor_id = $1 AND key = $2 AND request_hash = $7 AND status_code IS NULL`,
		req.ActorID, req.Key, req.Status, req.ContentType, req.Location, req.Response, req.RequestHash)
	return err
}

// AbandonIdempotent forgets req's key when its request did not get an
// answer worth keeping (an outage), so that a retry runs again.
func (db *DB) AbandonIdempotent(ctx context.Context, req casedesk.IdempotentRequest) error {
	_, err := db.Pool.Exec(ctx, `
		DELETE FROM idempotency_keys WHERE actor_id = $1 AND key = $2 AND request_hash = $3 AND status_code IS NULL`,
		req.ActorID, req.Key, req.RequestHash)
	return err
}

// SweepIdempotencyKeys deletes the keys older than casedesk.IdempotencyTTL
// at now and returns how many.
func (db *DB) SweepIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at <= $1`, now.Add(-casedesk.IdempotencyTTL))
	if errors.Is(err, context.Canceled) {
		return 0, nil
	}
	return tag.RowsAffected(), err
}
