package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// WebhookStore keeps outgoing webhook endpoints and their deliveries.
type WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e casedesk.WebhookEndpoint) (casedesk.WebhookEndpoint, error)
	WebhookEndpoints(ctx context.Context) ([]casedesk.WebhookEndpoint, error)
	WebhookEndpoint(ctx context.Context, id string) (casedesk.WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	RotateWebhookSecret(ctx context.Context, id, secret string, until time.Time) (casedesk.WebhookEndpoint, error)
	WebhookDeliveries(ctx context.Context, endpointID string, limit int) ([]casedesk.WebhookDelivery, error)
	RedeliverWebhook(ctx context.Context, id string) (casedesk.WebhookDelivery, error)
	EnableWebhookEndpoint(ctx context.Context, id string, redeliverFailed bool) (casedesk.WebhookEnableResult, error)
}

// CaseView shows a case as the API does; webhook payloads carry it.
func CaseView(c casedesk.Case) any { return viewCase(c) }

// endpointWithSecret is an endpoint as created or rotated: its secret is
// shown this once.
type endpointWithSecret struct {
	casedesk.WebhookEndpoint
	Secret string `json:"secret"`
}

func (s *Server) createWebhookEndpoint(c *gin.Context) {
	var req casedesk.WebhookEndpointRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(s.Production); err != nil {
		writeError(c, err)
		return
	}
	e, err := s.Webhooks.CreateWebhookEndpoint(c.Request.Context(), casedesk.WebhookEndpoint{
		ID: casedesk.NewID(casedesk.PrefixWebhookEndpoint, 8), URL: req.URL, Description: req.Description,
		Events: req.Events, Secret: casedesk.NewWebhookSecret(), CreatedBy: currentUser(c).ID,
	})
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("webhook endpoint created", "endpoint_id", e.ID, "events", e.Events)
	c.JSON(http.StatusCreated, endpointWithSecret{WebhookEndpoint: e, Secret: e.Secret})
}

func (s *Server) listWebhookEndpoints(c *gin.Context) {
	items, err := s.Webhooks.WebhookEndpoints(c.Request.Context())
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) getWebhookEndpoint(c *gin.Context) {
	e, err := s.Webhooks.WebhookEndpoint(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, e)
}

func (s *Server) deleteWebhookEndpoint(c *gin.Context) {
	if err := s.Webhooks.DeleteWebhookEndpoint(c.Request.Context(), c.Param("id")); err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("webhook endpoint deleted", "endpoint_id", c.Param("id"))
	c.Status(http.StatusNoContent)
}

func (s *Server) rotateWebhookSecret(c *gin.Context) {
	secret := casedesk.NewWebhookSecret()
	e, err := s.Webhooks.RotateWebhookSecret(c.Request.Context(), c.Param("id"), secret,
		s.Now().Add(casedesk.WebhookRotationOverlap))
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("webhook secret rotated", "endpoint_id", e.ID)
	c.JSON(http.StatusOK, endpointWithSecret{WebhookEndpoint: e, Secret: secret})
}

func (s *Server) listWebhookDeliveries(c *gin.Context) {
	limit, err := casedesk.ParseWebhookDeliveryLimit(c.Query("limit"))
	if err != nil {
		writeError(c, err)
		return
	}
	items, err := s.Webhooks.WebhookDeliveries(c.Request.Context(), c.Param("id"), limit)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) redeliverWebhook(c *gin.Context) {
	d, err := s.Webhooks.RedeliverWebhook(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("webhook redelivery queued", "delivery_id", d.ID, "event_id", d.EventID)
	c.JSON(http.StatusAccepted, d)
}

// enableWebhookEndpoint enables an endpoint again (one the dispatcher
// disabled, or one failing): its failure window starts afresh and what
// waited for it is sent now; with redeliver_failed, also what gave up while
// it was failing.
func (s *Server) enableWebhookEndpoint(c *gin.Context) {
	var req casedesk.WebhookEnableRequest
	if !bind(c, &req, true) {
		return
	}
	res, err := s.Webhooks.EnableWebhookEndpoint(c.Request.Context(), c.Param("id"), req.RedeliverFailed)
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("webhook endpoint enabled", "endpoint_id", res.Endpoint.ID, "pending", res.Pending,
		"redelivered", res.Redelivered, "failed", res.Failed)
	c.JSON(http.StatusOK, res)
}
