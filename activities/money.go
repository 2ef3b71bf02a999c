package activities

import (
	"context"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/temporalerr"
)

// Ledger holds, posts and releases money in the store.
type Ledger interface {
	HoldMoney(ctx context.Context, h casedesk.Hold) (casedesk.Authority, error)
	PostHold(ctx context.Context, holdID, entryID string, now time.Time) (casedesk.LedgerEntry, error)
	ReleaseHold(ctx context.Context, holdID string) error
}

// HoldMoney sets money aside for a proposed refund or credit. A refusal
// (over the limit, unknown payment, other currency) is a business error and
// is not retried.
func (a *Activities) HoldMoney(ctx context.Context, h casedesk.Hold) (casedesk.Authority, error) {
	auth, err := a.Ledger.HoldMoney(ctx, h)
	return auth, temporalerr.Wrap(err)
}

// PostHold posts a held refund or credit to the ledger, exactly once per
// hold whatever retries or crashes happen, and returns the entry's ID.
func (a *Activities) PostHold(ctx context.Context, holdID string) (string, error) {
	e, err := a.Ledger.PostHold(ctx, holdID, "L-"+holdID, a.now())
	if err != nil {
		return "", temporalerr.Wrap(err)
	}
	return e.ID, nil
}

// ReleaseHold gives held money back to what can be refunded or credited.
func (a *Activities) ReleaseHold(ctx context.Context, holdID string) error {
	return temporalerr.Wrap(a.Ledger.ReleaseHold(ctx, holdID))
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
