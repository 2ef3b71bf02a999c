package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// CustomerStore keeps customers and what the billing system reports of them.
type CustomerStore interface {
	CreateCustomer(ctx context.Context, c casedesk.Customer) (casedesk.Customer, error)
	Customer(ctx context.Context, id string) (casedesk.Customer, error)
	CreatePayment(ctx context.Context, p casedesk.Payment) (casedesk.Payment, error)
	Payments(ctx context.Context, customerID string) ([]casedesk.Payment, error)
	CreateInvoice(ctx context.Context, inv casedesk.Invoice) (casedesk.Invoice, error)
	Invoices(ctx context.Context, customerID string) ([]casedesk.Invoice, error)
	Payment(ctx context.Context, id string) (casedesk.Payment, error)
	Invoice(ctx context.Context, id string) (casedesk.Invoice, error)
	PaymentBalance(ctx context.Context, id string) (casedesk.PaymentBalance, error)
	InvoiceBalance(ctx context.Context, id string) (casedesk.InvoiceBalance, error)
}

func (s *Server) createCustomer(c *gin.Context) {
	var req casedesk.NewCustomerRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	cu, err := s.Customers.CreateCustomer(c.Request.Context(), casedesk.Customer{
		ID: casedesk.NewID(casedesk.PrefixCustomer, 8), Name: req.Name, Email: req.Email,
	})
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, cu)
}

func (s *Server) getCustomer(c *gin.Context) {
	cu, err := s.Customers.Customer(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, cu)
}

// customer loads the customer of the path or writes 404.
func (s *Server) customer(c *gin.Context) (casedesk.Customer, bool) {
	cu, err := s.Customers.Customer(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return cu, false
	}
	return cu, true
}

func (s *Server) createPayment(c *gin.Context) {
	recordFor[casedesk.NewPaymentRequest](s, c, casedesk.PrefixPayment, s.Customers.CreatePayment)
}

func (s *Server) listPayments(c *gin.Context) { listFor(s, c, s.Customers.Payments) }

func (s *Server) createInvoice(c *gin.Context) {
	recordFor[casedesk.NewInvoiceRequest](s, c, casedesk.PrefixInvoice, s.Customers.CreateInvoice)
}

func (s *Server) listInvoices(c *gin.Context) { listFor(s, c, s.Customers.Invoices) }

// recordRequest is what the billing system reports of a customer: a payment
// or an invoice, checked by the case rules.
type recordRequest[T any] interface {
	Validate(id, customerID string, now time.Time) (T, error)
}

// recordFor records what the request R in the body describes for the
// customer of the path, under a new ID with prefix.
func recordFor[R recordRequest[T], T any](s *Server, c *gin.Context, prefix string, create func(context.Context, T) (T, error)) {
	cu, ok := s.customer(c)
	if !ok {
		return
	}
	var req R
	if !bind(c, &req, false) {
		return
	}
	rec, err := req.Validate(casedesk.NewID(prefix, 8), cu.ID, s.Now())
	if err == nil {
		rec, err = create(c.Request.Context(), rec)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, rec)
}

// listFor lists what list returns for the customer of the path.
func listFor[T any](s *Server, c *gin.Context, list func(context.Context, string) ([]T, error)) {
	cu, ok := s.customer(c)
	if !ok {
		return
	}
	items, err := list(c.Request.Context(), cu.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) getPayment(c *gin.Context) {
	getFor(c, s.Customers.PaymentBalance, func(b casedesk.PaymentBalance) gin.H {
		return gin.H{"id": b.ID, "customer_id": b.CustomerID, "method": b.Method, "reference": b.Reference,
			"paid_at": b.PaidAt, "currency": b.Currency, "amount": money(b.Amount, b.Currency),
			"refunded": money(b.Refunded, b.Currency), "held": money(b.Held, b.Currency),
			"refundable": money(b.Refundable, b.Currency)}
	})
}

func (s *Server) getInvoice(c *gin.Context) {
	getFor(c, s.Customers.InvoiceBalance, func(b casedesk.InvoiceBalance) gin.H {
		return gin.H{"id": b.ID, "customer_id": b.CustomerID, "number": b.Number, "issued_at": b.IssuedAt,
			"due_at": b.DueAt, "currency": b.Currency, "amount": money(b.Amount, b.Currency),
			"credited": money(b.Credited, b.Currency), "held": money(b.Held, b.Currency),
			"balance": money(b.Balance, b.Currency)}
	})
}

// getFor writes what get returns for the ID of the path, as view shows it.
func getFor[T any](c *gin.Context, get func(context.Context, string) (T, error), view func(T) gin.H) {
	b, err := get(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(b))
}

// money writes an amount with its currency's decimal places.
func money(d decimal.Decimal, currency string) string { return casedesk.FormatAmount(d, currency) }
