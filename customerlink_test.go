package casedesk_test

import (
	"errors"
	"testing"

	"github.com/casedesk/casedesk"
)

func TestLinkBelongs(t *testing.T) {
	merged := map[string]string{"CU-DUP1": "CU-KEEP", "CU-OLD": "CU-DUP1", "CU-LOOP1": "CU-LOOP2", "CU-LOOP2": "CU-LOOP1"}
	lookup := func(id string) (string, error) {
		if id == "CU-DOWN" {
			return "", errors.New("database down")
		}
		return merged[id], nil
	}
	c := casedesk.Case{ID: "C-1", CustomerID: "CU-KEEP"}
	for _, tc := range []struct {
		name, issuedTo string
		want           bool
		wantErr        bool
	}{
		{"the case's own customer", "CU-KEEP", true, false},
		{"a link from before links named the customer", "", true, false},
		{"another customer", "CU-OTHER", false, false},
		{"a duplicate merged into the case's customer", "CU-DUP1", true, false},
		{"a duplicate merged through another merge", "CU-OLD", true, false},
		{"merges that loop end", "CU-LOOP1", false, false},
		{"a lookup that fails is an error", "CU-DOWN", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := casedesk.LinkBelongs(c, tc.issuedTo, lookup)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("LinkBelongs(%q) = %v, %v; want %v", tc.issuedTo, got, err, tc.want)
			}
		})
	}
}
