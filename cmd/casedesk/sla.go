package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/casedesk/casedesk"
)

const slaUsage = `Usage: casedesk sla due [--config FILE] [--calendar NAME] --start TIME --target DURATION
       casedesk sla check [--config FILE]

due prints, as one RFC 3339 line in the calendar's zone, the deadline that is
DURATION of business time of the calendar NAME (default "support") after TIME:

  casedesk sla due --calendar support --start 2026-03-06T16:00:00-05:00 --target 2h

  --config FILE      the SLA configuration (JSON, see docs/sla.md); default
                     $CASEDESK_SLA_CONFIG, else the built-in defaults
  --calendar NAME    a calendar of the configuration (default "support")
  --start TIME       when the clock starts, RFC 3339 with its offset, such as
                     2026-03-06T16:00:00-05:00 or 2026-03-06T21:00:00Z
  --target DURATION  business time, such as 4h, 90m or 80h (10 business days
                     of 8 hours)

A deadline that lands exactly on a closing time is that closing time; a start
outside business hours counts from the next opening.

check validates the configuration and prints "ok" and every policy and
calendar, or each problem (and exits with status 1).`

// runSLA runs `casedesk sla due` and `casedesk sla check`, for a support lead
// to try a configuration before the worker loads it.
func runSLA(_ context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command: casedesk sla due … or casedesk sla check (see casedesk sla --help)")
	}
	switch args[0] {
	case "due":
		return slaDue(args[1:], stdout)
	case "check":
		return slaCheck(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, slaUsage)
		return nil
	}
	return fmt.Errorf("unknown command %q: use due or check (see casedesk sla --help)", args[0])
}

// slaFlags parses the flags of `sla <name>`; done is true when it printed help.
func slaFlags(name string, args []string, stdout io.Writer, define func(fs *flag.FlagSet)) (config string, done bool, err error) {
	fs := flag.NewFlagSet("sla "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&config, "config", "", "")
	define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, slaUsage)
			return "", true, nil
		}
		return "", false, fmt.Errorf("%s: %v (see casedesk sla --help)", name, err)
	}
	if fs.NArg() > 0 {
		return "", false, fmt.Errorf("%s: unexpected argument %q; every value goes with a flag, such as --start (see casedesk sla --help)", name, fs.Arg(0))
	}
	return config, false, nil
}

func slaDue(args []string, stdout io.Writer) error {
	var calendar, start, target string
	path, done, err := slaFlags("due", args, stdout, func(fs *flag.FlagSet) {
		fs.StringVar(&calendar, "calendar", casedesk.CalendarSupport, "")
		fs.StringVar(&start, "start", "", "")
		fs.StringVar(&target, "target", "", "")
	})
	if err != nil || done {
		return err
	}
	var problems []string
	from, err := time.Parse(time.RFC3339, start)
	switch {
	case start == "":
		problems = append(problems, "--start is required: an RFC 3339 time such as 2026-03-06T16:00:00-05:00")
	case err != nil:
		problems = append(problems, fmt.Sprintf("--start %q is not an RFC 3339 time such as 2026-03-06T16:00:00-05:00", start))
	}
	d, err := time.ParseDuration(target)
	switch {
	case target == "":
		problems = append(problems, "--target is required: business time such as 4h or 90m")
	case err != nil:
		problems = append(problems, fmt.Sprintf("--target %q is not a duration such as 4h or 90m (days are not a unit: 2 business days of 8 hours are 16h)", target))
	case d <= 0:
		problems = append(problems, fmt.Sprintf("--target %s must be positive", target))
	}
	if len(problems) > 0 {
		return fmt.Errorf("due: %s", strings.Join(problems, "; "))
	}
	cfg, _, err := loadSLA(path)
	if err != nil {
		return err
	}
	cal, ok := cfg.Calendar(calendar)
	if !ok {
		return fmt.Errorf("due: there is no calendar %q; the calendars are %s", calendar, strings.Join(cfg.CalendarNames(), ", "))
	}
	_, err = fmt.Fprintln(stdout, cal.Add(from, d).In(cal.Location()).Format(time.RFC3339))
	return err
}

func slaCheck(args []string, stdout io.Writer) error {
	path, done, err := slaFlags("check", args, stdout, func(*flag.FlagSet) {})
	if err != nil || done {
		return err
	}
	cfg, source, err := loadSLA(path)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "ok\n")
	fmt.Fprintf(w, "SLA configuration: %s\n\n", source)
	fmt.Fprintf(w, "TYPE\tPRIORITY\tCALENDAR\tFIRST RESPONSE\tRESOLUTION\tWARNING AT\n")
	for _, p := range cfg.Policies() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s%%\n", p.Type, p.Priority, p.CalendarName,
			shortDuration(p.FirstResponse), shortDuration(p.Resolution), strconv.FormatFloat(p.WarningAt*100, 'f', -1, 64))
	}
	fmt.Fprintf(w, "\nCALENDAR\tTIME ZONE\tHOURS\tHOLIDAYS\n")
	for _, name := range cfg.CalendarNames() {
		cal, _ := cfg.Calendar(name)
		spec := cal.Spec()
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", name, spec.TimeZone, weeklySummary(spec.Weekly), len(spec.Holidays))
	}
	return w.Flush()
}

// loadSLA loads the configuration at path, else the one $CASEDESK_SLA_CONFIG
// names, else the defaults; it also says which it loaded.
func loadSLA(path string) (*casedesk.SLAConfig, string, error) {
	source := path
	if path == "" {
		path = os.Getenv(casedesk.SLAConfigEnv)
		source = path + " (from $" + casedesk.SLAConfigEnv + ")"
	}
	if path == "" {
		source = "built-in defaults"
	}
	cfg, err := casedesk.LoadSLAConfig(path)
	if err != nil {
		return nil, "", slaConfigError{source, err}
	}
	return cfg, source, nil
}

// slaConfigError shows a configuration's problems one per line.
type slaConfigError struct {
	source string
	err    error
}

func (e slaConfigError) Unwrap() error { return e.err }

func (e slaConfigError) Error() string {
	var ce *casedesk.Error
	if !errors.As(e.err, &ce) {
		return e.err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.source, ce.Message)
	if len(ce.Fields) > 0 {
		b.WriteString(":")
	}
	for _, f := range ce.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// shortDuration writes 4h rather than 4h0m0s, and 1h30m rather than 1h30m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// weeklySummary writes weekly hours compactly: "mon-fri 09:00-17:00".
func weeklySummary(w casedesk.WeeklyHours) string {
	if w.AllDay {
		return casedesk.AllDay
	}
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	var parts []string
	for i := 0; i < len(days); {
		hours := strings.Join(w.Days[days[i]], ",")
		j := i + 1
		for j < len(days) && strings.Join(w.Days[days[j]], ",") == hours {
			j++
		}
		if hours != "" {
			run := days[i]
			if j-i > 1 {
				run += "-" + days[j-1]
			}
			parts = append(parts, run+" "+hours)
		}
		i = j
	}
	return strings.Join(parts, "; ")
}
