package casedesk

import (
	"regexp"
	"strings"
	"time"
)

// Limits on a customer's profile.
const (
	MaxPhoneLen         = 32
	MaxCustomerNotesLen = 2000
	// MaxCustomerPage is the most customers one search page returns.
	MaxCustomerPage = 100
)

var (
	phonePattern    = regexp.MustCompile(`^\+?[0-9 ().-]{4,}$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

// UpdateCustomerRequest is what staff change on a customer's profile; a field
// left out keeps its value.
type UpdateCustomerRequest struct {
	Name              *string `json:"name,omitempty"`
	Email             *string `json:"email,omitempty"`
	Phone             *string `json:"phone,omitempty"`
	PreferredLanguage *string `json:"preferred_language,omitempty"`
	Notes             *string `json:"notes,omitempty"`
}

// Validate trims and checks the request as creation does; the optional
// fields may be set to "" to clear them.
func (r *UpdateCustomerRequest) Validate() error {
	var v Validation
	if r.Name == nil && r.Email == nil && r.Phone == nil && r.PreferredLanguage == nil && r.Notes == nil {
		v.Add("body", "names no field to change")
	}
	if r.Name != nil {
		*r.Name = MaskCardNumbers(requiredText(&v, "name", *r.Name, 200))
	}
	if r.Email != nil {
		*r.Email = CleanText(*r.Email)
		checkEmail(&v, "email", *r.Email)
	}
	if r.Phone != nil {
		*r.Phone = CleanText(*r.Phone)
		if *r.Phone != "" && (len(*r.Phone) > MaxPhoneLen || !phonePattern.MatchString(*r.Phone)) {
			v.Add("phone", "must be a phone number of digits, spaces, ( ) - . and an optional leading +, at most %d characters", MaxPhoneLen)
		}
	}
	if r.PreferredLanguage != nil {
		*r.PreferredLanguage = CleanText(*r.PreferredLanguage)
		if *r.PreferredLanguage != "" && !languagePattern.MatchString(*r.PreferredLanguage) {
			v.Add("preferred_language", "must be a language tag such as en or pt-BR")
		}
	}
	if r.Notes != nil {
		*r.Notes = MaskCardNumbers(CleanText(*r.Notes))
		if n := len([]rune(*r.Notes)); n > MaxCustomerNotesLen {
			v.Add("notes", "is %d characters long; the limit is %d", n, MaxCustomerNotesLen)
		}
	}
	return v.Err()
}

// CustomerChange is one field of a profile changed from Old to New.
type CustomerChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Apply returns c with the request's fields and the fields that changed, in
// a fixed order. A field set to the value it has is not a change.
func (r UpdateCustomerRequest) Apply(c Customer) (Customer, []CustomerChange) {
	var changes []CustomerChange
	set := func(field string, to *string, cur *string) {
		if to != nil && *to != *cur {
			changes = append(changes, CustomerChange{Field: field, Old: *cur, New: *to})
			*cur = *to
		}
	}
	set("name", r.Name, &c.Name)
	set("email", r.Email, &c.Email)
	set("phone", r.Phone, &c.Phone)
	set("preferred_language", r.PreferredLanguage, &c.PreferredLanguage)
	set("notes", r.Notes, &c.Notes)
	return c, changes
}

// Kinds of customer history entries.
const (
	HistoryUpdated    = "updated"
	HistoryMergedFrom = "merged_from" // on the survivor: another customer was merged into it
	HistoryMergedInto = "merged_into" // on the duplicate: it was merged into another
)

// CustomerHistoryEntry is one recorded change of a customer: a field changed,
// or a merge with Other.
type CustomerHistoryEntry struct {
	Seq   int64     `json:"seq"`
	Kind  string    `json:"kind"`
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	Field string    `json:"field,omitempty"`
	Old   string    `json:"old,omitempty"`
	New   string    `json:"new,omitempty"`
	Other string    `json:"other,omitempty"`
}

// CustomerSearch is a page of customers matching Q on name, email, phone or ID.
type CustomerSearch struct {
	Q     string
	Limit int
	// After is the ID the previous page ended with.
	After string
}

// PhoneDigits returns the digits of Q when Q is written as a phone number
// with at least four digits, to compare with the digits of stored phones;
// otherwise "".
func (s CustomerSearch) PhoneDigits() string {
	if !phonePattern.MatchString(s.Q) {
		return ""
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s.Q)
	if len(digits) < 4 {
		return ""
	}
	return digits
}

// ParseCustomerSearch checks the query of a customer search.
func ParseCustomerSearch(q, limit, cursor string) (CustomerSearch, error) {
	var v Validation
	s := CustomerSearch{Q: CleanText(q), Limit: 25, After: cursor}
	if len([]rune(s.Q)) > 200 {
		v.Add("q", "is longer than 200 characters")
	}
	if limit != "" {
		n, ok := parseSmallInt(limit)
		if !ok || n < 1 || n > MaxCustomerPage {
			v.Add("limit", "must be a number from 1 to %d", MaxCustomerPage)
		}
		s.Limit = n
	}
	return s, v.Err()
}

func parseSmallInt(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// MergeCustomerRequest names the customer a duplicate is merged into.
type MergeCustomerRequest struct {
	Into string `json:"into"`
}

// Validate checks the request for merging customer from.
func (r *MergeCustomerRequest) Validate(from string) error {
	var v Validation
	r.Into = strings.TrimSpace(r.Into)
	if r.Into == "" {
		v.Add("into", "is required")
	} else if r.Into == from {
		v.Add("into", "is the customer being merged; name the one to keep")
	}
	return v.Err()
}

// UpdateCustomer tells an open case that its customer's profile changed or
// that its customer was merged into another (CustomerID is then the
// survivor's). Only the system sends it, after the store recorded the change.
type UpdateCustomer struct {
	CustomerID string   `json:"customer_id"`
	Fields     []string `json:"fields,omitempty"`
	// Email is the new address, when it changed.
	Email string `json:"email,omitempty"`
	// MergedFrom is the duplicate merged into CustomerID, on a merge.
	MergedFrom string `json:"merged_from,omitempty"`
}

// Name implements Command.
func (UpdateCustomer) Name() string { return "customer-updated" }

// EventCustomerUpdated is the timeline event of UpdateCustomer.
const EventCustomerUpdated = "customer_updated"

func (d *decision) updateCustomer(cmd UpdateCustomer) error {
	if cmd.CustomerID == "" {
		return Invalid("customer_id", "is required")
	}
	if cmd.MergedFrom == "" && cmd.CustomerID != d.c.CustomerID {
		return Invalid("customer_id", "is not the case's customer")
	}
	if cmd.MergedFrom != "" && cmd.MergedFrom != d.c.CustomerID {
		return Invalid("merged_from", "is not the case's customer")
	}
	data := map[string]any{"customer_id": cmd.CustomerID}
	if len(cmd.Fields) > 0 {
		data["fields"] = cmd.Fields
	}
	if cmd.Email != "" {
		data["email"] = cmd.Email
	}
	if cmd.MergedFrom != "" {
		data["merged_from"] = cmd.MergedFrom
		d.c.CustomerID = cmd.CustomerID
	}
	d.emit(EventCustomerUpdated, data)
	return nil
}
