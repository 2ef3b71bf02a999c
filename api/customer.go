package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// The customer's page of a case, reached by the signed link in every email:
// the case's status and public timeline, a reply form, and once resolved a
// CSAT form. The token in the path is the capability; forms repeat it in a
// hidden field, so a page elsewhere cannot post for the customer blindly.

// FeedbackStore keeps what customers and SendGrid tell us: ratings and
// delivery events.
type FeedbackStore interface {
	SaveCSAT(ctx context.Context, caseID string, rating int, comment string) error
	CSAT(ctx context.Context, caseID string) (int, string, time.Time, error)
	RecordDeliveryEvent(ctx context.Context, e casedesk.DeliveryEvent) (bool, error)
}

// publicEvents are the timeline events a customer sees, in their words.
var publicEvents = map[string]string{
	casedesk.EventOpened:          "You contacted us",
	casedesk.EventReplied:         "Our team replied",
	casedesk.EventInfoRequested:   "We asked for information",
	casedesk.EventCustomerReplied: "You replied",
	casedesk.EventReminder:        "We reminded you we are waiting for your answer",
	casedesk.EventResolved:        "We resolved your case",
	casedesk.EventReopened:        "Your case was reopened",
	casedesk.EventClosed:          "Your case was closed",
	casedesk.EventRefundIssued:    "We refunded you",
	casedesk.EventCreditApplied:   "We credited your invoice",
}

var statusWords = map[casedesk.Status]string{
	casedesk.StatusNew: "Received", casedesk.StatusOpen: "In progress", casedesk.StatusWaitingOnCustomer: "Waiting for your answer",
	casedesk.StatusPendingApproval: "In progress", casedesk.StatusEscalated: "In progress",
	casedesk.StatusResolved: "Resolved", casedesk.StatusClosed: "Closed",
}

type pageEvent struct {
	At    time.Time
	Title string
	Body  string
}

type pageData struct {
	Token, CaseID, Subject, Status string
	Events                         []pageEvent
	Earlier                        string
	CanReply, CanRate, Rated       bool
	Rating                         int
	Notice, Problem                string
}

var customerPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .CaseID}}Case {{.CaseID}}{{else}}Link not valid{{end}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1d2430;line-height:1.5}
h1{font-size:1.4rem}.status{display:inline-block;background:#e8f0fe;color:#1a4fb0;border-radius:1rem;padding:.1rem .8rem}
ol{list-style:none;padding:0}li{border-left:3px solid #c9d6ea;padding:.3rem 0 .6rem 1rem;margin-bottom:.4rem}
time{color:#5b6578;font-size:.85rem}.body{white-space:pre-wrap}textarea{width:100%;min-height:6rem}
.notice{background:#e7f6ec;padding:.6rem 1rem}.problem{background:#fdecea;padding:.6rem 1rem}
button{background:#1a4fb0;color:#fff;border:0;border-radius:.3rem;padding:.5rem 1.2rem}fieldset{border:0;padding:0}
</style></head><body>
{{if not .CaseID}}<h1>This link is not valid</h1><p>It may have expired. Reply to any of our emails and we will send you a new one.</p>
{{else}}
<h1>Case {{.CaseID}}: {{.Subject}}</h1>
<p><span class="status">{{.Status}}</span></p>
{{if .Notice}}<p class="notice">{{.Notice}}</p>{{end}}{{if .Problem}}<p class="problem">{{.Problem}}</p>{{end}}
{{if .Earlier}}<p><a href="{{.Earlier}}">Earlier</a></p>{{end}}
<ol>{{range .Events}}<li><time>{{.At.Format "2 Jan 2006 15:04 MST"}}</time><div><strong>{{.Title}}</strong></div>{{if .Body}}<div class="body">{{.Body}}</div>{{end}}</li>{{end}}</ol>
{{if .CanReply}}<h2>Reply</h2>
<form method="post" action="/c/{{.Token}}/reply"><input type="hidden" name="token" value="{{.Token}}">
<textarea name="body" required maxlength="20000" aria-label="Your reply"></textarea><p><button>Send</button></p></form>{{end}}
{{if .CanRate}}<h2 id="csat">How did we do?</h2>
<form method="post" action="/c/{{.Token}}/csat"><input type="hidden" name="token" value="{{.Token}}"><fieldset>
{{range $i := .RatingChoices}}<label><input type="radio" name="rating" value="{{$i}}" required> {{$i}}</label> {{end}}</fieldset>
<p><textarea name="comment" maxlength="2000" aria-label="Anything to add?" placeholder="Anything to add?"></textarea></p><p><button>Rate</button></p></form>{{end}}
{{if .Rated}}<p id="csat">You rated this case {{.Rating}} out of 5. Thank you.</p>{{end}}
{{end}}</body></html>`))

// RatingChoices lists the CSAT scale.
func (pageData) RatingChoices() []int { return casedesk.RatingChoices() }

func renderPage(c *gin.Context, status int, d pageData) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := customerPage.Execute(c.Writer, d); err != nil {
		logger(c).Error("rendering the customer page failed", "error", err)
	}
	c.Abort()
}

// customerCase resolves the token of the path to its case, or renders the
// not-valid page (404) and returns false. A token issued to another
// customer than the case's is not valid (casedesk.LinkBelongs).
func (s *Server) customerCase(c *gin.Context) (casedesk.Case, bool) {
	ctx := c.Request.Context()
	tok, err := s.Links.VerifyToken(c.Param("token"))
	if err == nil {
		cs, err := s.CaseReads.Case(ctx, tok.CaseID)
		if err == nil {
			ok, err := casedesk.LinkBelongs(cs, tok.CustomerID, func(id string) (string, error) {
				cu, err := s.Customers.Customer(ctx, id)
				if casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
					return "", nil
				}
				return cu.MergedInto, err
			})
			if err != nil {
				writeError(c, err)
				return casedesk.Case{}, false
			}
			if ok {
				return cs, true
			}
		}
	}
	renderPage(c, http.StatusNotFound, pageData{})
	return casedesk.Case{}, false
}

func (s *Server) showCustomerPage(c *gin.Context, cs casedesk.Case, status int, notice, problem string) {
	ctx := c.Request.Context()
	// The latest page of what the customer sees, with a link to earlier ones
	// (an unreadable "before" shows the latest).
	before, _ := casedesk.ParseEarlier(c.Query("before"))
	events, earlier, err := s.CaseReads.CaseEventPage(ctx, cs.ID,
		casedesk.EventPage{Limit: customerPageEvents, Latest: true, Before: before, Types: publicEventTypes()})
	if err != nil {
		writeError(c, err)
		return
	}
	d := pageData{Token: c.Param("token"), CaseID: cs.ID, Subject: cs.Subject, Status: statusWords[cs.Status],
		Notice: notice, Problem: problem, CanReply: cs.Status != casedesk.StatusClosed}
	if earlier && len(events) > 0 {
		d.Earlier = "/c/" + d.Token + "?before=" + strconv.FormatInt(events[0].Seq, 10)
	}
	for _, e := range events {
		title, ok := publicEvents[e.Type]
		if !ok {
			continue
		}
		body, _ := e.Data["body"].(string)
		if e.Type == casedesk.EventResolved {
			body, _ = e.Data["summary"].(string)
		}
		if e.Type == casedesk.EventRefundIssued || e.Type == casedesk.EventCreditApplied {
			body = e.Data["amount"].(string) + " " + e.Data["currency"].(string)
		}
		d.Events = append(d.Events, pageEvent{At: e.At, Title: title, Body: body})
	}
	if casedesk.CanRate(cs) {
		rating, _, _, err := s.Feedback.CSAT(ctx, cs.ID)
		switch casedesk.ErrorCode(err) {
		case "":
			d.Rated, d.Rating = true, rating
		case casedesk.ENOTFOUND:
			d.CanRate = true
		default:
			writeError(c, err)
			return
		}
	}
	renderPage(c, status, d)
}

func (s *Server) customerPage(c *gin.Context) {
	if cs, ok := s.customerCase(c); ok {
		notice := ""
		switch c.Query("done") {
		case "reply":
			notice = "Thank you, we received your reply."
		case "csat":
			notice = "Thank you for rating our service."
		}
		s.showCustomerPage(c, cs, http.StatusOK, notice, "")
	}
}

// sameToken checks the form's hidden token against the path's.
func sameToken(c *gin.Context) bool {
	return subtle.ConstantTimeCompare([]byte(c.PostForm("token")), []byte(c.Param("token"))) == 1
}

// customerForm resolves the case of a form post from the customer page, or
// renders why not (problem, when the form is not the page's own) and
// returns false.
func (s *Server) customerForm(c *gin.Context, problem string) (casedesk.Case, bool) {
	for _, ch := range []limitCheck{{s.limits.link, c.Param("token")}, {s.limits.linkAddr, c.ClientIP()}} {
		if ok, wait := ch.l.allow(ch.key, s.Now()); !ok {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			renderPage(c, http.StatusTooManyRequests, pageData{CaseID: "-", Problem: "You have sent a lot in a short time. Please wait a minute and try again."})
			return casedesk.Case{}, false
		}
	}
	cs, ok := s.customerCase(c)
	if ok && !sameToken(c) {
		s.showCustomerPage(c, cs, http.StatusForbidden, "", problem)
		return cs, false
	}
	return cs, ok
}

func (s *Server) customerReply(c *gin.Context) {
	cs, ok := s.customerForm(c, "Please send your reply from the form on this page.")
	if !ok {
		return
	}
	body := strings.TrimSpace(c.PostForm("body"))
	if body == "" {
		s.showCustomerPage(c, cs, http.StatusUnprocessableEntity, "", "Please write a reply before sending.")
		return
	}
	_, err := s.Cases.Act(c.Request.Context(), cs.ID, casedesk.CustomerReply{Body: body}, casedesk.CustomerActor, "")
	if err != nil {
		if casedesk.IsFinal(casedesk.ErrorCode(err)) {
			s.showCustomerPage(c, cs, http.StatusConflict, "", "This case no longer takes replies. Please contact us again by email.")
			return
		}
		logger(c).Error("customer reply failed", "case_id", cs.ID, "error", err)
		s.showCustomerPage(c, cs, http.StatusServiceUnavailable, "", "We could not take your reply just now. Please try again in a minute.")
		return
	}
	c.Redirect(http.StatusSeeOther, "/c/"+c.Param("token")+"?done=reply")
}

func (s *Server) customerCSAT(c *gin.Context) {
	cs, ok := s.customerForm(c, "Please rate us from the form on this page.")
	if !ok {
		return
	}
	// A rating that is not a number is out of the scale.
	rating, _ := strconv.Atoi(strings.TrimSpace(c.PostForm("rating")))
	csat, err := casedesk.Rate(cs, rating, c.PostForm("comment"), s.Now())
	if err != nil {
		status, problem := http.StatusUnprocessableEntity, "Please choose a rating from 1 to 5."
		switch {
		case casedesk.ErrorCode(err) == casedesk.ECONFLICT:
			status, problem = http.StatusConflict, "You can rate us once your case is resolved."
		case hasField(err, "comment"):
			problem = "Please keep your comment under " + strconv.Itoa(casedesk.MaxCSATCommentLen) + " characters."
		}
		s.showCustomerPage(c, cs, status, "", problem)
		return
	}
	err = s.Feedback.SaveCSAT(c.Request.Context(), csat.CaseID, csat.Rating, csat.Comment)
	var e *casedesk.Error
	if errors.As(err, &e) && e.Code == casedesk.ECONFLICT {
		s.showCustomerPage(c, cs, http.StatusConflict, "We already have your rating for this case. Thank you!", "")
		return
	} else if err != nil {
		writeError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/c/"+c.Param("token")+"?done=csat")
}

// hasField reports whether err names field among its field errors.
func hasField(err error, field string) bool {
	var e *casedesk.Error
	return errors.As(err, &e) && slices.ContainsFunc(e.Fields, func(f casedesk.FieldError) bool { return f.Field == field })
}
