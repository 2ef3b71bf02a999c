package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable prints reports as tables: one row per series, then the phases
// in the order they ran, the ratio to the baseline and the notes.
func WriteTable(w io.Writer, reports []Report) error {
	for _, r := range reports {
		fmt.Fprintf(w, "== %s (%s)\n", r.Scenario, params(r.Params))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "series\tcount\terrors\trate/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
		row := func(s Stats) {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", s.Name, s.Count, s.Errors, s.Rate, s.P50, s.P90, s.P99, s.Max)
		}
		for _, s := range r.Series {
			row(s)
		}
		if len(r.Phases) > 2 {
			fmt.Fprintln(tw, "phases, in order:\t\t\t\t\t\t\t\t")
			for _, s := range r.Phases {
				row(s)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if r.RateRatio > 0 {
			fmt.Fprintf(w, "rate against the baseline in the same run: %.1f%%\n", 100*r.RateRatio)
		}
		for _, s := range r.Series {
			if s.FirstError != "" {
				fmt.Fprintf(w, "%s: first error: %s\n", s.Name, s.FirstError)
			}
		}
		if len(r.Samples) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "open cases\topen rate/s\tRSS MiB\theap MiB\tgoroutines\tsticky cache\t")
			for _, s := range r.Samples {
				fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t\n", s.OpenCases, s.OpenRate, s.RSSMiB, s.HeapMiB, s.Goroutines, s.StickyCache)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func params(p map[string]any) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		out = append(out, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return strings.Join(out, " ")
}
