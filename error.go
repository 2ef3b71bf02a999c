package casedesk

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to one status in one table.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	EUNAVAILABLE  = "unavailable"
	ERATELIMITED  = "rate_limited"
)

// Conflicts with codes of their own, so that clients can act on them; the
// transport answers them like ECONFLICT.
const (
	EDISPUTED            = "charge_disputed"
	EDUPLICATECHARGEBACK = "duplicate_chargeback"
	EIDENTITY            = "identity_not_verified"
	ESTALE               = "stale"
)

// finalCodes are the codes of refusals: asking again gets the same answer, so
// nothing retries them. The other codes (internal, unavailable) may pass.
var finalCodes = map[string]bool{
	ECONFLICT: true, EINVALID: true, ENOTFOUND: true, EFORBIDDEN: true, EUNAUTHORIZED: true,
	EDISPUTED: true, EDUPLICATECHARGEBACK: true, EIDENTITY: true, ESTALE: true,
}

// IsCode reports whether code is one of the application's error codes.
func IsCode(code string) bool { return finalCodes[code] || code == EINTERNAL || code == EUNAVAILABLE }

// IsFinal reports whether an error of code is a refusal that no retry changes.
func IsFinal(code string) bool { return finalCodes[code] }

// FieldError names one invalid field of a request, by its JSON name.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type of the application: a code the transport maps to
// a status, a message safe to show to the caller, and for validation the fields.
type Error struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// EINTERNAL ("" for nil).
func ErrorCode(err error) string {
	return errorPart(err, func(e *Error) string { return e.Code }, EINTERNAL)
}

// ErrorMessage returns the caller-safe message of err; internal errors get a
// generic message so nothing about the system leaks.
func ErrorMessage(err error) string {
	return errorPart(err, func(e *Error) string { return e.Message }, "internal error")
}

func errorPart(err error, part func(*Error) string, other string) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return part(e)
	}
	return other
}

// Validation collects field errors; Err returns nil when there are none.
type Validation struct{ fields []FieldError }

// Add records a problem with field.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has an error.
func (v *Validation) Has(field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns the collected problems as one EINVALID error, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "the request has invalid fields", Fields: v.fields}
}

// Invalid returns an EINVALID error about a single field.
func Invalid(field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err()
}
