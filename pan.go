package casedesk

import "strings"

// MaskCardNumbers masks every run of 13 to 19 digits (spaces and dashes
// allowed between them) that passes the Luhn check, keeping the last four
// digits, so card numbers never land in notes, emails or logs.
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
		// Extend over digits and single separators.
		j, digits := i, 0
		end := i
		for j < len(b) {
			if isDigit(b[j]) {
				digits++
				j++
				end = j
				continue
			}
			if (b[j] == ' ' || b[j] == '-') && j+1 < len(b) && isDigit(b[j+1]) {
				j++
				continue
			}
			break
		}
		if digits >= 13 && digits <= 19 && luhn(b[i:end]) {
			seen := 0
			for k := end - 1; k >= i; k-- {
				if isDigit(b[k]) {
					seen++
					if seen > 4 {
						b[k] = '*'
					}
				}
			}
		}
		i = end
	}
	return string(b)
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
