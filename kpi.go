package casedesk

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The team's numbers. docs/kpis.md defines each KPI; the definitions here
// are the ones the report serves. The store aggregates the read model with
// SQL into Aggregates; BuildKPIs turns them into figures with their
// definitions and the drill-down links that list the cases behind them.

// Groupings of a KPI report.
const (
	GroupDay      = "day"
	GroupWeek     = "week"
	GroupAgent    = "agent"
	GroupType     = "type"
	GroupChannel  = "channel"
	GroupCategory = "category"
)

// GroupBys lists the groupings of a KPI report.
var GroupBys = []string{GroupDay, GroupWeek, GroupAgent, GroupType, GroupChannel, GroupCategory}

// MaxReportSpan bounds the period of one report.
const MaxReportSpan = 400 * 24 * time.Hour

// None is the filter value of an unassigned case (agent_id) or an
// uncategorized one (category) in drill-down links.
const None = "none"

// ReportFilter is the period and the filters of a KPI report or export.
type ReportFilter struct {
	From, To time.Time
	Type     Type
	Channel  Channel
	Priority Priority
	Category string
	AgentID  string
	GroupBy  string
}

// ParseReportFilter reads a report's query parameters and names every bad
// one. from and to are RFC 3339 times or dates (YYYY-MM-DD, midnight UTC);
// the period is [from, to).
func ParseReportFilter(get func(string) string) (ReportFilter, error) {
	var v Validation
	f := ReportFilter{
		Type:     Type(get("type")),
		Channel:  Channel(get("channel")),
		Priority: Priority(get("priority")),
		Category: get("category"),
		AgentID:  get("agent_id"),
		GroupBy:  get("group_by"),
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		s := get(p.name)
		if s == "" {
			v.Add(p.name, "is required: an RFC 3339 time or a date (YYYY-MM-DD)")
			continue
		}
		t, err := parseReportTime(s)
		if err != nil {
			v.Add(p.name, "must be an RFC 3339 time or a date (YYYY-MM-DD)")
		}
		*p.dst = t
	}
	if !f.From.IsZero() && !f.To.IsZero() {
		switch {
		case !f.To.After(f.From):
			v.Add("to", "must be after from")
		case f.To.Sub(f.From) > MaxReportSpan:
			v.Add("to", "is more than %d days after from", int(MaxReportSpan/(24*time.Hour)))
		}
	}
	oneOf(&v, "type", f.Type, Types)
	oneOf(&v, "channel", f.Channel, Channels)
	oneOf(&v, "priority", f.Priority, Priorities)
	if f.GroupBy != "" && !slices.Contains(GroupBys, f.GroupBy) {
		v.Add("group_by", "must be one of %s", strings.Join(GroupBys, ", "))
	}
	if len(f.Category) > 64 || len(f.AgentID) > 64 {
		v.Add("category", "and agent_id are at most 64 characters")
	}
	return f, v.Err()
}

func parseReportTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC().Truncate(time.Microsecond), err
}

// ScopeReport applies who may see what: supervisors and admins see every
// agent's numbers; an agent sees their own only (agent_id defaults to
// them), and grouping by agent is theirs alone too.
func ScopeReport(f ReportFilter, u User) (ReportFilter, error) {
	var err error
	f.AgentID, err = ScopeAgent(f.AgentID, u)
	return f, err
}

// ScopeAgent returns the agent_id filter u may use for agentID: any for
// supervisors and admins, their own for an agent.
func ScopeAgent(agentID string, u User) (string, error) {
	switch {
	case u.Role.CanApprove():
		return agentID, nil
	case u.Role != RoleAgent:
		return agentID, Errorf(EFORBIDDEN, "reports are for staff")
	case agentID == "" || agentID == u.ID:
		return u.ID, nil
	}
	return agentID, Errorf(EFORBIDDEN, "agents see their own numbers only (agent_id=%s)", u.ID)
}

// CaseRow is one case of the CSV export.
type CaseRow struct {
	ID               string
	Type             Type
	Status           Status
	Priority         Priority
	Channel          Channel
	Category         string
	CustomerID       string
	AssigneeID       string
	OpenedAt         time.Time
	FirstResponseAt  *time.Time
	ResolvedAt       *time.Time
	ClosedAt         *time.Time
	Outcome          string
	FCR              bool
	Handling         time.Duration
	HandlingBusiness time.Duration
	FirstResponseMet *bool
	ResolutionMet    *bool
	Rating           *int
}

// DrillDown selects the cases behind a KPI figure; GET /v1/cases and the
// CSV export take it as query parameters. Zero fields do not filter.
// Windows are [from, to).
type DrillDown struct {
	Channel  Channel
	Category string // None: uncategorized
	AgentID  string // None: unassigned
	Outcome  string

	OpenedFrom, OpenedTo               *time.Time
	ResolvedFrom, ResolvedTo           *time.Time
	FirstResponseFrom, FirstResponseTo *time.Time
	ReopenedFrom, ReopenedTo           *time.Time
	// BacklogAt selects the cases open at that time: opened before it and
	// not resolved by then.
	BacklogAt *time.Time
	// SLAClock with SLADueFrom/To selects the cases whose target on that
	// clock came due in the window and is decided; SLAMet narrows to the
	// targets met (true) or missed (false).
	SLAClock             string
	SLADueFrom, SLADueTo *time.Time
	SLAMet               *bool
	FCR                  *bool
	Rated, Satisfied     *bool
	Posted               string // refund or credit: a ledger entry of that kind posted in PostedFrom/To
	PostedFrom, PostedTo *time.Time
	Currency             string
	BillingErrorFrom     *time.Time // cases that touched an invoice issued in the window
	BillingErrorTo       *time.Time // (an upheld dispute on it, or a credit posted to it)
	// HasHandlingTime selects the cases that were worked at all.
	HasHandlingTime *bool
}

// SLA clocks.
const (
	ClockFirstResponse = "first_response"
	ClockResolution    = "resolution"
)

// drillDownTimes are the time parameters of a drill-down, by name.
func (d *DrillDown) times() []struct {
	name string
	dst  **time.Time
} {
	return []struct {
		name string
		dst  **time.Time
	}{
		{"opened_from", &d.OpenedFrom}, {"opened_to", &d.OpenedTo},
		{"resolved_from", &d.ResolvedFrom}, {"resolved_to", &d.ResolvedTo},
		{"first_response_from", &d.FirstResponseFrom}, {"first_response_to", &d.FirstResponseTo},
		{"reopened_from", &d.ReopenedFrom}, {"reopened_to", &d.ReopenedTo},
		{"backlog_at", &d.BacklogAt},
		{"sla_due_from", &d.SLADueFrom}, {"sla_due_to", &d.SLADueTo},
		{"posted_from", &d.PostedFrom}, {"posted_to", &d.PostedTo},
		{"billing_error_from", &d.BillingErrorFrom}, {"billing_error_to", &d.BillingErrorTo},
	}
}

func (d *DrillDown) bools() []struct {
	name string
	dst  **bool
} {
	return []struct {
		name string
		dst  **bool
	}{
		{"sla_met", &d.SLAMet}, {"fcr", &d.FCR}, {"rated", &d.Rated}, {"satisfied", &d.Satisfied},
		{"has_handling_time", &d.HasHandlingTime},
	}
}

// ParseDrillDown reads the drill-down parameters into d, recording bad ones
// in v. sla_breached=<clock> is short for sla_clock=<clock>&sla_met=false.
func ParseDrillDown(get func(string) string, v *Validation) DrillDown {
	d := DrillDown{
		Channel:  Channel(get("channel")),
		Category: get("category"),
		AgentID:  get("agent_id"),
		Outcome:  get("outcome"),
		SLAClock: get("sla_clock"),
		Posted:   get("posted"),
		Currency: strings.ToUpper(get("currency")),
	}
	oneOf(v, "channel", d.Channel, Channels)
	for _, p := range d.times() {
		if s := get(p.name); s != "" {
			t, err := parseReportTime(s)
			if err != nil {
				v.Add(p.name, "must be an RFC 3339 time or a date (YYYY-MM-DD)")
				continue
			}
			*p.dst = &t
		}
	}
	for _, p := range d.bools() {
		if s := get(p.name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				v.Add(p.name, "must be true or false")
				continue
			}
			*p.dst = &b
		}
	}
	if b := get("sla_breached"); b != "" {
		no := false
		d.SLAClock, d.SLAMet = b, &no
	}
	if d.SLAClock != "" && d.SLAClock != ClockFirstResponse && d.SLAClock != ClockResolution {
		v.Add("sla_clock", "must be first_response or resolution")
	}
	if (d.SLADueFrom != nil || d.SLADueTo != nil || d.SLAMet != nil) && d.SLAClock == "" {
		v.Add("sla_clock", "is required with sla_due_from, sla_due_to and sla_met")
	}
	if d.Posted != "" && d.Posted != KindRefund && d.Posted != KindCredit {
		v.Add("posted", "must be refund or credit")
	}
	if (d.PostedFrom != nil || d.PostedTo != nil || d.Currency != "") && d.Posted == "" {
		v.Add("posted", "is required with posted_from, posted_to and currency")
	}
	return d
}

// Values returns d as query parameters, the inverse of ParseDrillDown.
func (d DrillDown) Values() url.Values {
	q := url.Values{}
	set := func(name, value string) {
		if value != "" {
			q.Set(name, value)
		}
	}
	set("channel", string(d.Channel))
	set("category", d.Category)
	set("agent_id", d.AgentID)
	set("outcome", d.Outcome)
	set("sla_clock", d.SLAClock)
	set("posted", d.Posted)
	set("currency", d.Currency)
	for _, p := range d.times() {
		if *p.dst != nil {
			q.Set(p.name, (*p.dst).UTC().Format(time.RFC3339Nano))
		}
	}
	for _, p := range d.bools() {
		if *p.dst != nil {
			q.Set(p.name, strconv.FormatBool(**p.dst))
		}
	}
	return q
}

// IsZero reports whether d selects nothing beyond the other case filters.
func (d DrillDown) IsZero() bool { return len(d.Values()) == 0 }

// StatusChange is one change of a case's status or assignee, as the read
// model recorded it.
type StatusChange struct {
	Version    int64
	Status     Status
	AssigneeID string
	At         time.Time
}

// CaseFacts are what the reports need of one case, kept in the read model
// beside it. Durations are nil while unknown; business durations are in the
// business hours of the case's SLA calendar (calendar time without one).
type CaseFacts struct {
	FirstResponseAt       *time.Time
	FirstResponse         *time.Duration
	FirstResponseBusiness *time.Duration
	Resolution            *time.Duration
	ResolutionBusiness    *time.Duration
	// Handling is the time the case was worked: open with an assignee,
	// from assignment, reopening or the customer's answer until it waits
	// on the customer, waits for an approval or a supervisor, is resolved
	// or is reassigned. Only intervals that ended count.
	Handling         time.Duration
	HandlingBusiness time.Duration
	// FirstResponseMet and ResolutionMet are nil until decided: met when
	// the clock stopped by its due time, missed when it breached.
	FirstResponseDue *time.Time
	FirstResponseMet *bool
	ResolutionDue    *time.Time
	ResolutionMet    *bool
	// InvoiceID is the invoice a dispute is about.
	InvoiceID string
}

// PolicyCalendar returns the calendar name of an SLA policy label
// (type/priority@calendar), "" when there is none.
func PolicyCalendar(policy string) string {
	_, name, _ := strings.Cut(policy, "@")
	return name
}

// Facts computes the report facts of c from its status history (oldest
// first) in the business hours of cal (nil: calendar time).
func Facts(c Case, history []StatusChange, cal *Calendar) CaseFacts {
	between := func(from, to time.Time) time.Duration {
		if cal == nil {
			return to.Sub(from)
		}
		return cal.Between(from, to)
	}
	dur := func(from, to time.Time) (*time.Duration, *time.Duration) {
		d, b := to.Sub(from), between(from, to)
		return &d, &b
	}
	f := CaseFacts{FirstResponseAt: c.SLA.FirstResponseAt, FirstResponseDue: c.SLA.FirstResponseDue,
		ResolutionDue: c.SLA.ResolutionDue}
	if c.Dispute != nil {
		f.InvoiceID = c.Dispute.InvoiceID
	}
	if at := c.SLA.FirstResponseAt; at != nil {
		f.FirstResponse, f.FirstResponseBusiness = dur(c.OpenedAt, *at)
	}
	if at := c.ResolvedAt; at != nil {
		f.Resolution, f.ResolutionBusiness = dur(c.OpenedAt, *at)
	}
	met := func(due, stopped *time.Time, breached bool) *bool {
		var b bool
		switch {
		case due == nil:
			return nil
		case breached:
			b = false
		case stopped != nil:
			b = !stopped.After(*due)
		default:
			return nil
		}
		return &b
	}
	f.FirstResponseMet = met(c.SLA.FirstResponseDue, c.SLA.FirstResponseAt, c.SLA.FirstResponseBreached)
	f.ResolutionMet = met(c.SLA.ResolutionDue, c.ResolvedAt, c.SLA.ResolutionBreached)
	h := slices.Clone(history)
	sort.Slice(h, func(i, j int) bool { return h[i].Version < h[j].Version })
	for i := 0; i+1 < len(h); i++ {
		if h[i].Status == StatusOpen && h[i].AssigneeID != "" && h[i+1].At.After(h[i].At) {
			f.Handling += h[i+1].At.Sub(h[i].At)
			f.HandlingBusiness += between(h[i].At, h[i+1].At)
		}
	}
	return f
}

// Aggregates are the sums the store computes for one group of a report
// (or its totals). Durations are in seconds; nil when nothing was counted.
type Aggregates struct {
	Opened          int64
	OpenedByType    map[Type]int64
	OpenedByChannel map[Channel]int64
	Backlog         *int64 // nil where it does not apply (day and week groups)
	Reopened        int64

	Resolved int64
	FCR      int64

	Handled                  int64
	HandlingMean             *float64
	HandlingMedian           *float64
	HandlingBusinessMean     *float64
	HandlingBusinessMedian   *float64
	Responded                int64
	FirstResponseP50         *float64
	FirstResponseP90         *float64
	FirstResponseBusinessP50 *float64
	FirstResponseBusinessP90 *float64
	ResolutionP50            *float64
	ResolutionP90            *float64
	ResolutionBusinessP50    *float64
	ResolutionBusinessP90    *float64

	FirstResponseTargets, FirstResponseMet int64
	ResolutionTargets, ResolutionMet       int64

	Rated, Satisfied int64
	RatingSum        int64

	ChargebacksOpened, ChargebacksWon, ChargebacksLost, ChargebacksExpired int64

	// Invoices issued and those touched; nil where it does not apply.
	Invoices, InvoicesTouched *int64

	Money []MoneyTotal
}

// MoneyTotal is what moved of one kind in one currency.
type MoneyTotal struct {
	Kind     string
	Currency string
	Count    int64
	Amount   decimal.Decimal
}

// ReportGroup is one group of a report: its key (a day or week as
// YYYY-MM-DD, an agent ID, a type, a channel, a category; "" for none).
type ReportGroup struct {
	Key string
	Aggregates
}

// Figure is one KPI value with the count behind it, its definition and the
// links to the cases counted.
type Figure struct {
	Value      any    `json:"value"`
	Count      int64  `json:"count"`
	Unit       string `json:"unit"`
	Definition string `json:"definition"`
	Doc        string `json:"doc"`
	Cases      string `json:"cases"`
	CSV        string `json:"csv"`
}

// KPIs are the figures of one group, by KPI and measure.
type KPIs map[string]map[string]Figure

// KPIDoc is where the KPIs are defined.
const KPIDoc = "docs/kpis.md"

// Units of figures.
const (
	UnitCases   = "cases"
	UnitRatio   = "ratio"
	UnitHours   = "hours"
	UnitRating  = "rating"
	UnitAmount  = "amount"
	UnitRatings = "ratings"
)

// Measure names one figure of a KPI, in report order.
type Measure struct{ KPI, Name string }

// builder assembles the figures of one group.
type builder struct {
	f    ReportFilter
	base url.Values
	// window is the group's part of the period.
	from, to time.Time
	out      KPIs
	order    *[]Measure
}

func (b *builder) add(kpi, name string, fig Figure, sel func(*DrillDown)) {
	fig.Doc = KPIDoc + "#" + kpi
	d := DrillDown{}
	sel(&d)
	q := d.Values()
	for k, vs := range b.base {
		q[k] = vs
	}
	enc := q.Encode()
	fig.Cases = "/v1/cases?" + enc
	fig.CSV = "/v1/reports/cases.csv?" + enc
	if b.out[kpi] == nil {
		b.out[kpi] = map[string]Figure{}
	}
	b.out[kpi][name] = fig
	if b.order != nil {
		*b.order = append(*b.order, Measure{kpi, name})
	}
}

func ratio(n, d int64) any {
	if d == 0 {
		return nil
	}
	return float64(n) / float64(d)
}

func hours(s *float64) any {
	if s == nil {
		return nil
	}
	return *s / 3600
}

func ptr[T any](v T) *T { return &v }

// BuildKPIs turns the aggregates of a group into figures. key is the
// group's key under f.GroupBy ("" and total for the totals). order, when
// not nil, collects the measures in report order.
func BuildKPIs(f ReportFilter, key string, total bool, a Aggregates, order *[]Measure) KPIs {
	b := &builder{f: f, from: f.From, to: f.To, out: KPIs{}, order: order, base: url.Values{}}
	set := func(name, value string) {
		if value != "" {
			b.base.Set(name, value)
		}
	}
	set("type", string(f.Type))
	set("channel", string(f.Channel))
	set("priority", string(f.Priority))
	set("category", f.Category)
	set("agent_id", f.AgentID)
	if !total {
		orNone := func(s string) string {
			if s == "" {
				return None
			}
			return s
		}
		switch f.GroupBy {
		case GroupDay, GroupWeek:
			if start, err := time.Parse(time.DateOnly, key); err == nil {
				end := start.AddDate(0, 0, 1)
				if f.GroupBy == GroupWeek {
					end = start.AddDate(0, 0, 7)
				}
				b.from, b.to = later(b.from, start), earlier(b.to, end)
			}
		case GroupAgent:
			b.base.Set("agent_id", orNone(key))
		case GroupType:
			b.base.Set("type", key)
		case GroupChannel:
			b.base.Set("channel", key)
		case GroupCategory:
			b.base.Set("category", orNone(key))
		}
	}
	from, to := ptr(b.from), ptr(b.to)
	opened := func(d *DrillDown) { d.OpenedFrom, d.OpenedTo = from, to }
	resolved := func(d *DrillDown) { d.ResolvedFrom, d.ResolvedTo = from, to }
	with := func(base func(*DrillDown), more func(*DrillDown)) func(*DrillDown) {
		return func(d *DrillDown) { base(d); more(d) }
	}

	// Volume.
	b.add("volume", "opened", Figure{Value: a.Opened, Count: a.Opened, Unit: UnitCases,
		Definition: "Cases opened in the period."}, opened)
	for _, t := range Types {
		n := a.OpenedByType[t]
		b.addTyped("volume", "opened_"+string(t), Figure{Value: n, Count: n, Unit: UnitCases,
			Definition: "Cases of type " + string(t) + " opened in the period."}, opened, t)
	}
	for _, ch := range Channels {
		n := a.OpenedByChannel[ch]
		b.add("volume", "opened_"+string(ch), Figure{Value: n, Count: n, Unit: UnitCases,
			Definition: "Cases opened in the period through " + string(ch) + "."},
			with(opened, func(d *DrillDown) { d.Channel = ch }))
	}
	if a.Backlog != nil {
		b.add("volume", "backlog", Figure{Value: *a.Backlog, Count: *a.Backlog, Unit: UnitCases,
			Definition: "Cases open at the end of the period: opened before it and not resolved by then."},
			func(d *DrillDown) { d.BacklogAt = to })
	}
	b.add("volume", "reopened", Figure{Value: a.Reopened, Count: a.Reopened, Unit: UnitCases,
		Definition: "Cases reopened (by staff or by the customer's reply) in the period."},
		func(d *DrillDown) { d.ReopenedFrom, d.ReopenedTo = from, to })

	// First contact resolution.
	b.add("first_contact_resolution", "rate", Figure{Value: ratio(a.FCR, a.Resolved), Count: a.Resolved, Unit: UnitRatio,
		Definition: "Share of the cases resolved in the period that were resolved at the first contact: at most one public reply, never waiting on the customer, never escalated, never reopened, and not resolved as no_response."},
		resolved)
	b.add("first_contact_resolution", "resolved_at_first_contact", Figure{Value: a.FCR, Count: a.FCR, Unit: UnitCases,
		Definition: "Cases resolved in the period at the first contact."},
		with(resolved, func(d *DrillDown) { d.FCR = ptr(true) }))

	// Handling time.
	handled := with(resolved, func(d *DrillDown) { d.HasHandlingTime = ptr(true) })
	for _, m := range []struct {
		name, what string
		v          *float64
	}{
		{"mean_business_hours", "Mean business hours", a.HandlingBusinessMean},
		{"median_business_hours", "Median business hours", a.HandlingBusinessMedian},
		{"mean_hours", "Mean calendar hours", a.HandlingMean},
		{"median_hours", "Median calendar hours", a.HandlingMedian},
	} {
		b.add("average_handling_time", m.name, Figure{Value: hours(m.v), Count: a.Handled, Unit: UnitHours,
			Definition: m.what + " a case resolved in the period was worked: open with an assignee, from assignment, reopening or the customer's answer until it waited on the customer, waited for an approval or a supervisor, was resolved or was reassigned."},
			handled)
	}

	// First response and resolution times.
	responded := func(d *DrillDown) { d.FirstResponseFrom, d.FirstResponseTo = from, to }
	for _, m := range []struct {
		kpi, name, what string
		v               *float64
		n               int64
		sel             func(*DrillDown)
	}{
		{"first_response_time", "median_business_hours", "Median business hours from opening to the first public reply (or the resolution, without one), of the first responses in the period.", a.FirstResponseBusinessP50, a.Responded, responded},
		{"first_response_time", "p90_business_hours", "90th percentile of business hours from opening to the first response, of the first responses in the period.", a.FirstResponseBusinessP90, a.Responded, responded},
		{"first_response_time", "median_hours", "Median calendar hours from opening to the first response, of the first responses in the period.", a.FirstResponseP50, a.Responded, responded},
		{"first_response_time", "p90_hours", "90th percentile of calendar hours from opening to the first response, of the first responses in the period.", a.FirstResponseP90, a.Responded, responded},
		{"resolution_time", "median_business_hours", "Median business hours from opening to the (latest) resolution, of the cases resolved in the period; waiting on the customer included.", a.ResolutionBusinessP50, a.Resolved, resolved},
		{"resolution_time", "p90_business_hours", "90th percentile of business hours from opening to resolution, of the cases resolved in the period.", a.ResolutionBusinessP90, a.Resolved, resolved},
		{"resolution_time", "median_hours", "Median calendar hours from opening to resolution, of the cases resolved in the period.", a.ResolutionP50, a.Resolved, resolved},
		{"resolution_time", "p90_hours", "90th percentile of calendar hours from opening to resolution, of the cases resolved in the period.", a.ResolutionP90, a.Resolved, resolved},
	} {
		b.add(m.kpi, m.name, Figure{Value: hours(m.v), Count: m.n, Unit: UnitHours, Definition: m.what}, m.sel)
	}

	// SLA.
	for _, m := range []struct {
		clock      string
		met, total int64
	}{
		{ClockFirstResponse, a.FirstResponseMet, a.FirstResponseTargets},
		{ClockResolution, a.ResolutionMet, a.ResolutionTargets},
	} {
		due := func(d *DrillDown) { d.SLAClock, d.SLADueFrom, d.SLADueTo = m.clock, from, to }
		b.add("sla", m.clock+"_met_rate", Figure{Value: ratio(m.met, m.total), Count: m.total, Unit: UnitRatio,
			Definition: "Share of the " + m.clock + " targets that came due in the period and were met (the clock stopped by its due time without breaching); targets not yet decided are left out."},
			with(due, func(d *DrillDown) { d.SLAMet = nil }))
		b.add("sla", m.clock+"_met", Figure{Value: m.met, Count: m.met, Unit: UnitCases,
			Definition: "Cases whose " + m.clock + " target came due in the period and was met."},
			with(due, func(d *DrillDown) { d.SLAMet = ptr(true) }))
		b.add("sla", m.clock+"_breached", Figure{Value: m.total - m.met, Count: m.total - m.met, Unit: UnitCases,
			Definition: "Cases whose " + m.clock + " target came due in the period and was missed."},
			with(due, func(d *DrillDown) { d.SLAMet = ptr(false) }))
	}

	// CSAT.
	rated := with(resolved, func(d *DrillDown) { d.Rated = ptr(true) })
	var mean any
	if a.Rated > 0 {
		mean = float64(a.RatingSum) / float64(a.Rated)
	}
	b.add("csat", "score", Figure{Value: ratio(a.Satisfied, a.Rated), Count: a.Rated, Unit: UnitRatio,
		Definition: "Share of ratings of 4 or 5 (on the 1-5 scale) among the ratings of the cases resolved in the period."}, rated)
	b.add("csat", "satisfied", Figure{Value: a.Satisfied, Count: a.Satisfied, Unit: UnitRatings,
		Definition: "Ratings of 4 or 5 of the cases resolved in the period."},
		with(rated, func(d *DrillDown) { d.Satisfied = ptr(true) }))
	b.add("csat", "mean_rating", Figure{Value: mean, Count: a.Rated, Unit: UnitRating,
		Definition: "Mean rating (1-5) of the cases resolved in the period."}, rated)
	b.add("csat", "responses", Figure{Value: a.Rated, Count: a.Rated, Unit: UnitRatings,
		Definition: "Ratings given for the cases resolved in the period."}, rated)
	b.add("csat", "response_rate", Figure{Value: ratio(a.Rated, a.Resolved), Count: a.Resolved, Unit: UnitRatio,
		Definition: "Ratings over the resolutions in the period; every resolution offers the customer a rating (the resolution email's link and the case page)."},
		resolved)

	// Billing accuracy.
	if a.Invoices != nil && a.InvoicesTouched != nil {
		billing := func(d *DrillDown) { d.BillingErrorFrom, d.BillingErrorTo = from, to }
		b.add("billing_accuracy", "rate", Figure{Value: ratio(*a.Invoices-*a.InvoicesTouched, *a.Invoices), Count: *a.Invoices, Unit: UnitRatio,
			Definition: "Share of the invoices issued in the period that no upheld dispute and no posted credit touched. The case filters do not apply to invoices; the link lists the cases that touched one."},
			billing)
		b.add("billing_accuracy", "invoices_touched", Figure{Value: *a.InvoicesTouched, Count: *a.InvoicesTouched, Unit: "invoices",
			Definition: "Invoices issued in the period touched by an upheld dispute or a posted credit; the link lists those cases."},
			billing)
	}

	// Refunds and credits.
	for _, kind := range []string{KindRefund, KindCredit} {
		var n int64
		for _, m := range a.Money {
			if m.Kind == kind {
				n += m.Count
			}
		}
		posted := func(d *DrillDown) { d.Posted, d.PostedFrom, d.PostedTo = kind, from, to }
		b.add(kind+"s", "count", Figure{Value: n, Count: n, Unit: "entries",
			Definition: "Ledger entries of " + kind + "s posted in the period (the link lists their cases)."}, posted)
		for _, m := range a.Money {
			if m.Kind != kind {
				continue
			}
			cur := m.Currency
			b.add(kind+"s", "total_"+cur, Figure{Value: FormatAmount(m.Amount, cur), Count: m.Count, Unit: UnitAmount + " " + cur,
				Definition: "Total of the " + kind + "s in " + cur + " posted in the period."},
				with(posted, func(d *DrillDown) { d.Currency = cur }))
		}
	}

	// Chargebacks.
	b.addTyped("chargebacks", "opened", Figure{Value: a.ChargebacksOpened, Count: a.ChargebacksOpened, Unit: UnitCases,
		Definition: "Chargeback cases opened in the period."}, opened, TypeChargeback)
	decided := a.ChargebacksWon + a.ChargebacksLost + a.ChargebacksExpired
	for _, m := range []struct {
		outcome string
		n       int64
	}{{OutcomeWon, a.ChargebacksWon}, {OutcomeLost, a.ChargebacksLost}, {OutcomeExpired, a.ChargebacksExpired}} {
		b.addTyped("chargebacks", m.outcome, Figure{Value: m.n, Count: m.n, Unit: UnitCases,
			Definition: "Chargebacks resolved in the period as " + m.outcome + "."},
			with(resolved, func(d *DrillDown) { d.Outcome = m.outcome }), TypeChargeback)
	}
	b.addTyped("chargebacks", "win_rate", Figure{Value: ratio(a.ChargebacksWon, decided), Count: decided, Unit: UnitRatio,
		Definition: "Chargebacks won over those resolved in the period (won, lost or expired)."},
		resolved, TypeChargeback)
	return b.out
}

// addTyped adds a figure about cases of type t only; none when the report
// is about another type.
func (b *builder) addTyped(kpi, name string, fig Figure, sel func(*DrillDown), t Type) {
	saved := b.base.Get("type")
	if saved != "" && saved != string(t) {
		return
	}
	b.base.Set("type", string(t))
	b.add(kpi, name, fig, sel)
	if saved == "" {
		b.base.Del("type")
	}
}

// GroupKey returns the key of the group of a time for day and week
// grouping (UTC; weeks start on Monday).
func GroupKey(groupBy string, t time.Time) string {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if groupBy == GroupWeek {
		day = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	}
	return day.Format(time.DateOnly)
}
