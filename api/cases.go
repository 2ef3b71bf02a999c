package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// CaseStore reads the case read model and reserves case IDs.
type CaseStore interface {
	ReserveCase(ctx context.Context, req casedesk.CaseRequest, newID func() string) (string, bool, error)
	Case(ctx context.Context, id string) (casedesk.Case, error)
	CaseEventPage(ctx context.Context, id string, p casedesk.EventPage) ([]casedesk.Event, bool, error)
	ListCases(ctx context.Context, f casedesk.CaseFilter) ([]casedesk.Case, string, error)
	OpenChargeback(ctx context.Context, paymentID string) (string, error)
	CaseMessages(ctx context.Context, caseID string) ([]casedesk.Message, error)
}

func (s *Server) openCase(c *gin.Context) {
	var req casedesk.OpenRequest
	if !bind(c, &req, false) {
		return
	}
	req, err := req.Check(s.Now())
	if err != nil {
		writeError(c, err)
		return
	}
	if err := casedesk.CheckCategory(s.Categories, req.Category); err != nil {
		writeError(c, err)
		return
	}
	key, err := casedesk.CheckIdempotencyKey(c.GetHeader("Idempotency-Key"))
	if err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.Customers.Customer(ctx, req.CustomerID); casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
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
	if req.FollowUpOf != "" {
		prev, err := lookup(ctx, s.CaseReads.Case, req.FollowUpOf)
		if err == nil {
			err = req.CheckFollowUp(prev)
		}
		if err != nil {
			writeError(c, err)
			return
		}
	}
	if req.Type == casedesk.TypeChargeback {
		open, err := s.CaseReads.OpenChargeback(ctx, req.PaymentID)
		if err == nil {
			err = req.CheckChargeback(open)
		}
		if err != nil {
			writeError(c, err)
			return
		}
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
	id, existing, err := s.CaseReads.ReserveCase(ctx, casedesk.CaseRequest{
		ActorID: user.ID, IdempotencyKey: key, RequestHash: hash[:],
	}, casedesk.NewCaseID)
	if err != nil {
		writeError(c, err)
		return
	}
	if existing {
		// A retry: the case may be readable already (even closed since).
		if cs, err := s.CaseReads.Case(ctx, id); err == nil {
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
	payment, err := lookup(ctx, s.Customers.Payment, req.PaymentID)
	if err != nil {
		return err
	}
	invoice, err := lookup(ctx, s.Customers.Invoice, req.InvoiceID)
	if err != nil {
		return err
	}
	return req.CheckReferences(payment, invoice)
}

// lookup reads id with get: nil when id is empty or not found.
func lookup[T any](ctx context.Context, get func(context.Context, string) (T, error), id string) (*T, error) {
	if id == "" {
		return nil, nil
	}
	v, err := get(ctx, id)
	switch casedesk.ErrorCode(err) {
	case "":
		return &v, nil
	case casedesk.ENOTFOUND:
		return nil, nil
	}
	return nil, err
}

// caseID returns the case ID of the path, as people type it.
func caseID(c *gin.Context) string { return strings.ToUpper(strings.TrimSpace(c.Param("id"))) }

func (s *Server) getCase(c *gin.Context) {
	cs, err := s.CaseReads.Case(c.Request.Context(), caseID(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("ETag", strconv.Quote(strconv.FormatInt(cs.Version, 10)))
	c.JSON(http.StatusOK, viewCase(cs))
}

// caseItems lists what list returns for the case of the path, which must exist.
func caseItems[T any](s *Server, c *gin.Context, list func(context.Context, string) ([]T, error)) {
	ctx := c.Request.Context()
	id := caseID(c)
	if _, err := s.CaseReads.Case(ctx, id); err != nil {
		writeError(c, err)
		return
	}
	items, err := list(ctx, id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) listCases(c *gin.Context) {
	f, err := casedesk.ParseCaseFilter(c.Query)
	if err != nil {
		writeError(c, err)
		return
	}
	items, next, err := s.CaseReads.ListCases(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	views := viewAll(items, viewCase)
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
	if err := expectFromHeader(c, &cmd); err != nil {
		writeError(c, err)
		return
	}
	if cmd.AssigneeID != "" {
		if err := s.checkAssignee(c.Request.Context(), cmd.AssigneeID); err != nil {
			writeError(c, err)
			return
		}
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
		if err := expectFromHeader(c, &cmd); err != nil {
			writeError(c, err)
			return
		}
		s.act(c, cmd)
	}
}

// expectFromHeader makes an If-Match header (the version of the case the
// caller saw, as its ETag gives it) the command's expected version, unless
// the body names one.
func expectFromHeader(c *gin.Context, cmd any) error {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		return nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return casedesk.Invalid("If-Match", "must be the version of the case, such as \"7\"")
	}
	if e, ok := cmd.(interface{ SetExpected(int64) }); ok {
		e.SetExpected(v)
	}
	return nil
}

// act sends cmd to the case of the path and writes the updated case.
func (s *Server) act(c *gin.Context, cmd casedesk.Command) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.ActionTimeout)
	defer cancel()
	id := caseID(c)
	user := currentUser(c)
	cs, err := s.Cases.Act(ctx, id, cmd, user.Actor(), updateID(c))
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("case action", "case_id", id, "action", cmd.Name(), "status", cs.Status, "version", cs.Version)
	c.Header("ETag", strconv.Quote(strconv.FormatInt(cs.Version, 10)))
	c.JSON(http.StatusOK, viewCase(cs))
}
