package casedesk_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/casedesk/casedesk"
)

// caseIDPattern is C- and six characters of Crockford's base 32 (no I, L, O, U).
var caseIDPattern = regexp.MustCompile(`^C-[0-9A-HJKMNP-TV-Z]{6}$`)

func TestNewCaseID(t *testing.T) {
	const n = 10000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = casedesk.NewCaseID()
	}

	t.Run("every ID is C- and six Crockford characters", func(t *testing.T) {
		for _, id := range ids {
			if !caseIDPattern.MatchString(id) {
				t.Fatalf("case ID %q does not match %s", id, caseIDPattern)
			}
		}
	})
	t.Run("no ID has a letter that is misheard over the phone", func(t *testing.T) {
		for _, id := range ids {
			if strings.ContainsAny(id[2:], "ILOU") {
				t.Fatalf("case ID %q contains I, L, O or U", id)
			}
		}
	})
	t.Run("ten thousand IDs have next to no collisions", func(t *testing.T) {
		// 32^6 ≈ 1.07e9 IDs: about 0.05 collisions are expected among 10,000;
		// three or more would mean the randomness is broken.
		seen := make(map[string]bool, n)
		collisions := 0
		for _, id := range ids {
			if seen[id] {
				collisions++
			}
			seen[id] = true
		}
		if collisions > 2 {
			t.Errorf("%d collisions among %d case IDs", collisions, n)
		}
	})
	t.Run("every character of the alphabet is used, about evenly", func(t *testing.T) {
		counts := map[rune]int{}
		for _, id := range ids {
			for _, r := range id[2:] {
				counts[r]++
			}
		}
		if len(counts) != 32 {
			t.Fatalf("%d distinct characters used, want 32", len(counts))
		}
		// 60,000 characters: 1,875 each expected; a share off by a third means bias.
		for r, c := range counts {
			if c < 1250 || c > 2500 {
				t.Errorf("character %q used %d times, expected about 1875", r, c)
			}
		}
	})
}

func TestNewID(t *testing.T) {
	tests := []struct {
		prefix string
		n      int
	}{
		{casedesk.PrefixCustomer, 8},
		{casedesk.PrefixUser, 6},
		{casedesk.PrefixPayment, 10},
		{casedesk.PrefixInvoice, 1},
	}
	for _, tt := range tests {
		t.Run("an ID starts with "+tt.prefix+"- and has the characters asked for", func(t *testing.T) {
			id := casedesk.NewID(tt.prefix, tt.n)
			pattern := regexp.MustCompile(`^` + tt.prefix + `-[0-9A-HJKMNP-TV-Z]+$`)
			if !pattern.MatchString(id) || len(id) != len(tt.prefix)+1+tt.n {
				t.Errorf("NewID(%q, %d) = %q", tt.prefix, tt.n, id)
			}
		})
	}
}
