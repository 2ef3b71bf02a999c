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
	UpdateCustomer(ctx context.Context, id string, req casedesk.UpdateCustomerRequest, by casedesk.Actor) (casedesk.Customer, []casedesk.CustomerChange, []string, error)
	CustomerHistory(ctx context.Context, id string) ([]casedesk.CustomerHistoryEntry, error)
	SearchCustomers(ctx context.Context, s casedesk.CustomerSearch) ([]casedesk.Customer, bool, error)
	MergeCustomers(ctx context.Context, from, into string, by casedesk.Actor) ([]string, error)
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

// updateCustomer changes a customer's profile. The store records each
// change in the customer's history; the customer's cases that are not closed
// are then told, so their timelines say it (email follows the customer's row
// at render time, so the next message goes to a new address either way).
func (s *Server) updateCustomer(c *gin.Context) {
	var req casedesk.UpdateCustomerRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	cu, changes, open, err := s.Customers.UpdateCustomer(c.Request.Context(), c.Param("id"), req, currentUser(c).Actor())
	if err != nil {
		writeError(c, err)
		return
	}
	if len(changes) > 0 {
		cmd := casedesk.UpdateCustomer{CustomerID: cu.ID}
		for _, ch := range changes {
			cmd.Fields = append(cmd.Fields, ch.Field)
			if ch.Field == "email" {
				cmd.Email = ch.New
			}
		}
		s.tellCases(c, open, cmd)
	}
	c.JSON(http.StatusOK, cu)
}

// tellCases sends cmd to each case as the system. The change is already
// recorded on the customer; a case that cannot take it now (closed meanwhile,
// Temporal unreachable) is logged and the others are still told.
func (s *Server) tellCases(c *gin.Context, ids []string, cmd casedesk.Command) {
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.ActionTimeout)
		_, err := s.Cases.Act(ctx, id, cmd, casedesk.SystemActor, casedesk.NewID("CUSTOMER", 12))
		cancel()
		if err != nil {
			logger(c).Warn("telling a case of its customer's change failed", "case_id", id, "action", cmd.Name(), "error", err)
		}
	}
}

func (s *Server) customerHistory(c *gin.Context) {
	items, err := s.Customers.CustomerHistory(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// searchCustomers finds customers by part of the name or email, the phone's
// digits or the ID, a page at a time; next_cursor continues.
func (s *Server) searchCustomers(c *gin.Context) {
	q, err := casedesk.ParseCustomerSearch(c.Query("q"), c.Query("limit"), c.Query("cursor"))
	if err != nil {
		writeError(c, err)
		return
	}
	items, more, err := s.Customers.SearchCustomers(c.Request.Context(), q)
	if err != nil {
		writeError(c, err)
		return
	}
	var next *string
	if more {
		next = &items[len(items)-1].ID
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

// mergeCustomer merges the customer of the path into another. The store
// moves the read model (cases, payments, invoices) in one transaction; each
// moved case that is not closed is then told, because its workflow holds the
// customer ID it notifies and projects. A closed case's workflow has ended
// and its row is already moved.
func (s *Server) mergeCustomer(c *gin.Context) {
	var req casedesk.MergeCustomerRequest
	if !bind(c, &req, false) {
		return
	}
	from := c.Param("id")
	if err := req.Validate(from); err != nil {
		writeError(c, err)
		return
	}
	open, err := s.Customers.MergeCustomers(c.Request.Context(), from, req.Into, currentUser(c).Actor())
	if err != nil {
		writeError(c, err)
		return
	}
	s.tellCases(c, open, casedesk.UpdateCustomer{CustomerID: req.Into, MergedFrom: from})
	cu, err := s.Customers.Customer(c.Request.Context(), req.Into)
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
