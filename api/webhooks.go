package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/inbound"
)

// Webhook limits.
const (
	maxEventPayload   = 8 << 20
	maxInboundMessage = 30 << 20 // SendGrid's largest message
)

// sendGridEvents records SendGrid's delivery events on the messages they are
// about, once the Event Webhook's signature checks out.
func (s *Server) sendGridEvents(c *gin.Context) {
	if s.EventVerifier == nil {
		writeError(c, casedesk.Errorf(casedesk.EUNAUTHORIZED, "the event webhook is not configured (SENDGRID_WEBHOOK_PUBLIC_KEY)"))
		return
	}
	payload, err := s.EventVerifier.VerifyRequest(c.Request, maxEventPayload)
	switch {
	case errors.Is(err, inbound.ErrTooLarge):
		writeError(c, malformed("the payload is too large"))
		return
	case err != nil:
		logger(c).Warn("event webhook refused", "error", err)
		writeError(c, casedesk.Errorf(casedesk.EUNAUTHORIZED, "the signature of the event webhook does not verify"))
		return
	}
	events, err := inbound.ParseEvents(payload)
	if err != nil {
		writeError(c, malformed("the payload is not a list of SendGrid events"))
		return
	}
	recorded := 0
	for _, e := range events {
		ok, err := s.Feedback.RecordDeliveryEvent(c.Request.Context(), casedesk.DeliveryEvent{
			SendGridID: e.SGMessageID, Event: e.Event, Email: e.Email, EventID: e.SGEventID, Reason: e.Reason, At: e.Timestamp,
		})
		if err != nil {
			writeError(c, err)
			return
		}
		if ok {
			recorded++
		}
	}
	c.JSON(http.StatusOK, gin.H{"received": len(events), "recorded": recorded})
}

func (s *Server) inboundRefused(c *gin.Context, reason string) {
	logger(c).Info("inbound email not taken", "reason", reason)
	c.JSON(http.StatusOK, gin.H{"accepted": false, "reason": reason})
}
