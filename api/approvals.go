package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/temporalclient"
)

// approvalView is an approval on the wire.
type approvalView struct {
	ID          string                      `json:"id"`
	CaseID      string                      `json:"case_id"`
	Kind        string                      `json:"kind"`
	Amount      *string                     `json:"amount"`
	Currency    *string                     `json:"currency"`
	Required    int                         `json:"required"`
	Decisions   []casedesk.ApprovalDecision `json:"decisions"`
	RequestedBy string                      `json:"requested_by"`
	RequestedAt time.Time                   `json:"requested_at"`
	Reason      string                      `json:"reason"`
	Status      string                      `json:"status"`
	ExpiresAt   time.Time                   `json:"expires_at"`
	DecidedAt   *time.Time                  `json:"decided_at"`
}

func viewApproval(a casedesk.Approval) approvalView {
	v := approvalView{ID: a.ID, CaseID: a.CaseID, Kind: a.Kind, Required: a.Required, Decisions: a.Decisions,
		RequestedBy: a.RequestedBy, RequestedAt: a.RequestedAt, Reason: a.Reason, Status: a.Status,
		ExpiresAt: a.ExpiresAt, DecidedAt: a.DecidedAt}
	if v.Decisions == nil {
		v.Decisions = []casedesk.ApprovalDecision{}
	}
	if a.Amount != nil {
		amount, currency := casedesk.FormatAmount(a.Amount.Amount, a.Amount.Currency), a.Amount.Currency
		v.Amount, v.Currency = &amount, &currency
	}
	return v
}

var approvalStatuses = []string{casedesk.ApprovalPending, casedesk.ApprovalApproved, casedesk.ApprovalRejected,
	casedesk.ApprovalExpired, casedesk.ApprovalWithdrawn}

func (s *Server) listApprovals(c *gin.Context) {
	status := c.Query("status")
	if status != "" && !slices.Contains(approvalStatuses, status) {
		writeError(c, casedesk.Invalid("status", "must be one of %s", strings.Join(approvalStatuses, ", ")))
		return
	}
	items, err := s.Store.ListApprovals(c.Request.Context(), status, 100)
	if err != nil {
		writeError(c, err)
		return
	}
	views := make([]approvalView, len(items))
	for i, a := range items {
		views[i] = viewApproval(a)
	}
	c.JSON(http.StatusOK, gin.H{"items": views})
}

type approveRequest struct {
	Comment    string `json:"comment"`
	AssigneeID string `json:"assignee_id"`
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) approve(c *gin.Context) {
	var req approveRequest
	if !bind(c, &req, true) {
		return
	}
	if req.AssigneeID = strings.TrimSpace(req.AssigneeID); req.AssigneeID != "" {
		if err := s.checkAssignee(c.Request.Context(), req.AssigneeID); err != nil {
			writeError(c, err)
			return
		}
	}
	s.decide(c, casedesk.DecideApproval{Approve: true, Comment: req.Comment, AssigneeID: req.AssigneeID})
}

func (s *Server) reject(c *gin.Context) {
	var req rejectRequest
	if !bind(c, &req, false) {
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		writeError(c, casedesk.Invalid("reason", "is required: say why, so the agent knows what to do"))
		return
	}
	s.decide(c, casedesk.DecideApproval{Approve: false, Comment: req.Reason})
}

// decide sends a decision to the case that owns the approval.
func (s *Server) decide(c *gin.Context, cmd casedesk.DecideApproval) {
	ctx := c.Request.Context()
	a, err := s.Store.Approval(ctx, strings.ToUpper(strings.TrimSpace(c.Param("id"))))
	if err != nil {
		writeError(c, err)
		return
	}
	cmd.ApprovalID = a.ID
	actx, cancel := context.WithTimeout(ctx, s.ActionTimeout)
	defer cancel()
	cs, err := s.Cases.Act(actx, a.CaseID, casedesk.Sanitize(cmd), currentUser(c).Actor())
	if errors.Is(err, temporalclient.ErrWorkflowGone) {
		err = casedesk.Errorf(casedesk.ECONFLICT, "approval %s is %s; its case is closed", a.ID, a.Status)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	for _, got := range cs.Approvals {
		if got.ID == a.ID {
			logger(c).Info("approval decided", "approval_id", a.ID, "case_id", a.CaseID, "status", got.Status)
			c.JSON(http.StatusOK, viewApproval(got))
			return
		}
	}
	writeError(c, casedesk.Errorf(casedesk.EINTERNAL, "approval %s missing from its case", a.ID))
}

// checkAssignee checks that id is a user who can be given cases.
func (s *Server) checkAssignee(ctx context.Context, id string) error {
	u, err := s.Store.User(ctx, id)
	if casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
		return casedesk.Invalid("assignee_id", "no user %s", id)
	} else if err != nil {
		return err
	}
	if !u.Role.CanAssignCases() {
		return casedesk.Invalid("assignee_id", "user %s is an %s; cases go to agents and supervisors", u.ID, u.Role)
	}
	return nil
}

func (s *Server) getPayment(c *gin.Context) {
	b, err := s.Store.PaymentBalance(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": b.ID, "customer_id": b.CustomerID, "method": b.Method, "reference": b.Reference,
		"paid_at": b.PaidAt, "currency": b.Currency,
		"amount":     casedesk.FormatAmount(b.Amount, b.Currency),
		"refunded":   casedesk.FormatAmount(b.Refunded, b.Currency),
		"held":       casedesk.FormatAmount(b.Held, b.Currency),
		"refundable": casedesk.FormatAmount(b.Refundable, b.Currency)})
}

func (s *Server) getInvoice(c *gin.Context) {
	b, err := s.Store.InvoiceBalance(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": b.ID, "customer_id": b.CustomerID, "number": b.Number, "issued_at": b.IssuedAt,
		"due_at": b.DueAt, "currency": b.Currency,
		"amount":   casedesk.FormatAmount(b.Amount, b.Currency),
		"credited": casedesk.FormatAmount(b.Credited, b.Currency),
		"held":     casedesk.FormatAmount(b.Held, b.Currency),
		"balance":  casedesk.FormatAmount(b.Balance, b.Currency)})
}
