package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/casedesk/casedesk"
)

// Ledger holds, posts and releases money in the store.
type Ledger interface {
	HoldMoney(ctx context.Context, h casedesk.Hold) error
	PostHold(ctx context.Context, holdID, entryID string, now time.Time) (casedesk.LedgerEntry, error)
	ReleaseHold(ctx context.Context, holdID string) error
}

// HoldMoney sets money aside for a proposed refund or credit. A refusal
// (over the limit, unknown payment, other currency) is a business error and
// is not retried.
func (a *Activities) HoldMoney(ctx context.Context, h casedesk.Hold) error {
	return businessError(a.Ledger.HoldMoney(ctx, h))
}

// PostHold posts a held refund or credit to the ledger, exactly once per
// hold whatever retries or crashes happen, and returns the entry's ID.
func (a *Activities) PostHold(ctx context.Context, holdID string) (string, error) {
	e, err := a.Ledger.PostHold(ctx, holdID, "L-"+holdID, a.now())
	if err != nil {
		return "", businessError(err)
	}
	return e.ID, nil
}

// ReleaseHold gives held money back to what can be refunded or credited.
func (a *Activities) ReleaseHold(ctx context.Context, holdID string) error {
	return businessError(a.Ledger.ReleaseHold(ctx, holdID))
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// businessError turns the application's refusals into non-retryable
// application errors carrying the code and the field errors; anything else
// (a database outage) stays retryable.
func businessError(err error) error {
	var e *casedesk.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case casedesk.EINVALID, casedesk.ECONFLICT, casedesk.ENOTFOUND, casedesk.EFORBIDDEN:
		return temporal.NewApplicationErrorWithOptions(e.Message, e.Code, temporal.ApplicationErrorOptions{
			NonRetryable: true, Details: []any{e.Fields},
		})
	}
	return err
}
