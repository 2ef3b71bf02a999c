package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// Recipients returns who audience is for case c: the customer, the assignee
// or every user of casedesk.SupervisorRoles.
func (db *DB) Recipients(ctx context.Context, c casedesk.Case, audience string) ([]casedesk.Recipient, error) {
	var rows pgx.Rows
	var err error
	switch audience {
	case casedesk.AudienceCustomer:
		rows, err = db.Pool.Query(ctx, `SELECT email, name FROM customers WHERE id = $1`, c.CustomerID)
	case casedesk.AudienceAssignee:
		rows, err = db.Pool.Query(ctx, `SELECT email, name FROM users WHERE id = $1`, c.AssigneeID)
	case casedesk.AudienceSupervisors:
		rows, err = db.Pool.Query(ctx, `SELECT email, name FROM users WHERE role = ANY($1) ORDER BY id`,
			roleNames(casedesk.SupervisorRoles))
	default:
		return nil, errors.New("unknown audience " + audience)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []casedesk.Recipient
	for rows.Next() {
		var r casedesk.Recipient
		if err := rows.Scan(&r.Email, &r.Name); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
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
	batch := &pgx.Batch{}
	for _, m := range msgs {
		batch.Queue(`
			INSERT INTO messages (id, case_id, event_seq, kind, audience, recipient, recipient_name, dedupe_key,
				subject, body_text, body_html, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (dedupe_key) DO NOTHING`,
			m.ID, m.CaseID, m.EventSeq, m.Kind, m.Audience, m.Recipient, m.RecipientName, m.DedupeKey,
			m.Subject, m.Text, m.HTML, m.Status)
	}
	return db.Pool.SendBatch(ctx, batch).Close()
}

const messageColumns = `id, case_id, event_seq, kind, audience, recipient, recipient_name, dedupe_key, subject,
	body_text, body_html, status, coalesce(sendgrid_message_id, ''), coalesce(delivery_status, ''), attempts,
	coalesce(last_error, ''), created_at, sent_at`

func scanMessages(rows pgx.Rows) ([]casedesk.Message, error) {
	defer rows.Close()
	out := []casedesk.Message{}
	for rows.Next() {
		var m casedesk.Message
		if err := rows.Scan(&m.ID, &m.CaseID, &m.EventSeq, &m.Kind, &m.Audience, &m.Recipient, &m.RecipientName,
			&m.DedupeKey, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.SendGridID, &m.DeliveryStatus, &m.Attempts,
			&m.LastError, &m.CreatedAt, &m.SentAt); err != nil {
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

// MarkSending records an attempt to send message id.
func (db *DB) MarkSending(ctx context.Context, id string) error {
	_, err := db.Pool.Exec(ctx, `UPDATE messages SET status = 'sending', attempts = attempts + 1
		WHERE id = $1 AND status IN ('pending', 'sending')`, id)
	return err
}

// MarkSent records that SendGrid accepted message id: it is never sent again.
func (db *DB) MarkSent(ctx context.Context, id, sendGridID string, at time.Time) error {
	_, err := db.Pool.Exec(ctx, `UPDATE messages SET status = 'sent', sendgrid_message_id = nullif($2, ''),
		sent_at = $3, last_error = NULL WHERE id = $1`, id, sendGridID, at)
	return err
}

// MarkFailed records a failed attempt; a final failure is not retried.
func (db *DB) MarkFailed(ctx context.Context, id, reason string, final bool) error {
	status := casedesk.MessagePending
	if final {
		status = casedesk.MessageFailed
	}
	_, err := db.Pool.Exec(ctx, `UPDATE messages SET status = $2, last_error = $3 WHERE id = $1 AND status <> 'sent'`,
		id, status, reason)
	return err
}

// RecordDeliveryEvent stores e on its message (once) and returns whether a
// message matched. A bounce or drop of a customer address marks the customer.
func (db *DB) RecordDeliveryEvent(ctx context.Context, e casedesk.DeliveryEvent) (bool, error) {
	matched := false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var id, caseID, audience string
		err := tx.QueryRow(ctx, `SELECT id, case_id, audience FROM messages WHERE sendgrid_message_id = $1`, e.SendGridID).
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
	_, err := db.Pool.Exec(ctx, `INSERT INTO csat (case_id, rating, comment) VALUES ($1, $2, $3)`, caseID, rating, comment)
	return translate(err, "a rating for case "+caseID)
}

// CSAT returns the rating of caseID, if any.
func (db *DB) CSAT(ctx context.Context, caseID string) (rating int, comment string, at time.Time, err error) {
	err = db.Pool.QueryRow(ctx, `SELECT rating, comment, created_at FROM csat WHERE case_id = $1`, caseID).
		Scan(&rating, &comment, &at)
	return rating, comment, at, translate(err, "rating of case "+caseID)
}
