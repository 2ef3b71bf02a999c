package casedesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/casedesk/casedesk/internal/strictjson"
)

// SLAConfigEnv names the environment variable that holds the path of the SLA
// configuration file; unset, the built-in defaults apply.
const SLAConfigEnv = "CASEDESK_SLA_CONFIG"

// Names of the built-in calendars.
const (
	// CalendarSupport is UTC, Monday to Friday 09:00-17:00: a business day is
	// 8 business hours.
	CalendarSupport = "support"
	// CalendarAlways is UTC, always open: targets in calendar hours.
	CalendarAlways = "always"
)

// DefaultWarningAt is the share of a target at which the assignee is warned.
const DefaultWarningAt = 0.8

// SLAPolicy is the service level of the cases of one type and priority. It
// carries its calendar's spec, so that a workflow keeps the policy it
// started with whatever happens to the configuration later. It travels in
// workflow input as JSON; durations are written as Go duration strings
// ("16h0m0s") and read from such strings or from integer nanoseconds.
type SLAPolicy struct {
	Type          Type          `json:"type"`
	Priority      Priority      `json:"priority"`
	CalendarName  string        `json:"calendar_name"`
	Calendar      CalendarSpec  `json:"calendar"`
	FirstResponse time.Duration `json:"first_response"`
	Resolution    time.Duration `json:"resolution"`
	// WarningAt is the share of a target, in (0, 1), at which the assignee is warned.
	WarningAt float64 `json:"warning_at"`
}

// slaPolicyJSON is SLAPolicy on the wire.
type slaPolicyJSON struct {
	Type          Type         `json:"type"`
	Priority      Priority     `json:"priority"`
	CalendarName  string       `json:"calendar_name"`
	Calendar      CalendarSpec `json:"calendar"`
	FirstResponse jsonDuration `json:"first_response"`
	Resolution    jsonDuration `json:"resolution"`
	WarningAt     float64      `json:"warning_at"`
}

// MarshalJSON writes the durations as Go duration strings.
func (p SLAPolicy) MarshalJSON() ([]byte, error) {
	return json.Marshal(slaPolicyJSON{p.Type, p.Priority, p.CalendarName, p.Calendar,
		jsonDuration(p.FirstResponse), jsonDuration(p.Resolution), p.WarningAt})
}

// UnmarshalJSON reads what MarshalJSON writes; durations may also be nanoseconds.
func (p *SLAPolicy) UnmarshalJSON(b []byte) error {
	var w slaPolicyJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = SLAPolicy{w.Type, w.Priority, w.CalendarName, w.Calendar,
		time.Duration(w.FirstResponse), time.Duration(w.Resolution), w.WarningAt}
	return nil
}

// jsonDuration is a duration written as a Go duration string. Duration.String
// and time.ParseDuration round-trip every value exactly.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as \"4h\" or \"90m\"", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a duration must be a string such as \"4h\" or an integer of nanoseconds, not %s", b)
	}
	*d = jsonDuration(n)
	return nil
}

// CompiledCalendar compiles the policy's calendar. Compiling is cheap but
// not free; callers that use it often may keep the result.
func (p SLAPolicy) CompiledCalendar() (*Calendar, error) {
	return p.Calendar.Compile()
}

// slaKey identifies a policy.
type slaKey struct {
	t Type
	p Priority
}

// SLAConfig holds the business calendars by name and one SLA policy for each
// case type and priority. It is immutable once built.
type SLAConfig struct {
	calendars map[string]*Calendar
	policies  map[slaKey]SLAPolicy
}

// Policy returns the policy of cases of type t and priority p, with its
// calendar's spec. Every type of Types and priority of Priorities has one;
// any other pair gets the zero SLAPolicy.
func (c *SLAConfig) Policy(t Type, p Priority) SLAPolicy {
	pol, ok := c.policies[slaKey{t, p}]
	if !ok {
		return SLAPolicy{}
	}
	pol.Calendar = c.calendars[pol.CalendarName].Spec()
	return pol
}

// Policies returns every policy, by type (in the order of Types) and then
// priority (in the order of Priorities).
func (c *SLAConfig) Policies() []SLAPolicy {
	out := make([]SLAPolicy, 0, len(Types)*len(Priorities))
	for _, t := range Types {
		for _, p := range Priorities {
			out = append(out, c.Policy(t, p))
		}
	}
	return out
}

// Calendar returns the compiled calendar of that name.
func (c *SLAConfig) Calendar(name string) (*Calendar, bool) {
	cal, ok := c.calendars[name]
	return cal, ok
}

// CalendarNames returns the names of the calendars, sorted.
func (c *SLAConfig) CalendarNames() []string { return sortedKeys(c.calendars) }

// DefaultSLAConfig returns the built-in calendars and policies of DESIGN.md
// (docs/sla.md lists them).
func DefaultSLAConfig() *SLAConfig {
	c := &SLAConfig{calendars: map[string]*Calendar{}, policies: map[slaKey]SLAPolicy{}}
	for _, name := range []string{CalendarSupport, CalendarAlways} {
		cal, err := defaultCalendars[name].Compile()
		if err != nil {
			panic(fmt.Sprintf("casedesk: built-in calendar %q: %v", name, err))
		}
		c.calendars[name] = cal
	}
	for _, t := range Types {
		for _, p := range Priorities {
			c.policies[slaKey{t, p}] = SLAPolicy{
				Type: t, Priority: p, CalendarName: CalendarSupport,
				FirstResponse: defaultFirstResponse[p],
				Resolution:    defaultResolution[t][p],
				WarningAt:     DefaultWarningAt,
			}
		}
	}
	return c
}

var weekdays9to5 = []string{"09:00-17:00"}

var defaultCalendars = map[string]CalendarSpec{
	CalendarSupport: {TimeZone: "UTC", Weekly: WeeklyHours{Days: map[string][]string{
		"mon": weekdays9to5, "tue": weekdays9to5, "wed": weekdays9to5, "thu": weekdays9to5, "fri": weekdays9to5,
	}}},
	CalendarAlways: {TimeZone: "UTC", Weekly: WeeklyHours{AllDay: true}},
}

// Default targets in business hours of the support calendar (8 a day).
var (
	defaultFirstResponse = map[Priority]time.Duration{
		PriorityLow: 8 * time.Hour, PriorityNormal: 4 * time.Hour, PriorityHigh: 2 * time.Hour, PriorityUrgent: 1 * time.Hour,
	}
	defaultResolution = map[Type]map[Priority]time.Duration{
		TypeInquiry: {
			PriorityLow: 24 * time.Hour, PriorityNormal: 16 * time.Hour, PriorityHigh: 8 * time.Hour, PriorityUrgent: 4 * time.Hour,
		},
		TypeDispute: {
			PriorityLow: 120 * time.Hour, PriorityNormal: 80 * time.Hour, PriorityHigh: 40 * time.Hour, PriorityUrgent: 24 * time.Hour,
		},
		TypeRefund: {
			PriorityLow: 40 * time.Hour, PriorityNormal: 24 * time.Hour, PriorityHigh: 16 * time.Hour, PriorityUrgent: 8 * time.Hour,
		},
		// The network's due_by is the chargeback's hard deadline, enforced apart.
		TypeChargeback: {
			PriorityLow: 80 * time.Hour, PriorityNormal: 80 * time.Hour, PriorityHigh: 80 * time.Hour, PriorityUrgent: 80 * time.Hour,
		},
	}
)

// LoadSLAConfig reads the SLA configuration file at path; an empty path
// means the built-in defaults.
func LoadSLAConfig(path string) (*SLAConfig, error) {
	if path == "" {
		return DefaultSLAConfig(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the SLA configuration: %w", err)
	}
	cfg, err := ParseSLAConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// slaFile is the configuration file; see docs/sla.md.
type slaFile struct {
	Calendars map[string]json.RawMessage `json:"calendars"`
	Policies  []json.RawMessage          `json:"policies"`
}

// slaFilePolicy is one entry of "policies". Pointers tell a field left out,
// which keeps the built-in value, from one set to zero.
type slaFilePolicy struct {
	Type          Type     `json:"type"`
	Priority      Priority `json:"priority"`
	Calendar      *string  `json:"calendar"`
	FirstResponse *string  `json:"first_response"`
	Resolution    *string  `json:"resolution"`
	WarningAt     *float64 `json:"warning_at"`
}

// ParseSLAConfig reads a JSON configuration (docs/sla.md) and merges it over
// the defaults: a calendar it names replaces the built-in one of that name or
// adds one; a policy replaces, field by field, the built-in one of its type
// and priority. Its error is EINVALID and names every problem by field, as
// calendars.<name>.<field> and policies[i].<field>.
func ParseSLAConfig(data []byte) (*SLAConfig, error) {
	var v Validation
	cfg := DefaultSLAConfig()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Errorf(EINVALID, "the SLA configuration is empty; write {} to keep the built-in defaults")
	}
	var file slaFile
	if field, msg := decodeStrict(data, &file); field == "" && msg != "" {
		return nil, Errorf(EINVALID, "the SLA configuration %s", msg)
	} else if msg != "" {
		v.Add(field, "%s", msg)
		return nil, retitle(v.Err(), "the SLA configuration is invalid")
	}

	broken := map[string]bool{} // calendars of the file that are invalid
	for _, name := range sortedKeys(file.Calendars) {
		prefix := "calendars." + name
		if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
			v.Add(prefix, "a calendar's name cannot be empty or start or end with spaces")
			continue
		}
		broken[name] = true
		var spec CalendarSpec
		if field, msg := decodeStrict(file.Calendars[name], &spec); msg != "" {
			v.Add(joinField(prefix, field), "%s", msg)
			continue
		}
		if cal := spec.compile(&v, prefix+"."); cal != nil {
			cfg.calendars[name] = cal
			delete(broken, name)
		}
	}

	seen := map[slaKey]int{}
	for i, raw := range file.Policies {
		prefix := fmt.Sprintf("policies[%d]", i)
		var fp slaFilePolicy
		if field, msg := decodeStrict(raw, &fp); msg != "" {
			v.Add(joinField(prefix, field), "%s", msg)
			continue
		}
		key := slaKey{fp.Type, fp.Priority}
		if j, dup := seen[key]; dup && slices.Contains(Types, fp.Type) && slices.Contains(Priorities, fp.Priority) {
			v.Add(prefix, "repeats the policy of %s %s cases, already set by policies[%d]", fp.Priority, fp.Type, j)
			continue
		}
		seen[key] = i
		if pol, ok := fp.merge(cfg, broken, &v, prefix); ok {
			cfg.policies[key] = pol
		}
	}
	if err := v.Err(); err != nil {
		return nil, retitle(err, "the SLA configuration is invalid")
	}
	return cfg, nil
}

// merge checks the entry and returns it laid over the policy it replaces.
func (fp slaFilePolicy) merge(cfg *SLAConfig, broken map[string]bool, v *Validation, prefix string) (SLAPolicy, bool) {
	before := len(v.fields)
	switch {
	case fp.Type == "":
		v.Add(prefix+".type", "is required: one of %s", joinAny(Types))
	case !slices.Contains(Types, fp.Type):
		v.Add(prefix+".type", "%q is not a case type; use one of %s", fp.Type, joinAny(Types))
	}
	switch {
	case fp.Priority == "":
		v.Add(prefix+".priority", "is required: one of %s", joinAny(Priorities))
	case !slices.Contains(Priorities, fp.Priority):
		v.Add(prefix+".priority", "%q is not a priority; use one of %s", fp.Priority, joinAny(Priorities))
	}
	pol := cfg.policies[slaKey{fp.Type, fp.Priority}]
	pol.Type, pol.Priority = fp.Type, fp.Priority
	if fp.Calendar != nil {
		pol.CalendarName = *fp.Calendar
		if broken[pol.CalendarName] {
			v.Add(prefix+".calendar", "names the calendar %q, which is invalid", pol.CalendarName)
		} else if _, ok := cfg.calendars[pol.CalendarName]; !ok {
			v.Add(prefix+".calendar", "names the calendar %q, which is not defined; the calendars are %s",
				pol.CalendarName, strings.Join(cfg.CalendarNames(), ", "))
		}
	}
	target := func(field string, text *string, dst *time.Duration) {
		if text == nil {
			return
		}
		d, err := time.ParseDuration(*text)
		switch {
		case err != nil:
			v.Add(prefix+"."+field, "%q is not a duration such as \"4h\" or \"90m\"", *text)
		case d <= 0:
			v.Add(prefix+"."+field, "is %s; a target must be positive", *text)
		default:
			*dst = d
		}
	}
	target("first_response", fp.FirstResponse, &pol.FirstResponse)
	target("resolution", fp.Resolution, &pol.Resolution)
	if fp.WarningAt != nil {
		if w := *fp.WarningAt; !(w > 0 && w < 1) {
			v.Add(prefix+".warning_at", "is %g; it must be a share of the target between 0 and 1 (exclusive), such as 0.8", w)
		} else {
			pol.WarningAt = w
		}
	}
	if len(v.fields) > before {
		return SLAPolicy{}, false
	}
	// Resolution meets first response too, so a longer first-response target could never be missed.
	if pol.FirstResponse > pol.Resolution {
		v.Add(prefix+".first_response", "is %s, longer than the resolution target of %s", pol.FirstResponse, pol.Resolution)
		return SLAPolicy{}, false
	}
	return pol, true
}

// decodeStrict decodes one JSON value into dst, refusing unknown fields and
// trailing data. On failure it returns the JSON field at fault (dotted,
// possibly "") and a message for a person.
func decodeStrict(data []byte, dst any) (field, msg string) {
	err := strictjson.Decode(data, dst)
	if err == nil {
		return "", ""
	}
	var syntax *strictjson.SyntaxError
	var typ *strictjson.TypeError
	var unknown *strictjson.UnknownFieldError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", "is not valid JSON: it ends too early"
	case errors.As(err, &syntax):
		return "", fmt.Sprintf("is not valid JSON: line %d, column %d: %s", syntax.Line, syntax.Column, syntax.Msg)
	case errors.Is(err, strictjson.ErrTrailingData):
		return "", "has more after the first JSON value"
	case errors.As(err, &typ):
		return typ.Path, fmt.Sprintf("must be %s, not a JSON %s", jsonKind(typ.Want), typ.Got)
	case errors.As(err, &unknown):
		return unknown.Path, "is not a known field"
	}
	// A type's own error, such as WeeklyHours's, which says what is wrong.
	return "", err.Error()
}

// jsonKind words a JSON kind of strictjson.TypeError.Want for "must be …".
func jsonKind(want string) string {
	switch want {
	case "string":
		return "a string"
	case "boolean":
		return "true or false"
	case "number":
		return "a number"
	case "list":
		return "a list"
	}
	return "an object"
}

func joinField(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}

func joinAny[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
