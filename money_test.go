package casedesk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/casedesk/casedesk"
	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		name     string
		amount   string
		currency string
		want     string   // the accepted amount; "" when refused
		fields   []string // the fields named when refused
	}{
		{"dollars and cents are accepted", "120.50", "USD", "120.50", nil},
		{"a whole amount is accepted", "120", "USD", "120", nil},
		{"one cent is accepted", "0.01", "USD", "0.01", nil},
		{"trailing zeros beyond the currency's places are accepted, the value being equal", "10.500", "USD", "10.5", nil},
		{"leading zeros are accepted", "007.5", "EUR", "7.5", nil},
		{"yen without decimals are accepted", "1500", "JPY", "1500", nil},
		{"yen with a zero fraction are accepted", "1500.0", "JPY", "1500", nil},
		{"dinars with three places are accepted", "12.345", "KWD", "12.345", nil},
		{"dinars with two places are accepted", "12.34", "KWD", "12.34", nil},
		{"the largest amount is accepted", "999999999999999.99", "USD", "999999999999999.99", nil},
		{"a currency surrounded by spaces is trimmed", "5.00", " GBP ", "5", nil},

		{"more places than cents is refused", "10.005", "USD", "", []string{"amount"}},
		{"a tenth of a cent is refused", "0.001", "USD", "", []string{"amount"}},
		{"yen with a fraction are refused", "10.5", "JPY", "", []string{"amount"}},
		{"dinars with four places are refused", "1.2345", "KWD", "", []string{"amount"}},
		{"a negative amount is refused", "-5", "USD", "", []string{"amount"}},
		{"a negative amount with cents is refused", "-5.00", "USD", "", []string{"amount"}},
		{"zero is refused", "0", "USD", "", []string{"amount"}},
		{"zero with cents is refused", "0.00", "USD", "", []string{"amount"}},
		{"an exponent is refused", "1e3", "USD", "", []string{"amount"}},
		{"a capital exponent is refused", "1E3", "USD", "", []string{"amount"}},
		{"text is refused", "abc", "USD", "", []string{"amount"}},
		{"a leading space is refused", " 10", "USD", "", []string{"amount"}},
		{"a trailing space is refused", "10 ", "USD", "", []string{"amount"}},
		{"thousands separators are refused", "1,000.00", "USD", "", []string{"amount"}},
		{"a decimal comma is refused", "10,50", "EUR", "", []string{"amount"}},
		{"a plus sign is refused", "+5", "USD", "", []string{"amount"}},
		{"a bare fraction is refused", ".5", "USD", "", []string{"amount"}},
		{"a trailing point is refused", "5.", "USD", "", []string{"amount"}},
		{"a currency symbol is refused", "$5", "USD", "", []string{"amount"}},
		{"not a number is refused", "NaN", "USD", "", []string{"amount"}},
		{"infinity is refused", "Inf", "USD", "", []string{"amount"}},
		{"a hexadecimal number is refused", "0x10", "USD", "", []string{"amount"}},
		{"non-ASCII digits are refused", "١٢٣", "USD", "", []string{"amount"}},
		{"an amount of a quadrillion is refused", "1000000000000000", "USD", "", []string{"amount"}},
		{"an empty amount is refused", "", "USD", "", []string{"amount"}},
		{"an empty currency is refused", "10.00", "", "", []string{"currency"}},
		{"an unknown currency is refused", "10.00", "XYZ", "", []string{"currency"}},
		{"a currency in lower case is refused", "10.00", "usd", "", []string{"currency"}},
		{"a currency name is refused", "10.00", "dollars", "", []string{"currency"}},
		{"a bad amount and a bad currency are both named", "abc", "XYZ", "", []string{"currency", "amount"}},
		{"nothing at all names both fields", "", "", "", []string{"currency", "amount"}},
		{"with an unknown currency, only the currency is blamed for the places", "10.005", "XYZ", "", []string{"currency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := casedesk.ParseMoney(tt.amount, tt.currency, "amount", "currency")
			if tt.fields != nil {
				wantFields(t, err, tt.fields...)
				if m != (casedesk.Money{}) {
					t.Errorf("a refused amount returned %+v", m)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q, %q): %v", tt.amount, tt.currency, err)
			}
			if !m.Amount.Equal(decimal.RequireFromString(tt.want)) {
				t.Errorf("amount = %s, want %s", m.Amount, tt.want)
			}
			if want := strings.TrimSpace(tt.currency); m.Currency != want {
				t.Errorf("currency = %q, want %q", m.Currency, want)
			}
		})
	}

	t.Run("the fields are named as the caller calls them", func(t *testing.T) {
		_, err := casedesk.ParseMoney("-1", "ABC", "refund.amount", "refund.currency")
		wantFields(t, err, "refund.currency", "refund.amount")
	})
	t.Run("a negative amount is told it must be positive", func(t *testing.T) {
		_, err := casedesk.ParseMoney("-5", "USD", "amount", "currency")
		var e *casedesk.Error
		if !errors.As(err, &e) || !strings.Contains(e.Fields[0].Message, "greater than zero") {
			t.Errorf("error %v does not say the amount must be greater than zero", err)
		}
	})
	t.Run("too many places are explained with the currency's places", func(t *testing.T) {
		_, err := casedesk.ParseMoney("10.5", "JPY", "amount", "currency")
		var e *casedesk.Error
		if !errors.As(err, &e) || !strings.Contains(e.Fields[0].Message, "JPY allows (0)") {
			t.Errorf("error %v does not name JPY's places", err)
		}
	})
}

func TestCurrencyExponent(t *testing.T) {
	tests := []struct {
		currency string
		places   int32
		known    bool
	}{
		{"USD", 2, true}, {"EUR", 2, true}, {"GBP", 2, true},
		{"JPY", 0, true}, {"KRW", 0, true},
		{"KWD", 3, true}, {"BHD", 3, true},
		{"XYZ", 0, false}, {"usd", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.currency+" has the right number of places", func(t *testing.T) {
			places, known := casedesk.CurrencyExponent(tt.currency)
			if places != tt.places || known != tt.known {
				t.Errorf("CurrencyExponent(%q) = %d, %v; want %d, %v", tt.currency, places, known, tt.places, tt.known)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		name     string
		amount   string
		currency string
		want     string
	}{
		{"dollars show two places", "120.5", "USD", "120.50 USD"},
		{"whole dollars show two places", "120", "USD", "120.00 USD"},
		{"extra zeros are dropped to the currency's places", "10.500", "USD", "10.50 USD"},
		{"yen show no places", "1500", "JPY", "1500 JPY"},
		{"dinars show three places", "1.2", "KWD", "1.200 KWD"},
		{"large amounts have no separators", "1234567.89", "EUR", "1234567.89 EUR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := casedesk.ParseMoney(tt.amount, tt.currency, "amount", "currency")
			if err != nil {
				t.Fatalf("ParseMoney: %v", err)
			}
			if got := m.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, seed := range [][2]string{{"120.50", "USD"}, {"1e3", "USD"}, {"-5", "EUR"}, {"0.001", "KWD"}, {"10.5", "JPY"},
		{"999999999999999", "USD"}, {" 1", "USD"}, {"1.", "USD"}, {"٣", "USD"}, {"", ""}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, amount, currency string) {
		m, err := casedesk.ParseMoney(amount, currency, "amount", "currency")
		if err != nil {
			if casedesk.ErrorCode(err) != casedesk.EINVALID {
				t.Fatalf("refusal %v is not a validation error", err)
			}
			return
		}
		exp, known := casedesk.CurrencyExponent(m.Currency)
		if !known || !m.Amount.IsPositive() || !m.Amount.Equal(m.Amount.Truncate(exp)) {
			t.Fatalf("accepted %q %q as %v", amount, currency, m)
		}
		again, err := casedesk.ParseMoney(casedesk.FormatAmount(m.Amount, m.Currency), m.Currency, "amount", "currency")
		if err != nil || !again.Amount.Equal(m.Amount) {
			t.Fatalf("%v does not read back: %v %v", m, again, err)
		}
	})
}
