package casedesk_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestOpen(t *testing.T) {
	t.Run("a minimal request opens a new, unassigned case at normal priority", func(t *testing.T) {
		c, events, err := casedesk.Open("C-7Q4K2M", openReq(), agent, t0)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		want := casedesk.Case{
			ID:         "C-7Q4K2M",
			Type:       casedesk.TypeInquiry,
			Status:     casedesk.StatusNew,
			Priority:   casedesk.PriorityNormal,
			Channel:    casedesk.ChannelPhone,
			CustomerID: "CU-1",
			Subject:    "Charged twice for the March invoice",
			OpenedBy:   agent.ID,
			OpenedAt:   t0,
			UpdatedAt:  t0,
			Version:    1,
			LastSeq:    1,
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("case =\n%+v\nwant\n%+v", c, want)
		}
		wantEvents := []casedesk.Event{{
			Seq: 1, Type: casedesk.EventOpened, Actor: agent.ID, At: t0,
			Data: map[string]any{
				"type": "inquiry", "priority": "normal", "channel": "phone",
				"customer_id": "CU-1", "subject": "Charged twice for the March invoice",
			},
		}}
		if !reflect.DeepEqual(events, wantEvents) {
			t.Errorf("events =\n%+v\nwant\n%+v", events, wantEvents)
		}
	})

	t.Run("every field given is kept, trimmed", func(t *testing.T) {
		req := casedesk.OpenRequest{
			Type:        " inquiry ",
			CustomerID:  "  CU-42 ",
			Subject:     "  Payment failed  ",
			Description: "\n Card declined at checkout. \n",
			Channel:     " chat",
			Priority:    "urgent ",
			Category:    " payments ",
		}
		c, events, err := casedesk.Open("C-AAAAAA", req, supervisor, t0)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if c.Type != casedesk.TypeInquiry || c.CustomerID != "CU-42" || c.Subject != "Payment failed" ||
			c.Description != "Card declined at checkout." || c.Channel != casedesk.ChannelChat ||
			c.Priority != casedesk.PriorityUrgent || c.Category != "payments" || c.OpenedBy != supervisor.ID {
			t.Errorf("case = %+v", c)
		}
		if events[0].Data["priority"] != "urgent" || events[0].Data["channel"] != "chat" || events[0].Actor != supervisor.ID {
			t.Errorf("event = %+v", events[0])
		}
	})

	t.Run("the description stays out of the opening event", func(t *testing.T) {
		req := openReq()
		req.Description = "Long story with personal details."
		_, events, err := casedesk.Open("C-AAAAAA", req, agent, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := events[0].Data["description"]; ok {
			t.Errorf("case_opened carries the description: %+v", events[0].Data)
		}
	})

	t.Run("times are stored in UTC to the microsecond", func(t *testing.T) {
		local := time.Date(2025, time.March, 10, 4, 30, 0, 999999999, time.FixedZone("UTC-5", -5*60*60))
		want := time.Date(2025, time.March, 10, 9, 30, 0, 999999000, time.UTC)
		c, events, err := casedesk.Open("C-AAAAAA", openReq(), agent, local)
		if err != nil {
			t.Fatal(err)
		}
		if c.OpenedAt != want || c.UpdatedAt != want || events[0].At != want {
			t.Errorf("opened %v updated %v event %v, want %v", c.OpenedAt, c.UpdatedAt, events[0].At, want)
		}
	})

	for _, p := range casedesk.Priorities {
		t.Run("priority "+string(p)+" is accepted", func(t *testing.T) {
			req := openReq()
			req.Priority = p
			c, _, err := casedesk.Open("C-AAAAAA", req, agent, t0)
			if err != nil || c.Priority != p {
				t.Errorf("priority %q: case priority %q, err %v", p, c.Priority, err)
			}
		})
	}
	for _, ch := range casedesk.Channels {
		t.Run("channel "+string(ch)+" is accepted", func(t *testing.T) {
			req := openReq()
			req.Channel = ch
			c, _, err := casedesk.Open("C-AAAAAA", req, agent, t0)
			if err != nil || c.Channel != ch {
				t.Errorf("channel %q: case channel %q, err %v", ch, c.Channel, err)
			}
		})
	}
	for _, by := range staff {
		t.Run("a "+string(by.Role)+" may open a case", func(t *testing.T) {
			if _, _, err := casedesk.Open("C-AAAAAA", openReq(), by, t0); err != nil {
				t.Errorf("Open by %s: %v", by.Role, err)
			}
		})
	}
	for _, by := range []casedesk.Actor{casedesk.SystemActor, {ID: "CU-1", Role: "customer"}, {ID: "x"}} {
		t.Run("a "+string(by.Role)+" actor may not open a case", func(t *testing.T) {
			c, events, err := casedesk.Open("C-AAAAAA", openReq(), by, t0)
			wantCode(t, err, casedesk.EFORBIDDEN)
			if !reflect.DeepEqual(c, casedesk.Case{}) || events != nil {
				t.Errorf("a refused Open returned %+v, %+v", c, events)
			}
		})
	}
}

func TestOpenRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*casedesk.OpenRequest)
		fields []string
	}{
		{"a missing type", func(r *casedesk.OpenRequest) { r.Type = "" }, []string{"type"}},
		{"a blank type", func(r *casedesk.OpenRequest) { r.Type = "  " }, []string{"type"}},
		{"an unknown type", func(r *casedesk.OpenRequest) { r.Type = "complaint" }, []string{"type"}},
		{"a type in capitals", func(r *casedesk.OpenRequest) { r.Type = "Inquiry" }, []string{"type"}},
		{"a missing customer", func(r *casedesk.OpenRequest) { r.CustomerID = "" }, []string{"customer_id"}},
		{"a blank customer", func(r *casedesk.OpenRequest) { r.CustomerID = " \t" }, []string{"customer_id"}},
		{"a missing subject", func(r *casedesk.OpenRequest) { r.Subject = "" }, []string{"subject"}},
		{"a blank subject", func(r *casedesk.OpenRequest) { r.Subject = "\n \n" }, []string{"subject"}},
		{"a subject over the length limit", func(r *casedesk.OpenRequest) { r.Subject = strings.Repeat("s", casedesk.MaxSubjectLen+1) }, []string{"subject"}},
		{"a description over the length limit", func(r *casedesk.OpenRequest) { r.Description = strings.Repeat("d", casedesk.MaxBodyLen+1) }, []string{"description"}},
		{"a missing channel", func(r *casedesk.OpenRequest) { r.Channel = "" }, []string{"channel"}},
		{"an unknown channel", func(r *casedesk.OpenRequest) { r.Channel = "fax" }, []string{"channel"}},
		{"an unknown priority", func(r *casedesk.OpenRequest) { r.Priority = "critical" }, []string{"priority"}},
		{"a priority in capitals", func(r *casedesk.OpenRequest) { r.Priority = "High" }, []string{"priority"}},
		{"a category over 100 characters", func(r *casedesk.OpenRequest) { r.Category = strings.Repeat("c", 101) }, []string{"category"}},
		{"an empty request", func(r *casedesk.OpenRequest) { *r = casedesk.OpenRequest{} }, []string{"type", "customer_id", "subject", "channel"}},
		{"several bad fields", func(r *casedesk.OpenRequest) {
			*r = casedesk.OpenRequest{Type: "complaint", Subject: strings.Repeat("é", casedesk.MaxSubjectLen+1), Channel: "pigeon", Priority: "asap"}
		}, []string{"type", "customer_id", "subject", "channel", "priority"}},
		{"a refund without its payment, amount and reason", func(r *casedesk.OpenRequest) { r.Type = "refund" },
			[]string{"payment_id", "currency", "amount", "reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is invalid", func(t *testing.T) {
			req := openReq()
			tt.edit(&req)
			c, events, err := casedesk.Open("C-AAAAAA", req, agent, t0)
			wantFields(t, err, tt.fields...)
			if !reflect.DeepEqual(c, casedesk.Case{}) || events != nil {
				t.Errorf("a refused Open returned %+v, %+v", c, events)
			}
		})
	}

	t.Run("an unknown type lists the types of the product", func(t *testing.T) {
		req := openReq()
		req.Type = "complaint"
		_, _, err := casedesk.Open("C-AAAAAA", req, agent, t0)
		var e *casedesk.Error
		if !errors.As(err, &e) || !strings.Contains(e.Fields[0].Message, "inquiry, dispute, chargeback, refund") {
			t.Errorf("error %v does not list the types", err)
		}
	})

	t.Run("text exactly at the limits is accepted, counted in characters", func(t *testing.T) {
		req := openReq()
		req.Subject = strings.Repeat("ü", casedesk.MaxSubjectLen)
		req.Description = strings.Repeat("ü", casedesk.MaxBodyLen)
		req.Category = strings.Repeat("ü", 100)
		if _, _, err := casedesk.Open("C-AAAAAA", req, agent, t0); err != nil {
			t.Errorf("Open: %v", err)
		}
	})
}

func TestOpenRequestNormalizeAndValidate(t *testing.T) {
	t.Run("normalizing fills in normal priority", func(t *testing.T) {
		if got := openReq().Normalize().Priority; got != casedesk.PriorityNormal {
			t.Errorf("priority = %q, want normal", got)
		}
	})
	t.Run("normalizing keeps a given priority", func(t *testing.T) {
		req := openReq()
		req.Priority = casedesk.PriorityLow
		if got := req.Normalize().Priority; got != casedesk.PriorityLow {
			t.Errorf("priority = %q, want low", got)
		}
	})
	t.Run("normalizing does not change the caller's request", func(t *testing.T) {
		req := openReq()
		req.Subject = "  card 4111111111111111  "
		before := req
		req.Normalize()
		if req != before {
			t.Errorf("request changed to %+v", req)
		}
	})
	t.Run("normalizing twice changes nothing more", func(t *testing.T) {
		req := openReq()
		req.Subject = "  card 4111111111111111  "
		req.Priority = " high "
		once := req.Normalize()
		if twice := once.Normalize(); twice != once {
			t.Errorf("second Normalize gave %+v, first %+v", twice, once)
		}
	})
	t.Run("a normalized valid request validates", func(t *testing.T) {
		if err := openReq().Normalize().Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	})
	t.Run("validation expects a normalized request and names the empty priority", func(t *testing.T) {
		wantFields(t, openReq().Validate(), "priority")
	})
}
