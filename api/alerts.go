package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// AlertStore keeps how each staff member takes each kind of staff alert.
type AlertStore interface {
	AlertModes(ctx context.Context, userID string) (map[string]string, error)
	SetAlertModes(ctx context.Context, userID string, modes map[string]string) error
}

// alertSettings is the answer of GET and PUT /v1/users/me/alerts.
type alertSettings struct {
	Alerts      []casedesk.AlertSetting `json:"alerts"`
	DigestEvery casedesk.Duration       `json:"digest_every"`
}

func (s *Server) writeAlertSettings(c *gin.Context) {
	chosen, err := s.Alerts.AlertModes(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, alertSettings{Alerts: s.AlertRouting.Settings(chosen),
		DigestEvery: casedesk.Duration(s.AlertRouting.Every())})
}

// myAlerts shows how each kind of staff alert reaches the caller.
func (s *Server) myAlerts(c *gin.Context) { s.writeAlertSettings(c) }

// setMyAlerts records the caller's choices, {"sla_warning": "digest",
// "sla_breach": null}, and shows where they stand.
func (s *Server) setMyAlerts(c *gin.Context) {
	var req map[string]*string
	if !bind(c, &req, false) {
		return
	}
	user := currentUser(c)
	modes, err := casedesk.CheckAlertModes(user.Role, req)
	if err == nil {
		err = s.Alerts.SetAlertModes(c.Request.Context(), user.ID, modes)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("alert modes chosen", "modes", modes)
	s.writeAlertSettings(c)
}
