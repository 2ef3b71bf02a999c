package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casedesk/casedesk"
)

// nyConfig is a configuration a New York support desk would write.
const nyConfig = `{
  "calendars": {
    "support": {"time_zone": "America/New_York",
                "weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]},
                "holidays": ["2026-12-25", "2027-01-01"]},
    "lunch": {"time_zone": "America/New_York", "weekly": {"mon": ["09:00-12:00", "13:00-17:00"]}}
  },
  "policies": [
    {"type": "inquiry", "priority": "normal", "first_response": "1h30m", "resolution": "20h"},
    {"type": "dispute", "priority": "urgent", "calendar": "always", "warning_at": 0.75}
  ]
}`

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sla.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noEnvConfig keeps an SLA configuration of the environment out of the test.
func noEnvConfig(t *testing.T) {
	t.Setenv(casedesk.SLAConfigEnv, "")
}

func TestSLADue(t *testing.T) {
	noEnvConfig(t)
	good := writeConfig(t, `{"calendars": {"support": {"time_zone": "America/New_York",
		"weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]},
		"holidays": ["2026-12-25", "2027-01-01"]}}}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"with the defaults, Friday 15:00 UTC plus 4h is Monday 11:00 UTC",
			[]string{"due", "--start", "2026-06-05T15:00:00Z", "--target", "4h"}, "2026-06-08T11:00:00Z"},
		{"with the defaults, the always calendar adds clock time",
			[]string{"due", "--calendar", "always", "--start", "2026-06-05T15:00:00Z", "--target", "4h"}, "2026-06-05T19:00:00Z"},
		{"in New York, Friday 16:00 EST plus 2h is Monday 10:00 EDT",
			[]string{"due", "--config", good, "--calendar", "support", "--start", "2026-03-06T16:00:00-05:00", "--target", "2h"}, "2026-03-09T10:00:00-04:00"},
		{"in New York, a start written in UTC is answered in New York time",
			[]string{"due", "--config", good, "--start", "2026-12-24T21:00:00Z", "--target", "4h"}, "2026-12-28T12:00:00-05:00"},
		{"in New York, a deadline landing at closing is 17:00",
			[]string{"due", "--config", good, "--start", "2026-06-01T13:00:00-04:00", "--target", "4h"}, "2026-06-01T17:00:00-04:00"},
		{"flags may be written with one dash and an equals sign",
			[]string{"due", "-config=" + good, "-start=2026-06-01T09:00:00-04:00", "-target=80h"}, "2026-06-12T17:00:00-04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := runSLA(context.Background(), tt.args, &out); err != nil {
				t.Fatalf("runSLA(%q): %v", tt.args, err)
			}
			if got := out.String(); got != tt.want+"\n" {
				t.Errorf("printed %q, want %q", got, tt.want+"\n")
			}
		})
	}
}

func TestSLADueUsesTheEnvironment(t *testing.T) {
	t.Setenv(casedesk.SLAConfigEnv, writeConfig(t, nyConfig))
	var out bytes.Buffer
	if err := runSLA(context.Background(), []string{"due", "--calendar", "lunch", "--start", "2026-06-01T11:00:00-04:00", "--target", "2h"}, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "2026-06-01T14:00:00-04:00\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

func TestSLAErrors(t *testing.T) {
	noEnvConfig(t)
	invalid := writeConfig(t, `{"calendars": {"support": {"time_zone": "Mars/Olympus", "weekly": "24x7"}},
		"policies": [{"type": "inquiry", "priority": "normal", "warning_at": 80}]}`)
	start := "2026-06-05T15:00:00Z"
	tests := []struct {
		name string
		args []string
		says []string // parts of the error message
	}{
		{"no command is refused", nil, []string{"missing command", "due", "check"}},
		{"an unknown command is refused", []string{"deadline"}, []string{`unknown command "deadline"`, "due or check"}},
		{"an unknown flag is refused", []string{"due", "--tz", "UTC"}, []string{"-tz", "casedesk sla --help"}},
		{"a flag without its value is refused", []string{"due", "--start"}, []string{"needs an argument", "-start"}},
		{"a stray argument is refused", []string{"due", "--start", start, "--target", "4h", "tomorrow"}, []string{`unexpected argument "tomorrow"`}},
		{"a missing start and target are both named", []string{"due"}, []string{"--start is required", "--target is required"}},
		{"a start without an offset is refused", []string{"due", "--start", "2026-06-05T15:00:00", "--target", "4h"}, []string{`--start "2026-06-05T15:00:00" is not an RFC 3339 time`}},
		{"a date alone is refused", []string{"due", "--start", "2026-06-05", "--target", "4h"}, []string{"is not an RFC 3339 time"}},
		{"a target in days is refused", []string{"due", "--start", start, "--target", "2d"}, []string{`--target "2d" is not a duration`, "16h"}},
		{"a zero target is refused", []string{"due", "--start", start, "--target", "0s"}, []string{"must be positive"}},
		{"a negative target is refused", []string{"due", "--start", start, "--target", "-4h"}, []string{"must be positive"}},
		{"an unknown calendar is refused with the known ones", []string{"due", "--calendar", "emea", "--start", start, "--target", "4h"}, []string{`no calendar "emea"`, "always, support"}},
		{"a missing configuration file is refused", []string{"due", "--config", filepath.Join(t.TempDir(), "missing.json"), "--start", start, "--target", "4h"}, []string{"missing.json", "no such file"}},
		{"an invalid configuration is refused for due", []string{"due", "--config", invalid, "--start", start, "--target", "4h"}, []string{"Mars/Olympus"}},
		{"an invalid configuration is refused by check, naming each problem on its line", []string{"check", "--config", invalid},
			[]string{invalid + ": the SLA configuration is invalid:", "\n  calendars.support.time_zone: \"Mars/Olympus\" is not a known IANA time zone", "\n  policies[0].warning_at: is 80"}},
		{"check takes no arguments", []string{"check", "sla.json"}, []string{`unexpected argument "sla.json"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runSLA(context.Background(), tt.args, &out)
			if err == nil {
				t.Fatalf("runSLA(%q) succeeded, printing %q", tt.args, out.String())
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if out.Len() > 0 {
				t.Errorf("printed %q as well as the error", out.String())
			}
		})
	}
}

func TestSLACheck(t *testing.T) {
	noEnvConfig(t)
	t.Run("the defaults are ok and every policy is listed", func(t *testing.T) {
		var out bytes.Buffer
		if err := runSLA(context.Background(), []string{"check"}, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.HasPrefix(got, "ok\n") {
			t.Errorf("output does not start with ok:\n%s", got)
		}
		for _, row := range [][]string{
			{"TYPE", "PRIORITY", "CALENDAR", "FIRST RESPONSE", "RESOLUTION", "WARNING AT"},
			{"inquiry", "normal", "support", "4h", "16h", "80%"},
			{"dispute", "normal", "support", "4h", "80h", "80%"},
			{"refund", "low", "support", "8h", "40h", "80%"},
			{"chargeback", "urgent", "support", "1h", "80h", "80%"},
			{"always", "UTC", "24x7", "0"},
			{"support", "UTC", "mon-fri 09:00-17:00", "0"},
		} {
			if !hasRow(got, row) {
				t.Errorf("no row %q in:\n%s", row, got)
			}
		}
		if n := strings.Count(got, "%\n"); n != len(casedesk.Types)*len(casedesk.Priorities) {
			t.Errorf("%d policy rows, want %d", n, len(casedesk.Types)*len(casedesk.Priorities))
		}
	})
	t.Run("a file's policies and calendars are listed", func(t *testing.T) {
		path := writeConfig(t, nyConfig)
		var out bytes.Buffer
		if err := runSLA(context.Background(), []string{"check", "--config", path}, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, row := range [][]string{
			{"ok"},
			{"SLA configuration:", path},
			{"inquiry", "normal", "support", "1h30m", "20h", "80%"},
			{"inquiry", "high", "support", "2h", "8h", "80%"},
			{"dispute", "urgent", "always", "1h", "24h", "75%"},
			{"support", "America/New_York", "mon-fri 09:00-17:00", "2"},
			{"lunch", "America/New_York", "mon 09:00-12:00,13:00-17:00", "0"},
		} {
			if !hasRow(got, row) {
				t.Errorf("no row %q in:\n%s", row, got)
			}
		}
	})
	t.Run("help is printed, not an error", func(t *testing.T) {
		for _, args := range [][]string{{"help"}, {"--help"}, {"due", "--help"}, {"check", "-h"}} {
			var out bytes.Buffer
			if err := runSLA(context.Background(), args, &out); err != nil {
				t.Fatalf("runSLA(%q): %v", args, err)
			}
			if !strings.HasPrefix(out.String(), "Usage: casedesk sla due") {
				t.Errorf("runSLA(%q) printed %q", args, out.String())
			}
		}
	})
}

// hasRow reports whether a line of out holds the cells, in order, separated
// by the table's spaces.
func hasRow(out string, cells []string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(strings.Fields(strings.Join(cells, " ")), " ") {
			return true
		}
	}
	return false
}

func TestSLAThroughTheCommandLine(t *testing.T) {
	noEnvConfig(t)
	invalid := writeConfig(t, `{"policies": [{"type": "inquiry", "priority": "normal", "resolution": "0s"}]}`)
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string // a part of what is printed
		stderr string // a part of what is printed on stderr
	}{
		{"sla is listed among the commands", []string{"help"}, 0, "sla ", ""},
		{"sla --help prints its usage", []string{"sla", "--help"}, 0, "Usage: casedesk sla due", ""},
		{"a deadline is printed with status 0", []string{"sla", "due", "--start", "2026-06-05T15:00:00Z", "--target", "4h"}, 0, "2026-06-08T11:00:00Z\n", ""},
		{"a valid configuration exits with status 0", []string{"sla", "check"}, 0, "ok\n", ""},
		{"an invalid configuration exits with status 1", []string{"sla", "check", "--config", invalid}, 1, "", "policies[0].resolution: is 0s; a target must be positive"},
		{"a bad flag exits with status 1", []string{"sla", "due", "--target", "soon"}, 1, "", `--target "soon" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, &stdout, &stderr); got != tt.status {
				t.Errorf("status %d, want %d (stderr %q)", got, tt.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}
