package casedesk

import (
	"sort"
	"time"
)

// Defaults of the customer wait, in business days of the case's calendar.
const (
	DefaultReminderDays   = 3
	DefaultNoResponseDays = 7
)

// clock is the SLA policy of a case with its compiled calendar.
type clock struct {
	policy SLAPolicy
	cal    *Calendar
}

// clockFor returns the SLA policy of a case of type t and priority p under r,
// or nil when r has no SLA policies (SLA clocks are then off).
func (r Rules) clockFor(t Type, p Priority) *clock {
	for _, pol := range r.SLA {
		if pol.Type == t && pol.Priority == p {
			cal, err := pol.CompiledCalendar()
			if err != nil {
				// Policies are validated when the configuration loads; a
				// policy that no longer compiles switches its clocks off
				// rather than failing the case.
				return nil
			}
			return &clock{policy: pol, cal: cal}
		}
	}
	return nil
}

func at(t time.Time) *time.Time { return &t }

func scale(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

// businessDay is the length of an average business day of cal: the business
// time of a week over the number of days with business hours.
func businessDay(cal *Calendar) time.Duration {
	// A week far from any configured holiday.
	ref := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	var total time.Duration
	days := 0
	for i := range 7 {
		from := ref.AddDate(0, 0, i)
		if d := cal.Between(from, from.AddDate(0, 0, 1)); d > 0 {
			total += d
			days++
		}
	}
	if days == 0 {
		return 24 * time.Hour
	}
	return total / time.Duration(days)
}

// waitDurations returns how long, in business time, a case waits on the
// customer before a reminder and before it is resolved as no_response.
func (r Rules) waitDurations(cl *clock) (remind, giveUp time.Duration) {
	day := businessDay(cl.cal)
	remind, giveUp = r.WaitingReminder, r.WaitingTimeout
	if remind <= 0 {
		remind = DefaultReminderDays * day
	}
	if giveUp <= 0 {
		giveUp = DefaultNoResponseDays * day
	}
	return remind, giveUp
}

// planClocks recomputes every deadline of c from its clock state at now.
func (r Rules) planClocks(c *Case, now time.Time) {
	cl := r.clockFor(c.Type, c.Priority)
	s := &c.SLA
	if cl == nil {
		return
	}
	s.Policy = string(c.Type) + "/" + string(c.Priority) + "@" + cl.policy.CalendarName
	w := cl.policy.WarningAt
	// First response runs from opening until the first public reply or the resolution.
	if s.FirstResponseAt == nil && c.Status != StatusResolved && c.Status != StatusClosed {
		s.FirstResponseDue = at(cl.cal.Add(c.OpenedAt, cl.policy.FirstResponse))
		s.FirstResponseWarnAt = at(cl.cal.Add(c.OpenedAt, scale(cl.policy.FirstResponse, w)))
	} else {
		s.FirstResponseWarnAt = nil
	}
	// Resolution runs while ResolutionSince is set, less what it used before.
	if s.ResolutionSince != nil {
		remaining := cl.policy.Resolution - s.ResolutionUsed
		s.ResolutionDue = at(cl.cal.Add(*s.ResolutionSince, remaining))
		warnAfter := scale(cl.policy.Resolution, w) - s.ResolutionUsed
		if warnAfter < 0 {
			warnAfter = 0
		}
		s.ResolutionWarnAt = at(cl.cal.Add(*s.ResolutionSince, warnAfter))
	} else {
		s.ResolutionWarnAt = nil
	}
	if c.Status == StatusWaitingOnCustomer && s.WaitingSince != nil {
		remind, giveUp := r.waitDurations(cl)
		s.RemindAt = at(cl.cal.Add(*s.WaitingSince, remind))
		s.NoResponseAt = at(cl.cal.Add(*s.WaitingSince, giveUp))
	} else {
		s.WaitingSince, s.RemindAt, s.NoResponseAt = nil, nil, nil
	}
}

// startResolutionClock (re)starts the resolution clock from zero at now.
func (d *decision) startResolutionClock() {
	d.c.SLA.ResolutionSince = at(d.now)
	d.c.SLA.ResolutionUsed = 0
	d.c.SLA.ResolutionBreached = false
	d.c.SLA.ResolutionWarned = false
	d.c.SLA.Paused = false
}

// stopClocks stops both clocks at resolution.
func (d *decision) stopClocks() {
	d.c.SLA.ResolutionSince = nil
	d.c.SLA.Paused = false
	d.c.SLA.FirstResponseWarnAt = nil
	d.c.SLA.ResolutionWarnAt = nil
}

// pauseForCustomer pauses the resolution clock while the customer is asked.
func (d *decision) pauseForCustomer(r Rules) {
	s := &d.c.SLA
	s.WaitingSince = at(d.now)
	s.Reminded = false
	if s.ResolutionSince == nil {
		return
	}
	if cl := r.clockFor(d.c.Type, d.c.Priority); cl != nil {
		s.ResolutionUsed += cl.cal.Between(*s.ResolutionSince, d.now)
	}
	s.ResolutionSince = nil
	s.Paused = true
	d.emit(EventSLAPaused, map[string]any{"clock": "resolution"})
}

// resumeAfterCustomer resumes the resolution clock when the customer answers.
func (d *decision) resumeAfterCustomer(r Rules) {
	s := &d.c.SLA
	if !s.Paused {
		return
	}
	var pausedFor time.Duration
	if cl := r.clockFor(d.c.Type, d.c.Priority); cl != nil && s.WaitingSince != nil {
		pausedFor = cl.cal.Between(*s.WaitingSince, d.now)
	}
	s.Paused = false
	s.ResolutionSince = at(d.now)
	r.planClocks(&d.c, d.now)
	d.emit(EventSLAResumed, map[string]any{"clock": "resolution", "paused_business_time": pausedFor.String(),
		"resolution_due": s.ResolutionDue})
}

// Tick is issued by the workflow when a timer of the case is due. It fires
// every SLA, wait and deadline step due at or before now.
type Tick struct{}

// Name implements Command.
func (Tick) Name() string { return "tick" }

// NextTimer returns when the next timer of c is due, if any.
func NextTimer(c Case) (time.Time, bool) {
	var times []time.Time
	add := func(t *time.Time, when bool) {
		if t != nil && when {
			times = append(times, *t)
		}
	}
	s := c.SLA
	active := c.Status != StatusResolved && c.Status != StatusClosed
	add(s.FirstResponseWarnAt, active && s.FirstResponseAt == nil && !s.FirstResponseWarned)
	add(s.FirstResponseDue, active && s.FirstResponseAt == nil && !s.FirstResponseBreached)
	running := active && s.ResolutionSince != nil
	add(s.ResolutionWarnAt, running && !s.ResolutionWarned)
	add(s.ResolutionDue, running && !s.ResolutionBreached)
	waiting := c.Status == StatusWaitingOnCustomer
	add(s.RemindAt, waiting && !s.Reminded)
	add(s.NoResponseAt, waiting)
	if cb := c.Chargeback; cb != nil && active && cb.awaitingResponse() {
		add(at(cb.DueBy.Add(-ChargebackWarnBefore)), !cb.Warned)
		add(at(cb.DueBy.Add(-ChargebackEscalateBefore)), !cb.Escalated)
		add(&cb.DueBy, true)
	}
	add(c.ReopenUntil, c.Status == StatusResolved)
	for _, a := range c.Approvals {
		if a.Status == ApprovalPending {
			add(at(a.RemindAt), !a.Reminded)
			add(at(a.ExpiresAt), true)
		}
	}
	if len(times) == 0 {
		return time.Time{}, false
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return times[0], true
}

// due reports whether t is set and not after now.
func (d *decision) due(t *time.Time) bool { return t != nil && !t.After(d.now) }

// tick fires everything due at d.now, in the order a person would expect:
// warnings before breaches, the reminder before giving up on the customer.
func (d *decision) tick(r Rules) error {
	start := len(d.events)
	s := &d.c.SLA
	active := func() bool { return d.c.Status != StatusResolved && d.c.Status != StatusClosed }
	if active() && s.FirstResponseAt == nil {
		d.fireClock("first_response", s.FirstResponseWarnAt, &s.FirstResponseWarned, s.FirstResponseDue, &s.FirstResponseBreached)
	}
	if active() && s.ResolutionSince != nil {
		d.fireClock("resolution", s.ResolutionWarnAt, &s.ResolutionWarned, s.ResolutionDue, &s.ResolutionBreached)
	}
	if d.c.Status == StatusWaitingOnCustomer {
		if !s.Reminded && d.due(s.RemindAt) {
			s.Reminded = true
			d.emit(EventReminder, map[string]any{"waiting_since": s.WaitingSince})
		}
		if d.due(s.NoResponseAt) {
			if err := d.resolveAs(OutcomeNoResponse, "The customer did not reply.", r); err != nil {
				return err
			}
		}
	}
	if cb := d.c.Chargeback; cb != nil && active() && cb.awaitingResponse() {
		if !cb.Warned && !d.now.Before(cb.DueBy.Add(-ChargebackWarnBefore)) {
			d.chargeback().Warned = true
			d.emit(EventDeadlineWarning, map[string]any{"due_by": cb.DueBy})
		}
		if !cb.Escalated && !d.now.Before(cb.DueBy.Add(-ChargebackEscalateBefore)) {
			d.chargeback().Escalated = true
			d.emit(EventDeadlineEscalated, map[string]any{"due_by": cb.DueBy})
		}
		if !d.now.Before(cb.DueBy) {
			d.chargeback().Stage = StageLost
			d.emit(EventChargebackExpired, map[string]any{"due_by": cb.DueBy})
			if err := d.resolveAs(OutcomeExpired, "No response was submitted before the network's deadline.", r); err != nil {
				return err
			}
		}
	}
	if err := d.tickApprovals(r); err != nil {
		return err
	}
	if d.c.Status == StatusResolved && d.due(d.c.ReopenUntil) {
		if err := d.close("reopen window ended"); err != nil {
			return err
		}
	}
	if len(d.events) == start {
		return ErrNothingDue
	}
	return nil
}

// fireClock fires an SLA clock's warning at warnAt and its breach at due,
// each once: the warning when the target's warning share has passed, the
// breach when the target itself has.
// fireOverdueClocks fires the SLA clocks whose targets have passed, as a
// tick at d.now would, so that an action decided before its timer's task
// counts the breach first. Warnings alone wait for their timer.
func (d *decision) fireOverdueClocks() {
	s := &d.c.SLA
	if d.c.Status == StatusResolved || d.c.Status == StatusClosed {
		return
	}
	if s.FirstResponseAt == nil && !s.FirstResponseBreached && d.due(s.FirstResponseDue) {
		d.fireClock("first_response", s.FirstResponseWarnAt, &s.FirstResponseWarned, s.FirstResponseDue, &s.FirstResponseBreached)
	}
	if s.ResolutionSince != nil && !s.ResolutionBreached && d.due(s.ResolutionDue) {
		d.fireClock("resolution", s.ResolutionWarnAt, &s.ResolutionWarned, s.ResolutionDue, &s.ResolutionBreached)
	}
}

func (d *decision) fireClock(clock string, warnAt *time.Time, warned *bool, due *time.Time, breached *bool) {
	if !*warned && d.due(warnAt) {
		*warned = true
		d.emit(EventSLAWarning, map[string]any{"clock": clock, "due": due})
	}
	if !*breached && d.due(due) {
		*breached = true
		d.emit(EventSLABreached, map[string]any{"clock": clock, "due": due})
	}
}

// ErrNothingDue is what Tick returns when no timer of the case is due (the
// case changed since the timer was set). The workflow ignores it.
var ErrNothingDue = Errorf(ECONFLICT, "nothing is due")
