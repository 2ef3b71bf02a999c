package casedesk

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	// The zone database travels in the binary, so a zone resolves on hosts
	// (and containers) without one.
	_ "time/tzdata"
)

// AllDay is the WeeklyHours of a calendar that is always open.
const AllDay = "24x7"

// CalendarSpec describes a business calendar as an admin writes it:
//
//	{"time_zone": "America/New_York",
//	 "weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"]},
//	 "holidays": ["2026-12-25", "2027-01-01"]}
//
// Hours are wall-clock times in the zone, per local date. A day left out of
// weekly has no hours; a holiday is a whole local date with no hours.
type CalendarSpec struct {
	TimeZone string      `json:"time_zone"`
	Weekly   WeeklyHours `json:"weekly"`
	Holidays []string    `json:"holidays"`
}

// WeeklyHours are a calendar's opening hours: always open ("24x7" in JSON),
// or per day of the week ("mon" … "sun") a list of "HH:MM-HH:MM" intervals.
type WeeklyHours struct {
	AllDay bool
	Days   map[string][]string
}

// MarshalJSON writes "24x7" or the map of days (null when nil, so that
// decoding gives back exactly what was encoded).
func (w WeeklyHours) MarshalJSON() ([]byte, error) {
	if w.AllDay {
		return json.Marshal(AllDay)
	}
	return json.Marshal(w.Days)
}

// UnmarshalJSON reads "24x7" or a map of days.
func (w *WeeklyHours) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = WeeklyHours{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != AllDay {
			return fmt.Errorf("weekly is %q: it must be %q or an object of days such as {\"mon\": [\"09:00-17:00\"]}", s, AllDay)
		}
		*w = WeeklyHours{AllDay: true}
		return nil
	}
	var days map[string][]string
	if err := json.Unmarshal(b, &days); err != nil {
		return fmt.Errorf("weekly must be %q or an object of days such as {\"mon\": [\"09:00-17:00\"]}", AllDay)
	}
	*w = WeeklyHours{Days: days}
	return nil
}

// clone returns a deep copy, so that a compiled calendar cannot be changed
// through the spec it was compiled from or the one it hands out.
func (s CalendarSpec) clone() CalendarSpec {
	out := CalendarSpec{TimeZone: s.TimeZone, Weekly: WeeklyHours{AllDay: s.Weekly.AllDay}, Holidays: slices.Clone(s.Holidays)}
	if s.Weekly.Days != nil {
		out.Weekly.Days = make(map[string][]string, len(s.Weekly.Days))
		for _, name := range sortedKeys(s.Weekly.Days) {
			out.Weekly.Days[name] = slices.Clone(s.Weekly.Days[name])
		}
	}
	return out
}

// dayNames are the keys of WeeklyHours.Days, indexed by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// mondayFirst orders the days as people write them, for messages.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// Calendar is a compiled CalendarSpec: it answers how much business time lies
// between two instants and when a given amount of it has elapsed. It is
// immutable and safe for concurrent use. Its methods are deterministic (they
// never read the clock), so workflow code may call them.
type Calendar struct {
	spec   CalendarSpec
	loc    *time.Location
	allDay bool
	// days holds each weekday's intervals, sorted and merged where they touch.
	days [7][]span
	// week is the business time of a week with no holiday and no change of
	// the zone's offset.
	week time.Duration
	// holidays are sorted day numbers (see dayNumber).
	holidays []int64
}

// span is an interval of a day in minutes after local midnight; end may be 1440 (24:00).
type span struct{ start, end int }

const (
	minutesPerDay = 24 * 60
	secondsPerDay = 24 * 60 * 60
)

// Compile checks the spec and returns its calendar. Its error is EINVALID
// and names each problem by field: time_zone, weekly, weekly.<day>,
// weekly.<day>[i], holidays[i].
func (s CalendarSpec) Compile() (*Calendar, error) {
	var v Validation
	c := s.compile(&v, "")
	if err := v.Err(); err != nil {
		return nil, retitle(err, "the calendar is invalid")
	}
	return c, nil
}

// compile checks the spec, recording problems in v under fields that start
// with prefix, and returns the calendar, or nil when there were problems.
func (s CalendarSpec) compile(v *Validation, prefix string) *Calendar {
	before := len(v.fields)
	c := &Calendar{spec: s.clone(), allDay: s.Weekly.AllDay}
	switch name := s.TimeZone; {
	case strings.TrimSpace(name) == "":
		v.Add(prefix+"time_zone", "is required: an IANA zone such as \"America/New_York\", or \"UTC\"")
	case name == "Local":
		v.Add(prefix+"time_zone", "must name a zone; \"Local\" would depend on the host")
	default:
		loc, err := loadLocation(name)
		if err != nil {
			v.Add(prefix+"time_zone", "%q is not a known IANA time zone", name)
		}
		c.loc = loc
	}
	if s.Weekly.AllDay {
		if len(s.Weekly.Days) > 0 {
			v.Add(prefix+"weekly", "is %q and cannot also list days", AllDay)
		}
		if len(s.Holidays) > 0 {
			v.Add(prefix+"holidays", "must be empty: a %q calendar is always open; list its weekly hours to close on holidays", AllDay)
		}
	} else {
		c.compileWeek(v, prefix)
		c.compileHolidays(v, prefix)
	}
	if len(v.fields) > before {
		return nil
	}
	return c
}

func (c *Calendar) compileWeek(v *Validation, prefix string) {
	days := c.spec.Weekly.Days
	bad := false
	for _, name := range sortedKeys(days) {
		if !slices.Contains(dayNames[:], name) {
			v.Add(prefix+"weekly."+name, "is not a day of the week; use mon, tue, wed, thu, fri, sat or sun")
			bad = true
		}
	}
	var week int
	for _, wd := range mondayFirst {
		name := dayNames[wd]
		var spans []span
		for i, text := range days[name] {
			sp, err := parseSpan(text)
			if err != nil {
				v.Add(fmt.Sprintf("%sweekly.%s[%d]", prefix, name, i), "%s", err)
				bad = true
				continue
			}
			spans = append(spans, sp)
		}
		slices.SortStableFunc(spans, func(a, b span) int { return a.start - b.start })
		var merged []span
		var latest span // of the intervals so far, the one that ends last
		for i, sp := range spans {
			if i > 0 && sp.start < latest.end {
				v.Add(prefix+"weekly."+name, "%q overlaps %q", sp, latest)
				bad = true
			}
			if sp.end > latest.end {
				latest = sp
			}
			// Intervals that touch (09:00-12:00 and 12:00-17:00) are one.
			if n := len(merged); n > 0 && sp.start <= merged[n-1].end {
				merged[n-1].end = max(merged[n-1].end, sp.end)
				continue
			}
			merged = append(merged, sp)
		}
		c.days[wd] = merged
		for _, sp := range merged {
			week += sp.end - sp.start
		}
	}
	if !bad && week == 0 {
		v.Add(prefix+"weekly", "has no business hours; list at least one interval such as {\"mon\": [\"09:00-17:00\"]}, or use %q", AllDay)
	}
	c.week = time.Duration(week) * time.Minute
}

func (c *Calendar) compileHolidays(v *Validation, prefix string) {
	for i, text := range c.spec.Holidays {
		field := fmt.Sprintf("%sholidays[%d]", prefix, i)
		d, err := time.Parse(time.DateOnly, text)
		if err != nil || d.Format(time.DateOnly) != text {
			v.Add(field, "%q is not a date written YYYY-MM-DD", text)
			continue
		}
		n := dayNumber(d.Date())
		if j, found := slices.BinarySearch(c.holidays, n); found {
			v.Add(field, "%s is listed twice", text)
		} else {
			c.holidays = slices.Insert(c.holidays, j, n)
		}
	}
}

// parseSpan reads "HH:MM-HH:MM". The start is a time of day (00:00-23:59),
// the end a later one or 24:00.
func parseSpan(text string) (span, error) {
	from, to, ok := strings.Cut(text, "-")
	start, okStart := parseClock(from)
	end, okEnd := parseClock(to)
	switch {
	case !ok || !okStart || !okEnd:
		return span{}, fmt.Errorf("%q is not an interval written HH:MM-HH:MM, such as \"09:00-17:00\"", text)
	case start == minutesPerDay:
		return span{}, fmt.Errorf("%q starts at 24:00, which only ends an interval", text)
	case end <= start:
		return span{}, fmt.Errorf("%q ends before it starts; an interval cannot cross midnight, so split it at 24:00", text)
	}
	return span{start, end}, nil
}

// parseClock reads "HH:MM", 00:00 to 24:00, into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	digits := []byte{s[0], s[1], s[3], s[4]}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func (s span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.start/60, s.start%60, s.end/60, s.end%60)
}

// locations caches loaded zones: loading one reads and parses the zone
// database, and workflows compile calendars often. A *time.Location is
// immutable, so sharing it is safe.
var locations = struct {
	sync.Mutex
	m map[string]*time.Location
}{m: map[string]*time.Location{}}

func loadLocation(name string) (*time.Location, error) {
	locations.Lock()
	defer locations.Unlock()
	if loc, ok := locations.m[name]; ok {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.m[name] = loc
	return loc, nil
}

// Spec returns a copy of the spec the calendar was compiled from.
func (c *Calendar) Spec() CalendarSpec { return c.spec.clone() }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsOpen reports whether t falls within business hours.
func (c *Calendar) IsOpen(t time.Time) bool {
	if c.allDay {
		return true
	}
	day := c.dayOf(t)
	for _, sp := range c.spansOn(day) {
		if !t.Before(c.instant(day, sp.start)) && t.Before(c.instant(day, sp.end)) {
			return true
		}
	}
	return false
}

// Add returns the instant, in UTC, at which d of business time has elapsed
// after start. Counting begins at start if the calendar is open then, else at
// the next opening. A deadline that falls exactly at a closing time is that
// closing time (17:00), not the next opening. For d <= 0 it returns start.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start.UTC()
	}
	if c.allDay {
		return start.Add(d).UTC()
	}
	cur := start
	for day, first := c.dayOf(start), true; ; day, first = day+1, false {
		// Jump over whole weeks while more than a week remains; the day the
		// count starts on is partial, so it is walked.
		if !first && d > c.week {
			if k := c.fullWeeks(day, int64((d-1)/c.week), time.Time{}); k > 0 {
				d -= time.Duration(k) * c.week
				day += 7*k - 1
				continue
			}
		}
		for _, sp := range c.spansOn(day) {
			end := c.instant(day, sp.end)
			if !end.After(cur) {
				continue
			}
			begin := later(c.instant(day, sp.start), cur)
			avail := end.Sub(begin)
			if d <= avail {
				return begin.Add(d).UTC()
			}
			d -= avail
			cur = end
		}
	}
}

// Between returns the business time in [from, to), or 0 if to is not after from.
func (c *Calendar) Between(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.allDay {
		return to.Sub(from)
	}
	var total time.Duration
	lastDay := c.dayOf(to)
	for day, first := c.dayOf(from), true; c.instant(day, 0).Before(to); day, first = day+1, false {
		if !first {
			if k := c.fullWeeks(day, (lastDay-day)/7, to); k > 0 {
				total += time.Duration(k) * c.week
				day += 7*k - 1
				continue
			}
		}
		for _, sp := range c.spansOn(day) {
			begin := later(c.instant(day, sp.start), from)
			end := earlier(c.instant(day, sp.end), to)
			if end.After(begin) {
				total += end.Sub(begin)
			}
		}
	}
	return total
}

// fullWeeks returns how many whole weeks, at most maxWeeks, starting at local
// midnight of day (and ending by limit, unless it is zero) hold exactly
// c.week of business time each: weeks with no holiday and no change of the
// zone's offset, in which every interval lasts as long as the clock says.
func (c *Calendar) fullWeeks(day, maxWeeks int64, limit time.Time) int64 {
	if maxWeeks <= 0 {
		return 0
	}
	if i, _ := slices.BinarySearch(c.holidays, day); i < len(c.holidays) {
		maxWeeks = min(maxWeeks, (c.holidays[i]-day)/7)
	}
	if maxWeeks <= 0 {
		return 0
	}
	midnight := c.instant(day, 0)
	zoneStart, zoneEnd := midnight.ZoneBounds()
	if !zoneStart.IsZero() && !zoneStart.Before(midnight) {
		// The offset changed right at midnight (a skipped midnight): walk the day.
		return 0
	}
	if !zoneEnd.IsZero() {
		maxWeeks = min(maxWeeks, (c.dayOf(zoneEnd)-day)/7)
	}
	for maxWeeks > 0 {
		end := c.instant(day+7*maxWeeks, 0)
		if (zoneEnd.IsZero() || !end.After(zoneEnd)) && (limit.IsZero() || !end.After(limit)) {
			break
		}
		maxWeeks--
	}
	return max(maxWeeks, 0)
}

// spansOn returns the intervals of a local date.
func (c *Calendar) spansOn(day int64) []span {
	if _, holiday := slices.BinarySearch(c.holidays, day); holiday {
		return nil
	}
	return c.days[weekday(day)]
}

// dayOf returns the day number of t's local date in the calendar's zone.
func (c *Calendar) dayOf(t time.Time) int64 { return dayNumber(t.In(c.loc).Date()) }

// instant returns the first instant at which the calendar's wall clock reads
// minute (0 to 1440) of the local date day. A wall time that occurs twice
// (the clocks went back) means its first occurrence; one that never occurs
// (the clocks jumped over it) means the moment of the jump. So an interval is
// the real time that passes while the wall clock goes from its start to its
// end: 01:00-03:00 lasts one hour on the day clocks spring forward at 02:00,
// and 00:00-24:00 lasts 23 or 25 hours on the days the offset changes.
func (c *Calendar) instant(day int64, minute int) time.Time {
	y, m, d := civilDate(day)
	t := time.Date(y, m, d, 0, minute, 0, 0, c.loc)
	want := day*secondsPerDay + int64(minute)*60
	_, offset := t.Zone()
	got := t.Unix() + int64(offset)
	switch {
	case got < want:
		// In a gap, and time.Date answered with a wall time before it.
		_, end := t.ZoneBounds()
		return end
	case got > want:
		// In a gap, and time.Date answered with a wall time after it.
		start, _ := t.ZoneBounds()
		return start
	}
	// The wall time exists. If the clocks went back shortly before t, it
	// occurred first under the previous offset; time.Date may answer either.
	start, _ := t.ZoneBounds()
	if start.IsZero() || t.Sub(start) > 26*time.Hour {
		return t
	}
	_, prevOffset := start.Add(-time.Second).Zone()
	if earlier := want - int64(prevOffset); prevOffset > offset && earlier < start.Unix() {
		return time.Unix(earlier, 0).In(c.loc)
	}
	return t
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Day numbers count local dates from 1970-01-01 (day 0, a Thursday).

func dayNumber(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

func civilDate(day int64) (int, time.Month, int) {
	return time.Unix(day*secondsPerDay, 0).UTC().Date()
}

func weekday(day int64) time.Weekday {
	return time.Weekday(((day+4)%7 + 7) % 7)
}

// sortedKeys returns the keys of m in order, so that nothing depends on map
// iteration order (workflow code must be deterministic).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	//workflowcheck:ignore the keys are sorted before use
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// retitle gives an EINVALID error from a Validation a message naming what was checked.
func retitle(err error, message string) error {
	if e, ok := err.(*Error); ok {
		e.Message = message
	}
	return err
}
