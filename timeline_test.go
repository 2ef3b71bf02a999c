package casedesk_test

import (
	"testing"

	"github.com/casedesk/casedesk"
)

func TestParseEventPage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		query  map[string]string
		want   casedesk.EventPage
		fields []string
	}{
		{"no parameters: the first 100", nil, casedesk.EventPage{Limit: 100}, nil},
		{"a limit and a cursor", map[string]string{"limit": "500", "cursor": casedesk.EventCursor(42)}, casedesk.EventPage{Limit: 500, After: 42}, nil},
		{"a limit of 501 is refused", map[string]string{"limit": "501"}, casedesk.EventPage{}, []string{"limit"}},
		{"a limit of 0 is refused", map[string]string{"limit": "0"}, casedesk.EventPage{}, []string{"limit"}},
		{"a limit in words is refused", map[string]string{"limit": "ten"}, casedesk.EventPage{}, []string{"limit"}},
		{"a made-up cursor is refused", map[string]string{"cursor": "42"}, casedesk.EventPage{}, []string{"cursor"}},
		{"a cursor of seq 0 is refused", map[string]string{"cursor": casedesk.EventCursor(0)}, casedesk.EventPage{}, []string{"cursor"}},
		{"both bad are both named", map[string]string{"limit": "-1", "cursor": "!"}, casedesk.EventPage{}, []string{"limit", "cursor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := casedesk.ParseEventPage(func(k string) string { return tc.query[k] })
			if tc.fields != nil {
				wantFields(t, err, tc.fields...)
				return
			}
			if err != nil || got.Limit != tc.want.Limit || got.After != tc.want.After {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseEarlier(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "1": 1, "250": 250} {
		if got, err := casedesk.ParseEarlier(in); err != nil || got != want {
			t.Errorf("ParseEarlier(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-3", "x", "1.5"} {
		if _, err := casedesk.ParseEarlier(in); err == nil {
			t.Errorf("ParseEarlier(%q) took it", in)
		}
	}
}
