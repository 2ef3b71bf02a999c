package casedesk

import (
	"mime"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// Inbound email: what came back to a case's signed reply address, whether
// it is the customer's, and what the case records of it. A person's reply
// from the customer's own address is a CustomerReply; mail a machine sent
// (auto-replies, bounces) is recorded and changes nothing; a reply from any
// other address waits as an unverified reply for an agent to accept or
// discard; a reply to a closed case opens a follow-up case.

// Kinds of inbound mail.
const (
	InboundReply     = "reply"
	InboundAutoReply = "auto_reply"
	InboundBounce    = "bounce"
)

// MailActor is the actor of inbound mail that is not the customer's own
// reply: auto-replies, bounces and replies from other addresses.
var MailActor = Actor{ID: "email", Role: RoleCustomer}

// MaxPendingUnverified bounds the unverified replies a case holds at once,
// so that mail from strangers cannot grow a case without end.
const MaxPendingUnverified = 20

// maxAddressLen is the longest email address RFC 5321 allows.
const maxAddressLen = 254

// InboundMail is what ClassifyInbound reads: the sender, the subject and
// the headers of a message (canonical keys, as net/textproto makes them).
type InboundMail struct {
	From    string
	Subject string
	Header  map[string][]string
}

// Subjects that give away mail a machine sent, for mail without the
// headers that say so (lower case, matched at the start of the subject).
var (
	autoReplySubjects = []string{"out of office", "out of the office", "automatic reply", "auto reply",
		"auto-reply", "autoreply", "auto response", "autoresponse", "away from the office",
		"abwesenheitsnotiz", "réponse automatique", "respuesta automática"}
	bounceSubjects = []string{"undeliverable:", "undelivered mail returned to sender",
		"delivery status notification (failure)", "mail delivery failed", "returned mail:",
		"failure notice", "delivery failure"}
)

// ClassifyInbound tells a person's reply from mail a machine sent, and says
// what gave it away. Bounces: a mailer-daemon or postmaster sender, or a
// multipart/report delivery status (RFC 3464). Auto-replies: Auto-Submitted
// other than "no" (RFC 3834), Precedence bulk, junk, list or auto_reply,
// X-Autoreply or X-Autorespond, and, only when no header says so, a subject
// such as "Out of Office" or "Automatic reply". Bounces are checked first:
// many carry Auto-Submitted too.
func ClassifyInbound(m InboundMail) (kind, why string) {
	h := textproto.MIMEHeader(m.Header)
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(m.From)), "@")
	if local == "mailer-daemon" || local == "postmaster" {
		return InboundBounce, "sender " + local
	}
	if mt, params, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil && mt == "multipart/report" &&
		strings.EqualFold(params["report-type"], "delivery-status") {
		return InboundBounce, "multipart/report delivery-status"
	}
	if v := headerToken(h.Get("Auto-Submitted")); v != "" && v != "no" {
		return InboundAutoReply, "Auto-Submitted: " + v
	}
	if v := headerToken(h.Get("Precedence")); slices.Contains([]string{"bulk", "junk", "list", "auto_reply"}, v) {
		return InboundAutoReply, "Precedence: " + v
	}
	for _, name := range []string{"X-Autoreply", "X-Autorespond"} {
		if len(h.Values(name)) > 0 {
			return InboundAutoReply, name
		}
	}
	subject := strings.ToLower(strings.TrimSpace(m.Subject))
	for _, p := range bounceSubjects {
		if strings.HasPrefix(subject, p) {
			return InboundBounce, "subject " + p
		}
	}
	for _, p := range autoReplySubjects {
		if strings.HasPrefix(subject, p) {
			return InboundAutoReply, "subject " + p
		}
	}
	return InboundReply, ""
}

// headerToken is the first token of a structured header value, lower case
// ("auto-replied; owner-email=..." is "auto-replied").
func headerToken(v string) string {
	v, _, _ = strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(v))
}

// SameAddress reports whether two bare email addresses are the same
// mailbox, ignoring ASCII letter case. Non-ASCII letters must match
// exactly: Unicode case folding maps a few of them onto ASCII ones.
func SameAddress(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" || len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// FollowUp returns the request that opens a follow-up of closed case prev
// when its customer writes back: an email inquiry of the same customer,
// subject and priority, described by the reply (cut to MaxBodyLen). The old
// category is kept when categories (nil: any) still has it.
func FollowUp(prev Case, body string, categories []string) OpenRequest {
	req := OpenRequest{Type: TypeInquiry, CustomerID: prev.CustomerID, Subject: prev.Subject,
		Description: clip(CleanText(body), MaxBodyLen), Channel: ChannelEmail, Priority: prev.Priority,
		FollowUpOf: prev.ID}
	if prev.Category != "" && CheckCategory(categories, prev.Category) == nil {
		req.Category = prev.Category
	}
	return req
}

// CheckFollowUp refuses a follow_up_of naming no case (prev nil) or a case
// of another customer.
func (r OpenRequest) CheckFollowUp(prev *Case) error {
	if r.FollowUpOf == "" {
		return nil
	}
	if prev == nil {
		return Invalid("follow_up_of", "no case %s", r.FollowUpOf)
	}
	if prev.CustomerID != r.CustomerID {
		return Invalid("follow_up_of", "case %s is another customer's", r.FollowUpOf)
	}
	return nil
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// UnverifiedReply is a reply to the case from an address that is not the
// customer's, kept on the case until an agent accepts or discards it. Seq
// is the seq of its unverified_reply event, which names it in the API.
type UnverifiedReply struct {
	Seq        int64     `json:"seq"`
	From       string    `json:"from"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	ReceivedAt time.Time `json:"received_at"`
}

// The commands of inbound mail.
type (
	// RecordAutoMail records an auto-reply or a bounce (Kind) that reached
	// the case; Why says what gave it away. It changes nothing else.
	RecordAutoMail struct {
		Kind    string `json:"kind"`
		From    string `json:"from"`
		Subject string `json:"subject"`
		Why     string `json:"why"`
	}
	// AttachUnverifiedReply keeps a reply from another address than the
	// customer's for an agent to decide on.
	AttachUnverifiedReply struct {
		From    string `json:"from"`
		Subject string `json:"subject"`
		Body    string `json:"body"`
	}
	// AcceptUnverifiedReply takes the unverified reply of event Seq as the
	// customer's reply, exactly as if the customer had sent it.
	AcceptUnverifiedReply struct {
		Seq int64 `json:"seq"`
	}
	// DiscardUnverifiedReply drops the unverified reply of event Seq.
	DiscardUnverifiedReply struct {
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}
)

func (RecordAutoMail) Name() string         { return "auto-mail" }
func (AttachUnverifiedReply) Name() string  { return "unverified-reply" }
func (AcceptUnverifiedReply) Name() string  { return "accept-unverified-reply" }
func (DiscardUnverifiedReply) Name() string { return "discard-unverified-reply" }

// fromOutside reports whether cmd is one that the customer's doors (the
// customer page, the inbound webhook) send as RoleCustomer.
func fromOutside(cmd Command) bool {
	switch cmd.(type) {
	case CustomerReply, RecordAutoMail, AttachUnverifiedReply:
		return true
	}
	return false
}

func (d *decision) autoMail(cmd RecordAutoMail) error {
	typ := map[string]string{InboundAutoReply: EventAutoReplyReceived, InboundBounce: EventBounceReceived}[cmd.Kind]
	if typ == "" {
		return Invalid("kind", "must be %s or %s", InboundAutoReply, InboundBounce)
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	// Clipped, not refused: a machine's long subject is no reason to lose the record.
	d.emit(typ, map[string]any{"from": clip(CleanText(cmd.From), maxAddressLen),
		"subject": clip(CleanText(cmd.Subject), MaxSubjectLen), "why": clip(CleanText(cmd.Why), MaxSubjectLen)})
	return nil
}

func (d *decision) attachUnverified(cmd AttachUnverifiedReply) error {
	var v Validation
	from := CleanText(cmd.From)
	if from == "" {
		v.Add("from", "is required")
	} else if len(from) > maxAddressLen {
		v.Add("from", "is %d characters long; the limit is %d", len(from), maxAddressLen)
	}
	body, err := checkBody("body", cmd.Body, MaxBodyLen)
	mergeInto(&v, err)
	if err := v.Err(); err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	if len(d.c.UnverifiedReplies) >= MaxPendingUnverified {
		return Errorf(ECONFLICT, "case %s holds %d unverified replies; accept or discard them first", d.c.ID, len(d.c.UnverifiedReplies))
	}
	subject := clip(CleanText(cmd.Subject), MaxSubjectLen)
	d.emit(EventUnverifiedReply, map[string]any{"from": from, "subject": subject, "body": body})
	d.c.UnverifiedReplies = append(slices.Clone(d.c.UnverifiedReplies),
		UnverifiedReply{Seq: d.c.LastSeq, From: from, Subject: subject, Body: body, ReceivedAt: d.now})
	return nil
}

// takeUnverified removes the pending unverified reply of event seq from the
// case and returns it.
func (d *decision) takeUnverified(seq int64) (UnverifiedReply, error) {
	i := slices.IndexFunc(d.c.UnverifiedReplies, func(u UnverifiedReply) bool { return u.Seq == seq })
	if i < 0 {
		return UnverifiedReply{}, Errorf(ENOTFOUND, "case %s has no pending unverified reply %d", d.c.ID, seq)
	}
	u := d.c.UnverifiedReplies[i]
	d.c.UnverifiedReplies = slices.Delete(slices.Clone(d.c.UnverifiedReplies), i, i+1)
	if len(d.c.UnverifiedReplies) == 0 {
		d.c.UnverifiedReplies = nil
	}
	return u, nil
}

func (d *decision) acceptUnverified(cmd AcceptUnverifiedReply, r Rules) error {
	if err := d.require(cmd); err != nil {
		return err
	}
	u, err := d.takeUnverified(cmd.Seq)
	if err != nil {
		return err
	}
	d.emit(EventUnverifiedAccepted, map[string]any{"reply_seq": u.Seq, "from": u.From})
	// From here on it is the customer's reply, as it would have been.
	agent := d.by
	d.by = CustomerActor
	defer func() { d.by = agent }()
	return d.customerReplied(u.Body, r, &u, agent.ID)
}

func (d *decision) discardUnverified(cmd DiscardUnverifiedReply) error {
	reason := CleanText(cmd.Reason)
	if n := len([]rune(reason)); n > MaxReasonLen {
		return Invalid("reason", "is %d characters long; the limit is %d", n, MaxReasonLen)
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	u, err := d.takeUnverified(cmd.Seq)
	if err != nil {
		return err
	}
	d.emit(EventUnverifiedDiscarded, map[string]any{"reply_seq": u.Seq, "from": u.From, "reason": reason})
	return nil
}

// InboundNotTaken is the TakenAs of mail that changed nothing.
const InboundNotTaken = "not_taken"

// InboundRecord is what casedesk keeps of each mail that reached a case's
// reply address: what it was taken as (InboundReply, InboundAutoReply,
// InboundBounce, "unverified_reply", "follow_up" with ResultCase the new
// case) or InboundNotTaken with the Reason. MessageKey identifies the
// message (a hash of its Message-ID; "" without one).
type InboundRecord struct {
	CaseID, MessageKey, From, Subject string
	TakenAs, ResultCase, Reason       string
}
