package casedesk_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// The calendars of the tests. calSupportNY is the one a support lead in New
// York would count on: Monday to Friday 09:00-17:00, closed on Christmas
// Day 2026 and New Year's Day 2027.
var (
	nineToFive   = []string{"09:00-17:00"}
	calSupportNY = casedesk.CalendarSpec{
		TimeZone: "America/New_York",
		Weekly: casedesk.WeeklyHours{Days: map[string][]string{
			"mon": nineToFive, "tue": nineToFive, "wed": nineToFive, "thu": nineToFive, "fri": nineToFive,
		}},
		Holidays: []string{"2026-12-25", "2027-01-01"},
	}
	// A lunch break from 12:00 to 13:00: seven business hours a day.
	withLunch  = []string{"09:00-12:00", "13:00-17:00"}
	calLunchNY = casedesk.CalendarSpec{
		TimeZone: "America/New_York",
		Weekly: casedesk.WeeklyHours{Days: map[string][]string{
			"mon": withLunch, "tue": withLunch, "wed": withLunch, "thu": withLunch, "fri": withLunch,
		}},
	}
	wholeDay     = []string{"00:00-24:00"}
	calWholeDays = casedesk.CalendarSpec{
		TimeZone: "America/New_York",
		Weekly: casedesk.WeeklyHours{Days: map[string][]string{
			"mon": wholeDay, "tue": wholeDay, "wed": wholeDay, "thu": wholeDay, "fri": wholeDay, "sat": wholeDay, "sun": wholeDay,
		}},
	}
	// Open only in the small hours of Sunday, when New York changes its clocks.
	calSmallHoursNY = casedesk.CalendarSpec{
		TimeZone: "America/New_York",
		Weekly:   casedesk.WeeklyHours{Days: map[string][]string{"sun": {"01:00-03:00"}}},
	}
	// Berlin changes its clocks at 02:00 (spring) and 03:00 (autumn), local time.
	calSmallHoursBerlin = casedesk.CalendarSpec{
		TimeZone: "Europe/Berlin",
		Weekly:   casedesk.WeeklyHours{Days: map[string][]string{"sun": {"02:00-04:00"}}},
	}
	cal24x7NY = casedesk.CalendarSpec{TimeZone: "America/New_York", Weekly: casedesk.WeeklyHours{AllDay: true}}
)

func mustCompile(t testing.TB, spec casedesk.CalendarSpec) *casedesk.Calendar {
	t.Helper()
	c, err := spec.Compile()
	if err != nil {
		t.Fatalf("Compile(%+v): %v", spec, err)
	}
	return c
}

// rfc parses an RFC 3339 time; tests write instants with their UTC offset,
// as the calendar's zone shows them.
func rfc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad time %q in the test: %v", s, err)
	}
	return v
}

func TestCalendarAdd(t *testing.T) {
	tests := []struct {
		name   string
		spec   casedesk.CalendarSpec
		start  string
		target time.Duration
		want   string // in the calendar's zone, with its offset
	}{
		{"four hours from Monday 10:00 end at 14:00 the same day", calSupportNY, "2026-06-01T10:00:00-04:00", 4 * time.Hour, "2026-06-01T14:00:00-04:00"},
		{"a deadline landing exactly at closing time is 17:00 that day", calSupportNY, "2026-06-01T13:00:00-04:00", 4 * time.Hour, "2026-06-01T17:00:00-04:00"},
		{"a minute more than the day holds carries over to 09:01 the next morning", calSupportNY, "2026-06-01T13:00:00-04:00", 4*time.Hour + time.Minute, "2026-06-02T09:01:00-04:00"},
		{"a full day from the opening ends at that day's close", calSupportNY, "2026-06-01T09:00:00-04:00", 8 * time.Hour, "2026-06-01T17:00:00-04:00"},
		{"seconds count", calSupportNY, "2026-06-01T16:59:30-04:00", 45 * time.Second, "2026-06-02T09:00:15-04:00"},
		{"Friday 15:00 plus four hours is Monday 11:00", calSupportNY, "2026-06-05T15:00:00-04:00", 4 * time.Hour, "2026-06-08T11:00:00-04:00"},
		{"Christmas Eve 16:00 plus four hours is Monday 12:00, Christmas Day being a holiday", calSupportNY, "2026-12-24T16:00:00-05:00", 4 * time.Hour, "2026-12-28T12:00:00-05:00"},
		{"New Year's Eve 15:00 plus four hours skips New Year's Day and the weekend", calSupportNY, "2026-12-31T15:00:00-05:00", 4 * time.Hour, "2027-01-04T11:00:00-05:00"},
		{"a start on Saturday counts from Monday's opening", calSupportNY, "2026-06-06T10:00:00-04:00", 2 * time.Hour, "2026-06-08T11:00:00-04:00"},
		{"a start before the opening counts from 09:00", calSupportNY, "2026-06-01T07:30:00-04:00", time.Hour, "2026-06-01T10:00:00-04:00"},
		{"a start after closing counts from the next morning", calSupportNY, "2026-06-01T18:00:00-04:00", time.Hour, "2026-06-02T10:00:00-04:00"},
		{"a start exactly at closing counts from the next morning", calSupportNY, "2026-06-01T17:00:00-04:00", time.Hour, "2026-06-02T10:00:00-04:00"},
		{"a start on a holiday counts from the next business day", calSupportNY, "2026-12-25T10:00:00-05:00", time.Hour, "2026-12-28T10:00:00-05:00"},
		{"a start given in another zone is the same instant", calSupportNY, "2026-06-01T14:00:00Z", time.Hour, "2026-06-01T11:00:00-04:00"},
		{"Friday 16:00 EST plus two hours is Monday 10:00 EDT, over the spring change", calSupportNY, "2026-03-06T16:00:00-05:00", 2 * time.Hour, "2026-03-09T10:00:00-04:00"},
		{"Friday 16:00 EDT plus two hours is Monday 10:00 EST, over the autumn change", calSupportNY, "2026-10-30T16:00:00-04:00", 2 * time.Hour, "2026-11-02T10:00:00-05:00"},
		{"two weeks across the spring change are still 80 hours", calSupportNY, "2026-03-02T09:00:00-05:00", 80 * time.Hour, "2026-03-13T17:00:00-04:00"},
		{"two weeks across the autumn change are still 80 hours", calSupportNY, "2026-10-26T09:00:00-04:00", 80 * time.Hour, "2026-11-06T17:00:00-05:00"},
		{"80 hours from Monday's opening end at the second Friday's close", calSupportNY, "2026-06-01T09:00:00-04:00", 80 * time.Hour, "2026-06-12T17:00:00-04:00"},
		{"80 hours from Wednesday 13:00 end two Wednesdays later at 13:00", calSupportNY, "2026-06-03T13:00:00-04:00", 80 * time.Hour, "2026-06-17T13:00:00-04:00"},
		{"10 business days from 21 December skip both holidays", calSupportNY, "2026-12-21T09:00:00-05:00", 80 * time.Hour, "2027-01-05T17:00:00-05:00"},
		{"30 business days from Christmas Eve 16:00 end on 8 February 16:00", calSupportNY, "2026-12-24T16:00:00-05:00", 240 * time.Hour, "2027-02-08T16:00:00-05:00"},
		{"a year of business days (260 in 2027) ends on the last business day of the year", calSupportNY, "2027-01-01T00:00:00-05:00", 2080 * time.Hour, "2027-12-31T17:00:00-05:00"},
		{"a zero target is the start itself", calSupportNY, "2026-06-06T10:00:00-04:00", 0, "2026-06-06T10:00:00-04:00"},
		{"a negative target is the start itself", calSupportNY, "2026-06-01T10:00:00-04:00", -time.Hour, "2026-06-01T10:00:00-04:00"},

		{"with a lunch break, two hours from 11:00 end at 14:00", calLunchNY, "2026-06-01T11:00:00-04:00", 2 * time.Hour, "2026-06-01T14:00:00-04:00"},
		{"with a lunch break, a deadline landing at the break is 12:00", calLunchNY, "2026-06-01T10:00:00-04:00", 2 * time.Hour, "2026-06-01T12:00:00-04:00"},
		{"with a lunch break, a start during lunch counts from 13:00", calLunchNY, "2026-06-01T12:30:00-04:00", time.Hour, "2026-06-01T14:00:00-04:00"},
		{"with a lunch break, a day holds seven hours", calLunchNY, "2026-06-01T09:00:00-04:00", 8 * time.Hour, "2026-06-02T10:00:00-04:00"},
		{"with a lunch break, 35 hours are one week", calLunchNY, "2026-06-01T09:00:00-04:00", 35 * time.Hour, "2026-06-05T17:00:00-04:00"},

		{"open all day, 24 hours from Saturday noon EST are Sunday 13:00 EDT", calWholeDays, "2026-03-07T12:00:00-05:00", 24 * time.Hour, "2026-03-08T13:00:00-04:00"},
		{"open all day, 24 hours from Saturday noon EDT are Sunday 11:00 EST", calWholeDays, "2026-10-31T12:00:00-04:00", 24 * time.Hour, "2026-11-01T11:00:00-05:00"},
		{"open all day, a week across the spring change is 167 hours of clock time", calWholeDays, "2026-03-02T00:00:00-05:00", 167 * time.Hour, "2026-03-09T00:00:00-04:00"},
		{"open 01:00-03:00 on the spring-forward Sunday, 30 minutes from 01:30 end at 03:00 EDT", calSmallHoursNY, "2026-03-08T01:30:00-05:00", 30 * time.Minute, "2026-03-08T03:00:00-04:00"},
		{"open 01:00-03:00, the spring-forward Sunday holds one hour, so the second is a week later", calSmallHoursNY, "2026-03-08T01:00:00-05:00", 90 * time.Minute, "2026-03-15T01:30:00-04:00"},
		{"open 01:00-03:00, the autumn Sunday holds three hours, the repeated one included", calSmallHoursNY, "2026-11-01T01:00:00-04:00", 150 * time.Minute, "2026-11-01T02:30:00-05:00"},
		{"open 02:00-04:00 in Berlin, the autumn Sunday starts at the first 02:00", calSmallHoursBerlin, "2026-10-25T00:00:00+02:00", 30 * time.Minute, "2026-10-25T02:30:00+02:00"},
		{"open 02:00-04:00 in Berlin, the spring Sunday holds one hour, from 03:00 CEST", calSmallHoursBerlin, "2026-03-29T00:00:00+01:00", 30 * time.Minute, "2026-03-29T03:30:00+02:00"},

		{"24x7 is plain addition", cal24x7NY, "2026-06-06T10:00:00-04:00", 50 * time.Hour, "2026-06-08T12:00:00-04:00"},
		{"24x7 across the spring change counts real hours", cal24x7NY, "2026-03-07T12:00:00-05:00", 24 * time.Hour, "2026-03-08T13:00:00-04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.spec)
			start, want := rfc(t, tt.start), rfc(t, tt.want)
			got := c.Add(start, tt.target)
			if !got.Equal(want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tt.start, tt.target, got.In(c.Location()).Format(time.RFC3339), tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Add returned a time in %s, want UTC", got.Location())
			}
			// The offset the support lead expects (EST or EDT) is the calendar's.
			if s := got.In(c.Location()).Format(time.RFC3339); s != tt.want {
				t.Errorf("in the calendar's zone the deadline is %s, want %s", s, tt.want)
			}
			if tt.target > 0 {
				if b := c.Between(start, got); b != tt.target {
					t.Errorf("Between(start, deadline) = %s, want the target %s", b, tt.target)
				}
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	tests := []struct {
		name     string
		spec     casedesk.CalendarSpec
		from, to string
		want     time.Duration
	}{
		{"within a day it is the clock time", calSupportNY, "2026-06-01T10:00:00-04:00", "2026-06-01T15:00:00-04:00", 5 * time.Hour},
		{"time outside hours does not count", calSupportNY, "2026-06-01T07:00:00-04:00", "2026-06-01T20:00:00-04:00", 8 * time.Hour},
		{"Friday 15:00 to Monday 11:00 is four hours", calSupportNY, "2026-06-05T15:00:00-04:00", "2026-06-08T11:00:00-04:00", 4 * time.Hour},
		{"Christmas Eve 16:00 to Monday 12:00 is four hours", calSupportNY, "2026-12-24T16:00:00-05:00", "2026-12-28T12:00:00-05:00", 4 * time.Hour},
		{"a weekend is nothing", calSupportNY, "2026-06-06T00:00:00-04:00", "2026-06-08T00:00:00-04:00", 0},
		{"a holiday is nothing", calSupportNY, "2026-12-25T00:00:00-05:00", "2026-12-26T00:00:00-05:00", 0},
		{"to before from is nothing", calSupportNY, "2026-06-01T15:00:00-04:00", "2026-06-01T10:00:00-04:00", 0},
		{"an empty range is nothing", calSupportNY, "2026-06-01T15:00:00-04:00", "2026-06-01T15:00:00-04:00", 0},
		{"the end is excluded: up to the opening is nothing", calSupportNY, "2026-06-01T00:00:00-04:00", "2026-06-01T09:00:00-04:00", 0},
		{"two weeks across the spring change are 80 hours", calSupportNY, "2026-03-02T00:00:00-05:00", "2026-03-16T00:00:00-04:00", 80 * time.Hour},
		{"2027 holds 260 business days", calSupportNY, "2027-01-01T00:00:00-05:00", "2028-01-01T00:00:00-05:00", 2080 * time.Hour},
		{"with a lunch break, 11:00 to 14:00 is two hours", calLunchNY, "2026-06-01T11:00:00-04:00", "2026-06-01T14:00:00-04:00", 2 * time.Hour},
		{"open all day, the spring-forward Sunday is 23 hours", calWholeDays, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 23 * time.Hour},
		{"open all day, the fall-back Sunday is 25 hours", calWholeDays, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 25 * time.Hour},
		{"open all day, a week across the spring change is 167 hours", calWholeDays, "2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 167 * time.Hour},
		{"open all day, a year is its clock time", calWholeDays, "2026-01-01T00:00:00-05:00", "2027-01-01T00:00:00-05:00", 365 * 24 * time.Hour},
		{"open 01:00-03:00, the spring-forward Sunday holds one real hour", calSmallHoursNY, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", time.Hour},
		{"open 01:00-03:00, the fall-back Sunday holds three real hours", calSmallHoursNY, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 3 * time.Hour},
		{"open 02:00-04:00 in Berlin, the spring Sunday holds one real hour", calSmallHoursBerlin, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", time.Hour},
		{"open 02:00-04:00 in Berlin, the autumn Sunday holds three real hours", calSmallHoursBerlin, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 3 * time.Hour},
		{"24x7 is the clock time", cal24x7NY, "2026-03-07T12:00:00-05:00", "2026-03-08T13:00:00-04:00", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.spec)
			if got := c.Between(rfc(t, tt.from), rfc(t, tt.to)); got != tt.want {
				t.Errorf("Between(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestCalendarIsOpen(t *testing.T) {
	tests := []struct {
		name string
		spec casedesk.CalendarSpec
		at   string
		want bool
	}{
		{"Monday at the opening is open", calSupportNY, "2026-06-01T09:00:00-04:00", true},
		{"Monday a second before closing is open", calSupportNY, "2026-06-01T16:59:59-04:00", true},
		{"Monday at closing is closed", calSupportNY, "2026-06-01T17:00:00-04:00", false},
		{"Monday before the opening is closed", calSupportNY, "2026-06-01T08:59:59-04:00", false},
		{"the same instant written in UTC is judged in New York", calSupportNY, "2026-06-01T13:30:00Z", true},
		{"Saturday noon is closed", calSupportNY, "2026-06-06T12:00:00-04:00", false},
		{"Christmas Day noon is closed", calSupportNY, "2026-12-25T12:00:00-05:00", false},
		{"lunch is closed", calLunchNY, "2026-06-01T12:30:00-04:00", false},
		{"after lunch is open", calLunchNY, "2026-06-01T13:00:00-04:00", true},
		{"the last minute before midnight of an all-day calendar is open", calWholeDays, "2026-06-01T23:59:00-04:00", true},
		{"01:30 EST on the spring-forward Sunday is open", calSmallHoursNY, "2026-03-08T01:30:00-05:00", true},
		{"03:00 EDT on the spring-forward Sunday is closed", calSmallHoursNY, "2026-03-08T03:00:00-04:00", false},
		{"the repeated 01:30 EST on the fall-back Sunday is open", calSmallHoursNY, "2026-11-01T01:30:00-05:00", true},
		{"24x7 is always open", cal24x7NY, "2026-12-25T03:00:00-05:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.spec)
			if got := c.IsOpen(rfc(t, tt.at)); got != tt.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

// TestCalendarProperties checks, over random starts and targets, that Between
// undoes Add, that Add never goes backwards as the target grows, and that
// Between agrees with counting the open minutes one by one.
func TestCalendarProperties(t *testing.T) {
	specs := []struct {
		name string
		spec casedesk.CalendarSpec
	}{
		{"New York weekdays with holidays", calSupportNY},
		{"New York weekdays with a lunch break", calLunchNY},
		{"New York open all day", calWholeDays},
		{"New York small hours of Sunday", calSmallHoursNY},
		{"Berlin small hours of Sunday", calSmallHoursBerlin},
		{"Lord Howe Island, whose clocks move by half an hour", casedesk.CalendarSpec{
			TimeZone: "Australia/Lord_Howe",
			Weekly:   casedesk.WeeklyHours{Days: map[string][]string{"sun": {"01:00-03:00", "08:00-20:00"}, "wed": {"00:00-24:00"}}},
			Holidays: []string{"2026-04-08"},
		}},
		{"24x7", cal24x7NY},
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	randomStart := func() time.Time { return base.Add(time.Duration(rng.Int64N(2*365*24*3600)) * time.Second) }
	for _, s := range specs {
		c := mustCompile(t, s.spec)
		t.Run(s.name+": Between undoes Add", func(t *testing.T) {
			for range 2000 {
				start := randomStart()
				d := time.Duration(1 + rng.Int64N(300*3600*1e9))
				end := c.Add(start, d)
				if got := c.Between(start, end); got != d {
					t.Fatalf("Between(%s, Add(start, %s) = %s) = %s", start, d, end, got)
				}
				if !c.IsOpen(end.Add(-time.Nanosecond)) {
					t.Fatalf("the instant before the deadline %s (start %s, target %s) is closed", end, start, d)
				}
			}
		})
		t.Run(s.name+": Add grows with the target", func(t *testing.T) {
			for range 1000 {
				start := randomStart()
				d1 := time.Duration(rng.Int64N(200 * 3600 * 1e9))
				d2 := d1 + time.Duration(rng.Int64N(10*3600*1e9))
				if a, b := c.Add(start, d1), c.Add(start, d2); b.Before(a) {
					t.Fatalf("Add(%s, %s) = %s is after Add(start, %s) = %s", start, d1, a, d2, b)
				}
			}
		})
		t.Run(s.name+": Between counts the open minutes", func(t *testing.T) {
			for range 10 {
				from := randomStart().Truncate(time.Minute)
				to := from.Add(time.Duration(rng.Int64N(21*24*60)) * time.Minute)
				var open time.Duration
				for m := from; m.Before(to); m = m.Add(time.Minute) {
					if c.IsOpen(m) {
						open += time.Minute
					}
				}
				if got := c.Between(from, to); got != open {
					t.Fatalf("Between(%s, %s) = %s, but %s of its minutes are open", from, to, got, open)
				}
			}
		})
	}
}

func TestCalendarCompileErrors(t *testing.T) {
	days := func(m map[string][]string) casedesk.WeeklyHours { return casedesk.WeeklyHours{Days: m} }
	ny := "America/New_York"
	tests := []struct {
		name   string
		spec   casedesk.CalendarSpec
		fields []string
	}{
		{"an unknown zone is refused", casedesk.CalendarSpec{TimeZone: "Mars/Olympus_Mons", Weekly: days(map[string][]string{"mon": nineToFive})}, []string{"time_zone"}},
		{"a missing zone is refused", casedesk.CalendarSpec{Weekly: days(map[string][]string{"mon": nineToFive})}, []string{"time_zone"}},
		{"the host's Local zone is refused", casedesk.CalendarSpec{TimeZone: "Local", Weekly: days(map[string][]string{"mon": nineToFive})}, []string{"time_zone"}},
		{"a day's full name is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"monday": nineToFive})}, []string{"weekly.monday"}},
		{"a capitalised day is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"Mon": nineToFive, "tue": nineToFive})}, []string{"weekly.Mon"}},
		{"an hour without its leading zero is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"9:00-17:00"}})}, []string{"weekly.mon[0]"}},
		{"spaces around the dash are refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"09:00 - 17:00"}})}, []string{"weekly.mon[0]"}},
		{"a single time is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"09:00"}})}, []string{"weekly.mon[0]"}},
		{"hour 25 is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"09:00-25:00"}})}, []string{"weekly.mon[0]"}},
		{"minute 60 is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"09:60-17:00"}})}, []string{"weekly.mon[0]"}},
		{"24:30 is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"09:00-24:30"}})}, []string{"weekly.mon[0]"}},
		{"an interval starting at 24:00 is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": nineToFive, "tue": {"24:00-24:00"}})}, []string{"weekly.tue[0]"}},
		{"an end before the start is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"17:00-09:00"}})}, []string{"weekly.mon[0]"}},
		{"an interval crossing midnight is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"22:00-02:00"}})}, []string{"weekly.mon[0]"}},
		{"an empty interval is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {"09:00-09:00"}})}, []string{"weekly.mon[0]"}},
		{"overlapping intervals are refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"tue": {"09:00-13:00", "12:00-17:00"}})}, []string{"weekly.tue"}},
		{"an interval repeated is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"tue": {"09:00-17:00", "09:00-17:00"}})}, []string{"weekly.tue"}},
		{"intervals inside a long one are each refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"tue": {"09:00-17:00", "10:00-11:00", "12:00-13:00"}})}, []string{"weekly.tue", "weekly.tue"}},
		{"a week with no days is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{})}, []string{"weekly"}},
		{"a week whose days are all empty is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": {}, "tue": nil})}, []string{"weekly"}},
		{"no weekly hours at all are refused", casedesk.CalendarSpec{TimeZone: ny}, []string{"weekly"}},
		{"a month 13 holiday is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": nineToFive}), Holidays: []string{"2026-13-01"}}, []string{"holidays[0]"}},
		{"30 February is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": nineToFive}), Holidays: []string{"2026-12-25", "2027-02-30"}}, []string{"holidays[1]"}},
		{"a day without its leading zero is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": nineToFive}), Holidays: []string{"2026-12-5"}}, []string{"holidays[0]"}},
		{"a date written day first is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": nineToFive}), Holidays: []string{"25/12/2026"}}, []string{"holidays[0]"}},
		{"a holiday listed twice is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: days(map[string][]string{"mon": nineToFive}), Holidays: []string{"2026-12-25", "2027-01-01", "2026-12-25"}}, []string{"holidays[2]"}},
		{"24x7 with days too is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: casedesk.WeeklyHours{AllDay: true, Days: map[string][]string{"mon": nineToFive}}}, []string{"weekly"}},
		{"24x7 with holidays is refused", casedesk.CalendarSpec{TimeZone: ny, Weekly: casedesk.WeeklyHours{AllDay: true}, Holidays: []string{"2026-12-25"}}, []string{"holidays"}},
		{"every problem is named at once", casedesk.CalendarSpec{TimeZone: "Nowhere/City", Weekly: days(map[string][]string{"fri": {"9-5"}, "sun": {"10:00-12:00", "11:00-13:00"}}), Holidays: []string{"tomorrow"}},
			[]string{"time_zone", "weekly.fri[0]", "weekly.sun", "holidays[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.spec.Compile()
			if c != nil {
				t.Errorf("Compile returned a calendar with the error")
			}
			calWantFields(t, err, tt.fields...)
		})
	}
}

// calWantFields fails unless err is EINVALID and names exactly fields, in
// order, each with a message.
func calWantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var e *casedesk.Error
	if !errors.As(err, &e) || e.Code != casedesk.EINVALID {
		t.Fatalf("error = %v, want an EINVALID *casedesk.Error naming %q", err, fields)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
		if strings.TrimSpace(f.Message) == "" {
			t.Errorf("field %q has no message", f.Field)
		}
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("invalid fields = %q, want %q (err %v)", got, fields, err)
	}
}

func TestCalendarCompileAccepts(t *testing.T) {
	tests := []struct {
		name  string
		spec  casedesk.CalendarSpec
		check func(t *testing.T, c *casedesk.Calendar)
	}{
		{"24:00 ends a day", casedesk.CalendarSpec{TimeZone: "UTC", Weekly: casedesk.WeeklyHours{Days: map[string][]string{"sat": {"18:00-24:00"}}}},
			func(t *testing.T, c *casedesk.Calendar) {
				if !c.IsOpen(time.Date(2026, 6, 6, 23, 59, 59, 0, time.UTC)) {
					t.Errorf("Saturday 23:59:59 is closed")
				}
			}},
		{"intervals that touch are one", casedesk.CalendarSpec{TimeZone: "UTC", Weekly: casedesk.WeeklyHours{Days: map[string][]string{"mon": {"12:00-17:00", "09:00-12:00"}}}},
			func(t *testing.T, c *casedesk.Calendar) {
				mon := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
				if got := c.Add(mon, 4*time.Hour); !got.Equal(mon.Add(4 * time.Hour)) {
					t.Errorf("Add over the seam = %s", got)
				}
			}},
		{"a week with a single minute compiles", casedesk.CalendarSpec{TimeZone: "UTC", Weekly: casedesk.WeeklyHours{Days: map[string][]string{"wed": {"12:00-12:01"}}}},
			func(t *testing.T, c *casedesk.Calendar) {
				mon := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
				if got, want := c.Add(mon, 3*time.Minute), time.Date(2026, 6, 17, 12, 1, 0, 0, time.UTC); !got.Equal(want) {
					t.Errorf("three minutes = %s, want %s", got, want)
				}
			}},
		{"days left out are closed", calSupportNY,
			func(t *testing.T, c *casedesk.Calendar) {
				if c.IsOpen(time.Date(2026, 6, 7, 16, 0, 0, 0, time.UTC)) {
					t.Errorf("Sunday is open")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustCompile(t, tt.spec))
		})
	}
}

func TestCalendarSpecIsACopy(t *testing.T) {
	t.Run("changing the spec after compiling does not change the calendar", func(t *testing.T) {
		spec := casedesk.CalendarSpec{TimeZone: "UTC", Weekly: casedesk.WeeklyHours{Days: map[string][]string{"mon": {"09:00-17:00"}}}, Holidays: []string{"2026-12-25"}}
		c := mustCompile(t, spec)
		spec.Weekly.Days["mon"][0] = "00:00-24:00"
		spec.Holidays[0] = "2026-06-01"
		if got := c.Spec(); got.Weekly.Days["mon"][0] != "09:00-17:00" || got.Holidays[0] != "2026-12-25" {
			t.Errorf("Spec() = %+v changed with the input", got)
		}
		if !c.IsOpen(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("the calendar changed with its input")
		}
	})
	t.Run("changing what Spec returns does not change the calendar", func(t *testing.T) {
		c := mustCompile(t, calSupportNY)
		got := c.Spec()
		got.Weekly.Days["mon"][0] = "00:00-01:00"
		got.Holidays[0] = "1999-01-01"
		if again := c.Spec(); !reflect.DeepEqual(again, calSupportNY) {
			t.Errorf("Spec() = %+v, want %+v", again, calSupportNY)
		}
	})
}

func TestCalendarSpecJSON(t *testing.T) {
	t.Run("the documented shape decodes", func(t *testing.T) {
		in := `{"time_zone": "America/New_York",
			"weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"]},
			"holidays": ["2026-12-25", "2027-01-01"]}`
		var got casedesk.CalendarSpec
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatal(err)
		}
		want := casedesk.CalendarSpec{TimeZone: "America/New_York",
			Weekly:   casedesk.WeeklyHours{Days: map[string][]string{"mon": {"09:00-17:00"}, "tue": {"09:00-12:00", "13:00-17:00"}}},
			Holidays: []string{"2026-12-25", "2027-01-01"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoded %+v, want %+v", got, want)
		}
	})
	t.Run("24x7 decodes as always open", func(t *testing.T) {
		var got casedesk.CalendarSpec
		if err := json.Unmarshal([]byte(`{"time_zone":"UTC","weekly":"24x7"}`), &got); err != nil {
			t.Fatal(err)
		}
		if !got.Weekly.AllDay || got.Weekly.Days != nil {
			t.Errorf("weekly = %+v, want AllDay", got.Weekly)
		}
	})
	for _, bad := range []string{`"24/7"`, `"always"`, `42`, `["mon"]`, `{"mon": "09:00-17:00"}`} {
		t.Run("weekly "+bad+" is refused", func(t *testing.T) {
			var got casedesk.CalendarSpec
			err := json.Unmarshal([]byte(`{"time_zone":"UTC","weekly":`+bad+`}`), &got)
			if err == nil || !strings.Contains(err.Error(), "24x7") {
				t.Errorf("error = %v, want one that shows the accepted forms", err)
			}
		})
	}
	for _, spec := range []casedesk.CalendarSpec{calSupportNY, calLunchNY, cal24x7NY, {TimeZone: "UTC", Holidays: []string{}}, {}} {
		t.Run("a spec survives a round trip: "+string(mustJSON(t, spec)), func(t *testing.T) {
			var got casedesk.CalendarSpec
			if err := json.Unmarshal(mustJSON(t, spec), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, spec) {
				t.Errorf("round trip gave %#v, want %#v", got, spec)
			}
		})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkCalendarAdd(b *testing.B) {
	c := mustCompile(b, calSupportNY)
	start := time.Date(2026, 6, 3, 13, 0, 0, 0, c.Location())
	b.ReportAllocs()
	for b.Loop() {
		c.Add(start, 80*time.Hour)
	}
}

func BenchmarkCalendarAdd30BusinessDaysOverHolidays(b *testing.B) {
	c := mustCompile(b, calSupportNY)
	start := time.Date(2026, 12, 24, 16, 0, 0, 0, c.Location())
	b.ReportAllocs()
	for b.Loop() {
		c.Add(start, 240*time.Hour)
	}
}

func BenchmarkCalendarBetweenAYear(b *testing.B) {
	c := mustCompile(b, calSupportNY)
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, c.Location())
	to := from.AddDate(1, 0, 0)
	b.ReportAllocs()
	for b.Loop() {
		c.Between(from, to)
	}
}
