package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// MacroStore keeps macros and counts their use.
type MacroStore interface {
	CreateMacro(ctx context.Context, m casedesk.Macro) (casedesk.Macro, error)
	Macro(ctx context.Context, id string) (casedesk.Macro, error)
	Macros(ctx context.Context, userID string) ([]casedesk.Macro, error)
	MacroUsage(ctx context.Context) ([]casedesk.Macro, error)
	UpdateMacro(ctx context.Context, m casedesk.Macro) (casedesk.Macro, error)
	DeleteMacro(ctx context.Context, id string) error
	RecordMacroUse(ctx context.Context, id, caseID, userID, updateID string) error
}

func (s *Server) listMacros(c *gin.Context) {
	items, err := s.Macros.Macros(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) createMacro(c *gin.Context) {
	var req casedesk.MacroRequest
	if !bind(c, &req, false) {
		return
	}
	by := currentUser(c).Actor()
	m, err := casedesk.CheckMacro(req.Apply(casedesk.Macro{ID: casedesk.NewID("MA", 8), OwnerID: by.ID}))
	if err == nil {
		err = casedesk.CheckMacroEdit(casedesk.Macro{OwnerID: by.ID}, m, by)
	}
	if err == nil {
		m, err = s.Macros.CreateMacro(c.Request.Context(), m)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, m)
}

// macro loads the macro of the path, as 404 when the caller may not see it.
func (s *Server) macro(c *gin.Context, param string) (casedesk.Macro, bool) {
	m, err := s.Macros.Macro(c.Request.Context(), c.Param(param))
	if err == nil && !casedesk.CanSeeMacro(m, currentUser(c).Actor()) {
		err = casedesk.Errorf(casedesk.ENOTFOUND, "macro %s not found", c.Param(param))
	}
	if err != nil {
		writeError(c, err)
		return m, false
	}
	return m, true
}

func (s *Server) updateMacro(c *gin.Context) {
	before, ok := s.macro(c, "id")
	if !ok {
		return
	}
	var req casedesk.MacroRequest
	if !bind(c, &req, false) {
		return
	}
	m, err := casedesk.CheckMacro(req.Apply(before))
	if err == nil {
		err = casedesk.CheckMacroEdit(before, m, currentUser(c).Actor())
	}
	if err == nil {
		m, err = s.Macros.UpdateMacro(c.Request.Context(), m)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) deleteMacro(c *gin.Context) {
	m, ok := s.macro(c, "id")
	if !ok {
		return
	}
	err := casedesk.CheckMacroEdit(m, m, currentUser(c).Actor())
	if err == nil {
		err = s.Macros.DeleteMacro(c.Request.Context(), m.ID)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// renderMacro renders the macro of the path for the case of the path.
func (s *Server) renderMacro(c *gin.Context) (casedesk.Macro, string, bool) {
	m, ok := s.macro(c, "macro_id")
	if !ok {
		return m, "", false
	}
	ctx := c.Request.Context()
	cs, err := s.CaseReads.Case(ctx, caseID(c))
	if err != nil {
		writeError(c, err)
		return m, "", false
	}
	cu, err := s.Customers.Customer(ctx, cs.CustomerID)
	if err != nil {
		writeError(c, err)
		return m, "", false
	}
	mc := casedesk.MacroContext{Case: cs, Customer: cu, Agent: currentUser(c)}
	if mc.Payment, err = balanceOf(ctx, casedesk.MacroPaymentID(cs), s.Customers.PaymentBalance); err == nil {
		mc.Invoice, err = balanceOf(ctx, casedesk.MacroInvoiceID(cs), s.Customers.InvoiceBalance)
	}
	if err != nil {
		writeError(c, err)
		return m, "", false
	}
	return m, casedesk.Render(m.Body, mc), true
}

// balanceOf reads the balance of payment or invoice id for a macro: nil
// when the case names none, or names one the records do not hold.
func balanceOf[T any](ctx context.Context, id string, read func(context.Context, string) (T, error)) (*T, error) {
	if id == "" {
		return nil, nil
	}
	b, err := read(ctx, id)
	if casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &b, nil
}

func (s *Server) previewMacro(c *gin.Context) {
	m, body, ok := s.renderMacro(c)
	if !ok {
		return
	}
	names := []string{}
	for _, cmd := range m.Commands(body) {
		names = append(names, cmd.Name())
	}
	c.JSON(http.StatusOK, gin.H{"macro_id": m.ID, "body": body, "actions": names})
}

// applyMacro sends the macro's commands to the case one by one as the
// caller, exactly as the actions by hand: each is decided by the case rules
// and lands in the timeline and the email as it would. A refused command
// stops there; the ones before it stay done, as they would by hand. With an
// Idempotency-Key each command is an update whose ID the key and its place
// make (casedesk.MacroUpdateID), so a retry that reaches the case again,
// through any replica, does nothing twice and is counted once.
func (s *Server) applyMacro(c *gin.Context) {
	m, body, ok := s.renderMacro(c)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.ActionTimeout)
	defer cancel()
	user := currentUser(c)
	id := caseID(c)
	var cs casedesk.Case
	key := updateID(c)
	for i, cmd := range m.Commands(body) {
		var err error
		if cs, err = s.Cases.Act(ctx, id, cmd, user.Actor(), casedesk.MacroUpdateID(key, i)); err != nil {
			writeError(c, err)
			return
		}
	}
	if err := s.Macros.RecordMacroUse(ctx, m.ID, id, user.ID, key); err != nil {
		// The case changed; only the count is missing.
		logger(c).Warn("counting a macro's use failed", "macro_id", m.ID, "case_id", id, "error", err)
	}
	logger(c).Info("macro applied", "case_id", id, "macro_id", m.ID, "status", cs.Status, "version", cs.Version)
	c.JSON(http.StatusOK, viewCase(cs))
}

// macroReport lists every macro with how often it was applied, most used
// first: which replies the team writes most.
func (s *Server) macroReport(c *gin.Context) {
	items, err := s.Macros.MacroUsage(c.Request.Context())
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]gin.H, len(items))
	for i, m := range items {
		out[i] = gin.H{"id": m.ID, "name": m.Name, "shared": m.Shared, "owner_id": m.OwnerID, "uses": m.Uses}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}
