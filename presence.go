package casedesk

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Presence: who has a case open in the console and who is typing in it.
// Each open case page sends a heartbeat every PresenceHeartbeat (and at
// once when typing starts or stops); a viewer whose last heartbeat is older
// than PresenceTTL is gone.
const (
	PresenceHeartbeat = 10 * time.Second
	PresenceTTL       = 30 * time.Second
)

// Heartbeat says that a user views a case (or typed in it, or left it) at At.
type Heartbeat struct {
	CaseID string    `json:"case_id"`
	UserID string    `json:"user_id"`
	Name   string    `json:"name"`
	Typing bool      `json:"typing"`
	Left   bool      `json:"left,omitempty"`
	At     time.Time `json:"at"`
}

// Viewer is someone on a case page now.
type Viewer struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Typing bool   `json:"typing"`
}

// CasePresence lists the viewers of one case, by name.
type CasePresence struct {
	CaseID  string   `json:"case_id"`
	Viewers []Viewer `json:"viewers"`
}

// PresenceTable holds every case's viewers as heard from heartbeats. It is
// safe for concurrent use.
type PresenceTable struct {
	mu    sync.Mutex
	cases map[string]map[string]seenViewer
}

type seenViewer struct {
	Viewer
	seen time.Time
}

// NewPresenceTable returns an empty table.
func NewPresenceTable() *PresenceTable {
	return &PresenceTable{cases: map[string]map[string]seenViewer{}}
}

// Apply records h and reports whether the case's viewers changed (someone
// came, left, or started or stopped typing); a heartbeat older than what
// the table holds for that viewer changes nothing.
func (t *PresenceTable) Apply(h Heartbeat) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	viewers := t.cases[h.CaseID]
	old, had := viewers[h.UserID]
	if had && h.At.Before(old.seen) {
		return false
	}
	if h.Left {
		if !had {
			return false
		}
		delete(viewers, h.UserID)
		if len(viewers) == 0 {
			delete(t.cases, h.CaseID)
		}
		return true
	}
	if viewers == nil {
		viewers = map[string]seenViewer{}
		t.cases[h.CaseID] = viewers
	}
	v := Viewer{UserID: h.UserID, Name: h.Name, Typing: h.Typing}
	viewers[h.UserID] = seenViewer{Viewer: v, seen: h.At}
	return !had || old.Viewer != v
}

// Expire drops the viewers not heard of for PresenceTTL before now and
// returns the cases whose viewers changed, sorted.
func (t *PresenceTable) Expire(now time.Time) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var changed []string
	for id, viewers := range t.cases {
		for uid, v := range viewers {
			if now.Sub(v.seen) > PresenceTTL {
				delete(viewers, uid)
				if !slices.Contains(changed, id) {
					changed = append(changed, id)
				}
			}
		}
		if len(viewers) == 0 {
			delete(t.cases, id)
		}
	}
	slices.Sort(changed)
	return changed
}

// Case returns the viewers of case id, by name then user ID.
func (t *PresenceTable) Case(id string) CasePresence {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.casePresence(id)
}

func (t *PresenceTable) casePresence(id string) CasePresence {
	out := CasePresence{CaseID: id, Viewers: []Viewer{}}
	for _, v := range t.cases[id] {
		out.Viewers = append(out.Viewers, v.Viewer)
	}
	slices.SortFunc(out.Viewers, func(a, b Viewer) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	return out
}

// All returns the presence of every case that has viewers, by case ID.
func (t *PresenceTable) All() []CasePresence {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]string, 0, len(t.cases))
	for id := range t.cases {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]CasePresence, 0, len(ids))
	for _, id := range ids {
		out = append(out, t.casePresence(id))
	}
	return out
}
