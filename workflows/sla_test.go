package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/temporalerr"
)

// eventsOf returns the events of the given type.
func eventsOf(events []casedesk.Event, typ string) []casedesk.Event {
	var out []casedesk.Event
	for _, e := range events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestAChargebackLeftAloneForFortyFiveDaysExpiresOnTime(t *testing.T) {
	began := time.Now()
	h := newHarness(t)
	due := start.Add(45 * 24 * time.Hour)
	h.do(time.Hour, supervisor, casedesk.Assign{AssigneeID: agent.ID})
	h.do(24*time.Hour, agent, casedesk.AddEvidence{Kind: "receipt", Text: "Signed receipt"})
	final, err := h.runCase(casedesk.DefaultRules(), casedesk.OpenRequest{Type: casedesk.TypeChargeback, CustomerID: "CU-1",
		Subject: "Chargeback 13.1", Channel: casedesk.ChannelEmail, PaymentID: "PAY-1", Amount: "49.99", Currency: "USD",
		Network: "visa", ReasonCode: "13.1", DueBy: &due})
	if err != nil {
		t.Fatal(err)
	}
	events := h.rec.timeline()
	for _, w := range []struct {
		typ string
		at  time.Time
	}{
		{casedesk.EventDeadlineWarning, due.Add(-72 * time.Hour)},
		{casedesk.EventDeadlineEscalated, due.Add(-24 * time.Hour)},
		{casedesk.EventChargebackExpired, due},
	} {
		got := eventsOf(events, w.typ)
		if len(got) != 1 || !got[0].At.Equal(w.at) || got[0].Actor != "system" {
			t.Errorf("%s: %+v, want one at %s by system", w.typ, got, w.at)
		}
	}
	if final.Outcome != casedesk.OutcomeExpired || final.Chargeback.Stage != casedesk.StageLost || final.Status != casedesk.StatusClosed {
		t.Errorf("final: outcome %s stage %s status %s, want expired/lost/closed", final.Outcome, final.Chargeback.Stage, final.Status)
	}
	if !final.Chargeback.Escalated || final.NeedsSupervisor() {
		t.Error("the chargeback was escalated to supervisors, and leaves their queue once it ends")
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("45 days took %s of real time", took)
	}
}

func TestARespondedChargebackDoesNotExpire(t *testing.T) {
	h := newHarness(t)
	due := start.Add(20 * 24 * time.Hour)
	h.do(time.Hour, supervisor, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Hour, agent, casedesk.AddEvidence{Kind: "shipping_documentation", Text: "Tracking 1Z999"})
	h.do(time.Hour, agent, casedesk.Respond{Summary: "Delivered and signed for"})
	second := h.do(time.Minute, agent, casedesk.Respond{})
	h.do(time.Hour, supervisor, casedesk.DecideApproval{ApprovalID: "C-TEST01-A1", Approve: true})
	h.do(30*24*time.Hour, agent, casedesk.NetworkOutcome{Outcome: "won"})
	final, err := h.runCase(casedesk.DefaultRules(), casedesk.OpenRequest{Type: casedesk.TypeChargeback, CustomerID: "CU-1",
		Subject: "Chargeback 4855", Channel: casedesk.ChannelEmail, PaymentID: "PAY-1", Amount: "120.00", Currency: "USD",
		Network: "mastercard", ReasonCode: "4855", DueBy: &due})
	if err != nil {
		t.Fatal(err)
	}
	if second.accepted || casedesk.ErrorCode(asCaseError(second.rejected)) != casedesk.ECONFLICT {
		t.Errorf("a second response: accepted=%v rejected=%v, want a conflict", second.accepted, second.rejected)
	}
	events := h.rec.timeline()
	if n := len(eventsOf(events, casedesk.EventChargebackExpired)); n != 0 {
		t.Errorf("a responded chargeback expired")
	}
	if final.Outcome != casedesk.OutcomeWon || final.Chargeback.Stage != casedesk.StageWon {
		t.Errorf("outcome %s stage %s, want won", final.Outcome, final.Chargeback.Stage)
	}
}

func TestAMonthOfWaitingOnTheCustomerPausesTheResolutionClock(t *testing.T) {
	h := newHarness(t)
	rules := casedesk.DefaultRules()
	rules.WaitingTimeout = 25 * 8 * time.Hour // 25 business days: the customer may take a month
	// start is Monday 2026-03-02 09:00 UTC.
	h.do(time.Hour, agent, casedesk.Assign{AssigneeID: agent.ID})
	waiting := h.do(time.Hour, agent, casedesk.RequestInfo{Body: "Please send the bank statement"})
	back := h.do(30*24*time.Hour, agent, casedesk.CustomerReply{Body: "Here it is"})
	h.do(time.Hour, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	if _, err := h.run(rules); err != nil {
		t.Fatal(err)
	}
	events := h.rec.timeline()
	reminders := eventsOf(events, casedesk.EventReminder)
	// Three business days after Monday 11:00: Thursday 11:00.
	if wantAt := start.Add(2*time.Hour + 3*24*time.Hour); len(reminders) != 1 || !reminders[0].At.Equal(wantAt) {
		t.Errorf("reminders %+v, want one at %s", reminders, wantAt)
	}
	if len(eventsOf(events, casedesk.EventSLAPaused)) != 1 || len(eventsOf(events, casedesk.EventSLAResumed)) != 1 {
		t.Errorf("want one pause and one resume: %v", eventTypes(events))
	}
	before, after := waiting.result.SLA.ResolutionDue, back.result.SLA.ResolutionDue
	if before == nil || after == nil || !after.After(*before) {
		t.Fatalf("resolution due %v then %v: it must move later", before, after)
	}
	// 30 calendar days from Monday 11:00 to Wednesday 11:00 hold 22 business
	// days of 8 hours: the deadline moves by exactly that business time.
	pausedBusiness := 22 * 8 * time.Hour
	if got := back.result.SLA.ResolutionDue; !got.Equal(supportAdd(t, *before, pausedBusiness)) {
		t.Errorf("resolution due after the wait %s, want %s", got, supportAdd(t, *before, pausedBusiness))
	}
	if waiting.result.SLA.Paused != true || back.result.SLA.Paused {
		t.Error("the clock must show paused while waiting and running after")
	}
	if n := len(eventsOf(events, casedesk.EventSLABreached)); n != 0 {
		t.Errorf("%d breaches while the clock was paused", n)
	}
}

func TestNoReplyInSevenBusinessDaysResolvesAsNoResponse(t *testing.T) {
	h := newHarness(t)
	h.do(time.Hour, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Hour, agent, casedesk.RequestInfo{Body: "Which card?"})
	final, err := h.run(casedesk.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	events := h.rec.timeline()
	resolved := eventsOf(events, casedesk.EventResolved)
	// Monday 11:00 plus 7 business days is Wednesday of the next week, 11:00.
	wantAt := start.Add(2*time.Hour + 9*24*time.Hour)
	if len(resolved) != 1 || !resolved[0].At.Equal(wantAt) || resolved[0].Data["outcome"] != casedesk.OutcomeNoResponse {
		t.Fatalf("resolved %+v, want no_response at %s", resolved, wantAt)
	}
	if final.Status != casedesk.StatusClosed {
		t.Errorf("status %s, want closed after the reopen window", final.Status)
	}
}

func TestAHolidayWeekMovesTheFirstResponseDeadline(t *testing.T) {
	cfg, err := casedesk.ParseSLAConfig([]byte(`{
		"calendars": {"support": {"time_zone": "America/New_York",
			"weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]},
			"holidays": ["2026-12-24", "2026-12-25", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	// Wednesday 2026-12-23 15:00 in New York.
	ny, _ := time.LoadLocation("America/New_York")
	h.env.SetStartTime(time.Date(2026, 12, 23, 15, 0, 0, 0, ny))
	h.do(14*24*time.Hour, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	rules := casedesk.DefaultRules()
	rules.SLA = cfg.Policies()
	if _, err := h.run(rules); err != nil {
		t.Fatal(err)
	}
	events := h.rec.timeline()
	// 4 business hours from Wed 15:00: 2h that day, then 2h on Monday 2027-01-04.
	wantDue := time.Date(2027, 1, 4, 11, 0, 0, 0, ny)
	breaches := eventsOf(events, casedesk.EventSLABreached)
	if len(breaches) == 0 || breaches[0].Data["clock"] != "first_response" || !breaches[0].At.Equal(wantDue) {
		t.Fatalf("breaches %+v, want the first response breached at %s", breaches, wantDue)
	}
	warnings := eventsOf(events, casedesk.EventSLAWarning)
	// 80% of 4h is 3h12m: 2h on Wednesday, 1h12m on Monday.
	if wantWarn := time.Date(2027, 1, 4, 10, 12, 0, 0, ny); len(warnings) == 0 || !warnings[0].At.Equal(wantWarn) {
		t.Errorf("warnings %+v, want the first at %s", warnings, wantWarn)
	}
	if !slices.ContainsFunc(events, func(e casedesk.Event) bool { return e.Type == casedesk.EventResolved }) {
		t.Error("the case was not resolved")
	}
}

func TestAPriorityChangeRecomputesTheDeadlines(t *testing.T) {
	h := newHarness(t)
	h.do(time.Hour, agent, casedesk.Assign{AssigneeID: agent.ID})
	urgent := h.do(time.Minute, supervisor, casedesk.SetPriority{Priority: casedesk.PriorityUrgent})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	if _, err := h.run(casedesk.DefaultRules()); err != nil {
		t.Fatal(err)
	}
	// Urgent: first response 1h, resolution 4h from Monday 09:00.
	if got := urgent.result.SLA.FirstResponseDue; got == nil || !got.Equal(start.Add(time.Hour)) {
		t.Errorf("urgent first response due %v, want %s", got, start.Add(time.Hour))
	}
	if got := urgent.result.SLA.ResolutionDue; got == nil || !got.Equal(start.Add(4*time.Hour)) {
		t.Errorf("urgent resolution due %v, want %s", got, start.Add(4*time.Hour))
	}
	// The new first-response deadline had already passed: it breaches at once.
	breaches := eventsOf(h.rec.timeline(), casedesk.EventSLABreached)
	if len(breaches) != 1 || !breaches[0].At.Equal(start.Add(time.Hour+time.Minute)) {
		t.Errorf("breaches %+v, want the first response breached right after the change", breaches)
	}
}

// supportAdd adds business time on the default support calendar.
func supportAdd(t *testing.T, from time.Time, d time.Duration) time.Time {
	t.Helper()
	cal, ok := casedesk.DefaultSLAConfig().Calendar("support")
	if !ok {
		t.Fatal("no support calendar")
	}
	return cal.Add(from, d)
}

func asCaseError(err error) error { return temporalerr.Unwrap(err) }
