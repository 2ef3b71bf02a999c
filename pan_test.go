package casedesk_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"unicode"

	"github.com/casedesk/casedesk"
)

// luhnValid reports whether the digits of s pass the Luhn check; the tests
// use it to make sure a fixture really is (or is not) a valid number.
func luhnValid(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < '0' || s[i] > '9' {
			continue
		}
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// withCheckDigit appends the Luhn check digit to digits.
func withCheckDigit(t *testing.T, digits string) string {
	t.Helper()
	for d := '0'; d <= '9'; d++ {
		if s := digits + string(d); luhnValid(s) {
			return s
		}
	}
	t.Fatalf("no check digit for %s", digits)
	return ""
}

func TestMaskCardNumbers(t *testing.T) {
	valid12 := withCheckDigit(t, "12345678901")              // 12 digits: too short for a card
	valid13 := withCheckDigit(t, "422222222222")             // 13 digits
	valid19 := withCheckDigit(t, "400000000000000000")       // 19 digits
	valid20 := withCheckDigit(t, "4000000000000000000")      // 20 digits: too long for a card
	spaced20 := withCheckDigit(t, "4000 0000 0000 0000 000") // 20 digits in groups
	for _, s := range []string{valid12, valid13, valid19, valid20, spaced20, "4111111111111111", "5555555555554444", "378282246310005"} {
		if !luhnValid(s) {
			t.Fatalf("fixture %s fails the Luhn check", s)
		}
	}
	// No run of whole groups within spaced20 is a card number either.
	for _, s := range []string{spaced20[:19], spaced20[5:], "4111111111111112", "5555555555554445", "378282246310006"} {
		if luhnValid(s) {
			t.Fatalf("fixture %s passes the Luhn check", s)
		}
	}

	tests := []struct {
		name string
		in   string
		want string
	}{
		// Real test card numbers.
		{"a Visa number in groups of four is masked", "4111 1111 1111 1111", "**** **** **** 1111"},
		{"a Visa number without separators is masked", "4111111111111111", "************1111"},
		{"a Mastercard number with dashes is masked, dashes kept", "5555-5555-5555-4444", "****-****-****-4444"},
		{"an Amex number is masked", "378282246310005", "***********0005"},
		{"an Amex number in its 4-6-5 grouping is masked", "3782 822463 10005", "**** ****** *0005"},
		{"a 13-digit number is masked", valid13, strings.Repeat("*", 9) + valid13[9:]},
		{"a 19-digit number is masked", valid19, strings.Repeat("*", 15) + valid19[15:]},
		{"mixed separators are kept", "4111-1111 1111-1111", "****-**** ****-1111"},

		// Numbers that are not card numbers.
		{"a 16-digit number failing Luhn is left alone", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"a Mastercard-like number failing Luhn is left alone", "5555-5555-5555-4445", "5555-5555-5555-4445"},
		{"an Amex-like number failing Luhn is left alone", "378282246310006", "378282246310006"},
		{"a 12-digit number passing Luhn is left alone", valid12, valid12},
		{"a 20-digit number passing Luhn is left alone", valid20, valid20},
		{"an order number is left alone", "Order 12345678 was shipped", "Order 12345678 was shipped"},
		{"an amount is left alone", "Refund 1200.50 USD", "Refund 1200.50 USD"},
		{"a large amount with separators is left alone", "Charged 1,234,567.89 EUR", "Charged 1,234,567.89 EUR"},
		{"a date is left alone", "Paid on 2024-01-15 at 10:30", "Paid on 2024-01-15 at 10:30"},
		{"a phone number is left alone", "Call +1 555-123-4567", "Call +1 555-123-4567"},
		{"an invoice reference is left alone", "INV-000123 and PAY-98765", "INV-000123 and PAY-98765"},
		{"a list of small numbers is left alone", "Items 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", "Items 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"},
		{"text without digits is left alone", "No numbers here.", "No numbers here."},
		{"empty text is left alone", "", ""},

		// Numbers in text.
		{"a number in a sentence is masked", "My card is 4111111111111111, thanks", "My card is ************1111, thanks"},
		{"a number in brackets is masked", "(4111111111111111)", "(************1111)"},
		{"a number at the end after a dash is masked", "card-4111111111111111", "card-************1111"},
		{"a trailing separator is kept", "4111 1111 1111 1111 - exp", "**** **** **** 1111 - exp"},
		{"several numbers in one text are all masked",
			"Visa 4111111111111111, MC 5555-5555-5555-4444 and Amex 378282246310005.",
			"Visa ************1111, MC ****-****-****-4444 and Amex ***********0005."},
		{"a card number next to short numbers is masked, the short ones kept",
			"Order 123456 paid 49.90 with 4111 1111 1111 1111 on 2024-01-15",
			"Order 123456 paid 49.90 with **** **** **** 1111 on 2024-01-15"},
		{"unicode text around a number is kept", "Карта № 4111 1111 1111 1111 — спасибо 🙏", "Карта № **** **** **** 1111 — спасибо 🙏"},
		{"a number next to CJK text is masked", "卡号4111111111111111谢谢", "卡号************1111谢谢"},
		{"multiline text is masked line by line", "line one\n4111111111111111\nline three", "line one\n************1111\nline three"},

		// A card number written next to other digits still leaks no digits.
		{"a card number followed by its expiry is masked", "4111 1111 1111 1111 12/26", "**** **** **** 1111 12/26"},
		{"a card number followed by its security code is masked", "4111111111111111 123", "************1111 123"},
		{"a card number after a quantity is masked", "qty 2 4111 1111 1111 1111", "qty 2 **** **** **** 1111"},
		{"an Amex number followed by a four-digit code is masked", "378282246310005 1234", "***********0005 1234"},
		{"a 20-digit grouped number with no card-sized part passing Luhn is left alone", spaced20, spaced20},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := casedesk.MaskCardNumbers(tt.in)
			if got != tt.want {
				t.Errorf("MaskCardNumbers(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if len(got) != len(tt.in) {
				t.Errorf("length changed from %d to %d bytes", len(tt.in), len(got))
			}
			if again := casedesk.MaskCardNumbers(got); again != got {
				t.Errorf("masking twice gives %q, once %q", again, got)
			}
		})
	}
}

func TestHostileCardNumbersAreMaskedToo(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"dots between groups", "4111.1111.1111.1111", "****.****.****.1111"},
		{"two spaces between groups", "4111  1111  1111  1111", "****  ****  ****  1111"},
		{"a number wrapped over lines", "4111\n1111\n1111\n1111", "****\n****\n****\n1111"},
		{"CRLF and tabs", "4111\r\n1111\t1111 \t1111", "****\r\n****\t**** \t1111"},
		{"slashes", "4111/1111/1111/1111", "****/****/****/1111"},
		{"no-break and thin spaces", "4111\u00a01111\u2009 1111\u202f1111", "****\u00a0****\u2009 ****\u202f1111"},
		{"an en dash", "4111–1111–1111–1111", "****–****–****–1111"},
		{"zero-width spaces between every digit", "4\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1",
			"*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b*\u200b1\u200b1\u200b1\u200b1"},
		{"full-width digits", "４１１１ １１１１ １１１１ １１１１", "**** **** **** １１１１"},
		{"Arabic-Indic digits", "٤١١١١١١١١١١١١١١١", "************١١١١"},
		{"mathematical monospace digits", "𝟺𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷", "************𝟷𝟷𝟷𝟷"},
		{"a mix of scripts", "4111 １１１１ ١١١١ 1111", "**** **** **** 1111"},
		{"a name with a number", "Pat 4111111111111111", "Pat ************1111"},
		{"a date with dots is left alone", "Paid 15.01.2024 at 10.30", "Paid 15.01.2024 at 10.30"},
		{"a full-width number failing Luhn is left alone", "４１１１１１１１１１１１１１１２", "４１１１１１１１１１１１１１１２"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := casedesk.MaskCardNumbers(tt.in); got != tt.want {
				t.Errorf("MaskCardNumbers(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// unmaskedCard returns a card number left in s: a run of 13–19 decimal
// digits of any script, with any separators between them, passing the
// Luhn check, made of whole separator-delimited groups (each of three or
// more digits unless the run is the whole stretch) — what MaskCardNumbers
// promises to leave none of. It is written apart from the masker, over a
// normalized copy: every digit as ASCII, every separator as a space.
func unmaskedCard(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Nd, r):
			z := r
			for unicode.Is(unicode.Nd, z-1) {
				z--
			}
			b.WriteRune('0' + (r-z)%10)
		case strings.ContainsRune(" \t\n\r./-\u00ad", r) || unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Pd, unicode.Cf):
			b.WriteByte(' ')
		default:
			b.WriteByte('x')
		}
	}
	for _, stretch := range strings.FieldsFunc(b.String(), func(r rune) bool { return r != ' ' && (r < '0' || r > '9') }) {
		groups := strings.Fields(stretch)
		for a := range groups {
			for z := a; z < len(groups); z++ {
				run := strings.Join(groups[a:z+1], "")
				short := false
				for _, g := range groups[a : z+1] {
					short = short || len(g) < 3
				}
				whole := a == 0 && z == len(groups)-1
				if len(run) >= 13 && len(run) <= 19 && luhnValid(run) && (whole || !short) {
					return run
				}
			}
		}
	}
	return ""
}

func FuzzMaskCardNumbers(f *testing.F) {
	for _, s := range []string{
		"4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "Order 12345678",
		"4111 1111 1111 1111 12/26", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", "Карта 4111111111111111", "",
		"4111.1111.1111.1111", "4111\n1111\n1111\n1111", "４１１１ １１１１ １１１１ １１１１", "4\u200b111111111111111",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := casedesk.MaskCardNumbers(in)
		if card := unmaskedCard(got); card != "" {
			t.Fatalf("card number %s left in %q → %q", card, in, got)
		}
		ri, rg := []rune(in), []rune(got)
		if len(ri) != len(rg) {
			t.Fatalf("rune count changed: %q → %q", in, got)
		}
		masked := 0
		for i := range ri {
			switch {
			case rg[i] == ri[i]:
			case rg[i] == '*' && unicode.Is(unicode.Nd, ri[i]):
				masked++
			default:
				t.Fatalf("rune %d changed from %q to %q: %q → %q", i, ri[i], rg[i], in, got)
			}
		}
		if masked > 0 && masked < 9 {
			t.Fatalf("masked %d digits, fewer than any card number has beyond its last four: %q → %q", masked, in, got)
		}
		if again := casedesk.MaskCardNumbers(got); again != got {
			t.Fatalf("masking twice changed %q to %q", got, again)
		}
	})
}

func TestLogsNeverCarryACardNumber(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: casedesk.MaskLogAttr}))
	log.Info("request", "header", "Bearer x 4111 1111 1111 1111", "error", errors.New("card 4111111111111111 declined"),
		"ids", []string{"5555-5555-5555-4444"}, "n", 42)
	if out := b.String(); strings.Contains(out, "4111 1111 1111 1111") || strings.Contains(out, "4111111111111111") ||
		strings.Contains(out, "5555-5555-5555-4444") || !strings.Contains(out, `"n":42`) {
		t.Errorf("log line %s", out)
	}
}

func TestNamesReferencesAndNumbersAreMasked(t *testing.T) {
	c := casedesk.NewCustomerRequest{Name: "Pat 4111111111111111", Email: "pat@example.com"}
	if err := c.Validate(); err != nil || c.Name != "Pat ************1111" {
		t.Errorf("customer name %q, %v", c.Name, err)
	}
	p, err := casedesk.NewPaymentRequest{Amount: "10.00", Currency: "USD", Method: "card", Reference: "ch 4111.1111.1111.1111"}.
		Validate("PAY-1", "CU-1", t0)
	if err != nil || p.Reference != "ch ****.****.****.1111" {
		t.Errorf("payment reference %q, %v", p.Reference, err)
	}
	inv, err := casedesk.NewInvoiceRequest{Number: "4111111111111111", Amount: "10.00", Currency: "USD"}.Validate("INV-1", "CU-1", t0)
	if err != nil || inv.Number != "************1111" {
		t.Errorf("invoice number %q, %v", inv.Number, err)
	}
}
