package casedesk_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/casedesk/casedesk"
)

func TestUpdateCustomerRequest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		req    casedesk.UpdateCustomerRequest
		fields []string
	}{
		{"a corrected email is taken", casedesk.UpdateCustomerRequest{Email: ptr(" ada@example.com ")}, nil},
		{"a phone, a language and notes are taken", casedesk.UpdateCustomerRequest{Phone: ptr("+44 (20) 7946-0958"),
			PreferredLanguage: ptr("pt-BR"), Notes: ptr("Prefers calls after 5pm")}, nil},
		{"optional fields may be cleared", casedesk.UpdateCustomerRequest{Phone: ptr(""), PreferredLanguage: ptr(""), Notes: ptr("")}, nil},
		{"a request that changes nothing is refused", casedesk.UpdateCustomerRequest{}, []string{"body"}},
		{"the name may not be cleared", casedesk.UpdateCustomerRequest{Name: ptr("  ")}, []string{"name"}},
		{"an email is checked as at creation", casedesk.UpdateCustomerRequest{Email: ptr("Ada <ada@example.com>")}, []string{"email"}},
		{"a phone of letters is refused", casedesk.UpdateCustomerRequest{Phone: ptr("call me")}, []string{"phone"}},
		{"a language that is not a tag is refused", casedesk.UpdateCustomerRequest{PreferredLanguage: ptr("English")}, []string{"preferred_language"}},
		{"notes over the limit are refused", casedesk.UpdateCustomerRequest{Notes: ptr(strings.Repeat("x", casedesk.MaxCustomerNotesLen+1))}, []string{"notes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantFields(t, err, tc.fields...)
		})
	}

	t.Run("card numbers in notes are masked", func(t *testing.T) {
		req := casedesk.UpdateCustomerRequest{Notes: ptr("card 4111 1111 1111 1111")}
		if err := req.Validate(); err != nil || strings.Contains(*req.Notes, "4111 1111 1111 1111") {
			t.Fatalf("notes %q, %v", *req.Notes, err)
		}
	})

	t.Run("apply lists only the fields that change, in a fixed order", func(t *testing.T) {
		c := casedesk.Customer{ID: "CU-1", Name: "Ada", Email: "old@example.com", Phone: "123"}
		got, changes := casedesk.UpdateCustomerRequest{Phone: ptr("456"), Name: ptr("Ada"), Email: ptr("new@example.com")}.Apply(c)
		want := []casedesk.CustomerChange{{Field: "email", Old: "old@example.com", New: "new@example.com"}, {Field: "phone", Old: "123", New: "456"}}
		if !reflect.DeepEqual(changes, want) || got.Email != "new@example.com" || got.Phone != "456" || c.Email != "old@example.com" {
			t.Fatalf("got %+v, changes %+v", got, changes)
		}
	})
}

func TestCustomerSearch(t *testing.T) {
	for _, tc := range []struct{ q, digits string }{
		{"+1 (555) 010-0199", "15550100199"},
		{"555 0100", "5550100"},
		{"CU-AB12CD34", ""},
		{"12", ""},
		{"ada@example.com", ""},
	} {
		if got := (casedesk.CustomerSearch{Q: tc.q}).PhoneDigits(); got != tc.digits {
			t.Errorf("PhoneDigits(%q) = %q, want %q", tc.q, got, tc.digits)
		}
	}
	if _, err := casedesk.ParseCustomerSearch("ada", "0", ""); err == nil {
		t.Error("a limit of 0 was taken")
	}
	if s, err := casedesk.ParseCustomerSearch(" ada ", "", ""); err != nil || s.Q != "ada" || s.Limit != 25 {
		t.Errorf("got %+v, %v", s, err)
	}
}

func TestUpdateCustomerCommand(t *testing.T) {
	t.Run("the system records a changed email on an open case", func(t *testing.T) {
		in := caseIn(t, sOpen)
		got, events := mustDecide(t, in, casedesk.UpdateCustomer{CustomerID: in.CustomerID, Fields: []string{"email"}, Email: "new@example.com"},
			casedesk.SystemActor, now)
		if len(events) != 1 || events[0].Type != casedesk.EventCustomerUpdated || events[0].Data["email"] != "new@example.com" ||
			got.CustomerID != in.CustomerID || got.Status != in.Status {
			t.Fatalf("got %+v, events %+v", got, events)
		}
	})
	t.Run("a merge moves the case to the surviving customer", func(t *testing.T) {
		in := caseIn(t, sResolved)
		got, events := mustDecide(t, in, casedesk.UpdateCustomer{CustomerID: "CU-KEEP", MergedFrom: in.CustomerID}, casedesk.SystemActor, now)
		if got.CustomerID != "CU-KEEP" || events[0].Data["merged_from"] != in.CustomerID {
			t.Fatalf("got %+v, events %+v", got, events)
		}
	})
	t.Run("staff may not send it", func(t *testing.T) {
		in := caseIn(t, sOpen)
		_, _, err := decide(t, rules, in, casedesk.UpdateCustomer{CustomerID: in.CustomerID}, agent, now)
		wantCode(t, err, casedesk.EFORBIDDEN)
	})
	t.Run("another customer's change is refused", func(t *testing.T) {
		in := caseIn(t, sOpen)
		_, _, err := decide(t, rules, in, casedesk.UpdateCustomer{CustomerID: "CU-OTHER"}, casedesk.SystemActor, now)
		wantFields(t, err, "customer_id")
	})
}
