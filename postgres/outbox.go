package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/metrics"
)

// ClaimDue claims the message of lane that has waited longest for its next
// attempt, together with the rest of its batch (the other recipients of one
// staff alert), for lease: they are 'sending' until marked or until the
// lease runs out. Concurrent dispatchers skip each other's rows (FOR UPDATE
// SKIP LOCKED) and each other's batches (an advisory lock per batch), so
// several share the load. It returns nothing when nothing is due.
func (db *DB) ClaimDue(ctx context.Context, lane string, lease time.Duration) ([]casedesk.Message, error) {
	var out []casedesk.Message
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var lead string
		var batch *string
		err := tx.QueryRow(ctx, `SELECT id, batch_key FROM messages
			WHERE status = 'pending' AND audience = $1 AND next_attempt_at <= now()
				AND pg_try_advisory_xact_lock(hashtextextended(coalesce(batch_key, id), 0))
			ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`, lane).Scan(&lead, &batch)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE messages SET status = 'sending', attempts = attempts + 1,
				claimed_until = now() + $3 * interval '1 millisecond'
			WHERE status = 'pending' AND (id = $1 OR batch_key = $2)
			RETURNING `+messageColumns, lead, batch, lease.Milliseconds())
		if err != nil {
			return err
		}
		out, err = scanMessages(rows)
		return err
	})
	if err == nil && len(out) > 0 {
		metrics.OutboxClaimed(lane, len(out))
	}
	return out, err
}

// ClaimExpired claims up to limit messages of lane left 'sending' by a
// dispatcher whose lease ran out (it died, or lost the database, between
// claiming and marking them), for another lease.
func (db *DB) ClaimExpired(ctx context.Context, lane string, lease time.Duration, limit int) ([]casedesk.Message, error) {
	rows, err := db.Pool.Query(ctx, `UPDATE messages SET claimed_until = now() + $2 * interval '1 millisecond'
		WHERE id IN (SELECT id FROM messages
			WHERE status = 'sending' AND audience = $1 AND (claimed_until IS NULL OR claimed_until < now())
			ORDER BY claimed_until NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+messageColumns, lane, lease.Milliseconds(), limit)
	if err != nil {
		return nil, err
	}
	return scanMessages(rows)
}

// MarkSent records that SendGrid accepted the messages ids (one request,
// one X-Message-Id): they are never sent again.
func (db *DB) MarkSent(ctx context.Context, ids []string, sendGridID string, at time.Time) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE messages SET status = 'sent', sendgrid_message_id = nullif($2, ''),
		sent_at = $3, last_error = NULL, claimed_until = NULL WHERE id = ANY($1) AND status IN ('sending', 'pending')`,
		ids, sendGridID, at)
	metrics.OutboxResult("sent", tag.RowsAffected())
	return err
}

// Retry puts the messages ids back in the outbox, due after delay, with the
// reason the attempt failed.
func (db *DB) Retry(ctx context.Context, ids []string, reason string, delay time.Duration) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE messages SET status = 'pending', last_error = nullif($2, ''), claimed_until = NULL,
		next_attempt_at = now() + $3 * interval '1 millisecond' WHERE id = ANY($1) AND status = 'sending'`,
		ids, reason, delay.Milliseconds())
	metrics.OutboxResult("retry", tag.RowsAffected())
	return err
}

// Fail records that the messages ids will never be sent, and why.
func (db *DB) Fail(ctx context.Context, ids []string, reason string) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE messages SET status = 'failed', last_error = $2, claimed_until = NULL
		WHERE id = ANY($1) AND status = 'sending'`, ids, reason)
	metrics.OutboxResult("failed", tag.RowsAffected())
	return err
}

// OutboxLanes returns, per lane (customer, then staff), how many messages
// are held, pending and sending and how old the oldest one waiting to be
// sent is.
func (db *DB) OutboxLanes(ctx context.Context) ([]casedesk.OutboxLane, error) {
	rows, err := db.Pool.Query(ctx, `SELECT audience, status, count(*), min(created_at), now()
		FROM messages WHERE status IN ('held', 'pending', 'sending') GROUP BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	lanes := []casedesk.OutboxLane{}
	index := map[string]int{}
	for _, lane := range []string{casedesk.AudienceCustomer, "staff"} {
		index[lane] = len(lanes)
		lanes = append(lanes, casedesk.OutboxLane{Lane: lane, Statuses: map[string]int{
			casedesk.MessageHeld: 0, casedesk.MessagePending: 0, casedesk.MessageSending: 0}})
	}
	for rows.Next() {
		var lane, status string
		var n int
		var oldest, now time.Time
		if err := rows.Scan(&lane, &status, &n, &oldest, &now); err != nil {
			return nil, err
		}
		i, ok := index[lane]
		if !ok {
			continue
		}
		l := &lanes[i]
		l.Statuses[status] = n
		if status != casedesk.MessageHeld && (l.OldestPendingAt == nil || oldest.Before(*l.OldestPendingAt)) {
			l.OldestPendingAt = &oldest
			l.OldestPendingAge = now.Sub(oldest).Seconds()
		}
	}
	return lanes, rows.Err()
}

// QueueDigests turns held alerts into digests: for every recipient whose
// oldest held alert is at least every old, build makes one digest of their
// held alerts, which is queued while those alerts become 'digested', in one
// transaction; dispatchers running it at once skip each other's rows. It
// returns how many digests were queued.
func (db *DB) QueueDigests(ctx context.Context, every time.Duration,
	build func(held []casedesk.Message) (casedesk.Message, error)) (int, error) {
	queued := 0
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE status = 'held' AND recipient IN (SELECT recipient FROM messages WHERE status = 'held'
				GROUP BY recipient HAVING min(created_at) <= now() - $1 * interval '1 millisecond')
			ORDER BY recipient, created_at, id LIMIT 5000 FOR UPDATE SKIP LOCKED`, every.Milliseconds())
		if err != nil {
			return err
		}
		held, err := scanMessages(rows)
		if err != nil {
			return err
		}
		for start := 0; start < len(held); {
			end := start + 1
			for end < len(held) && held[end].Recipient == held[start].Recipient {
				end++
			}
			group := held[start:end]
			start = end
			d, err := build(group)
			if err != nil {
				return err
			}
			ids := make([]string, len(group))
			for i, m := range group {
				ids[i] = m.ID
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO messages (id, case_id, event_seq, kind, audience, recipient, recipient_name, dedupe_key,
					subject, body_text, body_html, status, user_id)
				VALUES ($1, NULL, 0, $2, 'staff', $3, $4, $5, $6, $7, $8, $9, nullif($10, ''))
				ON CONFLICT (dedupe_key) DO NOTHING`, d.ID, d.Kind, d.Recipient, d.RecipientName, d.DedupeKey,
				d.Subject, d.Text, d.HTML, d.Status, d.UserID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE messages SET status = 'digested' WHERE id = ANY($1)`, ids); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	return queued, err
}

// SetAlertMode records how user userID takes alerts of kind.
func (db *DB) SetAlertMode(ctx context.Context, userID, kind, mode string) error {
	return db.SetAlertModes(ctx, userID, map[string]string{kind: mode})
}

// SetAlertModes records, in one transaction, how user userID takes alerts of
// each kind of modes; "" withdraws their choice for the kind.
func (db *DB) SetAlertModes(ctx context.Context, userID string, modes map[string]string) error {
	batch := &pgx.Batch{}
	for kind, mode := range modes {
		if mode == "" {
			batch.Queue(`DELETE FROM alert_preferences WHERE user_id = $1 AND kind = $2`, userID, kind)
			continue
		}
		batch.Queue(`INSERT INTO alert_preferences (user_id, kind, mode) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, kind) DO UPDATE SET mode = excluded.mode, updated_at = now()`, userID, kind, mode)
	}
	if batch.Len() == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() })
	return translate(err, "alert preference")
}

// AlertModes returns the alert modes user userID chose, by kind.
func (db *DB) AlertModes(ctx context.Context, userID string) (map[string]string, error) {
	out := map[string]string{}
	err := db.Pool.QueryRow(ctx, `SELECT coalesce(jsonb_object_agg(kind, mode), '{}') FROM alert_preferences
		WHERE user_id = $1`, userID).Scan(&out)
	return out, err
}
