package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/temporalerr"
)

// acts refers to the activities by method; the worker registers the real struct.
var acts *activities.Activities

// errNothingDue marks a timer that found nothing to do.
var errNothingDue = errors.New("nothing due")

// CaseInput starts a case workflow: a new case, or a case carried over by
// continue-as-new (State set).
type CaseInput struct {
	ID      string               `json:"id"`
	Request casedesk.OpenRequest `json:"request"`
	Actor   casedesk.Actor       `json:"actor"`
	Rules   casedesk.Rules       `json:"rules"`

	State   *casedesk.Case   `json:"state,omitempty"`
	Pending []casedesk.Event `json:"pending,omitempty"`
	HoldSeq int              `json:"hold_seq,omitempty"`
	// Notify holds events whose email was not yet handed to the outbox.
	Notify []casedesk.Event `json:"notify,omitempty"`
	// Decided marks a new case whose opening the API decided with the same
	// rules (temporalclient.Cases.Open): State and Pending hold it, the
	// API has projected it, and the workflow takes it as its own and sends
	// its notices. A field of the start's input, so replay takes the
	// branch the run took.
	Decided bool `json:"decided,omitempty"`
}

// caseRun is one run of a case workflow.
type caseRun struct {
	rules casedesk.Rules
	c     casedesk.Case
	// pending holds events not yet confirmed in the read model.
	pending []casedesk.Event
	// opened is true once the case_opened event is projected.
	opened bool
	// attrs are the search attribute values last upserted.
	attrs [5]string
	// holdSeq numbers the money holds of the case; never reused.
	holdSeq int
	// settling marks movements whose activity is running.
	settling map[string]bool
	// notify queues events that call for email; notifying is true while the
	// notifier hands a batch to the outbox.
	notify    []casedesk.Event
	notifying bool
	// projected is the case version last written to the read model;
	// projecting is true while one projection runs (projectLatest).
	projected  int64
	projecting bool
	// decided is CaseInput.Decided: a run that began after every change
	// to the projection, so it asks no GetVersion for one.
	decided bool
}

// CaseWorkflow runs one case from opening until it closes.
func CaseWorkflow(ctx workflow.Context, in CaseInput) (casedesk.Case, error) {
	w := &caseRun{rules: in.Rules, holdSeq: in.HoldSeq, settling: map[string]bool{}, notify: in.Notify, decided: in.Decided}
	if w.rules.ReopenWindow <= 0 {
		w.rules.ReopenWindow = casedesk.DefaultReopenWindow
	}
	if in.State != nil {
		w.c, w.pending = *in.State, in.Pending
		if in.Decided {
			w.queueNotices(in.Pending)
		}
	} else {
		c, events, err := w.rules.Open(in.ID, in.Request, in.Actor, workflow.Now(ctx))
		if err != nil {
			return casedesk.Case{}, temporalerr.Wrap(err)
		}
		w.c, w.pending = c, events
		w.queueNotices(events)
	}
	w.attrs = attrValues(w.c) // set at start by the client

	if err := w.registerHandlers(ctx); err != nil {
		return casedesk.Case{}, err
	}
	if in.Decided {
		// Off the API's path: the opening is durable and readable already,
		// so the first task projects it again and hands its email to the
		// outbox, both as local activities, without an activity task's
		// round trip through the server.
		if err := w.project(ctx); err != nil {
			return casedesk.Case{}, err
		}
		w.notifyLocally(ctx)
		workflow.Go(ctx, w.notifier)
	} else {
		workflow.Go(ctx, w.notifier)
		if err := w.project(ctx); err != nil {
			return casedesk.Case{}, err
		}
	}
	if in.State == nil && w.c.Type == casedesk.TypeRefund {
		// A refund case proposes its refund as its first step.
		w.proposeOpeningRefund(ctx, in)
	}
	w.opened = true
	if err := w.settleMoney(ctx); err != nil {
		return w.c, err
	}

	for w.c.Status != casedesk.StatusClosed {
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && !w.notifying }); err != nil {
				return w.c, err
			}
			state := w.c
			return casedesk.Case{}, workflow.NewContinueAsNewError(ctx, CaseWorkflow, CaseInput{
				ID: w.c.ID, Rules: w.rules, Actor: in.Actor, State: &state, Pending: w.pending, HoldSeq: w.holdSeq,
				Notify: w.notify,
			})
		}
		version := w.c.Version
		changed := func() bool { return w.c.Version != version }
		next, ok := casedesk.NextTimer(w.c)
		if !ok {
			if err := workflow.Await(ctx, func() bool {
				return changed() || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
			}); err != nil {
				return w.c, err
			}
			continue
		}
		if wait := next.Sub(workflow.Now(ctx)); wait > 0 {
			woke, err := workflow.AwaitWithTimeout(ctx, wait, changed)
			if err != nil {
				return w.c, err
			}
			if woke {
				continue // the case changed: plan again
			}
		}
		// A timer is due (late after downtime, but never lost).
		if _, err := w.apply(ctx, casedesk.Tick{}, casedesk.SystemActor); err != nil && !errors.Is(err, errNothingDue) {
			// The rules refused what the timer would do. Never fail the case
			// for it: wait for the next change, which plans the timers again.
			workflow.GetLogger(ctx).Error("a timer of the case could not fire", "case_id", w.c.ID, "error", err)
			if err := workflow.Await(ctx, changed); err != nil {
				return w.c, err
			}
		}
	}
	// Let in-flight updates return their results, and the last email reach
	// the outbox, before the workflow ends.
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) && len(w.notify) == 0 && !w.notifying
	}); err != nil {
		return w.c, err
	}
	return w.c, nil
}

func (w *caseRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryCase, func() (casedesk.Case, error) { return w.c, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateOpen, func(ctx workflow.Context) (casedesk.Case, error) {
		if err := workflow.Await(ctx, func() bool { return w.opened }); err != nil {
			return casedesk.Case{}, err
		}
		return w.c, nil
	}); err != nil {
		return err
	}
	for _, register := range []func(workflow.Context, *caseRun) error{
		registerCommand[casedesk.Assign],
		registerCommand[casedesk.Reply],
		registerCommand[casedesk.AddNote],
		registerCommand[casedesk.RequestInfo],
		registerCommand[casedesk.CustomerReply],
		registerCommand[casedesk.Resolve],
		registerCommand[casedesk.Reopen],
		registerCommand[casedesk.Close],
		registerCommand[casedesk.SetPriority],
		registerCommand[casedesk.SetCategory],
		registerCommand[casedesk.AddEvidence],
		registerCommand[casedesk.Respond],
		registerCommand[casedesk.AcceptLoss],
		registerCommand[casedesk.NetworkOutcome],
		registerCommand[casedesk.Escalate],
		registerCommand[casedesk.DecideApproval],
		registerCommand[casedesk.UpdateCustomer],
		registerCommand[casedesk.VerifyIdentity],
		registerCommand[casedesk.RecordAutoMail],
		registerCommand[casedesk.AttachUnverifiedReply],
		registerCommand[casedesk.AcceptUnverifiedReply],
		registerCommand[casedesk.DiscardUnverifiedReply],
		registerProposal[casedesk.ProposeRefund],
		registerProposal[casedesk.ProposeCredit],
	} {
		if err := register(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// registerCommand makes command T an Update named T.Name() with arguments
// (actor, command). Its validator runs the case rules without changing
// anything, so a refused action never reaches history.
func registerCommand[T casedesk.Command](ctx workflow.Context, w *caseRun) error {
	var zero T
	return workflow.SetUpdateHandlerWithOptions(ctx, zero.Name(),
		func(ctx workflow.Context, by casedesk.Actor, cmd T) (casedesk.Case, error) {
			if err := workflow.Await(ctx, func() bool { return w.opened }); err != nil {
				return casedesk.Case{}, err
			}
			return w.apply(ctx, cmd, by)
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, by casedesk.Actor, cmd T) error {
			_, _, err := w.rules.Decide(w.c, cmd, by, workflow.Now(ctx))
			return temporalerr.Wrap(err)
		}},
	)
}

// apply decides cmd, commits and projects the result, then settles the money
// the change approved or refused, before returning.
func (w *caseRun) apply(ctx workflow.Context, cmd casedesk.Command, by casedesk.Actor) (casedesk.Case, error) {
	c, err := w.commit(ctx, cmd, by)
	if err != nil {
		return c, err
	}
	if err := w.settleMoney(ctx); err != nil {
		return c, err
	}
	return w.c, nil
}

// commit decides cmd, commits the result and projects it.
func (w *caseRun) commit(ctx workflow.Context, cmd casedesk.Command, by casedesk.Actor) (casedesk.Case, error) {
	next, events, err := w.handlerRules(ctx).Decide(w.c, cmd, by, workflow.Now(ctx))
	if err == casedesk.ErrNothingDue {
		return w.c, errNothingDue
	}
	if err != nil {
		// The validator passed but another update changed the case meanwhile.
		return casedesk.Case{}, temporalerr.Wrap(err)
	}
	w.c = next
	w.pending = append(w.pending, events...)
	w.queueNotices(events)
	if err := w.upsertSearchAttributes(ctx); err != nil {
		return casedesk.Case{}, err
	}
	if err := w.project(ctx); err != nil {
		return casedesk.Case{}, err
	}
	return next, nil
}

// handlerRules are the rules an update handler decides with. Validators
// always apply the case's bounds; a handler applies them only from
// changeCaseBounds on, so that an update accepted before the bounds is
// decided on replay as it was.
func (w *caseRun) handlerRules(ctx workflow.Context) casedesk.Rules {
	r := w.rules
	if workflow.GetVersion(ctx, changeCaseBounds, workflow.DefaultVersion, 1) < 1 {
		r.Unbounded = true
	}
	if workflow.GetVersion(ctx, changeOverdueClocks, workflow.DefaultVersion, 1) < 1 {
		r.LateClocksWait = true
	}
	// Only a closed case asks, so that histories of cases still open carry
	// no marker for it.
	if w.c.Status == casedesk.StatusClosed &&
		workflow.GetVersion(ctx, changeSettleClosedCase, workflow.DefaultVersion, 1) < 1 {
		r.ClosedRefusesSettlement = true
	}
	return r
}

// project writes the current case and every pending event to the read model,
// retrying until PostgreSQL takes it: the change is already durable in the
// workflow, so the read model must catch up, never drop it. It returns once
// the case is projected, which keeps the API's read-after-write promise.
func (w *caseRun) project(ctx workflow.Context) error {
	// A decided run skips the marker (and the search attribute upsert that
	// comes with a first GetVersion): it always runs the latest projection.
	if w.decided || workflow.GetVersion(ctx, changeProjectionActivity, workflow.DefaultVersion, 1) >= 1 {
		return w.projectLatest(ctx)
	}
	return w.projectWithTimers(ctx)
}

// projectionLocalOptions is the fast path: short blips are retried inside
// one local activity, which costs a single marker in history.
func projectionLocalOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    50 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Second,
			MaximumAttempts:    3,
		},
	})
}

// projectionRetryOptions is the fallback: one regular activity retried by
// the server until PostgreSQL answers. Its attempts write no history (the
// started event records only the last attempt), so a long outage costs
// three events per projection, not a timer and a marker every minute.
func projectionRetryOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// maxProjectionBatch bounds the JSON size of the events one projection
// activity carries, so that its input (recorded in history) stays far below
// Temporal's 2 MB payload limit whatever piled up during an outage.
const maxProjectionBatch = 512 << 10

// projectLatest projects the case until the read model holds at least the
// version it had when called. One projection runs at a time, always of the
// latest state and every pending event: updates that arrive during an
// outage wait for it instead of each sending its own copy of the backlog.
func (w *caseRun) projectLatest(ctx workflow.Context) error {
	want := w.c.Version
	for w.projected < want {
		if w.projecting {
			if err := workflow.Await(ctx, func() bool { return !w.projecting }); err != nil {
				return err
			}
			continue
		}
		if err := w.projectOnce(ctx); err != nil {
			return err
		}
	}
	return nil
}

// projectOnce writes the latest state and the pending events: first by the
// local activity, then, when that fails, by the retried activity in batches.
func (w *caseRun) projectOnce(ctx workflow.Context) error {
	w.projecting = true
	defer func() { w.projecting = false }()
	c, events, from := w.c, slices.Clone(w.pending), origin(ctx)
	err := workflow.ExecuteLocalActivity(projectionLocalOptions(ctx), acts.ProjectCase,
		activities.ProjectInput{Case: c, Events: events, From: from}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("projecting the case failed; retrying in an activity", "case_id", c.ID, "error", err)
		actx := projectionRetryOptions(ctx)
		for _, batch := range eventBatches(events, maxProjectionBatch) {
			for {
				err := workflow.ExecuteActivity(actx, acts.ProjectCase, activities.ProjectInput{Case: c, Events: batch, From: from}).Get(ctx, nil)
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					return err
				}
				// Only a failure the retry policy does not retry gets here;
				// wait before the next activity rather than spin.
				workflow.GetLogger(ctx).Error("projecting the case failed", "case_id", c.ID, "error", err)
				if err := workflow.Sleep(ctx, time.Minute); err != nil {
					return err
				}
			}
		}
	}
	w.projected = max(w.projected, c.Version)
	w.dropProjected(events)
	return nil
}

// origin names the workflow task now running for the projection it writes
// (casedesk.ProjectionOrigin). It reads the task's info, records nothing.
func origin(ctx workflow.Context) casedesk.ProjectionOrigin {
	info := workflow.GetInfo(ctx)
	return casedesk.ProjectionOrigin{RunID: info.WorkflowExecution.RunID, HistoryLength: int64(info.GetCurrentHistoryLength())}
}

// eventBatches splits events, in order, into batches of at most limit bytes
// of JSON each (casedesk.Event.Size; an event larger than limit goes alone). There is always at
// least one batch, so the case row is written even with no events.
func eventBatches(events []casedesk.Event, limit int) [][]casedesk.Event {
	var out [][]casedesk.Event
	var cur []casedesk.Event
	size := 0
	for _, e := range events {
		n := e.Size()
		if len(cur) > 0 && size+n > limit {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	return append(out, cur)
}

// projectWithTimers is the projection as first released, kept for cases
// that started before changeProjectionActivity: longer outages are retried
// by durable timers, each attempt carrying the latest state.
func (w *caseRun) projectWithTimers(ctx workflow.Context) error {
	lctx := projectionLocalOptions(ctx)
	backoff := time.Second
	for {
		in := activities.ProjectInput{Case: w.c, Events: slices.Clone(w.pending), From: origin(ctx)}
		err := workflow.ExecuteLocalActivity(lctx, acts.ProjectCase, in).Get(ctx, nil)
		if err == nil {
			w.dropProjected(in.Events)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		workflow.GetLogger(ctx).Warn("projecting the case failed; retrying", "case_id", w.c.ID, "error", err, "retry_in", backoff)
		if err := workflow.Sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// dropProjected forgets the events just projected; events added meanwhile
// stay pending.
func (w *caseRun) dropProjected(sent []casedesk.Event) {
	if len(sent) == 0 {
		return
	}
	last := sent[len(sent)-1].Seq
	kept := w.pending[:0]
	for _, e := range w.pending {
		if e.Seq > last {
			kept = append(kept, e)
		}
	}
	w.pending = kept
}

// attrValues returns the search attribute values of c in a fixed order.
func attrValues(c casedesk.Case) [5]string {
	return [5]string{string(c.Type), string(c.Status), string(c.Priority), c.CustomerID, c.AssigneeID}
}

// SearchAttributes returns the typed search attributes of c, for the start
// of its workflow.
func SearchAttributes(c casedesk.Case) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(searchAttributeUpdates(c)...)
}

func searchAttributeUpdates(c casedesk.Case) []temporal.SearchAttributeUpdate {
	u := []temporal.SearchAttributeUpdate{
		AttrType.ValueSet(string(c.Type)),
		AttrStatus.ValueSet(string(c.Status)),
		AttrPriority.ValueSet(string(c.Priority)),
		AttrCustomer.ValueSet(c.CustomerID),
	}
	if c.AssigneeID != "" {
		u = append(u, AttrAssignee.ValueSet(c.AssigneeID))
	} else {
		u = append(u, AttrAssignee.ValueUnset())
	}
	return u
}

func (w *caseRun) upsertSearchAttributes(ctx workflow.Context) error {
	now := attrValues(w.c)
	if now == w.attrs {
		return nil
	}
	w.attrs = now
	return workflow.UpsertTypedSearchAttributes(ctx, searchAttributeUpdates(w.c)...)
}

// registerProposal makes a money proposal an Update: the money is held in
// the store first (refused with the reason when it cannot be), then the
// proposal is decided like any command.
func registerProposal[T casedesk.Proposal](ctx workflow.Context, w *caseRun) error {
	var zero T
	return workflow.SetUpdateHandlerWithOptions(ctx, zero.Name(),
		func(ctx workflow.Context, by casedesk.Actor, cmd T) (casedesk.Case, error) {
			if err := workflow.Await(ctx, func() bool { return w.opened }); err != nil {
				return casedesk.Case{}, err
			}
			return w.propose(ctx, cmd, by)
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, by casedesk.Actor, cmd T) error {
			_, _, err := w.rules.Decide(w.c, cmd.WithHold("validating", nil), by, workflow.Now(ctx))
			return temporalerr.Wrap(err)
		}},
	)
}

// propose holds the money of p and then decides it. The store decides the
// level the proposal needs, and refuses it (a disputed payment, an
// unverified caller, the cap) with the money locked.
func (w *caseRun) propose(ctx workflow.Context, p casedesk.Proposal, by casedesk.Actor) (casedesk.Case, error) {
	w.holdSeq++
	id := fmt.Sprintf("%s-M%d", w.c.ID, w.holdSeq)
	mv, err := p.Movement()
	if err != nil {
		return casedesk.Case{}, temporalerr.Wrap(err)
	}
	ar := w.rules.ApprovalRules()
	cumulative := workflow.GetVersion(ctx, changeCumulativeAuthority, workflow.DefaultVersion, 1) >= 1
	var early *casedesk.Authority
	if !cumulative {
		old := ar.AmountAuthority(mv.Amount)
		early = &old
	}
	if _, _, err := w.handlerRules(ctx).Decide(w.c, p.WithHold(id, early), by, workflow.Now(ctx)); err != nil {
		return casedesk.Case{}, temporalerr.Wrap(err)
	}
	mv.ID, mv.RequestedBy = id, by.ID
	hold := mv.Hold(w.c.ID)
	hold.CustomerID = w.c.CustomerID
	auth := early
	if cumulative {
		hold.Authority, hold.IdentityVerified = &ar, w.c.IdentityVerified
		auth = &casedesk.Authority{}
		err = workflow.ExecuteActivity(moneyCtx(ctx), acts.HoldMoney, hold).Get(ctx, auth)
	} else {
		err = workflow.ExecuteActivity(moneyCtx(ctx), acts.HoldMoney, hold).Get(ctx, nil)
	}
	if err != nil {
		return casedesk.Case{}, temporalerr.Wrap(err)
	}
	c, err := w.apply(ctx, p.WithHold(id, auth), by)
	if err != nil {
		// The case changed while the money was held: give it back.
		if rerr := workflow.ExecuteActivity(moneyCtx(ctx), acts.ReleaseHold, hold.ID).Get(ctx, nil); rerr != nil {
			workflow.GetLogger(ctx).Error("releasing a hold failed", "hold_id", hold.ID, "error", rerr)
		}
		return c, err
	}
	return c, nil
}

// proposeOpeningRefund proposes the refund a refund case was opened for,
// before the open update returns, so the case is read with its refund.
func (w *caseRun) proposeOpeningRefund(ctx workflow.Context, in CaseInput) {
	_, err := w.propose(ctx, casedesk.ProposeRefund{PaymentID: in.Request.PaymentID, Amount: in.Request.Amount,
		Currency: in.Request.Currency, Reason: in.Request.Reason}, in.Actor)
	if err != nil {
		if _, rerr := w.commit(ctx, casedesk.RecordRefusal{Kind: casedesk.KindRefund, Reason: casedesk.ErrorMessage(temporalerr.Unwrap(err))},
			casedesk.SystemActor); rerr != nil {
			workflow.GetLogger(ctx).Error("recording a refused refund failed", "case_id", w.c.ID, "error", rerr)
		}
	}
}

// moneyCtx runs money activities: retried until the store answers, except
// for business refusals, which are not retryable.
func moneyCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// settleMoney posts approved movements and releases refused ones, each
// through an activity, and records the result on the case. Posting is
// exactly once in the store whatever retries or crashes happen.
func (w *caseRun) settleMoney(ctx workflow.Context) error {
	for {
		var todo []casedesk.Movement
		settle := append(w.c.MovementsToPost(), w.c.MovementsToRelease()...)
		if failed := w.c.FailedHoldsToRelease(); len(failed) > 0 &&
			workflow.GetVersion(ctx, changeReleaseFailedHolds, workflow.DefaultVersion, 1) >= 1 {
			settle = append(settle, failed...)
		}
		for _, m := range settle {
			if !w.settling[m.ID] {
				todo = append(todo, m)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		m := todo[0]
		w.settling[m.ID] = true
		var cmd casedesk.Command
		if m.Status == casedesk.MovementApproved {
			var entryID string
			err := workflow.ExecuteActivity(moneyCtx(ctx), acts.PostHold, m.ID).Get(ctx, &entryID)
			switch {
			case err == nil:
				cmd = casedesk.PostedMovement{MovementID: m.ID, EntryID: entryID}
			case casedesk.ErrorCode(temporalerr.Unwrap(err)) != casedesk.EINTERNAL:
				cmd = casedesk.FailedMovement{MovementID: m.ID, Reason: casedesk.ErrorMessage(temporalerr.Unwrap(err))}
			default:
				delete(w.settling, m.ID)
				return err
			}
		} else {
			if err := workflow.ExecuteActivity(moneyCtx(ctx), acts.ReleaseHold, m.ID).Get(ctx, nil); err != nil {
				delete(w.settling, m.ID)
				return err
			}
			cmd = casedesk.ReleasedMovement{MovementID: m.ID}
		}
		_, err := w.commit(ctx, cmd, casedesk.SystemActor)
		delete(w.settling, m.ID)
		if err != nil && casedesk.ErrorCode(temporalerr.Unwrap(err)) != casedesk.ECONFLICT {
			return err
		}
	}
}

// queueNotices queues the events that call for email.
func (w *caseRun) queueNotices(events []casedesk.Event) {
	for _, e := range events {
		if len(casedesk.Notices(w.c, e)) > 0 {
			w.notify = append(w.notify, e)
		}
	}
}

// notifyLocally hands the queued events to the outbox in a local activity;
// when that fails they stay queued for the notifier's activity. Called
// before the notifier starts, after the events' projection.
func (w *caseRun) notifyLocally(ctx workflow.Context) {
	batch := w.notify
	if len(batch) == 0 {
		return
	}
	err := workflow.ExecuteLocalActivity(projectionLocalOptions(ctx), acts.Notify,
		activities.NotifyInput{Case: w.c, Events: batch}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("handing email to the outbox failed; retrying in an activity", "case_id", w.c.ID, "error", err)
		return
	}
	w.notify = w.notify[len(batch):]
}

// notifier hands queued events to the Notify activity in the background, so
// that email never slows an action down. The activity is retried until the
// outbox takes the batch; its dedupe keys make retries harmless.
func (w *caseRun) notifier(ctx workflow.Context) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return len(w.notify) > 0 }); err != nil {
			return
		}
		batch := w.notify
		w.notify = nil
		w.notifying = true
		// Wait for the projection of these events: messages refer to the case row.
		_ = workflow.Await(ctx, func() bool { return len(w.pending) == 0 || w.pending[0].Seq > batch[len(batch)-1].Seq })
		err := workflow.ExecuteActivity(actx, acts.Notify, activities.NotifyInput{Case: w.c, Events: batch}).Get(ctx, nil)
		w.notifying = false
		if err != nil {
			workflow.GetLogger(ctx).Error("handing email to the outbox failed", "case_id", w.c.ID, "error", err)
		}
	}
}
