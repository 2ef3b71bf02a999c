package casedesk_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// ny is a wall-clock time in New York in the week of 10 March 2025 (EDT).
func ny(t *testing.T, day, hour int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2025, time.March, day, hour, 0, 0, 0, loc).UTC()
}

func TestFactsMeasureACaseInItsBusinessHoursAndInCalendarHours(t *testing.T) {
	cal := mustCompile(t, calSupportNY) // Monday to Friday 09:00-17:00
	mon, tue := 10, 11
	c := casedesk.Case{ID: "C-AAAAAA", Type: casedesk.TypeInquiry, Status: casedesk.StatusResolved,
		OpenedAt: ny(t, mon, 10), ResolvedAt: ptr(ny(t, tue, 11)),
		SLA: casedesk.SLA{Policy: "inquiry/normal@support", FirstResponseAt: ptr(ny(t, mon, 12)),
			FirstResponseDue: ptr(ny(t, mon, 14)), ResolutionDue: ptr(ny(t, tue, 10))}}
	// Assigned at 11, asks the customer at 12, the customer answers at 16,
	// reassigned the next morning at 10, resolved at 11.
	history := []casedesk.StatusChange{
		{Version: 6, Status: casedesk.StatusResolved, AssigneeID: "U-B", At: ny(t, tue, 11)},
		{Version: 1, Status: casedesk.StatusNew, At: ny(t, mon, 10)},
		{Version: 2, Status: casedesk.StatusOpen, AssigneeID: "U-A", At: ny(t, mon, 11)},
		{Version: 3, Status: casedesk.StatusWaitingOnCustomer, AssigneeID: "U-A", At: ny(t, mon, 12)},
		{Version: 4, Status: casedesk.StatusOpen, AssigneeID: "U-A", At: ny(t, mon, 16)},
		{Version: 5, Status: casedesk.StatusOpen, AssigneeID: "U-B", At: ny(t, tue, 10)},
	}
	f := casedesk.Facts(c, history, cal)
	want := map[string][2]time.Duration{
		// 11-12, 16-10 next day (17 h on the clock, 2 business hours), 10-11.
		"handling":       {20 * time.Hour, 4 * time.Hour},
		"first response": {2 * time.Hour, 2 * time.Hour},
		// Monday 10-17 and Tuesday 9-11 are business hours.
		"resolution": {25 * time.Hour, 9 * time.Hour},
	}
	got := map[string][2]time.Duration{
		"handling":       {f.Handling, f.HandlingBusiness},
		"first response": {*f.FirstResponse, *f.FirstResponseBusiness},
		"resolution":     {*f.Resolution, *f.ResolutionBusiness},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("facts (calendar, business) = %v, want %v", got, want)
	}
	if f.FirstResponseMet == nil || !*f.FirstResponseMet {
		t.Errorf("first response at 12, due at 14: met = %v, want true", f.FirstResponseMet)
	}
	if f.ResolutionMet == nil || *f.ResolutionMet {
		t.Errorf("resolved at 11, due at 10: met = %v, want false", f.ResolutionMet)
	}

	t.Run("without a calendar business time is calendar time", func(t *testing.T) {
		f := casedesk.Facts(c, history, nil)
		if f.HandlingBusiness != 20*time.Hour || *f.ResolutionBusiness != 25*time.Hour {
			t.Errorf("handling %s, resolution %s", f.HandlingBusiness, *f.ResolutionBusiness)
		}
	})
	t.Run("a target is undecided until the clock stops or breaches", func(t *testing.T) {
		open := c
		open.Status, open.ResolvedAt = casedesk.StatusOpen, nil
		if f := casedesk.Facts(open, history[1:5], cal); f.ResolutionMet != nil || f.Resolution != nil {
			t.Errorf("an open case: resolution met %v, time %v", f.ResolutionMet, f.Resolution)
		}
		open.SLA.ResolutionBreached = true
		if f := casedesk.Facts(open, history[1:5], cal); f.ResolutionMet == nil || *f.ResolutionMet {
			t.Errorf("a breached clock: met = %v, want false", f.ResolutionMet)
		}
	})
	t.Run("the interval still open does not count", func(t *testing.T) {
		if f := casedesk.Facts(c, history[1:3], cal); f.Handling != 0 {
			t.Errorf("handling %s while the case is still worked, want 0", f.Handling)
		}
	})
	if casedesk.PolicyCalendar(c.SLA.Policy) != "support" || casedesk.PolicyCalendar("") != "" {
		t.Errorf("PolicyCalendar")
	}
}

func TestFirstContactResolutionIsDecidedByTheRulesAtResolution(t *testing.T) {
	// The KPI counts the case's flag; these are the cases it is set for.
	tests := []struct {
		name string
		walk func(c casedesk.Case) casedesk.Case
		want bool
	}{
		{"one reply, then resolved", func(c casedesk.Case) casedesk.Case {
			c, _ = mustDecide(t, c, casedesk.Reply{Body: "Refunded the duplicate."}, agent, now)
			return c
		}, true},
		{"resolved with no reply at all", func(c casedesk.Case) casedesk.Case { return c }, true},
		{"two replies", func(c casedesk.Case) casedesk.Case {
			c, _ = mustDecide(t, c, casedesk.Reply{Body: "Looking."}, agent, now)
			c, _ = mustDecide(t, c, casedesk.Reply{Body: "Done."}, agent, now)
			return c
		}, false},
		{"waited on the customer", func(c casedesk.Case) casedesk.Case {
			c, _ = mustDecide(t, c, casedesk.RequestInfo{Body: "Which card?"}, agent, now)
			c, _ = mustDecide(t, c, casedesk.CustomerReply{Body: "Visa"}, casedesk.CustomerActor, now)
			return c
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := caseIn(t, casedesk.StatusOpen)
			c = tt.walk(c)
			c, _ = mustDecide(t, c, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered}, agent, now)
			if c.FirstContactResolution != tt.want {
				t.Errorf("first contact resolution = %v, want %v", c.FirstContactResolution, tt.want)
			}
		})
	}
}

func TestReportFilters(t *testing.T) {
	get := func(q string) func(string) string {
		v, _ := url.ParseQuery(q)
		return v.Get
	}
	f, err := casedesk.ParseReportFilter(get("from=2025-03-01&to=2025-04-01T00:00:00Z&type=dispute&group_by=week"))
	if err != nil || !f.From.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) || f.GroupBy != "week" || f.Type != "dispute" {
		t.Fatalf("ParseReportFilter = %+v, %v", f, err)
	}
	for q, fields := range map[string][]string{
		"":                              {"from", "to"},
		"from=2025-03-02&to=2025-03-01": {"to"},
		"from=yesterday&to=2025-03-01":  {"from"},
		"from=2025-03-01&to=2025-03-02&group_by=hour": {"group_by"},
		"from=2020-01-01&to=2025-03-02":               {"to"},
		"from=2025-03-01&to=2025-03-02&channel=fax":   {"channel"},
	} {
		_, err := casedesk.ParseReportFilter(get(q))
		wantFields(t, err, fields...)
	}

	t.Run("agents see their own numbers, supervisors everyone's", func(t *testing.T) {
		a := casedesk.User{ID: "U-A", Role: casedesk.RoleAgent}
		if got, err := casedesk.ScopeReport(casedesk.ReportFilter{}, a); err != nil || got.AgentID != "U-A" {
			t.Errorf("an agent's report: %+v %v", got, err)
		}
		_, err := casedesk.ScopeReport(casedesk.ReportFilter{AgentID: "U-B"}, a)
		wantCode(t, err, casedesk.EFORBIDDEN)
		s := casedesk.User{ID: "U-S", Role: casedesk.RoleSupervisor}
		if got, err := casedesk.ScopeReport(casedesk.ReportFilter{AgentID: "U-B"}, s); err != nil || got.AgentID != "U-B" {
			t.Errorf("a supervisor's report: %+v %v", got, err)
		}
		_, err = casedesk.ScopeReport(casedesk.ReportFilter{}, casedesk.User{Role: casedesk.RoleIntegration})
		wantCode(t, err, casedesk.EFORBIDDEN)
	})

	t.Run("a drill-down survives its round trip through a link", func(t *testing.T) {
		from, to := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)
		d := casedesk.DrillDown{Channel: casedesk.ChannelEmail, AgentID: casedesk.None, ResolvedFrom: &from, ResolvedTo: &to,
			SLAClock: casedesk.ClockResolution, SLADueFrom: &from, SLAMet: ptr(false), FCR: ptr(true),
			Posted: casedesk.KindRefund, Currency: "USD"}
		var v casedesk.Validation
		got := casedesk.ParseDrillDown(d.Values().Get, &v)
		if err := v.Err(); err != nil || !reflect.DeepEqual(got, d) {
			t.Errorf("round trip = %+v (%v), want %+v", got, err, d)
		}
		v = casedesk.Validation{}
		got = casedesk.ParseDrillDown(get("sla_breached=first_response"), &v)
		if got.SLAClock != casedesk.ClockFirstResponse || got.SLAMet == nil || *got.SLAMet {
			t.Errorf("sla_breached = %+v", got)
		}
		v = casedesk.Validation{}
		casedesk.ParseDrillDown(get("sla_met=true&posted=cash&fcr=maybe"), &v)
		wantFields(t, v.Err(), "fcr", "sla_clock", "posted")
	})
}

func TestKPIFiguresCarryTheirCountDefinitionAndDrillDown(t *testing.T) {
	f := casedesk.ReportFilter{From: time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC),
		Channel: casedesk.ChannelPhone, GroupBy: casedesk.GroupDay}
	h := func(x float64) *float64 { x *= 3600; return &x }
	a := casedesk.Aggregates{Opened: 10, Resolved: 8, FCR: 6, Handled: 7, HandlingBusinessMean: h(1.5),
		FirstResponseTargets: 5, FirstResponseMet: 4, Rated: 4, Satisfied: 3, RatingSum: 17,
		ChargebacksWon: 1, ChargebacksLost: 2, ChargebacksExpired: 1,
		Invoices: ptr(int64(20)), InvoicesTouched: ptr(int64(2)),
		Money: []casedesk.MoneyTotal{{Kind: casedesk.KindRefund, Currency: "USD", Count: 2}}}
	var order []casedesk.Measure
	k := casedesk.BuildKPIs(f, "", true, a, &order)
	check := func(kpi, measure string, value any, count int64, link ...string) {
		t.Helper()
		fig, ok := k[kpi][measure]
		if !ok {
			t.Fatalf("no %s.%s", kpi, measure)
		}
		if !reflect.DeepEqual(fig.Value, value) || fig.Count != count {
			t.Errorf("%s.%s = %v (count %d), want %v (count %d)", kpi, measure, fig.Value, fig.Count, value, count)
		}
		if fig.Definition == "" || fig.Doc != "docs/kpis.md#"+kpi || !strings.HasPrefix(fig.CSV, "/v1/reports/cases.csv?") {
			t.Errorf("%s.%s: definition %q, doc %q, csv %q", kpi, measure, fig.Definition, fig.Doc, fig.CSV)
		}
		q, err := url.ParseQuery(strings.TrimPrefix(fig.Cases, "/v1/cases?"))
		if err != nil || q.Get("channel") != "phone" {
			t.Errorf("%s.%s: link %s does not keep the report's filters", kpi, measure, fig.Cases)
		}
		for i := 0; i+1 < len(link); i += 2 {
			if q.Get(link[i]) != link[i+1] {
				t.Errorf("%s.%s: link %s has %s=%q, want %q", kpi, measure, fig.Cases, link[i], q.Get(link[i]), link[i+1])
			}
		}
	}
	check("first_contact_resolution", "rate", 0.75, 8, "resolved_from", "2025-03-03T00:00:00Z", "resolved_to", "2025-03-10T00:00:00Z", "fcr", "")
	check("first_contact_resolution", "resolved_at_first_contact", int64(6), 6, "fcr", "true")
	check("average_handling_time", "mean_business_hours", 1.5, 7, "has_handling_time", "true")
	check("average_handling_time", "median_hours", nil, 7)
	check("sla", "first_response_met_rate", 0.8, 5, "sla_clock", "first_response", "sla_met", "")
	check("sla", "first_response_breached", int64(1), 1, "sla_met", "false")
	check("sla", "resolution_met_rate", nil, 0)
	check("csat", "score", 0.75, 4, "rated", "true")
	check("csat", "mean_rating", 4.25, 4)
	check("csat", "response_rate", 0.5, 8)
	check("billing_accuracy", "rate", 0.9, 20, "billing_error_from", "2025-03-03T00:00:00Z")
	check("chargebacks", "win_rate", 0.25, 4, "type", "chargeback")
	check("refunds", "total_USD", "0.00", 2, "posted", "refund", "currency", "USD")
	check("volume", "opened", int64(10), 10, "opened_from", "2025-03-03T00:00:00Z")
	if len(order) < 30 || order[0] != (casedesk.Measure{KPI: "volume", Name: "opened"}) {
		t.Errorf("order %v", order)
	}

	t.Run("a group's links narrow to the group", func(t *testing.T) {
		day := casedesk.BuildKPIs(f, "2025-03-04", false, a, nil)
		q, _ := url.ParseQuery(strings.TrimPrefix(day["first_contact_resolution"]["rate"].Cases, "/v1/cases?"))
		if q.Get("resolved_from") != "2025-03-04T00:00:00Z" || q.Get("resolved_to") != "2025-03-05T00:00:00Z" {
			t.Errorf("day link %v", q)
		}
		f.GroupBy = casedesk.GroupAgent
		none := casedesk.BuildKPIs(f, "", false, a, nil)
		q, _ = url.ParseQuery(strings.TrimPrefix(none["volume"]["opened"].Cases, "/v1/cases?"))
		if q.Get("agent_id") != casedesk.None {
			t.Errorf("the unassigned group's link %v", q)
		}
	})
	t.Run("a report about one type leaves out the figures of another", func(t *testing.T) {
		f := f
		f.Type = casedesk.TypeInquiry
		k := casedesk.BuildKPIs(f, "", true, a, nil)
		if _, ok := k["chargebacks"]; ok {
			t.Errorf("an inquiry report has chargeback figures")
		}
		if _, ok := k["volume"]["opened_inquiry"]; !ok {
			t.Errorf("no opened_inquiry")
		}
	})
	if casedesk.GroupKey(casedesk.GroupWeek, time.Date(2025, 3, 9, 23, 0, 0, 0, time.UTC)) != "2025-03-03" ||
		casedesk.GroupKey(casedesk.GroupDay, time.Date(2025, 3, 9, 23, 0, 0, 0, time.UTC)) != "2025-03-09" {
		t.Errorf("GroupKey")
	}
}
