package api

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/links"
)

// sendGridInbound takes mail that reached a case's signed reply address.
// The case rules decide what it is (casedesk.ClassifyInbound,
// casedesk.SameAddress): an auto-reply or a bounce is recorded on the case
// and changes nothing; the customer's reply is a customer reply; a reply
// from another address waits as an unverified reply; the customer's reply
// to a closed case opens a follow-up case. SendGrid retries anything but
// 2xx for days, so refusals that will never succeed answer 200 with the
// reason and change nothing, and a retried post (the same Message-ID) is
// the same update of the case.
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
	ctx := c.Request.Context()
	cs, err := s.CaseReads.Case(ctx, id)
	if casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
		s.inboundRefused(c, "case "+id+" is not known")
		return
	} else if err != nil {
		writeError(c, err) // SendGrid retries: the database may answer later
		return
	}
	if err := s.Links.CheckReplyWindow(cs.ClosedAt, s.LinkTTL); err != nil {
		s.inboundRefused(c, "the reply address of case "+id+" has expired")
		return
	}
	from := msg.Sender()
	closed := cs.Status == casedesk.StatusClosed
	updateID := inboundUpdateID(msg)

	kind, why := casedesk.ClassifyInbound(casedesk.InboundMail{From: from, Subject: msg.Subject, Header: msg.Header})
	if kind != casedesk.InboundReply {
		if closed {
			s.inboundRefused(c, "automatic mail ("+kind+") to closed case "+id)
			return
		}
		s.inboundAct(c, id, kind, casedesk.RecordAutoMail{Kind: kind, From: from, Subject: msg.Subject, Why: why},
			casedesk.MailActor, updateID)
		return
	}
	body := inbound.StripQuoted(msg.PlainText())
	if body == "" {
		s.inboundRefused(c, "the reply has no new text")
		return
	}
	cu, err := s.Customers.Customer(ctx, cs.CustomerID)
	if err != nil {
		writeError(c, err)
		return
	}
	verified := casedesk.SameAddress(from, cu.Email)
	switch {
	case closed && verified:
		s.openFollowUp(c, cs, body, msg.Header.Get("Message-Id"))
	case closed:
		// A stranger holding a forwarded email does not open cases for the customer.
		s.inboundRefused(c, "a reply to closed case "+id+" from another address than the customer's")
	case verified:
		s.inboundAct(c, id, casedesk.InboundReply, casedesk.CustomerReply{Body: body}, casedesk.CustomerActor, updateID)
	default:
		s.inboundAct(c, id, "unverified_reply", casedesk.AttachUnverifiedReply{From: from, Subject: msg.Subject, Body: body},
			casedesk.MailActor, updateID)
	}
}

// inboundAct sends cmd to case id and answers what it was taken as.
func (s *Server) inboundAct(c *gin.Context, id, takenAs string, cmd casedesk.Command, by casedesk.Actor, updateID string) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.ActionTimeout)
	defer cancel()
	if _, err := s.Cases.Act(ctx, id, cmd, by, updateID); err != nil {
		code := casedesk.ErrorCode(err)
		if code == casedesk.EINTERNAL || code == casedesk.EUNAVAILABLE {
			writeError(c, err) // SendGrid retries: the case may take it later
			return
		}
		s.inboundRefused(c, "case "+id+" does not take this mail now: "+casedesk.ErrorMessage(err))
		return
	}
	logger(c).Info("inbound email taken", "case_id", id, "as", takenAs)
	c.JSON(http.StatusOK, gin.H{"accepted": true, "case_id": id, "taken_as": takenAs})
}

// openFollowUp opens the follow-up of closed case prev with the customer's
// reply. The reservation's key is the reply (its Message-ID, or its text
// without one), so SendGrid's retries of one post open one case.
func (s *Server) openFollowUp(c *gin.Context, prev casedesk.Case, body, messageID string) {
	ctx := c.Request.Context()
	req, err := casedesk.FollowUp(prev, body, s.Categories).Check(s.Now())
	if err != nil {
		s.inboundRefused(c, "a follow-up of case "+prev.ID+" could not be opened: "+casedesk.ErrorMessage(err))
		return
	}
	hash := sha256.Sum256([]byte(prev.ID + "\x00" + cmp.Or(messageID, req.Description)))
	id, existing, err := s.CaseReads.ReserveCase(ctx, casedesk.CaseRequest{
		ActorID: casedesk.CustomerActor.ID, IdempotencyKey: "follow-up-" + hex.EncodeToString(hash[:16]), RequestHash: hash[:],
	}, casedesk.NewCaseID)
	if err != nil {
		writeError(c, err)
		return
	}
	// A retry finds the case readable, or opens it again: Update-with-Start
	// attaches to the workflow an earlier post started.
	if _, err := s.CaseReads.Case(ctx, id); !existing || err != nil {
		actx, cancel := context.WithTimeout(ctx, s.ActionTimeout)
		defer cancel()
		if _, err := s.Cases.Open(actx, id, req, casedesk.CustomerActor); err != nil {
			writeError(c, err)
			return
		}
	}
	logger(c).Info("follow-up case opened by email", "case_id", id, "follow_up_of", prev.ID)
	c.JSON(http.StatusOK, gin.H{"accepted": true, "case_id": id, "taken_as": "follow_up", "follow_up_of": prev.ID})
}

// inboundUpdateID makes the update of a message from its Message-ID, so
// that a post SendGrid retries changes the case once; "" without one.
func inboundUpdateID(m inbound.Message) string {
	mid := m.Header.Get("Message-Id")
	if mid == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(mid))
	return "inbound-" + hex.EncodeToString(sum[:16])
}

// unverifiedReply handles accept and discard of the unverified reply whose
// event seq is in the path.
func (s *Server) unverifiedReply(accept bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		seq, err := strconv.ParseInt(c.Param("seq"), 10, 64)
		if err != nil || seq <= 0 {
			writeError(c, casedesk.Errorf(casedesk.ENOTFOUND, "no unverified reply %q", c.Param("seq")))
			return
		}
		if accept {
			if !bind(c, &struct{}{}, true) {
				return
			}
			s.act(c, casedesk.AcceptUnverifiedReply{Seq: seq})
			return
		}
		var body struct {
			Reason string `json:"reason"`
		}
		if !bind(c, &body, true) {
			return
		}
		s.act(c, casedesk.DiscardUnverifiedReply{Seq: seq, Reason: body.Reason})
	}
}

// pendingReplies is the case's unverified replies, as a list never null.
func pendingReplies(c casedesk.Case) []casedesk.UnverifiedReply {
	if c.UnverifiedReplies == nil {
		return []casedesk.UnverifiedReply{}
	}
	return c.UnverifiedReplies
}
