package casedesk

import (
	"slices"
	"strings"
	"time"
)

// OpenRequest is what an agent gives to open a case.
type OpenRequest struct {
	Type        Type     `json:"type"`
	CustomerID  string   `json:"customer_id"`
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Channel     Channel  `json:"channel"`
	Priority    Priority `json:"priority"`
	Category    string   `json:"category"`
}

// Normalize trims text, masks card numbers and fills defaults (priority normal).
func (r OpenRequest) Normalize() OpenRequest {
	r.Type = Type(CleanText(string(r.Type)))
	r.CustomerID = CleanText(r.CustomerID)
	r.Subject = MaskCardNumbers(CleanText(r.Subject))
	r.Description = MaskCardNumbers(CleanText(r.Description))
	r.Channel = Channel(CleanText(string(r.Channel)))
	r.Priority = Priority(CleanText(string(r.Priority)))
	r.Category = MaskCardNumbers(CleanText(r.Category))
	if r.Priority == "" {
		r.Priority = PriorityNormal
	}
	return r
}

// Validate checks a normalized request and names every bad field.
func (r OpenRequest) Validate() error {
	var v Validation
	switch {
	case r.Type == "":
		v.Add("type", "is required")
	case !slices.Contains(Types, r.Type):
		v.Add("type", "must be one of %s", joinStrings(Types))
	case !slices.Contains(OpenableTypes, r.Type):
		v.Add("type", "%s cases cannot be opened yet; open one of %s", r.Type, joinStrings(OpenableTypes))
	}
	if r.CustomerID == "" {
		v.Add("customer_id", "is required")
	}
	if r.Subject == "" {
		v.Add("subject", "is required")
	} else if n := len([]rune(r.Subject)); n > MaxSubjectLen {
		v.Add("subject", "is %d characters long; the limit is %d", n, MaxSubjectLen)
	}
	if n := len([]rune(r.Description)); n > MaxBodyLen {
		v.Add("description", "is %d characters long; the limit is %d", n, MaxBodyLen)
	}
	if r.Channel == "" {
		v.Add("channel", "is required")
	} else if !slices.Contains(Channels, r.Channel) {
		v.Add("channel", "must be one of %s", joinStrings(Channels))
	}
	if !slices.Contains(Priorities, r.Priority) {
		v.Add("priority", "must be one of %s", joinStrings(Priorities))
	}
	if n := len([]rune(r.Category)); n > 100 {
		v.Add("category", "is %d characters long; the limit is 100", n)
	}
	return v.Err()
}

// Open makes the first state of case id from req, opened by actor at now,
// with its case_opened event.
func Open(id string, req OpenRequest, by Actor, now time.Time) (Case, []Event, error) {
	req = req.Normalize()
	if err := req.Validate(); err != nil {
		return Case{}, nil, err
	}
	if !by.Role.IsStaff() {
		return Case{}, nil, Errorf(EFORBIDDEN, "only staff may open cases")
	}
	now = now.UTC().Truncate(time.Microsecond)
	c := Case{
		ID:          id,
		Type:        req.Type,
		Status:      StatusNew,
		Priority:    req.Priority,
		Channel:     req.Channel,
		CustomerID:  req.CustomerID,
		Subject:     MaskCardNumbers(req.Subject),
		Description: MaskCardNumbers(req.Description),
		Category:    req.Category,
		OpenedBy:    by.ID,
		OpenedAt:    now,
		UpdatedAt:   now,
		Version:     1,
		LastSeq:     1,
	}
	ev := Event{Seq: 1, Type: EventOpened, Actor: by.ID, At: now, Data: map[string]any{
		"type": string(c.Type), "priority": string(c.Priority), "channel": string(c.Channel),
		"customer_id": c.CustomerID, "subject": c.Subject,
	}}
	return c, []Event{ev}, nil
}

func joinStrings[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
