package casedesk

import (
	"slices"
	"strings"
	"time"
)

// Ways an agent verifies that the caller is the customer. No secret
// answer is ever recorded: only the method and the agent's note.
const (
	IdentityKBA           = "kba"           // knowledge-based questions about the account
	IdentityOneTimeCode   = "one_time_code" // a code sent to the customer's contact on file
	IdentityCallback      = "callback"      // called back on the number on file
	IdentityEmailReply    = "email_reply"   // wrote from the customer's own address
	MaxIdentityNoteLen    = MaxReasonLen
	EventIdentityVerified = "identity_verified"
)

// IdentityMethods lists the methods an agent may record.
var IdentityMethods = []string{IdentityKBA, IdentityOneTimeCode, IdentityCallback, IdentityEmailReply}

// IdentityCheck is how the caller of a case was verified.
type IdentityCheck struct {
	Method string    `json:"method"`
	Note   string    `json:"note"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// VerifyIdentity records that the agent verified the caller.
type VerifyIdentity struct {
	Expect
	Method string `json:"method"`
	Note   string `json:"note"`
}

// Name implements Command.
func (VerifyIdentity) Name() string { return "verify-identity" }

func (d *decision) verifyIdentity(cmd VerifyIdentity) error {
	var v Validation
	method := strings.TrimSpace(cmd.Method)
	switch {
	case method == "":
		v.Add("method", "is required")
	case !slices.Contains(IdentityMethods, method):
		v.Add("method", "must be one of %s", strings.Join(IdentityMethods, ", "))
	}
	note := CleanText(cmd.Note)
	if n := len([]rune(note)); n > MaxIdentityNoteLen {
		v.Add("note", "is %d characters long; the limit is %d", n, MaxIdentityNoteLen)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	d.c.IdentityVerified = true
	d.c.Identity = &IdentityCheck{Method: method, Note: note, By: d.by.ID, At: d.now}
	d.emit(EventIdentityVerified, map[string]any{"method": method, "note": note})
	return nil
}
