package casedesk

import (
	"reflect"
	"strings"
)

// MaskCardNumbers masks every run of 13 to 19 digits (spaces and dashes
// allowed between them) that passes the Luhn check, keeping the last four
// digits, so card numbers never land in notes, emails or logs. A card number
// written next to other digits ("4111 1111 1111 1111 12/26", "qty 2 4111…")
// is found too: when the whole run is no card number, runs of its
// separator-delimited groups are tried, longest first.
func MaskCardNumbers(s string) string {
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	b := []byte(s)
	i := 0
	for i < len(b) {
		if !isDigit(b[i]) {
			i++
			continue
		}
		// Extend over digits and single separators, noting each group of digits.
		j, digits := i, 0
		end := i
		var groups []group
		for j < len(b) {
			if isDigit(b[j]) {
				if end != j || len(groups) == 0 {
					groups = append(groups, group{start: j})
				}
				digits++
				j++
				end = j
				groups[len(groups)-1].end = j
				continue
			}
			if (b[j] == ' ' || b[j] == '-') && j+1 < len(b) && isDigit(b[j+1]) {
				j++
				continue
			}
			break
		}
		if isCard(b[i:end], digits) {
			maskRun(b[i:end])
		} else if len(groups) > 1 {
			maskGroups(b, groups)
		}
		i = end
	}
	return string(b)
}

// group is one unbroken stretch of digits, b[start:end].
type group struct{ start, end int }

// maskGroups masks card numbers made of consecutive groups within a run that
// is not a card number as a whole. Groups of fewer than three digits (a day,
// a month, a quantity) never belong to such a card number, which keeps lists
// of short numbers from being masked by chance.
func maskGroups(b []byte, groups []group) {
	for a := 0; a < len(groups); a++ {
		for z := len(groups) - 1; z >= a; z-- {
			digits, ok := 0, true
			for _, g := range groups[a : z+1] {
				if g.end-g.start < 3 {
					ok = false
					break
				}
				digits += g.end - g.start
			}
			if ok && isCard(b[groups[a].start:groups[z].end], digits) {
				maskRun(b[groups[a].start:groups[z].end])
				a = z
				break
			}
		}
	}
}

func isCard(run []byte, digits int) bool { return digits >= 13 && digits <= 19 && luhn(run) }

// maskRun replaces every digit of run but the last four with '*'.
func maskRun(run []byte) {
	seen := 0
	for k := len(run) - 1; k >= 0; k-- {
		if isDigit(run[k]) {
			seen++
			if seen > 4 {
				run[k] = '*'
			}
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func luhn(run []byte) bool {
	sum, double := 0, false
	for k := len(run) - 1; k >= 0; k-- {
		if !isDigit(run[k]) {
			continue
		}
		d := int(run[k] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
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
