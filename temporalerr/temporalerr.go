// Package temporalerr carries casedesk errors across Temporal, in one place:
// workflows and activities return a refusal as a non-retryable application
// error whose type is the error code and whose details are the field errors,
// and clients turn it back into the *casedesk.Error it was.
package temporalerr

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/casedesk/casedesk"
)

// Wrap returns err ready to leave a workflow, an update or an activity. A
// refusal (a *casedesk.Error with a final code, also one that came back from
// an activity) becomes a non-retryable application error; anything else,
// unavailable and internal errors included, is returned unchanged, so that
// Temporal retries it.
func Wrap(err error) error {
	var e *casedesk.Error
	if err == nil || !errors.As(Unwrap(err), &e) || !casedesk.IsFinal(e.Code) {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(e.Message, e.Code, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{e.Fields},
	})
}

// Unwrap recovers the *casedesk.Error that err carries (an update refused by
// its validator or handler, an activity's refusal), wherever it sits in the
// chain of Temporal errors. Other errors are returned unchanged.
func Unwrap(err error) error {
	var app *temporal.ApplicationError
	if err == nil || !errors.As(err, &app) || !casedesk.IsFinal(app.Type()) {
		return err
	}
	e := &casedesk.Error{Code: app.Type(), Message: app.Message()}
	if app.HasDetails() {
		_ = app.Details(&e.Fields) // best effort: the message alone is still right
	}
	return e
}
