package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/links"
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

// sendGridInbound turns a customer's emailed reply into a customer-reply on
// the case its signed reply-to address names. SendGrid retries anything but
// 2xx for days, so refusals that will never succeed answer 200 with the
// reason and change nothing.
func (s *Server) sendGridInbound(c *gin.Context) {
	if subtle.ConstantTimeCompare([]byte(c.Param("secret")), []byte(s.InboundSecret)) != 1 || s.InboundSecret == "" {
		writeError(c, casedesk.Errorf(casedesk.ENOTFOUND, "no such endpoint"))
		return
	}
	msg, err := inbound.ParseInbound(c.Request, maxInboundMessage)
	if err != nil {
		logger(c).Warn("inbound parse refused", "error", err)
		s.inboundRefused(c, "the message could not be read")
		return
	}
	var id string
	for _, addr := range slices.Concat(msg.Envelope.To, msg.To, msg.Cc) {
		if got, err := s.Links.VerifyReplyAddress(addr, s.ReplyDomain); err == nil {
			id = got
			break
		} else if !errors.Is(err, links.ErrInvalid) {
			writeError(c, err)
			return
		}
	}
	if id == "" {
		s.inboundRefused(c, "no signed reply address of a case")
		return
	}
	body := inbound.StripQuoted(msg.Text)
	if body == "" {
		s.inboundRefused(c, "the reply has no new text")
		return
	}
	_, err = s.Cases.Act(c.Request.Context(), id, casedesk.CustomerReply{Body: body}, casedesk.CustomerActor)
	if err != nil {
		code := casedesk.ErrorCode(err)
		if code == casedesk.EINTERNAL || code == casedesk.EUNAVAILABLE {
			writeError(c, err) // SendGrid retries: the case may take it later
			return
		}
		s.inboundRefused(c, "case "+id+" does not take replies now")
		return
	}
	logger(c).Info("customer replied by email", "case_id", id)
	c.JSON(http.StatusOK, gin.H{"accepted": true, "case_id": id})
}

func (s *Server) inboundRefused(c *gin.Context, reason string) {
	logger(c).Info("inbound email not taken", "reason", reason)
	c.JSON(http.StatusOK, gin.H{"accepted": false, "reason": reason})
}
