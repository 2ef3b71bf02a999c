package casedesk

import (
	"encoding/base64"
	"strconv"
)

// Paging limits of a case's timeline.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 500
)

// EventPage selects a page of a case's timeline. Pages run oldest first
// from After; with Latest they are the newest Limit events before Before
// (0: the newest of all), still in order, for the customer's page.
type EventPage struct {
	Limit  int
	After  int64
	Latest bool
	Before int64
	// Types keeps only events of these types (nil: every event).
	Types []string
}

// ParseEventPage reads limit and cursor (a next_cursor returned before)
// from query parameters and names every bad one.
func ParseEventPage(get func(string) string) (EventPage, error) {
	var v Validation
	p := EventPage{Limit: DefaultEventLimit}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxEventLimit {
			v.Add("limit", "must be a whole number from 1 to %d", MaxEventLimit)
		}
		p.Limit = n
	}
	if c := get("cursor"); c != "" {
		seq, ok := decodeEventCursor(c)
		if !ok {
			v.Add("cursor", "is not a next_cursor of this timeline")
		}
		p.After = seq
	}
	return p, v.Err()
}

// ParseEarlier reads the customer page's "before" parameter: the sequence
// number its "Earlier" link names (positive), or 0 when absent.
func ParseEarlier(before string) (int64, error) {
	if before == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(before, 10, 64)
	if err != nil || n < 1 {
		return 0, Invalid("before", "must be a positive whole number")
	}
	return n, nil
}

// EventCursor is the next_cursor of a page that ends with event seq.
func EventCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(seq, 10)))
}

func decodeEventCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 5 || string(b[:4]) != "seq:" {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[4:]), 10, 64)
	return n, err == nil && n > 0
}

// ProjectionOrigin says which workflow task wrote a projection of a case:
// the workflow run and the length of its history when the task ran. A task
// whose completion was lost (its worker killed, Temporal's store down) may
// have projected a case that the history never kept; the task that
// completed in its place ran on a longer history of the same run, so of two
// projections from one run the one from the longer history wins, and the
// higher version within one task. Across runs (and for the zero origin)
// the higher version wins.
type ProjectionOrigin struct {
	RunID         string `json:"run_id,omitempty"`
	HistoryLength int64  `json:"history_length,omitempty"`
}
