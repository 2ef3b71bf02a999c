package casedesk_test

import (
	"testing"

	"github.com/casedesk/casedesk"
)

func TestCategoriesComeFromTheConfiguredList(t *testing.T) {
	t.Run("an empty setting is the default list", func(t *testing.T) {
		got, err := casedesk.ParseCategories(" ")
		if err != nil || len(got) != len(casedesk.DefaultCategories) || got[0] != "billing_question" {
			t.Fatalf("ParseCategories(\" \") = %v, %v", got, err)
		}
	})
	t.Run("a list is trimmed and bad names are refused", func(t *testing.T) {
		got, err := casedesk.ParseCategories(" card_update , vat ")
		if err != nil || len(got) != 2 || got[0] != "card_update" || got[1] != "vat" {
			t.Fatalf("ParseCategories = %v, %v", got, err)
		}
		for _, bad := range []string{"Card", "a,a", "with space", ",", "x-y"} {
			if _, err := casedesk.ParseCategories(bad); casedesk.ErrorCode(err) != casedesk.EINVALID {
				t.Errorf("ParseCategories(%q) = %v, want invalid", bad, err)
			}
		}
	})

	r := casedesk.DefaultRules()
	r.Categories = []string{"double_charge", "plan_change"}
	t.Run("a case opens in a listed category or none", func(t *testing.T) {
		req := openReq()
		req.Category = "double_charge"
		if c, _, err := r.Open("C-AAAAAA", req, agent, t0); err != nil || c.Category != "double_charge" {
			t.Fatalf("Open = %v, %v", c.Category, err)
		}
		req.Category = ""
		if _, _, err := r.Open("C-AAAAAA", req, agent, t0); err != nil {
			t.Fatalf("Open uncategorized: %v", err)
		}
		req.Category = "payments"
		_, _, err := r.Open("C-AAAAAA", req, agent, t0)
		wantFields(t, err, "category")
	})
	t.Run("the category command files a case under another listed category", func(t *testing.T) {
		c, _, err := r.Open("C-AAAAAA", openReq(), agent, t0)
		if err != nil {
			t.Fatal(err)
		}
		got, events, err := r.Decide(c, casedesk.SetCategory{Category: " plan_change "}, agent, now)
		if err != nil || got.Category != "plan_change" || len(events) != 1 || events[0].Type != casedesk.EventCategoryChanged ||
			events[0].Data["from"] != "" || events[0].Data["to"] != "plan_change" {
			t.Fatalf("Decide = %v %+v %v", got.Category, events, err)
		}
		_, _, err = r.Decide(got, casedesk.SetCategory{Category: "plan_change"}, agent, now)
		wantCode(t, err, casedesk.ECONFLICT)
		_, _, err = r.Decide(got, casedesk.SetCategory{Category: "vat"}, agent, now)
		wantFields(t, err, "category")
		_, _, err = r.Decide(got, casedesk.SetCategory{}, agent, now)
		wantFields(t, err, "category")
	})
	t.Run("without a list, as for cases opened before one, any category is taken", func(t *testing.T) {
		if err := casedesk.CheckCategory(nil, "payments"); err != nil {
			t.Fatal(err)
		}
	})
}
