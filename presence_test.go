package casedesk_test

import (
	"slices"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestPresenceTable(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tb := casedesk.NewPresenceTable()
	beat := func(user, name string, typing bool, at time.Duration) casedesk.Heartbeat {
		return casedesk.Heartbeat{CaseID: "C-1", UserID: user, Name: name, Typing: typing, At: t0.Add(at)}
	}
	names := func() []string {
		var out []string
		for _, v := range tb.Case("C-1").Viewers {
			s := v.Name
			if v.Typing {
				s += " (typing)"
			}
			out = append(out, s)
		}
		return out
	}
	if !tb.Apply(beat("U-2", "Bea", false, 0)) || !tb.Apply(beat("U-1", "Ann", false, time.Second)) {
		t.Fatal("a new viewer is a change")
	}
	if tb.Apply(beat("U-2", "Bea", false, 10*time.Second)) {
		t.Fatal("a heartbeat that changes nothing but the time is no change")
	}
	if !tb.Apply(beat("U-2", "Bea", true, 11*time.Second)) {
		t.Fatal("starting to type is a change")
	}
	if tb.Apply(beat("U-2", "Bea", false, 5*time.Second)) {
		t.Fatal("a heartbeat older than the last one heard changes nothing")
	}
	if got := names(); !slices.Equal(got, []string{"Ann", "Bea (typing)"}) {
		t.Fatalf("viewers = %v", got)
	}
	// Ann's last beat was at 1 s: gone after 31 s; Bea's at 11 s stays.
	if got := tb.Expire(t0.Add(31 * time.Second)); got != nil {
		t.Fatalf("expired at 31 s: %v; nobody is older than the TTL yet", got)
	}
	if got := tb.Expire(t0.Add(31*time.Second + time.Millisecond)); !slices.Equal(got, []string{"C-1"}) {
		t.Fatalf("expired = %v, want C-1", got)
	}
	if got := names(); !slices.Equal(got, []string{"Bea (typing)"}) {
		t.Fatalf("after expiry: %v", got)
	}
	left := beat("U-2", "Bea", false, 12*time.Second)
	left.Left = true
	if !tb.Apply(left) || len(tb.All()) != 0 {
		t.Fatalf("after leaving: %v", tb.All())
	}
	if tb.Apply(left) {
		t.Fatal("leaving twice is no change")
	}
}
