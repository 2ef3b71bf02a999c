package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

const customerColumns = `id, name, email, created_at, email_bounced_at, coalesce(email_bounce_reason, ''),
	phone, preferred_language, notes, coalesce(merged_into, '')`

func scanCustomer(row pgx.Row) (casedesk.Customer, error) {
	var c casedesk.Customer
	err := row.Scan(&c.ID, &c.Name, &c.Email, &c.CreatedAt, &c.EmailBouncedAt, &c.EmailBounceReason,
		&c.Phone, &c.PreferredLanguage, &c.Notes, &c.MergedInto)
	return c, err
}

// UpdateCustomer applies req to customer id by actor and records each field
// that changed in its history, in one transaction. It returns the customer,
// the changes and the customer's cases that are not closed, which are told.
// An email another customer has is a conflict; a merged customer changes no
// more.
func (db *DB) UpdateCustomer(ctx context.Context, id string, req casedesk.UpdateCustomerRequest, by casedesk.Actor) (casedesk.Customer, []casedesk.CustomerChange, []string, error) {
	var (
		c       casedesk.Customer
		changes []casedesk.CustomerChange
		open    []string
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanCustomer(tx.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return translate(err, "customer "+id)
		}
		if cur.MergedInto != "" {
			return casedesk.Errorf(casedesk.ECONFLICT, "customer %s was merged into %s; change that customer", id, cur.MergedInto)
		}
		c, changes = req.Apply(cur)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET name = $2, email = $3, phone = $4, preferred_language = $5, notes = $6,
			email_bounced_at = CASE WHEN lower(email) = lower($3) THEN email_bounced_at END,
			email_bounce_reason = CASE WHEN lower(email) = lower($3) THEN email_bounce_reason END
			WHERE id = $1`, id, c.Name, c.Email, c.Phone, c.PreferredLanguage, c.Notes); err != nil {
			return translate(err, "a customer with this email")
		}
		if !strings.EqualFold(cur.Email, c.Email) {
			// A new address has not bounced.
			c.EmailBouncedAt, c.EmailBounceReason = nil, ""
		}
		for _, ch := range changes {
			if _, err := tx.Exec(ctx, `INSERT INTO customer_history (customer_id, kind, actor_id, field, old_value, new_value)
				VALUES ($1, 'updated', $2, $3, $4, $5)`, id, by.ID, ch.Field, ch.Old, ch.New); err != nil {
				return err
			}
		}
		open, err = openCases(ctx, tx, id)
		return err
	})
	if err != nil {
		return casedesk.Customer{}, nil, nil, err
	}
	return c, changes, open, nil
}

func openCases(ctx context.Context, tx pgx.Tx, customerID string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM cases WHERE customer_id = $1 AND status <> 'closed' ORDER BY id`, customerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CustomerHistory returns the recorded changes of customer id, oldest first.
func (db *DB) CustomerHistory(ctx context.Context, id string) ([]casedesk.CustomerHistoryEntry, error) {
	if _, err := db.Customer(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT seq, kind, actor_id, at, field, old_value, new_value, other_id
		FROM customer_history WHERE customer_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.CustomerHistoryEntry, error) {
		var e casedesk.CustomerHistoryEntry
		return e, row.Scan(&e.Seq, &e.Kind, &e.Actor, &e.At, &e.Field, &e.Old, &e.New, &e.Other)
	})
}

// SearchCustomers returns a page of customers whose ID, name, email or phone
// (compared by its digits) matches s.Q, in ID order after s.After, and
// whether more follow. Merged duplicates are found too, with MergedInto set.
func (db *DB) SearchCustomers(ctx context.Context, s casedesk.CustomerSearch) ([]casedesk.Customer, bool, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s.Q)) + "%"
	digits := s.PhoneDigits()
	rows, err := db.Pool.Query(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE id > $1 AND ($2 = '' OR upper(id) = upper($2) OR lower(name) LIKE $3 OR lower(email) LIKE $3
			OR ($4 <> '' AND regexp_replace(phone, '[^0-9]', '', 'g') LIKE '%' || $4 || '%'))
		ORDER BY id LIMIT $5`, s.After, s.Q, like, digits, s.Limit+1)
	if err != nil {
		return nil, false, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.Customer, error) { return scanCustomer(row) })
	if err != nil {
		return nil, false, err
	}
	more := len(out) > s.Limit
	if more {
		out = out[:s.Limit]
	}
	return out, more, nil
}

// MergeCustomers merges customer from into customer into by actor: their
// cases, payments and invoices move to into, from is marked merged (it stays
// readable and findable) and both histories record it. It returns the moved
// cases that are not closed, whose workflows are told.
func (db *DB) MergeCustomers(ctx context.Context, from, into string, by casedesk.Actor) ([]string, error) {
	var open []string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// Both rows locked in ID order, so two merges cannot deadlock.
		rows, err := tx.Query(ctx, `SELECT id, coalesce(merged_into, '') FROM customers WHERE id = ANY($1) ORDER BY id FOR UPDATE`,
			[]string{from, into})
		if err != nil {
			return err
		}
		merged := map[string]string{}
		for rows.Next() {
			var id, m string
			if err := rows.Scan(&id, &m); err != nil {
				return err
			}
			merged[id] = m
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range []string{from, into} {
			m, ok := merged[id]
			if !ok {
				return casedesk.Errorf(casedesk.ENOTFOUND, "customer %s not found", id)
			}
			if m != "" {
				return casedesk.Errorf(casedesk.ECONFLICT, "customer %s was already merged into %s", id, m)
			}
		}
		if open, err = openCases(ctx, tx, from); err != nil {
			return err
		}
		for _, table := range []string{"cases", "payments", "invoices"} {
			if _, err := tx.Exec(ctx, `UPDATE `+table+` SET customer_id = $2 WHERE customer_id = $1`, from, into); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET merged_into = $2 WHERE id = $1`, from, into); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO customer_history (customer_id, kind, actor_id, other_id)
			VALUES ($1, 'merged_into', $3, $2), ($2, 'merged_from', $3, $1)`, from, into, by.ID)
		return err
	})
	return open, err
}
