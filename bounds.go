package casedesk

import (
	"time"
	"unicode/utf8"
)

// Bounds of one case. The workflow carries the whole case in every update
// result, projection and continue-as-new input, and Temporal refuses a
// payload over 2 MB (and a history over 51,200 events or 50 MB), so what a
// case may hold is bounded here, in the rules: a command beyond a bound is
// refused (422 naming the field) by the update's validator, before it
// reaches history, and the case keeps taking every other action.
const (
	// MaxIDLen bounds IDs sent in commands (assignee, payment, invoice,
	// approval).
	MaxIDLen = 64
	// MaxEvidenceItems is how many evidence items a chargeback takes.
	MaxEvidenceItems = 50
	// MaxEvidenceBytes bounds the encoded size of a chargeback's evidence
	// texts together (see EncodedLen: "<" counts 6, as JSON sends it).
	MaxEvidenceBytes = 256 << 10
	// MaxPendingApprovals is how many approvals may wait at once.
	MaxPendingApprovals = 20
	// MaxNotesPerMinute is how many internal notes a case takes in a minute.
	MaxNotesPerMinute = 10
	// MaxCaseBytes bounds the encoded size of the whole case (Case.Size).
	// With it an update result stays under a quarter of Temporal's payload
	// limit, and a projection (the case and at most 512 KiB of events)
	// under half of it.
	MaxCaseBytes = 512 << 10
)

// checkLengths refuses IDs and free text of cmd beyond their limits where
// the command's own checks do not already.
func checkLengths(cmd Command) error {
	var v Validation
	id := func(field, s string) {
		if n := utf8.RuneCountInString(s); n > MaxIDLen {
			v.Add(field, "is %d characters long; the limit is %d", n, MaxIDLen)
		}
	}
	switch cmd := cmd.(type) {
	case Assign:
		id("assignee_id", cmd.AssigneeID)
	case DecideApproval:
		id("approval_id", cmd.ApprovalID)
		id("assignee_id", cmd.AssigneeID)
		if n := utf8.RuneCountInString(cmd.Comment); n > MaxReasonLen {
			v.Add("comment", "is %d characters long; the limit is %d", n, MaxReasonLen)
		}
	case ProposeRefund:
		id("payment_id", cmd.PaymentID)
	case ProposeCredit:
		id("invoice_id", cmd.InvoiceID)
	}
	return v.Err()
}

// checkBounds refuses a change by a person that takes case next (from
// prev) beyond a bound of the case. Changes that do not grow what is
// bounded pass, so a case at a bound still takes every other action; the
// system's own changes (timers, posted money) always pass.
func checkBounds(prev, next Case, cmd Command, by Actor, now time.Time) error {
	if by.Role == RoleSystem {
		return nil
	}
	if cb, was := next.Chargeback, prev.Chargeback; cb != nil && was != nil && len(cb.Evidence) > len(was.Evidence) {
		if len(cb.Evidence) > MaxEvidenceItems {
			return Invalid("text", "the chargeback already has %d evidence items; the limit is %d", len(was.Evidence), MaxEvidenceItems)
		}
		if n := evidenceSize(cb.Evidence); n > MaxEvidenceBytes {
			return Invalid("text", "the chargeback's evidence would take %d bytes; the limit is %d (characters such as < & > count 6)",
				n, MaxEvidenceBytes)
		}
	}
	if n := pendingApprovals(next); n > MaxPendingApprovals && n > pendingApprovals(prev) {
		return Invalid(boundField(cmd), "%d approvals are already waiting for a supervisor; the limit is %d", n-1, MaxPendingApprovals)
	}
	if _, ok := cmd.(AddNote); ok {
		recent := 0
		for _, at := range prev.RecentNotes {
			if now.Sub(at) < time.Minute {
				recent++
			}
		}
		if recent >= MaxNotesPerMinute {
			return Invalid("body", "the case took %d notes in the last minute; the limit is %d a minute", recent, MaxNotesPerMinute)
		}
	}
	if n := next.Size(); n > MaxCaseBytes && n > prev.Size() {
		return Invalid(boundField(cmd), "the case would take %d bytes; the limit is %d: open a new case for the rest", n, MaxCaseBytes)
	}
	return nil
}

// noteAdded keeps the times of the case's latest notes, for the per-minute
// bound.
func noteAdded(c *Case, now time.Time) {
	notes := append([]time.Time{}, c.RecentNotes...)
	notes = append(notes, now)
	if len(notes) > MaxNotesPerMinute {
		notes = notes[len(notes)-MaxNotesPerMinute:]
	}
	c.RecentNotes = notes
}

// boundField names the field a command beyond a bound of the case is
// refused on: its free text.
func boundField(cmd Command) string {
	switch cmd.(type) {
	case AddEvidence:
		return "text"
	case Respond:
		return "summary"
	case Resolve:
		return "summary"
	case AddNote, Reply, RequestInfo, CustomerReply:
		return "body"
	case DecideApproval:
		return "comment"
	case VerifyIdentity:
		return "note"
	}
	return "reason"
}

func pendingApprovals(c Case) int {
	n := 0
	for _, a := range c.Approvals {
		if a.Status == ApprovalPending {
			n++
		}
	}
	return n
}

func evidenceSize(items []Evidence) int {
	n := 0
	for _, e := range items {
		n += EncodedLen(e.Text)
	}
	return n
}

// Size estimates, from above, the bytes of c as JSON: a fixed allowance
// for the fields of fixed size and each list item, plus the encoded length
// of every text. It is exact enough for MaxCaseBytes and needs no encoder,
// so workflow code may call it.
func (c Case) Size() int {
	n := 4096 + EncodedLen(c.Subject) + EncodedLen(c.Description) + EncodedLen(c.ResolutionSummary) +
		EncodedLen(c.Category) + EncodedLen(c.CustomerID) + EncodedLen(c.AssigneeID) + EncodedLen(c.OpenedBy)
	n += 40 * MaxNotesPerMinute // RecentNotes, counted full so a note never grows the case
	if c.Identity != nil {
		n += 200 + EncodedLen(c.Identity.Note) + EncodedLen(c.Identity.By)
	}
	if cb := c.Chargeback; cb != nil {
		n += 600
		for _, e := range cb.Evidence {
			n += 120 + EncodedLen(e.Kind) + EncodedLen(e.Text) + EncodedLen(e.AddedBy)
		}
	}
	if c.Dispute != nil {
		n += 400
	}
	for _, a := range c.Approvals {
		n += 1200 + EncodedLen(a.Reason) + EncodedLen(a.RequestedBy) + EncodedLen(a.MovementID)
		for _, d := range a.Decisions {
			n += 120 + EncodedLen(d.By) + EncodedLen(d.Comment)
		}
	}
	for _, m := range c.Movements {
		n += 500 + EncodedLen(m.Reason) + EncodedLen(m.Failure) + EncodedLen(m.PaymentID) + EncodedLen(m.InvoiceID) +
			EncodedLen(m.RequestedBy) + EncodedLen(m.EntryID)
	}
	return n
}

// EncodedLen is the length of s as a JSON string, quotes included, as
// encoding/json writes it: < > & U+2028 U+2029, control characters and
// invalid UTF-8 take 6 bytes, " and \ take 2.
func EncodedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// eventTextKeys are the keys of free text in events' data.
var eventTextKeys = []string{"body", "text", "summary", "reason", "comment", "note", "subject", "description", "from", "previous_assignee_id", "assignee_id"}

// Size estimates the bytes of e as JSON: an allowance for its fixed fields
// and the encoded length of its free text (looked up by key, so that
// workflow code may call it without ranging over the map).
func (e Event) Size() int {
	n := 512 + EncodedLen(e.Type) + EncodedLen(e.Actor)
	for _, k := range eventTextKeys {
		if s, ok := e.Data[k].(string); ok {
			n += EncodedLen(s)
		}
	}
	return n
}
