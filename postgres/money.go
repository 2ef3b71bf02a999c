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
// (a credit). It is refused as invalid when the payment or invoice does not
// exist, is in another currency, or cannot cover h on top of what is already
// held and posted on it. Holding the same hold again is a no-op (a retried
// activity), holding a different hold under an existing ID a conflict.
func (db *DB) HoldMoney(ctx context.Context, h casedesk.Hold) error {
	if err := checkHold(h); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		// The usual retry: no lock needed to see it is already done.
		if found, err := sameHold(ctx, tx, h); found || err != nil {
			return err
		}
		t, err := lockTarget(ctx, tx, h.Kind, h.PaymentID, h.InvoiceID)
		if err != nil {
			return err
		}
		// A concurrent hold with the same ID may have committed while we waited.
		if found, err := sameHold(ctx, tx, h); found || err != nil {
			return err
		}
		if h.CustomerID != "" && h.CustomerID != t.customer {
			field := "payment_id"
			if h.Kind == casedesk.KindCredit {
				field = "invoice_id"
			}
			return casedesk.Invalid(field, "%s does not belong to the case's customer %s", t.id, h.CustomerID)
		}
		if h.Currency != t.currency {
			return casedesk.Invalid("currency", "must be %s, the currency of %s", t.currency, t.id)
		}
		used, err := t.used(ctx, tx)
		if err != nil {
			return err
		}
		if left := t.amount.Sub(used); h.Amount.GreaterThan(left) {
			return casedesk.Invalid("amount", "exceeds what %s %s: %s %s", t.id, t.stillVerb(),
				casedesk.FormatAmount(decimal.Max(left, decimal.Zero), t.currency), t.currency)
		}
		now := db.now()
		tag, err := tx.Exec(ctx, `
			INSERT INTO holds (id, kind, case_id, payment_id, invoice_id, amount, currency, reason, requested_by,
				status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $10)
			ON CONFLICT (id) DO NOTHING`,
			h.ID, h.Kind, h.CaseID, nullable(h.PaymentID), nullable(h.InvoiceID), h.Amount, h.Currency,
			h.Reason, h.RequestedBy, now)
		if err != nil {
			return translate(err, "hold "+h.ID)
		}
		if tag.RowsAffected() == 0 {
			// Taken by a hold on another payment or invoice since we looked.
			_, err := sameHold(ctx, tx, h)
			return err
		}
		return nil
	})
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
		t, err := lockTarget(ctx, tx, h.Kind, h.PaymentID, h.InvoiceID)
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
		// Holds keep held plus posted within the amount; this guards the
		// ledger itself should holds ever have been written around the store.
		posted, err := t.posted(ctx, tx)
		if err != nil {
			return err
		}
		if posted.Add(h.Amount).GreaterThan(t.amount) {
			return casedesk.Errorf(casedesk.ECONFLICT, "%s has no more to %s: %s of %s %s is already %s", t.id, h.Kind,
				casedesk.FormatAmount(posted, t.currency), casedesk.FormatAmount(t.amount, t.currency), t.currency,
				t.pastVerb())
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
	var b casedesk.PaymentBalance
	err := db.Pool.QueryRow(ctx, `
		SELECT p.id, p.customer_id, p.amount, p.currency, p.method, p.reference, p.paid_at,
			(SELECT COALESCE(sum(amount), 0) FROM ledger_entries WHERE payment_id = p.id),
			(SELECT COALESCE(sum(amount), 0) FROM holds WHERE payment_id = p.id AND status = 'held')
		FROM payments p WHERE p.id = $1`, id).
		Scan(&b.ID, &b.CustomerID, &b.Amount, &b.Currency, &b.Method, &b.Reference, &b.PaidAt, &b.Refunded, &b.Held)
	if err != nil {
		return casedesk.PaymentBalance{}, translate(err, "payment "+id)
	}
	b.Refundable = b.Amount.Sub(b.Refunded).Sub(b.Held)
	return b, nil
}

// InvoiceBalance returns invoice id with what it has been credited, what is
// held for credits in flight and what it still owes.
func (db *DB) InvoiceBalance(ctx context.Context, id string) (casedesk.InvoiceBalance, error) {
	var b casedesk.InvoiceBalance
	err := db.Pool.QueryRow(ctx, `
		SELECT i.id, i.customer_id, i.number, i.amount, i.currency, i.issued_at, i.due_at,
			(SELECT COALESCE(sum(amount), 0) FROM ledger_entries WHERE invoice_id = i.id),
			(SELECT COALESCE(sum(amount), 0) FROM holds WHERE invoice_id = i.id AND status = 'held')
		FROM invoices i WHERE i.id = $1`, id).
		Scan(&b.ID, &b.CustomerID, &b.Number, &b.Amount, &b.Currency, &b.IssuedAt, &b.DueAt, &b.Credited, &b.Held)
	if err != nil {
		return casedesk.InvoiceBalance{}, translate(err, "invoice "+id)
	}
	b.Balance = b.Amount.Sub(b.Credited).Sub(b.Held)
	return b, nil
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

// checkHold refuses a hold the tables' constraints would refuse, naming the
// field, so that a bad hold is a validation error and not an internal one.
func checkHold(h casedesk.Hold) error {
	var v casedesk.Validation
	if h.ID == "" {
		v.Add("id", "is required")
	}
	if h.CaseID == "" {
		v.Add("case_id", "is required")
	}
	switch h.Kind {
	case casedesk.KindRefund:
		if h.PaymentID == "" {
			v.Add("payment_id", "is required for a refund")
		}
		if h.InvoiceID != "" {
			v.Add("invoice_id", "must be empty for a refund, which is of a payment")
		}
	case casedesk.KindCredit:
		if h.InvoiceID == "" {
			v.Add("invoice_id", "is required for a credit")
		}
		if h.PaymentID != "" {
			v.Add("payment_id", "must be empty for a credit, which is on an invoice")
		}
	default:
		v.Add("kind", "must be %s or %s", casedesk.KindRefund, casedesk.KindCredit)
	}
	exp, known := casedesk.CurrencyExponent(h.Currency)
	if !known {
		v.Add("currency", "must be an ISO 4217 code we support, such as USD, EUR or JPY")
	}
	switch {
	case !h.Amount.IsPositive():
		v.Add("amount", "must be greater than zero")
	case known && !h.Amount.Equal(h.Amount.Truncate(exp)):
		v.Add("amount", "has more decimal places than %s allows (%d)", h.Currency, exp)
	case h.Amount.GreaterThanOrEqual(decimal.New(1, 15)):
		v.Add("amount", "is too large")
	}
	return v.Err()
}

// sameHold reports whether hold h.ID exists; it is an error for it to exist
// with a content other than h's.
func sameHold(ctx context.Context, tx pgx.Tx, h casedesk.Hold) (bool, error) {
	old, _, err := readHold(ctx, tx, h.ID, "")
	switch {
	case casedesk.ErrorCode(err) == casedesk.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	case old.Kind != h.Kind || old.CaseID != h.CaseID || old.PaymentID != h.PaymentID || old.InvoiceID != h.InvoiceID ||
		!old.Amount.Equal(h.Amount) || old.Currency != h.Currency || old.Reason != h.Reason || old.RequestedBy != h.RequestedBy:
		return true, casedesk.Errorf(casedesk.ECONFLICT, "hold %s already exists with a different content", h.ID)
	}
	return true, nil
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

// target is the payment or invoice that money is held against, locked.
type target struct {
	kind     string
	id       string
	amount   decimal.Decimal
	currency string
	customer string
}

// lockTarget locks the payment of a refund or the invoice of a credit.
func lockTarget(ctx context.Context, tx pgx.Tx, kind, paymentID, invoiceID string) (target, error) {
	t := target{kind: kind, id: paymentID}
	table, field, what := "payments", "payment_id", "payment"
	if kind == casedesk.KindCredit {
		t.id, table, field, what = invoiceID, "invoices", "invoice_id", "invoice"
	}
	err := tx.QueryRow(ctx, `SELECT amount, currency, customer_id FROM `+table+` WHERE id = $1 FOR UPDATE`, t.id).
		Scan(&t.amount, &t.currency, &t.customer)
	if errors.Is(err, pgx.ErrNoRows) {
		return target{}, casedesk.Invalid(field, "no such %s %s", what, t.id)
	}
	return t, err
}

// used is what is held and posted against t.
func (t target) used(ctx context.Context, tx pgx.Tx) (decimal.Decimal, error) {
	var sum decimal.Decimal
	err := tx.QueryRow(ctx, `
		SELECT COALESCE(sum(amount), 0) FROM holds
		WHERE `+t.column()+` = $1 AND status IN ('held', 'posted')`, t.id).Scan(&sum)
	return sum, err
}

// posted is what the ledger has posted against t.
func (t target) posted(ctx context.Context, tx pgx.Tx) (decimal.Decimal, error) {
	var sum decimal.Decimal
	err := tx.QueryRow(ctx, `SELECT COALESCE(sum(amount), 0) FROM ledger_entries WHERE `+t.column()+` = $1`, t.id).
		Scan(&sum)
	return sum, err
}

func (t target) column() string {
	if t.kind == casedesk.KindCredit {
		return "invoice_id"
	}
	return "payment_id"
}

// stillVerb completes "exceeds what PAY-… ".
func (t target) stillVerb() string {
	if t.kind == casedesk.KindCredit {
		return "still owes"
	}
	return "can still refund"
}

func (t target) pastVerb() string {
	if t.kind == casedesk.KindCredit {
		return "credited"
	}
	return "refunded"
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
