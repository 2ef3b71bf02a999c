package temporalerr_test

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/temporalerr"
)

func TestARefusalCrossesTemporalWithItsCodeAndFields(t *testing.T) {
	for _, code := range []string{casedesk.EINVALID, casedesk.ECONFLICT, casedesk.ENOTFOUND, casedesk.EFORBIDDEN, casedesk.EUNAUTHORIZED} {
		t.Run(code, func(t *testing.T) {
			in := &casedesk.Error{Code: code, Message: "refused", Fields: []casedesk.FieldError{{Field: "body", Message: "is required"}}}
			wrapped := temporalerr.Wrap(in)
			var app *temporal.ApplicationError
			if !errors.As(wrapped, &app) || app.Type() != code || !app.NonRetryable() {
				t.Fatalf("wrapped %#v", wrapped)
			}
			var e *casedesk.Error
			if out := temporalerr.Unwrap(wrapped); !errors.As(out, &e) || e.Code != code || e.Message != "refused" ||
				len(e.Fields) != 1 || e.Fields[0].Field != "body" {
				t.Fatalf("unwrapped %#v", out)
			}
		})
	}
}

func TestAnActivityRefusalComesBackThroughItsActivityError(t *testing.T) {
	app := temporalerr.Wrap(casedesk.Invalid("amount", "exceeds what PAY-1 can still refund"))
	// The SDK wraps an activity's error in a *temporal.ActivityError.
	chained := temporal.NewApplicationErrorWithCause("activity failed", "ActivityError", app)
	var e *casedesk.Error
	if out := temporalerr.Unwrap(chained); errors.As(out, &e) {
		// The outer error's type is no code, so it stays as is.
		t.Fatalf("an outer non-code error must not be read as a refusal: %#v", out)
	}
	if out := temporalerr.Unwrap(app); !errors.As(out, &e) || e.Code != casedesk.EINVALID || e.Fields[0].Field != "amount" {
		t.Fatalf("got %#v", out)
	}
	if rewrapped := temporalerr.Wrap(app); temporalerr.Unwrap(rewrapped).(*casedesk.Error).Code != casedesk.EINVALID {
		t.Fatal("a refusal that came back from an activity must leave the workflow as the same refusal")
	}
}

func TestOtherErrorsStayRetryable(t *testing.T) {
	boom := errors.New("connection refused")
	if temporalerr.Wrap(boom) != boom || temporalerr.Unwrap(boom) != boom {
		t.Error("a plain error must pass through unchanged")
	}
	for _, code := range []string{casedesk.EUNAVAILABLE, casedesk.EINTERNAL} {
		in := casedesk.Errorf(code, "try later")
		var app *temporal.ApplicationError
		if out := temporalerr.Wrap(in); errors.As(out, &app) {
			t.Errorf("%s became an application error %#v; it must stay retryable", code, out)
		}
	}
	if temporalerr.Wrap(nil) != nil || temporalerr.Unwrap(nil) != nil {
		t.Error("nil must stay nil")
	}
}
