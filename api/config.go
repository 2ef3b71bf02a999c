package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// The configuration in force, read-only, for the console's Admin screen:
// what this server opens cases with. Durations are Go duration strings.

type slaPolicyView struct {
	Type          casedesk.Type     `json:"type"`
	Priority      casedesk.Priority `json:"priority"`
	Calendar      string            `json:"calendar"`
	FirstResponse string            `json:"first_response"`
	Resolution    string            `json:"resolution"`
	WarningAt     float64           `json:"warning_at"`
}

type calendarView struct {
	Name string `json:"name"`
	casedesk.CalendarSpec
}

// optDuration is a duration, or nil when zero (the documented default).
func optDuration(d time.Duration) *string {
	if d == 0 {
		return nil
	}
	s := d.String()
	return &s
}

func (s *Server) slaConfig(c *gin.Context) {
	r := s.Rules
	policies := make([]slaPolicyView, 0, len(r.SLA))
	calendars := []calendarView{}
	for _, p := range r.SLA {
		policies = append(policies, slaPolicyView{Type: p.Type, Priority: p.Priority, Calendar: p.CalendarName,
			FirstResponse: p.FirstResponse.String(), Resolution: p.Resolution.String(), WarningAt: p.WarningAt})
		if !slices.ContainsFunc(calendars, func(v calendarView) bool { return v.Name == p.CalendarName }) {
			calendars = append(calendars, calendarView{Name: p.CalendarName, CalendarSpec: p.Calendar})
		}
	}
	slices.SortFunc(calendars, func(a, b calendarView) int { return strings.Compare(a.Name, b.Name) })
	reopen := r.ReopenWindow
	if reopen == 0 {
		reopen = casedesk.DefaultReopenWindow
	}
	categories := r.Categories
	if categories == nil {
		categories = []string{}
	}
	c.JSON(http.StatusOK, gin.H{
		"policies": policies, "calendars": calendars, "reopen_window": reopen.String(),
		"waiting_reminder": optDuration(r.WaitingReminder), "waiting_timeout": optDuration(r.WaitingTimeout),
		"categories": categories,
	})
}

type limitsView struct {
	Currency       string           `json:"currency"`
	AutoUpTo       decimal.Decimal  `json:"auto_approve_up_to"`
	OneUpTo        decimal.Decimal  `json:"one_supervisor_up_to"`
	IdentityAbove  *decimal.Decimal `json:"identity_required_above"`
	TwoSupervisors string           `json:"two_supervisors"`
}

func viewLimits(currency string, l casedesk.Limits) limitsView {
	return limitsView{Currency: currency, AutoUpTo: l.AutoUpTo, OneUpTo: l.OneUpTo, IdentityAbove: l.IdentityAbove,
		TwoSupervisors: "above " + l.OneUpTo.String()}
}

func (s *Server) approvalsConfig(c *gin.Context) {
	r := casedesk.DefaultApprovalRules()
	if s.Rules.Approvals != nil {
		r = *s.Rules.Approvals
	}
	limits := []limitsView{viewLimits("", r.Default)}
	currencies := make([]string, 0, len(r.Limits))
	for cur := range r.Limits {
		currencies = append(currencies, cur)
	}
	slices.Sort(currencies)
	for _, cur := range currencies {
		limits = append(limits, viewLimits(cur, r.Limits[cur]))
	}
	c.JSON(http.StatusOK, gin.H{
		"limits":       limits,
		"remind_after": r.RemindAfter.String(), "expire_after": r.ExpireAfter.String(),
		"cumulative": gin.H{"case": r.Cumulative.Case, "payment_or_invoice": r.Cumulative.Target,
			"requester": r.Cumulative.Requester, "window": r.Cumulative.Window.String()},
		"email_reply_verifies": r.EmailReplyVerifies,
	})
}
