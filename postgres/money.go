package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// A refund is held against a payment, a credit against an invoice. Every
// check of a limit runs with the payment or invoice row locked FOR UPDATE,
// so concurrent holds and posts on the same payment or invoice queue up and
// each sees what the previous one committed. Locks are always taken in the
// same order, payment or invoice first and then the hold, so that holding,
// posting and releasing never deadlock one another.

const holdColumns = `id, kind, case_id, COALESCE(payment_id, ''), COALESCE(invoice_id, ''), amount, currency,
	reason, requested_by, status`

const entryColumns = `id, kind, hold_id, case_id, COALESCE(payment_id, ''), COALESCE(invoice_id, ''), amount,
	currency, posted_at`

// HoldMoney sets the money of h aside on its payment (a refund) or invoice
// (a credit), when the case rules allow it against the balance read under
// the row lock (casedesk.Balance.CheckHold). A refund of a payment with an
// open chargeback is refused (EDISPUTED). When h carries the authority
// matrix, the level it needs is decided from the totals it adds to, read
// under the same locks, and the caller's identity is checked against them;
// the decision is kept on the hold. Holding the same hold again is a no-op
// (a retried activity) answering the first decision, holding a different
// hold under an existing ID a conflict.
func (db *DB) HoldMoney(ctx context.Context, h casedesk.Hold) (casedesk.Authority, error) {
	if err := h.Validate(); err != nil {
		return casedesk.Authority{}, err
	}
	var auth casedesk.Authority
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// The usual retry: no lock needed to see it is already done.
		if found, a, err := sameHold(ctx, tx, h); found || err != nil {
			auth = a
			return err
		}
		if h.Authority != nil && h.Authority.Cumulative.Requester {
			// The requester's total is read under this lock, taken before
			// the payment or invoice row, always in this order.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('casedesk.requester:' || $1, 0))`,
				h.RequestedBy); err != nil {
				return err
			}
		}
		b, err := lockBalance(ctx, tx, h.Kind, h.PaymentID, h.InvoiceID)
		if err != nil {
			return err
		}
		// A concurrent hold with the same ID may have committed while we waited.
		if found, a, err := sameHold(ctx, tx, h); found || err != nil {
			auth = a
			return err
		}
		if h.Kind == casedesk.KindRefund {
			if err := refuseDisputed(ctx, tx, h.PaymentID); err != nil {
				return err
			}
		}
		if err := b.CheckHold(h); err != nil {
			return err
		}
		now := db.now()
		var required *int
		if ar := h.Authority; ar != nil {
			e, err := exposure(ctx, tx, h, b, now.Add(-ar.Cumulative.Window))
			if err != nil {
				return err
			}
			if err := ar.CheckIdentity(h, e, h.IdentityVerified); err != nil {
				return err
			}
			auth = ar.Authority(h, e)
			required = &auth.Required
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO holds (id, kind, case_id, payment_id, invoice_id, amount, currency, reason, requested_by,
				status, created_at, updated_at, required_approvals, authority_reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $10, $11, $12)
			ON CONFLICT (id) DO NOTHING`,
			h.ID, h.Kind, h.CaseID, nullable(h.PaymentID), nullable(h.InvoiceID), h.Amount, h.Currency,
			h.Reason, h.RequestedBy, now, required, auth.Reason)
		if err != nil {
			return translate(err, "hold "+h.ID)
		}
		if tag.RowsAffected() == 0 {
			// Taken by a hold on another payment or invoice since we looked.
			_, _, err := sameHold(ctx, tx, h)
			return err
		}
		return nil
	})
	if err != nil {
		return casedesk.Authority{}, err
	}
	return auth, nil
}

// refuseDisputed refuses a refund of paymentID while a chargeback on it is
// open: the network may give the cardholder the money back already.
func refuseDisputed(ctx context.Context, tx pgx.Tx, paymentID string) error {
	var caseID string
	err := tx.QueryRow(ctx, `
		SELECT id FROM cases
		WHERE type = 'chargeback' AND status NOT IN ('resolved', 'closed') AND state #>> '{chargeback,payment_id}' = $1
		ORDER BY opened_at LIMIT 1`, paymentID).Scan(&caseID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return casedesk.Errorf(casedesk.EDISPUTED, "payment %s is disputed by chargeback %s: no refund until the chargeback ends",
		paymentID, caseID)
}

// OpenChargeback returns the open chargeback case on paymentID, or "".
func (db *DB) OpenChargeback(ctx context.Context, paymentID string) (string, error) {
	var caseID string
	err := db.Pool.QueryRow(ctx, `
		SELECT id FROM cases
		WHERE type = 'chargeback' AND status NOT IN ('resolved', 'closed') AND state #>> '{chargeback,payment_id}' = $1
		ORDER BY opened_at LIMIT 1`, paymentID).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return caseID, err
}

// exposure reads what h adds to: what its case holds or posted in its
// currency, what its payment or invoice does (b, read under its lock), and
// what its requester holds or posted in its currency since since.
func exposure(ctx context.Context, tx pgx.Tx, h casedesk.Hold, b casedesk.Balance, since time.Time) (casedesk.Exposure, error) {
	e := casedesk.Exposure{Target: b.Posted.Add(b.Held)}
	err := tx.QueryRow(ctx, `
		SELECT (SELECT COALESCE(sum(amount), 0) FROM holds
				WHERE case_id = $1 AND currency = $2 AND status IN ('held', 'posted')),
			(SELECT COALESCE(sum(amount), 0) FROM holds
				WHERE requested_by = $3 AND currency = $2 AND status IN ('held', 'posted') AND created_at > $4)`,
		h.CaseID, h.Currency, h.RequestedBy, since).Scan(&e.Case, &e.Requester)
	return e, err
}

// PostHold posts held money to the ledger as entry entryID at now, exactly
// once: a hold already posted returns its existing entry whatever entryID
// is given. A released hold cannot be posted; an unknown one is not found.
func (db *DB) PostHold(ctx context.Context, holdID, entryID string, now time.Time) (casedesk.LedgerEntry, error) {
	if now.IsZero() {
		now = db.now()
	}
	var e casedesk.LedgerEntry
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		h, _, err := readHold(ctx, tx, holdID, "")
		if err != nil {
			return err
		}
		b, err := lockBalance(ctx, tx, h.Kind, h.PaymentID, h.InvoiceID)
		if err != nil {
			return err
		}
		// Read again under the lock: the status may have moved while we waited.
		h, status, err := readHold(ctx, tx, holdID, "FOR UPDATE")
		if err != nil {
			return err
		}
		switch status {
		case casedesk.HoldPosted:
			e, err = scanEntry(tx.QueryRow(ctx, `SELECT `+entryColumns+` FROM ledger_entries WHERE hold_id = $1`, holdID))
			return translate(err, "ledger entry of hold "+holdID)
		case casedesk.HoldReleased:
			return casedesk.Errorf(casedesk.ECONFLICT, "hold %s was released", holdID)
		}
		if err := b.CheckPost(h); err != nil {
			return err
		}
		e, err = scanEntry(tx.QueryRow(ctx, `
			INSERT INTO ledger_entries (id, kind, hold_id, case_id, payment_id, invoice_id, amount, currency, posted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING `+entryColumns,
			entryID, h.Kind, h.ID, h.CaseID, nullable(h.PaymentID), nullable(h.InvoiceID), h.Amount, h.Currency, now))
		if err != nil {
			return translate(err, "ledger entry "+entryID)
		}
		_, err = tx.Exec(ctx, `UPDATE holds SET status = 'posted', updated_at = $2 WHERE id = $1`, holdID, db.now())
		return err
	})
	if err != nil {
		return casedesk.LedgerEntry{}, err
	}
	return e, nil
}

// ReleaseHold gives held money back. Releasing twice, or releasing a hold
// that was never made, is a no-op; a posted hold cannot be released.
func (db *DB) ReleaseHold(ctx context.Context, holdID string) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE holds SET status = 'released', updated_at = $2 WHERE id = $1 AND status = 'held'`,
		holdID, db.now())
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	// Posted and released are final, so what we read now stays true.
	var status string
	err = db.Pool.QueryRow(ctx, `SELECT status FROM holds WHERE id = $1`, holdID).Scan(&status)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return err
	case status == casedesk.HoldPosted:
		return casedesk.Errorf(casedesk.ECONFLICT, "hold %s was posted and cannot be released", holdID)
	}
	return nil
}

// Hold returns hold id and its status (held, posted or released).
func (db *DB) Hold(ctx context.Context, id string) (casedesk.Hold, string, error) {
	return readHold(ctx, db.Pool, id, "")
}

// PaymentBalance returns payment id with what it has refunded, what is held
// for refunds in flight and what it can still refund.
func (db *DB) PaymentBalance(ctx context.Context, id string) (casedesk.PaymentBalance, error) {
	p, err := db.Payment(ctx, id)
	b, err := db.withSums(ctx, p.Balance(), err)
	return casedesk.PaymentBalance{Payment: p, Refunded: b.Posted, Held: b.Held, Refundable: b.Available()}, err
}

// InvoiceBalance returns invoice id with what it has been credited, what is
// held for credits in flight and what it still owes.
func (db *DB) InvoiceBalance(ctx context.Context, id string) (casedesk.InvoiceBalance, error) {
	inv, err := db.Invoice(ctx, id)
	b, err := db.withSums(ctx, inv.Balance(), err)
	return casedesk.InvoiceBalance{Invoice: inv, Credited: b.Posted, Held: b.Held, Balance: b.Available()}, err
}

// withSums adds to b what is posted and held against it, unless reading
// what b is about already failed with err.
func (db *DB) withSums(ctx context.Context, b casedesk.Balance, err error) (casedesk.Balance, error) {
	if err == nil {
		b.Posted, b.Held, err = sums(ctx, db.Pool, b)
	}
	return b, err
}

// LedgerEntries returns the entries posted on a payment or an invoice,
// oldest first; none (not an error) for an ID with no entries.
func (db *DB) LedgerEntries(ctx context.Context, paymentOrInvoiceID string) ([]casedesk.LedgerEntry, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT `+entryColumns+` FROM ledger_entries WHERE payment_id = $1
		UNION ALL
		SELECT `+entryColumns+` FROM ledger_entries WHERE invoice_id = $1
		ORDER BY posted_at, id`, paymentOrInvoiceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []casedesk.LedgerEntry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// sameHold reports whether hold h.ID exists; it is an error for it to exist
// with a content other than h's.
func sameHold(ctx context.Context, tx pgx.Tx, h casedesk.Hold) (bool, casedesk.Authority, error) {
	old, _, err := readHold(ctx, tx, h.ID, "")
	switch {
	case casedesk.ErrorCode(err) == casedesk.ENOTFOUND:
		return false, casedesk.Authority{}, nil
	case err != nil:
		return false, casedesk.Authority{}, err
	case old.Kind != h.Kind || old.CaseID != h.CaseID || old.PaymentID != h.PaymentID || old.InvoiceID != h.InvoiceID ||
		!old.Amount.Equal(h.Amount) || old.Currency != h.Currency || old.Reason != h.Reason || old.RequestedBy != h.RequestedBy:
		return true, casedesk.Authority{}, casedesk.Errorf(casedesk.ECONFLICT, "hold %s already exists with a different content", h.ID)
	}
	var auth casedesk.Authority
	var required *int
	err = tx.QueryRow(ctx, `SELECT required_approvals, authority_reason FROM holds WHERE id = $1`, h.ID).
		Scan(&required, &auth.Reason)
	if required != nil {
		auth.Required = *required
	} else if h.Authority != nil {
		// Held before cumulative authority: the amount alone decided.
		auth = h.Authority.AmountAuthority(casedesk.Money{Amount: h.Amount, Currency: h.Currency})
	}
	return true, auth, err
}

// querier is what reads need of a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readHold reads hold id and its status; lock is "" or a locking clause.
func readHold(ctx context.Context, q querier, id, lock string) (casedesk.Hold, string, error) {
	var h casedesk.Hold
	var status string
	err := q.QueryRow(ctx, `SELECT `+holdColumns+` FROM holds WHERE id = $1 `+lock, id).
		Scan(&h.ID, &h.Kind, &h.CaseID, &h.PaymentID, &h.InvoiceID, &h.Amount, &h.Currency, &h.Reason,
			&h.RequestedBy, &status)
	if err != nil {
		return casedesk.Hold{}, "", translate(err, "hold "+id)
	}
	return h, status, nil
}

func scanEntry(row pgx.Row) (casedesk.LedgerEntry, error) {
	var e casedesk.LedgerEntry
	err := row.Scan(&e.ID, &e.Kind, &e.HoldID, &e.CaseID, &e.PaymentID, &e.InvoiceID, &e.Amount, &e.Currency, &e.PostedAt)
	return e, err
}

// lockBalance locks the payment of a refund or the invoice of a credit and
// reads its balance.
func lockBalance(ctx context.Context, tx pgx.Tx, kind, paymentID, invoiceID string) (casedesk.Balance, error) {
	b := casedesk.Balance{Kind: kind, ID: paymentID}
	table, what := "payments", "payment"
	if kind == casedesk.KindCredit {
		b.ID, table, what = invoiceID, "invoices", "invoice"
	}
	err := tx.QueryRow(ctx, `SELECT amount, currency, customer_id FROM `+table+` WHERE id = $1 FOR UPDATE`, b.ID).
		Scan(&b.Amount, &b.Currency, &b.CustomerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, casedesk.Invalid(balanceField(kind), "no such %s %s", what, b.ID)
	} else if err != nil {
		return b, err
	}
	b.Posted, b.Held, err = sums(ctx, tx, b)
	return b, err
}

// sums reads what the ledger posted against b and what holds keep for it.
func sums(ctx context.Context, q querier, b casedesk.Balance) (posted, held decimal.Decimal, err error) {
	col := balanceField(b.Kind)
	err = q.QueryRow(ctx, `
		SELECT (SELECT COALESCE(sum(amount), 0) FROM ledger_entries WHERE `+col+` = $1),
			(SELECT COALESCE(sum(amount), 0) FROM holds WHERE `+col+` = $1 AND status = 'held')`, b.ID).
		Scan(&posted, &held)
	return posted, held, err
}

// balanceField is the column (and request field) naming the target of kind.
func balanceField(kind string) string {
	if kind == casedesk.KindCredit {
		return "invoice_id"
	}
	return "payment_id"
}

// nullable maps "" to NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}
