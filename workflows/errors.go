package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/casedesk/casedesk"
)

// toApplicationError carries a *casedesk.Error across Temporal as a
// non-retryable application error whose type is the error code and whose
// details are the field errors.
func toApplicationError(err error) error {
	var e *casedesk.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(e.Message, e.Code, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{e.Fields},
	})
}

// AsCaseError recovers the *casedesk.Error that a workflow returned to a
// client (an update refused by its validator or handler). Other errors are
// returned unchanged.
func AsCaseError(err error) error {
	var app *temporal.ApplicationError
	if err == nil || !errors.As(err, &app) {
		return err
	}
	switch app.Type() {
	case casedesk.EINVALID, casedesk.ECONFLICT, casedesk.ENOTFOUND, casedesk.EFORBIDDEN:
	default:
		return err
	}
	e := &casedesk.Error{Code: app.Type(), Message: app.Message()}
	if app.HasDetails() {
		_ = app.Details(&e.Fields) // best effort: the message alone is still right
	}
	return e
}
