package casedesk_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestDefaultSLAConfig(t *testing.T) {
	cfg := casedesk.DefaultSLAConfig()
	h := time.Hour
	tests := []struct {
		typ                       casedesk.Type
		priority                  casedesk.Priority
		firstResponse, resolution time.Duration
	}{
		{casedesk.TypeInquiry, casedesk.PriorityLow, 8 * h, 24 * h},
		{casedesk.TypeInquiry, casedesk.PriorityNormal, 4 * h, 16 * h},
		{casedesk.TypeInquiry, casedesk.PriorityHigh, 2 * h, 8 * h},
		{casedesk.TypeInquiry, casedesk.PriorityUrgent, 1 * h, 4 * h},
		{casedesk.TypeDispute, casedesk.PriorityLow, 8 * h, 120 * h},
		{casedesk.TypeDispute, casedesk.PriorityNormal, 4 * h, 80 * h},
		{casedesk.TypeDispute, casedesk.PriorityHigh, 2 * h, 40 * h},
		{casedesk.TypeDispute, casedesk.PriorityUrgent, 1 * h, 24 * h},
		{casedesk.TypeChargeback, casedesk.PriorityLow, 8 * h, 80 * h},
		{casedesk.TypeChargeback, casedesk.PriorityNormal, 4 * h, 80 * h},
		{casedesk.TypeChargeback, casedesk.PriorityHigh, 2 * h, 80 * h},
		{casedesk.TypeChargeback, casedesk.PriorityUrgent, 1 * h, 80 * h},
		{casedesk.TypeRefund, casedesk.PriorityLow, 8 * h, 40 * h},
		{casedesk.TypeRefund, casedesk.PriorityNormal, 4 * h, 24 * h},
		{casedesk.TypeRefund, casedesk.PriorityHigh, 2 * h, 16 * h},
		{casedesk.TypeRefund, casedesk.PriorityUrgent, 1 * h, 8 * h},
	}
	support, _ := cfg.Calendar(casedesk.CalendarSupport)
	for _, tt := range tests {
		t.Run(string(tt.priority)+" "+string(tt.typ)+" cases answer within "+tt.firstResponse.String()+" and resolve within "+tt.resolution.String(), func(t *testing.T) {
			p := cfg.Policy(tt.typ, tt.priority)
			want := casedesk.SLAPolicy{Type: tt.typ, Priority: tt.priority, CalendarName: "support", Calendar: support.Spec(),
				FirstResponse: tt.firstResponse, Resolution: tt.resolution, WarningAt: 0.8}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("Policy = %+v, want %+v", p, want)
			}
		})
	}
	t.Run("every type and priority has a policy, in order", func(t *testing.T) {
		all := cfg.Policies()
		if len(all) != len(tests) {
			t.Fatalf("%d policies, want %d", len(all), len(tests))
		}
		i := 0
		for _, typ := range casedesk.Types {
			for _, p := range casedesk.Priorities {
				if all[i].Type != typ || all[i].Priority != p || all[i].Resolution <= 0 {
					t.Errorf("policies[%d] = %s/%s (resolution %s), want %s/%s", i, all[i].Type, all[i].Priority, all[i].Resolution, typ, p)
				}
				i++
			}
		}
	})
	t.Run("an unknown type or priority has the zero policy", func(t *testing.T) {
		if p := cfg.Policy("complaint", casedesk.PriorityNormal); !reflect.DeepEqual(p, casedesk.SLAPolicy{}) {
			t.Errorf("Policy(complaint, normal) = %+v", p)
		}
		if p := cfg.Policy(casedesk.TypeInquiry, "critical"); !reflect.DeepEqual(p, casedesk.SLAPolicy{}) {
			t.Errorf("Policy(inquiry, critical) = %+v", p)
		}
	})
	t.Run("the support calendar is UTC weekdays 09:00-17:00, so 16 hours are two business days", func(t *testing.T) {
		mon := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		if got, want := support.Add(mon, 16*time.Hour), time.Date(2026, 6, 2, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("Monday 09:00 + 16h = %s, want %s", got, want)
		}
		fri := time.Date(2026, 6, 5, 9, 0, 0, 0, time.UTC)
		if got, want := support.Add(fri, 80*time.Hour), time.Date(2026, 6, 18, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("Friday 09:00 + 80h = %s, want %s (ten business days)", got, want)
		}
	})
	t.Run("the always calendar counts calendar hours", func(t *testing.T) {
		always, ok := cfg.Calendar(casedesk.CalendarAlways)
		if !ok {
			t.Fatal("no always calendar")
		}
		sat := time.Date(2026, 6, 6, 22, 0, 0, 0, time.UTC)
		if got := always.Add(sat, 16*time.Hour); !got.Equal(sat.Add(16 * time.Hour)) {
			t.Errorf("Saturday 22:00 + 16h = %s", got)
		}
	})
	t.Run("an unknown calendar is not found", func(t *testing.T) {
		if _, ok := cfg.Calendar("weekend"); ok {
			t.Error("found a calendar named weekend")
		}
	})
	t.Run("the calendars are named in order", func(t *testing.T) {
		if got := cfg.CalendarNames(); !reflect.DeepEqual(got, []string{"always", "support"}) {
			t.Errorf("CalendarNames() = %q", got)
		}
	})
}

func TestParseSLAConfig(t *testing.T) {
	defaults := casedesk.DefaultSLAConfig()
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, cfg *casedesk.SLAConfig)
	}{
		{"an empty object keeps every default", `{}`, func(t *testing.T, cfg *casedesk.SLAConfig) {
			if !reflect.DeepEqual(cfg.Policies(), defaults.Policies()) {
				t.Errorf("policies differ from the defaults")
			}
		}},
		{"empty lists keep every default", `{"calendars": {}, "policies": []}`, func(t *testing.T, cfg *casedesk.SLAConfig) {
			if !reflect.DeepEqual(cfg.Policies(), defaults.Policies()) {
				t.Errorf("policies differ from the defaults")
			}
		}},
		{"replacing the support calendar moves every default policy to it", `{"calendars": {"support": {
				"time_zone": "America/New_York", "weekly": {"mon": ["09:00-17:00"], "fri": ["09:00-17:00"]}, "holidays": ["2026-12-25"]}}}`,
			func(t *testing.T, cfg *casedesk.SLAConfig) {
				p := cfg.Policy(casedesk.TypeRefund, casedesk.PriorityHigh)
				if p.CalendarName != "support" || p.Calendar.TimeZone != "America/New_York" || !reflect.DeepEqual(p.Calendar.Holidays, []string{"2026-12-25"}) {
					t.Errorf("refund/high = %+v, want the new support calendar", p)
				}
				if p.FirstResponse != 2*time.Hour || p.Resolution != 16*time.Hour {
					t.Errorf("refund/high targets = %s/%s, want the defaults", p.FirstResponse, p.Resolution)
				}
				cal, _ := cfg.Calendar("support")
				if got := cal.Spec().TimeZone; got != "America/New_York" {
					t.Errorf("support zone = %s", got)
				}
				always, _ := cfg.Calendar("always")
				if !always.Spec().Weekly.AllDay {
					t.Errorf("the always calendar changed")
				}
			}},
		{"a policy replaces only the fields it gives", `{"policies": [{"type": "inquiry", "priority": "normal", "resolution": "24h"}]}`,
			func(t *testing.T, cfg *casedesk.SLAConfig) {
				got := cfg.Policy(casedesk.TypeInquiry, casedesk.PriorityNormal)
				want := defaults.Policy(casedesk.TypeInquiry, casedesk.PriorityNormal)
				want.Resolution = 24 * time.Hour
				if !reflect.DeepEqual(got, want) {
					t.Errorf("inquiry/normal = %+v, want %+v", got, want)
				}
				if !reflect.DeepEqual(cfg.Policy(casedesk.TypeInquiry, casedesk.PriorityHigh), defaults.Policy(casedesk.TypeInquiry, casedesk.PriorityHigh)) {
					t.Errorf("inquiry/high changed")
				}
			}},
		{"a new calendar and a policy on it", `{
				"calendars": {"emea": {"time_zone": "Europe/Berlin", "weekly": {"mon": ["08:00-12:00", "13:00-18:00"]}}},
				"policies": [{"type": "dispute", "priority": "urgent", "calendar": "emea", "first_response": "30m", "resolution": "10h", "warning_at": 0.5},
				             {"type": "chargeback", "priority": "high", "calendar": "always", "resolution": "72h"}]}`,
			func(t *testing.T, cfg *casedesk.SLAConfig) {
				p := cfg.Policy(casedesk.TypeDispute, casedesk.PriorityUrgent)
				if p.CalendarName != "emea" || p.Calendar.TimeZone != "Europe/Berlin" || p.FirstResponse != 30*time.Minute || p.Resolution != 10*time.Hour || p.WarningAt != 0.5 {
					t.Errorf("dispute/urgent = %+v", p)
				}
				c, err := p.CompiledCalendar()
				if err != nil {
					t.Fatal(err)
				}
				mon := time.Date(2026, 6, 1, 8, 0, 0, 0, c.Location())
				if got, want := c.Add(mon, p.Resolution), time.Date(2026, 6, 8, 9, 0, 0, 0, c.Location()); !got.Equal(want) {
					t.Errorf("Monday 08:00 + 10h = %s, want the next Monday 09:00 (a 9-hour Monday)", got.In(c.Location()))
				}
				cb := cfg.Policy(casedesk.TypeChargeback, casedesk.PriorityHigh)
				if cb.CalendarName != "always" || !cb.Calendar.Weekly.AllDay || cb.Resolution != 72*time.Hour || cb.FirstResponse != 2*time.Hour {
					t.Errorf("chargeback/high = %+v", cb)
				}
				if _, ok := cfg.Calendar("emea"); !ok {
					t.Errorf("no emea calendar")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := casedesk.ParseSLAConfig([]byte(tt.json))
			if err != nil {
				t.Fatalf("ParseSLAConfig: %v", err)
			}
			tt.check(t, cfg)
		})
	}
}

func TestParseSLAConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		fields  []string // the fields named, or nil when the message says it
		message string   // a part of the error's message
	}{
		{"an empty file is refused", "  \n", nil, "empty"},
		{"text that is not JSON is refused with its line", "{\n  \"policies\": [\n  }", nil, "line 3"},
		{"a file cut short is refused", `{"policies": [`, nil, "ends too early"},
		{"a second value after the first is refused", `{} {}`, nil, "more after"},
		{"a list at the top is refused", `[]`, nil, "an object"},
		{"an unknown top-level field is refused", `{"calendar": {}}`, []string{"calendar"}, "not a known field"},
		{"policies that are not a list are refused", `{"policies": {}}`, []string{"policies"}, "a list"},
		{"an unknown field in a calendar is refused", `{"calendars": {"support": {"timezone": "UTC", "weekly": "24x7"}}}`, []string{"calendars.support.timezone"}, "not a known field"},
		{"an unknown field in a policy is refused", `{"policies": [{"type": "inquiry", "priority": "low", "first_reply": "1h"}]}`, []string{"policies[0].first_reply"}, "not a known field"},
		{"an unknown zone is refused", `{"calendars": {"support": {"time_zone": "Europe/Atlantis", "weekly": "24x7"}}}`, []string{"calendars.support.time_zone"}, "Europe/Atlantis"},
		{"overlapping hours are refused", `{"calendars": {"late": {"time_zone": "UTC", "weekly": {"mon": ["09:00-17:00", "16:00-20:00"]}}}}`, []string{"calendars.late.weekly.mon"}, "overlaps"},
		{"a calendar with no hours is refused", `{"calendars": {"never": {"time_zone": "UTC", "weekly": {}}}}`, []string{"calendars.never.weekly"}, "no business hours"},
		{"weekly written 24/7 is refused", `{"calendars": {"x": {"time_zone": "UTC", "weekly": "24/7"}}}`, []string{"calendars.x"}, "24x7"},
		{"a bad holiday is refused", `{"calendars": {"x": {"time_zone": "UTC", "weekly": {"mon": ["09:00-17:00"]}, "holidays": ["2026-12-32"]}}}`, []string{"calendars.x.holidays[0]"}, "YYYY-MM-DD"},
		{"a calendar named with spaces is refused", `{"calendars": {" support": {"time_zone": "UTC", "weekly": "24x7"}}}`, []string{"calendars. support"}, "name"},
		{"a policy naming a missing calendar is refused", `{"policies": [{"type": "inquiry", "priority": "low", "calendar": "weekend"}]}`, []string{"policies[0].calendar"}, "weekend"},
		{"a policy naming an invalid calendar is refused with it", `{"calendars": {"emea": {"time_zone": "Europe/Atlantis", "weekly": "24x7"}},
			"policies": [{"type": "inquiry", "priority": "low", "calendar": "emea"}]}`, []string{"calendars.emea.time_zone", "policies[0].calendar"}, "invalid"},
		{"a zero first-response target is refused", `{"policies": [{"type": "inquiry", "priority": "low", "first_response": "0s"}]}`, []string{"policies[0].first_response"}, "positive"},
		{"a negative resolution target is refused", `{"policies": [{"type": "inquiry", "priority": "low", "resolution": "-4h"}]}`, []string{"policies[0].resolution"}, "positive"},
		{"a target in days is refused", `{"policies": [{"type": "inquiry", "priority": "low", "resolution": "2d"}]}`, []string{"policies[0].resolution"}, "duration"},
		{"a target as a number is refused", `{"policies": [{"type": "inquiry", "priority": "low", "resolution": 16}]}`, []string{"policies[0].resolution"}, "a string"},
		{"a warning at 0 is refused", `{"policies": [{"type": "inquiry", "priority": "low", "warning_at": 0}]}`, []string{"policies[0].warning_at"}, "between 0 and 1"},
		{"a warning at 1 is refused", `{"policies": [{"type": "inquiry", "priority": "low", "warning_at": 1}]}`, []string{"policies[0].warning_at"}, "between 0 and 1"},
		{"a warning at 80 (a percentage) is refused", `{"policies": [{"type": "inquiry", "priority": "low", "warning_at": 80}]}`, []string{"policies[0].warning_at"}, "between 0 and 1"},
		{"a negative warning is refused", `{"policies": [{"type": "inquiry", "priority": "low", "warning_at": -0.2}]}`, []string{"policies[0].warning_at"}, "between 0 and 1"},
		{"an unknown type is refused", `{"policies": [{"type": "complaint", "priority": "low"}]}`, []string{"policies[0].type"}, "complaint"},
		{"a missing type is refused", `{"policies": [{"priority": "low"}]}`, []string{"policies[0].type"}, "required"},
		{"an unknown priority is refused", `{"policies": [{"type": "refund", "priority": "critical"}]}`, []string{"policies[0].priority"}, "critical"},
		{"a type in capitals is refused", `{"policies": [{"type": "Refund", "priority": "low"}]}`, []string{"policies[0].type"}, "Refund"},
		{"the same type and priority twice is refused", `{"policies": [{"type": "refund", "priority": "low", "resolution": "40h"}, {"type": "refund", "priority": "high"}, {"type": "refund", "priority": "low"}]}`,
			[]string{"policies[2]"}, "policies[0]"},
		{"a repeated policy is named even when the first is invalid", `{"policies": [{"type": "refund", "priority": "low", "warning_at": 3}, {"type": "refund", "priority": "low"}]}`,
			[]string{"policies[0].warning_at", "policies[1]"}, "already set by policies[0]"},
		{"invalid types repeated are named as invalid, not as repeats", `{"policies": [{"type": "x", "priority": "low"}, {"type": "x", "priority": "low"}]}`,
			[]string{"policies[0].type", "policies[1].type"}, "not a case type"},
		{"a first response longer than the resolution is refused", `{"policies": [{"type": "inquiry", "priority": "urgent", "first_response": "5h"}]}`, []string{"policies[0].first_response"}, "longer than the resolution"},
		{"every problem is named at once", `{"calendars": {"a": {"time_zone": "UTC", "weekly": {"mon": ["9-5"]}}, "b": {"time_zone": "UTC", "weekly": "24x7", "holidays": ["2026-12-25"]}},
			"policies": [{"type": "inquiry", "priority": "low", "resolution": "0s", "warning_at": 2}, {"type": "x", "priority": "y"}]}`,
			[]string{"calendars.a.weekly.mon[0]", "calendars.b.holidays", "policies[0].resolution", "policies[0].warning_at", "policies[1].type", "policies[1].priority"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := casedesk.ParseSLAConfig([]byte(tt.json))
			if cfg != nil {
				t.Errorf("a configuration came back with the error")
			}
			if tt.fields != nil {
				calWantFields(t, err, tt.fields...)
			} else if casedesk.ErrorCode(err) != casedesk.EINVALID {
				t.Fatalf("error = %v, want EINVALID", err)
			}
			if !strings.Contains(errorText(err), tt.message) {
				t.Errorf("error %q does not say %q", errorText(err), tt.message)
			}
		})
	}
}

// errorText is the error's message with every field's message.
func errorText(err error) string {
	var e *casedesk.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	s := e.Message
	for _, f := range e.Fields {
		s += "; " + f.Field + ": " + f.Message
	}
	return s
}

func TestLoadSLAConfig(t *testing.T) {
	t.Run("no path means the defaults", func(t *testing.T) {
		cfg, err := casedesk.LoadSLAConfig("")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cfg.Policies(), casedesk.DefaultSLAConfig().Policies()) {
			t.Error("the policies are not the defaults")
		}
	})
	t.Run("a file is read and merged", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sla.json")
		writeFile(t, path, `{"policies": [{"type": "inquiry", "priority": "normal", "first_response": "3h"}]}`)
		cfg, err := casedesk.LoadSLAConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Policy(casedesk.TypeInquiry, casedesk.PriorityNormal).FirstResponse; got != 3*time.Hour {
			t.Errorf("first response = %s, want 3h", got)
		}
	})
	t.Run("a missing file is an error that says so", func(t *testing.T) {
		_, err := casedesk.LoadSLAConfig(filepath.Join(t.TempDir(), "missing.json"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want one wrapping fs.ErrNotExist", err)
		}
	})
	t.Run("an invalid file is an EINVALID error naming the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sla.json")
		writeFile(t, path, `{"policies": [{"type": "inquiry", "priority": "normal", "warning_at": 1.5}]}`)
		_, err := casedesk.LoadSLAConfig(path)
		calWantFields(t, err, "policies[0].warning_at")
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name %s", err, path)
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSLAPolicyJSON(t *testing.T) {
	support := casedesk.DefaultSLAConfig().Policy(casedesk.TypeInquiry, casedesk.PriorityNormal)
	tests := []struct {
		name   string
		policy casedesk.SLAPolicy
	}{
		{"a default policy", support},
		{"a policy on a calendar with holidays and a lunch break", casedesk.SLAPolicy{Type: casedesk.TypeDispute, Priority: casedesk.PriorityHigh,
			CalendarName: "ny", Calendar: calSupportNY, FirstResponse: 90 * time.Minute, Resolution: 40 * time.Hour, WarningAt: 0.75}},
		{"a 24x7 policy", casedesk.SLAPolicy{Type: casedesk.TypeChargeback, Priority: casedesk.PriorityUrgent,
			CalendarName: "always", Calendar: cal24x7NY, FirstResponse: time.Hour, Resolution: 80 * time.Hour, WarningAt: 0.8}},
		{"odd durations and shares", casedesk.SLAPolicy{Type: casedesk.TypeRefund, Priority: casedesk.PriorityLow,
			CalendarName: "lunch", Calendar: calLunchNY, FirstResponse: time.Nanosecond, Resolution: 1*time.Hour + 30*time.Minute + 15*time.Second + 123456789, WarningAt: 1.0 / 3}},
		{"the largest and smallest durations", casedesk.SLAPolicy{FirstResponse: math.MinInt64, Resolution: math.MaxInt64, WarningAt: math.SmallestNonzeroFloat64}},
		{"the zero policy", casedesk.SLAPolicy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" survives a round trip", func(t *testing.T) {
			b := mustJSON(t, tt.policy)
			var got casedesk.SLAPolicy
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, tt.policy) {
				t.Errorf("round trip of %s gave %+v, want %+v", b, got, tt.policy)
			}
		})
	}
	t.Run("the rules' list of policies survives a round trip", func(t *testing.T) {
		all := casedesk.DefaultSLAConfig().Policies()
		var got []casedesk.SLAPolicy
		if err := json.Unmarshal(mustJSON(t, all), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, all) {
			t.Error("the policies changed in the round trip")
		}
	})
	t.Run("durations are written as Go duration strings", func(t *testing.T) {
		b := string(mustJSON(t, support))
		for _, want := range []string{`"first_response":"4h0m0s"`, `"resolution":"16h0m0s"`, `"warning_at":0.8`, `"calendar_name":"support"`,
			`"calendar":{"time_zone":"UTC","weekly":{"fri":["09:00-17:00"]`} {
			if !strings.Contains(b, want) {
				t.Errorf("%s does not contain %s", b, want)
			}
		}
	})
	t.Run("durations may be read as nanoseconds", func(t *testing.T) {
		var got casedesk.SLAPolicy
		if err := json.Unmarshal([]byte(`{"first_response": 14400000000000, "resolution": "16h"}`), &got); err != nil {
			t.Fatal(err)
		}
		if got.FirstResponse != 4*time.Hour || got.Resolution != 16*time.Hour {
			t.Errorf("got %s and %s", got.FirstResponse, got.Resolution)
		}
	})
	for _, bad := range []string{`{"first_response": "4 hours"}`, `{"resolution": true}`, `{"resolution": 1.5}`} {
		t.Run("a bad duration is refused: "+bad, func(t *testing.T) {
			var got casedesk.SLAPolicy
			if err := json.Unmarshal([]byte(bad), &got); err == nil {
				t.Errorf("Unmarshal accepted it as %+v", got)
			}
		})
	}
}

func TestSLAPolicyCompiledCalendar(t *testing.T) {
	t.Run("a policy's calendar compiles to the one of its configuration", func(t *testing.T) {
		cfg := casedesk.DefaultSLAConfig()
		c, err := cfg.Policy(casedesk.TypeInquiry, casedesk.PriorityNormal).CompiledCalendar()
		if err != nil {
			t.Fatal(err)
		}
		support, _ := cfg.Calendar("support")
		if !reflect.DeepEqual(c.Spec(), support.Spec()) {
			t.Errorf("compiled %+v, want %+v", c.Spec(), support.Spec())
		}
	})
	t.Run("a policy whose calendar is invalid fails to compile", func(t *testing.T) {
		_, err := casedesk.SLAPolicy{Calendar: casedesk.CalendarSpec{TimeZone: "UTC"}}.CompiledCalendar()
		calWantFields(t, err, "weekly")
	})
}
