package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
)

// CreateCustomer stores c.
func (db *DB) CreateCustomer(ctx context.Context, c casedesk.Customer) (casedesk.Customer, error) {
	err := db.Pool.QueryRow(ctx, `INSERT INTO customers (id, name, email) VALUES ($1, $2, $3) RETURNING created_at`,
		c.ID, c.Name, c.Email).Scan(&c.CreatedAt)
	if err != nil {
		return casedesk.Customer{}, translate(err, "a customer with this email")
	}
	return c, nil
}

// Customer returns customer id.
func (db *DB) Customer(ctx context.Context, id string) (casedesk.Customer, error) {
	c, err := scanCustomer(db.Pool.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, id))
	return c, translate(err, "customer "+id)
}

// CustomerByEmail returns the customer with email (case-insensitive).
func (db *DB) CustomerByEmail(ctx context.Context, email string) (casedesk.Customer, error) {
	var c casedesk.Customer
	err := db.Pool.QueryRow(ctx, `SELECT id, name, email, created_at FROM customers WHERE lower(email) = lower($1)`, email).
		Scan(&c.ID, &c.Name, &c.Email, &c.CreatedAt)
	return c, translate(err, "customer "+email)
}

// CreatePayment stores p.
func (db *DB) CreatePayment(ctx context.Context, p casedesk.Payment) (casedesk.Payment, error) {
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO payments (id, customer_id, amount, currency, method, reference, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.CustomerID, p.Amount, p.Currency, p.Method, p.Reference, p.PaidAt)
	if err != nil {
		return casedesk.Payment{}, translate(err, "a payment with this reference")
	}
	return p, nil
}

// Payments returns the payments of customerID, newest first.
func (db *DB) Payments(ctx context.Context, customerID string) ([]casedesk.Payment, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+paymentColumns+`
		FROM payments WHERE customer_id = $1 ORDER BY paid_at DESC, id`, customerID)
	return collect(rows, err, scanPayment)
}

const paymentColumns = `id, customer_id, amount, currency, method, reference, paid_at`

func scanPayment(row pgx.CollectableRow) (casedesk.Payment, error) {
	var p casedesk.Payment
	err := row.Scan(&p.ID, &p.CustomerID, &p.Amount, &p.Currency, &p.Method, &p.Reference, &p.PaidAt)
	return p, err
}

// CreateInvoice stores inv.
func (db *DB) CreateInvoice(ctx context.Context, inv casedesk.Invoice) (casedesk.Invoice, error) {
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO invoices (id, customer_id, number, amount, currency, issued_at, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		inv.ID, inv.CustomerID, inv.Number, inv.Amount, inv.Currency, inv.IssuedAt, inv.DueAt)
	if err != nil {
		return casedesk.Invoice{}, translate(err, "an invoice with this number")
	}
	return inv, nil
}

// Invoices returns the invoices of customerID, newest first.
func (db *DB) Invoices(ctx context.Context, customerID string) ([]casedesk.Invoice, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+invoiceColumns+`
		FROM invoices WHERE customer_id = $1 ORDER BY issued_at DESC, id`, customerID)
	return collect(rows, err, scanInvoice)
}

const invoiceColumns = `id, customer_id, number, amount, currency, issued_at, due_at`

func scanInvoice(row pgx.CollectableRow) (casedesk.Invoice, error) {
	var inv casedesk.Invoice
	err := row.Scan(&inv.ID, &inv.CustomerID, &inv.Number, &inv.Amount, &inv.Currency, &inv.IssuedAt, &inv.DueAt)
	return inv, err
}

// collect collects the rows of a query with scan, or returns the query's error.
func collect[T any](rows pgx.Rows, err error, scan pgx.RowToFunc[T]) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scan)
}

// Payment returns payment id.
func (db *DB) Payment(ctx context.Context, id string) (casedesk.Payment, error) {
	var p casedesk.Payment
	err := db.Pool.QueryRow(ctx, `
		SELECT id, customer_id, amount, currency, method, reference, paid_at FROM payments WHERE id = $1`, id).
		Scan(&p.ID, &p.CustomerID, &p.Amount, &p.Currency, &p.Method, &p.Reference, &p.PaidAt)
	return p, translate(err, "payment "+id)
}

// Invoice returns invoice id.
func (db *DB) Invoice(ctx context.Context, id string) (casedesk.Invoice, error) {
	var inv casedesk.Invoice
	err := db.Pool.QueryRow(ctx, `
		SELECT id, customer_id, number, amount, currency, issued_at, due_at FROM invoices WHERE id = $1`, id).
		Scan(&inv.ID, &inv.CustomerID, &inv.Number, &inv.Amount, &inv.Currency, &inv.IssuedAt, &inv.DueAt)
	return inv, translate(err, "invoice "+id)
}
