package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// Recipients returns who audience is for case c: the customer, or the
// active staff of target (its users and everyone with its roles; a
// deactivated user gets nothing), each with the alert modes they chose.
func (db *DB) Recipients(ctx context.Context, c casedesk.Case, audience string, target casedesk.StaffTarget) ([]casedesk.Recipient, error) {
	if audience == casedesk.AudienceCustomer {
		rows, err := db.Pool.Query(ctx, `SELECT email, name FROM customers WHERE id = $1`, c.CustomerID)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.Recipient, error) {
			var r casedesk.Recipient
			return r, row.Scan(&r.Email, &r.Name)
		})
	}
	if audience != casedesk.AudienceAssignee && audience != casedesk.AudienceSupervisors {
		return nil, errors.New("unknown audience " + audience)
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT u.id, u.email, u.name,
			coalesce((SELECT jsonb_object_agg(p.kind, p.mode) FROM alert_preferences p WHERE p.user_id = u.id), '{}')
		FROM users u WHERE (u.id = ANY($1) OR u.role = ANY($2)) AND u.deactivated_at IS NULL ORDER BY u.id`,
		nonNil(target.UserIDs), roleNames(target.Roles))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.Recipient, error) {
		var r casedesk.Recipient
		return r, row.Scan(&r.UserID, &r.Email, &r.Name, &r.Modes)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// roleNames is roles as SQL text values.
func roleNames(roles []casedesk.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// EnqueueMessages adds messages to the outbox; one whose dedupe key is there
// already is skipped, so a retried or replayed notification never doubles.
func (db *DB) EnqueueMessages(ctx context.Context, msgs []casedesk.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	return sendMessages(ctx, db.Pool, msgs)
}

// sendMessages inserts msgs on q (the pool, or a transaction they belong
// to), skipping those whose dedupe key is there already.
func sendMessages(ctx context.Context, q interface {
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}, msgs []casedesk.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, m := range msgs {
		batch.Queue(`
			INSERT INTO messages (id, case_id, event_seq, kind, audience, recipient, recipient_name, dedupe_key,
				subject, body_text, body_html, status, batch_key, reply_to, user_id)
			VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, nullif($13, ''), $14, nullif($15, ''))
			ON CONFLICT (dedupe_key) DO NOTHING`,
			m.ID, m.CaseID, m.EventSeq, m.Kind, m.Audience, m.Recipient, m.RecipientName, m.DedupeKey,
			m.Subject, m.Text, m.HTML, m.Status, m.BatchKey, m.ReplyTo, m.UserID)
	}
	return q.SendBatch(ctx, batch).Close()
}

const messageColumns = `id, coalesce(case_id, ''), event_seq, kind, audience, recipient, recipient_name, dedupe_key, subject,
	body_text, body_html, status, coalesce(sendgrid_message_id, ''), coalesce(delivery_status, ''), attempts,
	coalesce(last_error, ''), created_at, sent_at, next_attempt_at, coalesce(batch_key, ''), reply_to, coalesce(user_id, '')`

func scanMessages(rows pgx.Rows) ([]casedesk.Message, error) {
	defer rows.Close()
	out := []casedesk.Message{}
	for rows.Next() {
		var m casedesk.Message
		if err := rows.Scan(&m.ID, &m.CaseID, &m.EventSeq, &m.Kind, &m.Audience, &m.Recipient, &m.RecipientName,
			&m.DedupeKey, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.SendGridID, &m.DeliveryStatus, &m.Attempts,
			&m.LastError, &m.CreatedAt, &m.SentAt, &m.NextAttemptAt, &m.BatchKey, &m.ReplyTo, &m.UserID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// OutboxMessages returns the messages of caseID still to be sent, oldest first.
func (db *DB) OutboxMessages(ctx context.Context, caseID string) ([]casedesk.Message, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE case_id = $1 AND status IN ('pending', 'sending') ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	return scanMessages(rows)
}

// CaseMessages returns every message of caseID, oldest first.
func (db *DB) CaseMessages(ctx context.Context, caseID string) ([]casedesk.Message, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE case_id = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	return scanMessages(rows)
}

// RecordDeliveryEvent stores e on its message (once) and returns whether a
// message matched. A bounce or drop of a customer address marks the customer.
func (db *DB) RecordDeliveryEvent(ctx context.Context, e casedesk.DeliveryEvent) (bool, error) {
	matched := false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var id, caseID, audience string
		// The recipients of one request share its ID: match the address too.
		err := tx.QueryRow(ctx, `SELECT id, coalesce(case_id, ''), audience FROM messages WHERE sendgrid_message_id = $1
			ORDER BY lower(recipient) = lower($2) DESC, id LIMIT 1`, e.SendGridID, e.Email).
			Scan(&id, &caseID, &audience)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		matched = true
		tag, err := tx.Exec(ctx, `INSERT INTO message_events (message_id, event, at, email, sg_event_id, reason)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, id, e.Event, e.At, e.Email, e.EventID, e.Reason)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET delivery_status = $2 WHERE id = $1`, id, e.Event); err != nil {
			return err
		}
		if caseID != "" && slices.Contains(casedesk.WebhookDeliveryEvents, e.Event) {
			if err := db.enqueueCaseHook(ctx, tx, casedesk.HookEmailDelivery, "email/"+id+"/"+e.Event, caseID, e.At,
				map[string]any{"delivery": map[string]any{"message_id": id, "audience": audience, "event": e.Event,
					"email": e.Email, "reason": casedesk.MaskCardNumbers(e.Reason), "at": e.At}}); err != nil {
				return err
			}
		}
		if audience == casedesk.AudienceCustomer && (e.Event == "bounce" || e.Event == "dropped") {
			_, err = tx.Exec(ctx, `UPDATE customers SET email_bounced_at = $2, email_bounce_reason = $3
				WHERE id = (SELECT customer_id FROM cases WHERE id = $1) AND lower(email) = lower($4)`,
				caseID, e.At, e.Reason, e.Email)
		}
		return err
	})
	return matched, err
}

// SaveCSAT stores the customer's rating of caseID; a case is rated once.
func (db *DB) SaveCSAT(ctx context.Context, caseID string, rating int, comment string) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var at time.Time
		if err := tx.QueryRow(ctx, `INSERT INTO csat (case_id, rating, comment) VALUES ($1, $2, $3) RETURNING created_at`,
			caseID, rating, comment).Scan(&at); err != nil {
			return err
		}
		if err := rateFacts(ctx, tx, caseID, rating); err != nil {
			return err
		}
		return db.enqueueCaseHook(ctx, tx, casedesk.HookCSATReceived, "csat/"+caseID, caseID, at,
			map[string]any{"csat": map[string]any{"rating": rating, "comment": comment, "at": at}})
	})
	return translate(err, "a rating for case "+caseID)
}

// CSAT returns the rating of caseID, if any.
func (db *DB) CSAT(ctx context.Context, caseID string) (rating int, comment string, at time.Time, err error) {
	err = db.Pool.QueryRow(ctx, `SELECT rating, comment, created_at FROM csat WHERE case_id = $1`, caseID).
		Scan(&rating, &comment, &at)
	return rating, comment, at, translate(err, "rating of case "+caseID)
}
