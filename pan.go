package casedesk

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"unicode"
)

// MaskCardNumbers masks every card number in s, keeping its last four
// digits, so card numbers never land in notes, emails or logs: a run of 13
// to 19 decimal digits, in any script (ASCII, full-width, Arabic-Indic, …),
// with any run of separators between them (spaces of any kind, tabs,
// newlines, dots, dashes, slashes, invisible format characters), that passes
// the Luhn check. A card number written next to other digits ("4111 1111
// 1111 1111 12/26", "qty 2 4111…") is found too: when a whole run is no card
// number, runs of its separator-delimited groups are tried, longest first.
// Masked digits become '*'; everything else is kept as it was. The last
// four digits kept of one card number could make another with the digits
// after them, so masking repeats until nothing is left to mask.
func MaskCardNumbers(s string) string {
	for {
		out := maskOnce(s)
		if out == s {
			return out
		}
		s = out
	}
}

func maskOnce(s string) string {
	if !strings.ContainsFunc(s, isDigitRune) {
		return s
	}
	rs := []rune(s)
	changed := false
	for i := 0; i < len(rs); {
		if !isDigitRune(rs[i]) {
			i++
			continue
		}
		groups := digitGroups(rs, i)
		if isCard(rs, groups) {
			maskRun(rs, groups)
			changed = true
		} else if len(groups) > 1 && maskGroups(rs, groups) {
			changed = true
		}
		i = groups[len(groups)-1].end
	}
	if !changed {
		return s
	}
	return string(rs)
}

// group is one unbroken stretch of digits, rs[start:end].
type group struct{ start, end int }

// digitGroups returns the groups of the run of digits and separators that
// starts at rs[i], a digit. Separators only join digits: a run never starts
// or ends with one.
func digitGroups(rs []rune, i int) []group {
	var groups []group
	j := i
	for j < len(rs) {
		if isDigitRune(rs[j]) {
			start := j
			for j < len(rs) && isDigitRune(rs[j]) {
				j++
			}
			groups = append(groups, group{start, j})
			continue
		}
		k := j
		for k < len(rs) && isSeparator(rs[k]) {
			k++
		}
		if k == j || k == len(rs) || !isDigitRune(rs[k]) {
			break
		}
		j = k
	}
	return groups
}

// maskGroups masks card numbers made of consecutive groups within a run that
// is not a card number as a whole. Groups of fewer than three digits (a day,
// a month, a quantity) never belong to such a card number, which keeps lists
// of short numbers from being masked by chance.
func maskGroups(rs []rune, groups []group) bool {
	masked := false
	for a := 0; a < len(groups); a++ {
		for z := len(groups) - 1; z >= a; z-- {
			ok := true
			for _, g := range groups[a : z+1] {
				if g.end-g.start < 3 {
					ok = false
					break
				}
			}
			if ok && isCard(rs, groups[a:z+1]) {
				maskRun(rs, groups[a:z+1])
				masked = true
				a = z
				break
			}
		}
	}
	return masked
}

// isCard reports whether the digits of groups make a card number: 13 to 19
// of them, passing the Luhn check.
func isCard(rs []rune, groups []group) bool {
	n := 0
	for _, g := range groups {
		n += g.end - g.start
	}
	if n < 13 || n > 19 {
		return false
	}
	sum, double := 0, false
	for k := len(groups) - 1; k >= 0; k-- {
		for p := groups[k].end - 1; p >= groups[k].start; p-- {
			d := digitValue(rs[p])
			if double {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}

// maskRun replaces every digit of groups but the last four with '*'.
func maskRun(rs []rune, groups []group) {
	seen := 0
	for k := len(groups) - 1; k >= 0; k-- {
		for p := groups[k].end - 1; p >= groups[k].start; p-- {
			if seen++; seen > 4 {
				rs[p] = '*'
			}
		}
	}
}

// isDigitRune reports whether r is a decimal digit of any script.
func isDigitRune(r rune) bool {
	return (r >= '0' && r <= '9') || (r > unicode.MaxASCII && unicode.Is(unicode.Nd, r))
}

// digitValue returns the value of the decimal digit r. Unicode keeps the
// digits of each script as ten consecutive code points from zero up, so the
// value is the distance from the first digit of r's block, modulo ten
// (blocks may sit next to each other, ten apiece).
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	z := r
	for unicode.Is(unicode.Nd, z-1) {
		z--
	}
	return int(r-z) % 10
}

// isSeparator reports whether r may stand between the digits of a card
// number as people and mail programs write them.
func isSeparator(r rune) bool {
	switch r {
	case '.', '-', '/':
		return true
	}
	return unicode.IsSpace(r) || (r > unicode.MaxASCII && unicode.In(r, unicode.Zs, unicode.Pd, unicode.Cf))
}

// MaskCommand returns v (a command, an opening request) with card numbers
// masked in every string field, in nested structs and in lists of strings
// too, so that a field added later is masked without anyone remembering to.
// Fields tagged `mask:"-"` (amounts, whose digits are never a card number)
// are left alone. It is the one place that text entering a case passes
// through on its way into the workflow: the Temporal client calls it.
func MaskCommand[T any](v T) T {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	maskValue(cp)
	return cp.Interface().(T)
}

func maskValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); s != "" {
			v.SetString(MaskCardNumbers(s))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("mask") != "-" {
				maskValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			// Copy first: the caller's slice is not ours to change.
			cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(cp, v)
			for i := range cp.Len() {
				maskValue(cp.Index(i))
			}
			v.Set(cp)
		}
	case reflect.Pointer:
		if !v.IsNil() && v.Elem().Kind() == reflect.String {
			s := MaskCardNumbers(v.Elem().String())
			p := reflect.New(v.Type().Elem())
			p.Elem().SetString(s)
			v.Set(p)
		}
	}
}

// MaskLogAttr masks card numbers in a log attribute's text: strings, errors
// and anything that prints itself. It is a slog.HandlerOptions.ReplaceAttr.
func MaskLogAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(MaskCardNumbers(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(MaskCardNumbers(v.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(MaskCardNumbers(v.String()))
		case []string:
			a.Value = slog.AnyValue(MaskCommand(v))
		}
	}
	return a
}
