package casedesk

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// A macro is a saved reply with optional actions: what an agent sends every
// day in one step. Applying one sends the same commands an agent would by
// hand, so the same rules, timeline and email follow.

// Limits on macros.
const MaxMacroNameLen = 100

// Macro is a saved reply, shared with the team or personal to its owner.
type Macro struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Body      string       `json:"body"`
	Actions   MacroActions `json:"actions"`
	Shared    bool         `json:"shared"`
	OwnerID   string       `json:"owner_id"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Uses counts how often the macro was applied.
	Uses int64 `json:"uses"`
}

// MacroActions are what applying a macro does besides replying.
type MacroActions struct {
	// Category and Priority, when set, are set first.
	Category string   `json:"category,omitempty"`
	Priority Priority `json:"priority,omitempty"`
	// RequestInfo sends the body as a request for information (the case
	// waits on the customer) instead of a reply.
	RequestInfo bool `json:"request_info,omitempty"`
	// Resolve, when set, resolves the case with this outcome after the reply.
	Resolve string `json:"resolve,omitempty"`
}

// MacroPlaceholders are the placeholders a body may hold, sorted.
var MacroPlaceholders = []string{
	"agent.name", "case.id", "case.subject", "chargeback.amount", "chargeback.due_by", "customer.email", "customer.name",
}

var placeholderPattern = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// MacroRequest is what staff give to save a macro; PATCH leaves out what
// stays.
type MacroRequest struct {
	Name    *string       `json:"name,omitempty"`
	Body    *string       `json:"body,omitempty"`
	Actions *MacroActions `json:"actions,omitempty"`
	Shared  *bool         `json:"shared,omitempty"`
}

// Apply returns m with the request's fields.
func (r MacroRequest) Apply(m Macro) Macro {
	if r.Name != nil {
		m.Name = *r.Name
	}
	if r.Body != nil {
		m.Body = *r.Body
	}
	if r.Actions != nil {
		m.Actions = *r.Actions
	}
	if r.Shared != nil {
		m.Shared = *r.Shared
	}
	return m
}

// CheckMacro cleans and checks a macro before it is saved: a name, a body
// whose every placeholder is known, and actions the case rules know.
// Whether an action suits a particular case is decided when it is applied.
func CheckMacro(m Macro) (Macro, error) {
	var v Validation
	m.Name = MaskCardNumbers(requiredText(&v, "name", m.Name, MaxMacroNameLen))
	m.Body = MaskCardNumbers(requiredText(&v, "body", m.Body, MaxBodyLen))
	for _, match := range placeholderPattern.FindAllStringSubmatch(m.Body, -1) {
		if !slices.Contains(MacroPlaceholders, match[1]) {
			v.Add("body", "has the unknown placeholder {{%s}}; known are %s", match[1], placeholderList())
		}
	}
	a := &m.Actions
	a.Category = CleanText(a.Category)
	if a.Priority != "" && !slices.Contains(Priorities, a.Priority) {
		v.Add("actions.priority", "must be one of %s", joinStrings(Priorities))
	}
	if a.Resolve != "" {
		known := false
		for _, t := range Types {
			known = known || slices.Contains(outcomes[t], a.Resolve)
		}
		if !known {
			v.Add("actions.resolve", "is not an outcome a case is resolved with")
		}
		if a.RequestInfo {
			v.Add("actions.resolve", "cannot follow a request for information, which waits on the customer")
		}
	}
	return m, v.Err()
}

func placeholderList() string {
	out := make([]string, len(MacroPlaceholders))
	for i, p := range MacroPlaceholders {
		out[i] = "{{" + p + "}}"
	}
	return strings.Join(out, ", ")
}

// MacroContext is what a macro is rendered with.
type MacroContext struct {
	Case     Case
	Customer Customer
	Agent    User
}

// Render fills the placeholders of body for ctx; amounts are written with
// their currency's decimal places and code. A placeholder with no value for
// the case (a chargeback's amount on an inquiry) renders empty.
func Render(body string, ctx MacroContext) string {
	return placeholderPattern.ReplaceAllStringFunc(body, func(s string) string {
		name := placeholderPattern.FindStringSubmatch(s)[1]
		cb := ctx.Case.Chargeback
		switch name {
		case "customer.name":
			return ctx.Customer.Name
		case "customer.email":
			return ctx.Customer.Email
		case "case.id":
			return ctx.Case.ID
		case "case.subject":
			return ctx.Case.Subject
		case "agent.name":
			return ctx.Agent.Name
		case "chargeback.amount":
			if cb != nil {
				return FormatAmount(cb.Amount.Amount, cb.Amount.Currency) + " " + cb.Amount.Currency
			}
		case "chargeback.due_by":
			if cb != nil {
				return cb.DueBy.UTC().Format("2 January 2006")
			}
		default:
			return s
		}
		return ""
	})
}

// Commands returns what applying m with the rendered body does, in order:
// category, priority, the reply or request for information, the resolution.
func (m Macro) Commands(rendered string) []Command {
	var cmds []Command
	if m.Actions.Category != "" {
		cmds = append(cmds, SetCategory{Category: m.Actions.Category})
	}
	if m.Actions.Priority != "" {
		cmds = append(cmds, SetPriority{Priority: m.Actions.Priority})
	}
	if m.Actions.RequestInfo {
		cmds = append(cmds, RequestInfo{Body: rendered})
	} else {
		cmds = append(cmds, Reply{Body: rendered})
	}
	if m.Actions.Resolve != "" {
		cmds = append(cmds, Resolve{Outcome: m.Actions.Resolve})
	}
	return cmds
}

// CanSeeMacro reports whether by may use m: shared macros are everyone's,
// personal ones their owner's.
func CanSeeMacro(m Macro, by Actor) bool { return m.Shared || m.OwnerID == by.ID }

// CheckMacroEdit refuses a change by by to a macro that was (before) or
// becomes (after) shared, unless by is a supervisor or admin; a personal
// macro is its owner's alone.
func CheckMacroEdit(before, after Macro, by Actor) error {
	if !CanSeeMacro(before, by) {
		return Errorf(ENOTFOUND, "macro %s not found", before.ID)
	}
	if (before.Shared || after.Shared) && !by.Role.CanApprove() {
		return Errorf(EFORBIDDEN, "only supervisors and admins manage shared macros")
	}
	if !before.Shared && before.OwnerID != by.ID {
		return Errorf(EFORBIDDEN, "a personal macro is its owner's")
	}
	return nil
}
