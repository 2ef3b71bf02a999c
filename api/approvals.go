package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// ApprovalStore reads the approvals of every case.
type ApprovalStore interface {
	Approval(ctx context.Context, id string) (casedesk.Approval, error)
	ListApprovals(ctx context.Context, status string, limit int) ([]casedesk.Approval, error)
}

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
	// Authority says why money needs this many supervisors.
	Authority *casedesk.Authority `json:"authority,omitempty"`
}

func viewApproval(a casedesk.Approval) approvalView {
	v := approvalView{ID: a.ID, CaseID: a.CaseID, Kind: a.Kind, Required: a.Required, Decisions: a.Decisions,
		RequestedBy: a.RequestedBy, RequestedAt: a.RequestedAt, Reason: a.Reason, Status: a.Status,
		ExpiresAt: a.ExpiresAt, DecidedAt: a.DecidedAt, Authority: a.Authority}
	if v.Decisions == nil {
		v.Decisions = []casedesk.ApprovalDecision{}
	}
	if a.Amount != nil {
		amount, currency := casedesk.FormatAmount(a.Amount.Amount, a.Amount.Currency), a.Amount.Currency
		v.Amount, v.Currency = &amount, &currency
	}
	return v
}

func (s *Server) listApprovals(c *gin.Context) {
	status := c.Query("status")
	if err := casedesk.CheckApprovalStatus(status); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.Approvals.ListApprovals(c.Request.Context(), status, 100)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": viewAll(items, viewApproval)})
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
	s.decide(c, casedesk.DecideApproval{Approve: false, Comment: req.Reason})
}

// decide sends a decision to the case that owns the approval.
func (s *Server) decide(c *gin.Context, cmd casedesk.DecideApproval) {
	ctx := c.Request.Context()
	a, err := s.Approvals.Approval(ctx, strings.ToUpper(strings.TrimSpace(c.Param("id"))))
	if err != nil {
		writeError(c, err)
		return
	}
	cmd.ApprovalID = a.ID
	actx, cancel := context.WithTimeout(ctx, s.ActionTimeout)
	defer cancel()
	cs, err := s.Cases.Act(actx, a.CaseID, cmd, currentUser(c).Actor(), updateID(c))
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
	u, err := s.Users.User(ctx, id)
	if casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
		return casedesk.Invalid("assignee_id", "no user %s", id)
	} else if err != nil {
		return err
	}
	return casedesk.CheckAssignee(u)
}
