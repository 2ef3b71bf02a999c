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

// InboundLog journals the mail that reached a case's reply address and
// finds a message the case already took.
type InboundLog interface {
	RecordInbound(ctx context.Context, r casedesk.InboundRecord) error
	InboundTaken(ctx context.Context, caseID, key string) (casedesk.InboundRecord, bool, error)
}

// sendGridInbound takes mail that reached a case's signed reply address.
// The case rules decide what it is (casedesk.ClassifyInbound,
// casedesk.SameAddress): an auto-reply or a bounce is recorded on the case
// and changes nothing; the customer's reply is a customer reply; a reply
// from another address waits as an unverified reply; the customer's reply
// to a closed case opens a follow-up case. SendGrid retries anything but
// 2xx for days, so refusals that will never succeed answer 200 with the
// reason and change nothing, and a retried post (the same Message-ID)
// answers as the first did. Mail to a known case is journaled (InboundLog),
// taken or not.
func (s *Server) sendGridInbound(c *gin.Context) {
	if subtle.ConstantTimeCompare([]byte(c.Param("secret")), []byte(s.InboundSecret)) != 1 || s.InboundSecret == "" {
		writeError(c, casedesk.Errorf(casedesk.ENOTFOUND, "no such endpoint"))
		return
	}
	if limited(c, s.Now(), "inbound messages", limitCheck{s.limits.inbound, c.Param("secret")}) {
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
	key := messageKey(msg)
	rec := casedesk.InboundRecord{CaseID: id, MessageKey: key, From: truncate(msg.Sender(), 254), Subject: truncate(msg.Subject, casedesk.MaxSubjectLen)}
	if s.InboundLog != nil && key != "" {
		prior, ok, err := s.InboundLog.InboundTaken(ctx, id, key)
		if err != nil {
			writeError(c, err)
			return
		}
		if ok {
			c.JSON(http.StatusOK, gin.H{"accepted": true, "case_id": cmp.Or(prior.ResultCase, id), "taken_as": prior.TakenAs, "replayed": true})
			return
		}
	}
	if err := s.Links.CheckReplyWindow(cs.ClosedAt, s.LinkTTL); err != nil {
		s.notTaken(c, rec, "the reply address of case "+id+" has expired")
		return
	}
	closed := cs.Status == casedesk.StatusClosed

	kind, why := casedesk.ClassifyInbound(casedesk.InboundMail{From: rec.From, Subject: msg.Subject, Header: msg.Header})
	if kind != casedesk.InboundReply {
		if closed {
			s.notTaken(c, rec, "automatic mail ("+kind+") to closed case "+id)
			return
		}
		s.inboundAct(c, rec, kind, casedesk.RecordAutoMail{Kind: kind, From: rec.From, Subject: msg.Subject, Why: why}, casedesk.MailActor)
		return
	}
	body := inbound.StripQuoted(msg.PlainText())
	if body == "" {
		s.notTaken(c, rec, "the reply has no new text")
		return
	}
	cu, err := s.Customers.Customer(ctx, cs.CustomerID)
	if err != nil {
		writeError(c, err)
		return
	}
	verified := casedesk.SameAddress(rec.From, cu.Email)
	switch {
	case closed && verified:
		s.openFollowUp(c, rec, cs, body)
	case closed:
		// A stranger holding a forwarded email does not open cases for the customer.
		s.notTaken(c, rec, "a reply to closed case "+id+" from another address than the customer's")
	case verified:
		s.inboundAct(c, rec, casedesk.InboundReply, casedesk.CustomerReply{Body: body}, casedesk.CustomerActor)
	default:
		s.inboundAct(c, rec, "unverified_reply", casedesk.AttachUnverifiedReply{From: rec.From, Subject: msg.Subject, Body: body},
			casedesk.MailActor)
	}
}

// inboundAct sends cmd to the case of rec and answers what it was taken as.
// The update's ID is the message's, so a retried post changes the case once.
func (s *Server) inboundAct(c *gin.Context, rec casedesk.InboundRecord, takenAs string, cmd casedesk.Command, by casedesk.Actor) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.ActionTimeout)
	defer cancel()
	updateID := ""
	if rec.MessageKey != "" {
		updateID = "inbound-" + rec.MessageKey
	}
	if _, err := s.Cases.Act(ctx, rec.CaseID, cmd, by, updateID); err != nil {
		code := casedesk.ErrorCode(err)
		if code == casedesk.EINTERNAL || code == casedesk.EUNAVAILABLE {
			writeError(c, err) // SendGrid retries: the case may take it later
			return
		}
		s.notTaken(c, rec, "case "+rec.CaseID+" does not take this mail now: "+casedesk.ErrorMessage(err))
		return
	}
	s.taken(c, rec, takenAs, "")
}

// openFollowUp opens the follow-up of closed case prev with the customer's
// reply. The reservation's key is the reply (its Message-ID, or its text
// without one), so SendGrid's retries of one post open one case.
func (s *Server) openFollowUp(c *gin.Context, rec casedesk.InboundRecord, prev casedesk.Case, body string) {
	ctx := c.Request.Context()
	req, err := casedesk.FollowUp(prev, body, s.Categories).Check(s.Now())
	if err != nil {
		s.notTaken(c, rec, "a follow-up of case "+prev.ID+" could not be opened: "+casedesk.ErrorMessage(err))
		return
	}
	hash := sha256.Sum256([]byte(prev.ID + "\x00" + cmp.Or(rec.MessageKey, req.Description)))
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
	s.taken(c, rec, "follow_up", id)
}

// taken journals and answers mail taken as takenAs; resultCase is the case
// it opened, if any.
func (s *Server) taken(c *gin.Context, rec casedesk.InboundRecord, takenAs, resultCase string) {
	rec.TakenAs, rec.ResultCase = takenAs, resultCase
	s.journal(c, rec)
	logger(c).Info("inbound email taken", "case_id", rec.CaseID, "as", takenAs, "result_case", resultCase)
	out := gin.H{"accepted": true, "case_id": cmp.Or(resultCase, rec.CaseID), "taken_as": takenAs}
	if resultCase != "" {
		out["follow_up_of"] = rec.CaseID
	}
	c.JSON(http.StatusOK, out)
}

// notTaken journals and answers mail to a known case that changed nothing.
func (s *Server) notTaken(c *gin.Context, rec casedesk.InboundRecord, reason string) {
	rec.TakenAs, rec.Reason = casedesk.InboundNotTaken, reason
	s.journal(c, rec)
	s.inboundRefused(c, reason)
}

// journal keeps rec; the answer stands if it cannot, since the case has
// already taken the mail and a retry would find it there.
func (s *Server) journal(c *gin.Context, rec casedesk.InboundRecord) {
	if s.InboundLog == nil {
		return
	}
	if err := s.InboundLog.RecordInbound(c.Request.Context(), rec); err != nil {
		logger(c).Error("journaling inbound email failed", "case_id", rec.CaseID, "error", err)
	}
}

// messageKey identifies a message by its Message-ID, hashed so that the key
// is short and carries nothing the sender wrote; "" without one.
func messageKey(m inbound.Message) string {
	mid := m.Header.Get("Message-Id")
	if mid == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(mid))
	return hex.EncodeToString(sum[:16])
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
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
