package casedesk

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// currencyExponents gives the minor-unit digits of the ISO 4217 currencies we accept.
var currencyExponents = map[string]int32{
	"AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
	"GBP": 2, "HKD": 2, "INR": 2, "MXN": 2, "NOK": 2, "NZD": 2, "PLN": 2, "SEK": 2,
	"SGD": 2, "USD": 2, "ZAR": 2,
	"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0,
	"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}

// CurrencyExponent returns how many decimal places currency has and whether it is known.
func CurrencyExponent(currency string) (int32, bool) {
	e, ok := currencyExponents[currency]
	return e, ok
}

// plainDecimal is digits with an optional fraction: no sign, no exponent, no spaces.
var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// Money is an amount in a currency. It is never a float.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

// ParseMoney checks amount (a JSON string such as "120.50") and currency
// against DESIGN.md's rules and names the bad field on failure.
func ParseMoney(amount, currency, amountField, currencyField string) (Money, error) {
	var v Validation
	cur := strings.TrimSpace(currency)
	d, ok := parsePlainDecimal(amount)
	switch {
	case amount == "":
		checkCurrency(&v, cur, currencyField)
		v.Add(amountField, "is required")
	case !ok:
		checkCurrency(&v, cur, currencyField)
		if strings.HasPrefix(amount, "-") {
			v.Add(amountField, "must be greater than zero")
		} else {
			v.Add(amountField, "must be a decimal number such as \"120.50\" (no sign, exponent or separators)")
		}
	default:
		checkMoney(&v, d, cur, amountField, currencyField)
	}
	if err := v.Err(); err != nil {
		return Money{}, err
	}
	return Money{Amount: d, Currency: cur}, nil
}

// parsePlainDecimal reads text written as digits with an optional fraction:
// no sign, no exponent, no spaces. Every amount and limit is read with it.
func parsePlainDecimal(text string) (decimal.Decimal, bool) {
	if !plainDecimal.MatchString(text) {
		return decimal.Zero, false
	}
	return decimal.RequireFromString(text), true
}

// maxAmount bounds amounts well inside numeric(19,4).
var maxAmount = decimal.New(1, 15)

// checkMoney checks that d is an amount of currency: a currency we support,
// more than zero, no more decimal places than the currency has, and not
// absurdly large.
func checkMoney(v *Validation, d decimal.Decimal, currency, amountField, currencyField string) {
	exp, known := checkCurrency(v, currency, currencyField)
	switch {
	case !d.IsPositive():
		v.Add(amountField, "must be greater than zero")
	case known && !d.Equal(d.Truncate(exp)):
		v.Add(amountField, "has more decimal places than %s allows (%d)", currency, exp)
	case d.GreaterThanOrEqual(maxAmount):
		v.Add(amountField, "is too large")
	}
}

// checkCurrency checks that currency is one we support and returns its
// decimal places.
func checkCurrency(v *Validation, currency, field string) (int32, bool) {
	exp, known := currencyExponents[currency]
	switch {
	case currency == "":
		v.Add(field, "is required")
	case !known:
		v.Add(field, "must be an ISO 4217 code we support, such as USD, EUR or JPY")
	}
	return exp, known
}

// String formats the amount with the currency's decimal places, e.g. "120.50 USD".
func (m Money) String() string {
	exp := currencyExponents[m.Currency]
	return m.Amount.StringFixed(exp) + " " + m.Currency
}

// MarshalJSON writes the amount as a string with the currency's decimal places.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	}{FormatAmount(m.Amount, m.Currency), m.Currency})
}
