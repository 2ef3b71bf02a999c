package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/temporalclient"
)

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

func (s *Server) openCase(c *gin.Context) {
	var req casedesk.OpenRequest
	if !bind(c, &req, false) {
		return
	}
	req = req.Normalize()
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	if err := req.ValidateAt(s.Now()); err != nil {
		writeError(c, err)
		return
	}
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if len(key) > maxIdempotencyKey {
		writeError(c, casedesk.Invalid("Idempotency-Key", "is longer than %d characters", maxIdempotencyKey))
		return
	}
	ctx := c.Request.Context()
	if _, err := s.Store.Customer(ctx, req.CustomerID); casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
		writeError(c, casedesk.Invalid("customer_id", "no customer %s", req.CustomerID))
		return
	} else if err != nil {
		writeError(c, err)
		return
	}
	if err := s.checkReferences(ctx, req); err != nil {
		writeError(c, err)
		return
	}
	// The hash of the normalized request decides whether a reused key means
	// the same request.
	canonical, err := json.Marshal(req)
	if err != nil {
		writeError(c, err)
		return
	}
	hash := sha256.Sum256(canonical)
	user := currentUser(c)
	id, existing, err := s.Store.ReserveCase(ctx, postgres.CaseRequest{
		ActorID: user.ID, IdempotencyKey: key, RequestHash: hash[:],
	}, casedesk.NewCaseID)
	if err != nil {
		writeError(c, err)
		return
	}
	if existing {
		// A retry: the case may be readable already (even closed since).
		if cs, err := s.Store.Case(ctx, id); err == nil {
			c.Header("Idempotent-Replayed", "true")
			c.Header("Location", "/v1/cases/"+cs.ID)
			c.JSON(http.StatusCreated, viewCase(cs))
			return
		}
	}
	actx, cancel := context.WithTimeout(ctx, s.ActionTimeout)
	defer cancel()
	cs, err := s.Cases.Open(actx, id, req, user.Actor())
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("case opened", "case_id", cs.ID, "type", cs.Type)
	c.Header("Location", "/v1/cases/"+cs.ID)
	c.JSON(http.StatusCreated, viewCase(cs))
}

// checkReferences checks the payment or invoice a dispute or chargeback names.
func (s *Server) checkReferences(ctx context.Context, req casedesk.OpenRequest) error {
	var payment *casedesk.Payment
	var invoice *casedesk.Invoice
	if req.PaymentID != "" {
		p, err := s.Store.Payment(ctx, req.PaymentID)
		if err == nil {
			payment = &p
		} else if casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
			return err
		}
	}
	if req.InvoiceID != "" {
		inv, err := s.Store.Invoice(ctx, req.InvoiceID)
		if err == nil {
			invoice = &inv
		} else if casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
			return err
		}
	}
	return req.CheckReferences(payment, invoice)
}

// caseID returns the case ID of the path, as people type it.
func caseID(c *gin.Context) string { return strings.ToUpper(strings.TrimSpace(c.Param("id"))) }

func (s *Server) getCase(c *gin.Context) {
	cs, err := s.Store.Case(c.Request.Context(), caseID(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, viewCase(cs))
}

func (s *Server) caseEvents(c *gin.Context) {
	ctx := c.Request.Context()
	id := caseID(c)
	if _, err := s.Store.Case(ctx, id); err != nil {
		writeError(c, err)
		return
	}
	events, err := s.Store.CaseEvents(ctx, id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": events})
}

func (s *Server) listCases(c *gin.Context) {
	var v casedesk.Validation
	f := postgres.CaseFilter{
		Status:     casedesk.Status(c.Query("status")),
		Type:       casedesk.Type(c.Query("type")),
		Priority:   casedesk.Priority(c.Query("priority")),
		AssigneeID: c.Query("assignee_id"),
		CustomerID: c.Query("customer_id"),
		Query:      c.Query("q"),
		Cursor:     c.Query("cursor"),
	}
	if f.AssigneeID == "" {
		f.AssigneeID = c.Query("assignee")
	}
	if f.Status != "" && !slices.Contains(casedesk.Statuses, f.Status) {
		v.Add("status", "must be one of %s", join(casedesk.Statuses))
	}
	if f.Type != "" && !slices.Contains(casedesk.Types, f.Type) {
		v.Add("type", "must be one of %s", join(casedesk.Types))
	}
	if f.Priority != "" && !slices.Contains(casedesk.Priorities, f.Priority) {
		v.Add("priority", "must be one of %s", join(casedesk.Priorities))
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > postgres.MaxLimit {
			v.Add("limit", "must be a whole number from 1 to %d", postgres.MaxLimit)
		}
		f.Limit = n
	}
	if b := c.Query("breached"); b != "" {
		v, err := strconv.ParseBool(b)
		if err != nil {
			v2 := casedesk.Validation{}
			v2.Add("breached", "must be true or false")
			writeError(c, v2.Err())
			return
		}
		f.Breached = &v
	}
	if len(f.Query) > 200 {
		v.Add("q", "is longer than 200 characters")
	}
	if err := v.Err(); err != nil {
		writeError(c, err)
		return
	}
	items, next, err := s.Store.ListCases(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	views := make([]caseView, len(items))
	for i, cs := range items {
		views[i] = viewCase(cs)
	}
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	c.JSON(http.StatusOK, gin.H{"items": views, "next_cursor": nextCursor})
}

func (s *Server) assign(c *gin.Context) {
	var cmd casedesk.Assign
	if !bind(c, &cmd, false) {
		return
	}
	cmd.AssigneeID = strings.TrimSpace(cmd.AssigneeID)
	if cmd.AssigneeID == "" {
		writeError(c, casedesk.Invalid("assignee_id", "is required"))
		return
	}
	if _, err := s.Store.Case(c.Request.Context(), caseID(c)); err != nil {
		writeError(c, err)
		return
	}
	if err := s.checkAssignee(c.Request.Context(), cmd.AssigneeID); err != nil {
		writeError(c, err)
		return
	}
	s.act(c, cmd)
}

// action handles a command whose input is just its JSON body.
func action[T casedesk.Command](s *Server, emptyOK bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var cmd T
		if !bind(c, &cmd, emptyOK) {
			return
		}
		s.act(c, casedesk.Sanitize(cmd))
	}
}

// act sends cmd to the case of the path and writes the updated case.
func (s *Server) act(c *gin.Context, cmd casedesk.Command) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.ActionTimeout)
	defer cancel()
	id := caseID(c)
	user := currentUser(c)
	cs, err := s.Cases.Act(ctx, id, cmd, user.Actor())
	if errors.Is(err, temporalclient.ErrWorkflowGone) {
		// No running workflow: either no such case, or a closed one.
		if _, lookErr := s.Store.Case(c.Request.Context(), id); lookErr == nil {
			err = casedesk.Errorf(casedesk.ECONFLICT, "case %s is closed", id)
		} else {
			err = lookErr
		}
	}
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("case action", "case_id", id, "action", cmd.Name(), "status", cs.Status, "version", cs.Version)
	c.JSON(http.StatusOK, viewCase(cs))
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
