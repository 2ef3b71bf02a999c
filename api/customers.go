package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

func (s *Server) createCustomer(c *gin.Context) {
	var req casedesk.NewCustomerRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	cu, err := s.Store.CreateCustomer(c.Request.Context(), casedesk.Customer{
		ID: casedesk.NewID(casedesk.PrefixCustomer, 8), Name: req.Name, Email: req.Email,
	})
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, cu)
}

func (s *Server) getCustomer(c *gin.Context) {
	cu, err := s.Store.Customer(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, cu)
}

// customer loads the customer of the path or writes 404.
func (s *Server) customer(c *gin.Context) (casedesk.Customer, bool) {
	cu, err := s.Store.Customer(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return cu, false
	}
	return cu, true
}

func (s *Server) createPayment(c *gin.Context) {
	cu, ok := s.customer(c)
	if !ok {
		return
	}
	var req casedesk.NewPaymentRequest
	if !bind(c, &req, false) {
		return
	}
	p, err := req.Validate(casedesk.NewID(casedesk.PrefixPayment, 8), cu.ID, s.Now())
	if err == nil {
		p, err = s.Store.CreatePayment(c.Request.Context(), p)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (s *Server) listPayments(c *gin.Context) {
	cu, ok := s.customer(c)
	if !ok {
		return
	}
	items, err := s.Store.Payments(c.Request.Context(), cu.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) createInvoice(c *gin.Context) {
	cu, ok := s.customer(c)
	if !ok {
		return
	}
	var req casedesk.NewInvoiceRequest
	if !bind(c, &req, false) {
		return
	}
	inv, err := req.Validate(casedesk.NewID(casedesk.PrefixInvoice, 8), cu.ID, s.Now())
	if err == nil {
		inv, err = s.Store.CreateInvoice(c.Request.Context(), inv)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, inv)
}

func (s *Server) listInvoices(c *gin.Context) {
	cu, ok := s.customer(c)
	if !ok {
		return
	}
	items, err := s.Store.Invoices(c.Request.Context(), cu.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}
