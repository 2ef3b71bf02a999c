package casedesk

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CaseFilter selects cases for a list; empty fields do not filter.
type CaseFilter struct {
	Status     Status
	Type       Type
	Priority   Priority
	AssigneeID string
	CustomerID string
	Query      string
	// NeedsSupervisor, when set, selects cases in (or out of) the
	// supervisors' escalation queue (Case.NeedsSupervisor).
	NeedsSupervisor *bool
	// DrillDown selects the cases behind a KPI figure.
	DrillDown DrillDown
	// Sort is the order of the list: SortNewest (the default) or
	// SortNextBreach.
	Sort   string
	Limit  int
	Cursor string
}

// Case list orders: newest opened first, or the soonest running deadline
// first (Case.NextBreach; cases with none come last).
const (
	SortNewest     = "newest"
	SortNextBreach = "next_breach"
)

// CaseSorts lists the orders a case list may be sorted in.
var CaseSorts = []string{SortNewest, SortNextBreach}

// Paging limits of case lists.
const (
	DefaultCaseLimit = 25
	MaxCaseLimit     = 100
	MaxQueryLen      = 200
)

// ParseCaseFilter reads a case filter from query parameters (get returns a
// parameter's value, "" when absent) and names every bad one. assignee is an
// alias of assignee_id and breached of needs_supervisor.
func ParseCaseFilter(get func(string) string) (CaseFilter, error) {
	var v Validation
	f := CaseFilter{
		Status:     Status(get("status")),
		Type:       Type(get("type")),
		Priority:   Priority(get("priority")),
		AssigneeID: firstOf(get("assignee_id"), get("assignee")),
		CustomerID: get("customer_id"),
		Query:      get("q"),
		Sort:       firstOf(get("sort"), SortNewest),
		Cursor:     get("cursor"),
	}
	oneOf(&v, "sort", f.Sort, CaseSorts)
	oneOf(&v, "status", f.Status, Statuses)
	oneOf(&v, "type", f.Type, Types)
	oneOf(&v, "priority", f.Priority, Priorities)
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxCaseLimit {
			v.Add("limit", "must be a whole number from 1 to %d", MaxCaseLimit)
		}
		f.Limit = n
	}
	for _, name := range []string{"needs_supervisor", "breached"} {
		if b := get(name); b != "" {
			needs, err := strconv.ParseBool(b)
			if err != nil {
				v.Add(name, "must be true or false")
				continue
			}
			f.NeedsSupervisor = &needs
			break
		}
	}
	f.DrillDown = ParseDrillDown(get, &v)
	if len(f.Query) > MaxQueryLen {
		v.Add("q", "is longer than %d characters", MaxQueryLen)
	}
	return f, v.Err()
}

// oneOf checks that value, when given, is one of allowed.
func oneOf[T ~string](v *Validation, field string, value T, allowed []T) {
	if value != "" && !slices.Contains(allowed, value) {
		v.Add(field, "must be one of %s", joinStrings(allowed))
	}
}

func firstOf(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// CaseRequest is a request to open a case, kept so that a retried request
// with the same Idempotency-Key finds the case it opened.
type CaseRequest struct {
	ActorID        string
	IdempotencyKey string // empty when the client sent none
	RequestHash    []byte
}

// MaxIdempotencyKey bounds the Idempotency-Key header; IdempotencyTTL is
// how long a key's first response is kept and replayed.
const (
	MaxIdempotencyKey = 200
	IdempotencyTTL    = 24 * time.Hour
)

// IdempotentRequest is a write sent with an Idempotency-Key, and, once it
// has been answered, its first response.
type IdempotentRequest struct {
	ActorID     string
	Key         string
	RequestHash []byte
	StartedAt   time.Time
	// Set once answered.
	Status      int
	ContentType string
	Location    string
	Response    []byte
}

// Idempotency outcomes: what to do with a request whose key is known.
const (
	IdempotentNew        = "new"         // first use: run it
	IdempotentReplay     = "replay"      // answered: replay the first response
	IdempotentInProgress = "in_progress" // the first request still runs
)

// DecideIdempotent says what a request (actor, key, hash) at now does given
// the earlier request stored under its key (nil: none). The same key with
// another request is a conflict; a key older than IdempotencyTTL is free.
func DecideIdempotent(earlier *IdempotentRequest, hash []byte, now time.Time) (string, error) {
	switch {
	case earlier == nil || !now.Before(earlier.StartedAt.Add(IdempotencyTTL)):
		return IdempotentNew, nil
	case !bytes.Equal(earlier.RequestHash, hash):
		return "", Errorf(ECONFLICT, "Idempotency-Key %q was already used with a different request", earlier.Key)
	case earlier.Status == 0:
		return IdempotentInProgress, nil
	}
	return IdempotentReplay, nil
}

// CheckIdempotencyKey trims key and checks its length.
func CheckIdempotencyKey(key string) (string, error) {
	key = strings.TrimSpace(key)
	if len(key) > MaxIdempotencyKey {
		return "", Invalid("Idempotency-Key", "is longer than %d characters", MaxIdempotencyKey)
	}
	return key, nil
}

// DeliveryEvent is what SendGrid reported about a message.
type DeliveryEvent struct {
	SendGridID string
	Event      string
	Email      string
	EventID    string
	Reason     string
	At         time.Time
}
