// Package activities holds the side effects of case workflows: projecting a
// case to the read model, holding and posting money, and handing email to
// the outbox.
// Activities are methods on one struct holding their dependencies; workflows
// refer to them through a typed nil pointer.
package activities

import (
	"context"
	"time"

	"github.com/casedesk/casedesk"
)

// Projector writes a case and its new timeline events to the read model.
type Projector interface {
	ProjectCase(ctx context.Context, c casedesk.Case, events []casedesk.Event, from casedesk.ProjectionOrigin) error
}

// Activities are registered once by the worker.
type Activities struct {
	Store  Projector
	Ledger Ledger
	// Outbox and Mail are for email; Mailer is nil without a SendGrid key,
	// and messages are then captured, not sent. Alerts routes staff alerts.
	Outbox Outbox
	Mailer Mailer
	Mail   MailSettings
	Alerts casedesk.AlertRouting
	// Now is the clock of posted entries; time.Now when nil.
	Now func() time.Time
}

// ProjectInput is a case snapshot with the events not yet known to be projected.
type ProjectInput struct {
	Case   casedesk.Case    `json:"case"`
	Events []casedesk.Event `json:"events"`
	// From is the workflow task that decided Case (empty in histories
	// recorded before it was sent).
	From casedesk.ProjectionOrigin `json:"from,omitzero"`
}

// ProjectCase writes in to the read model. It is idempotent, so retries and
// replays never duplicate an event or move a case back to an older version.
func (a *Activities) ProjectCase(ctx context.Context, in ProjectInput) error {
	return a.Store.ProjectCase(ctx, in.Case, in.Events, in.From)
}
