// Package temporalclient wires casedesk to Temporal: dialing the server and
// the client side of case workflows (opening a case, sending it actions).
package temporalclient

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	tlog "go.temporal.io/sdk/log"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/config"
	"github.com/casedesk/casedesk/metrics"
	"github.com/casedesk/casedesk/temporalerr"
	"github.com/casedesk/casedesk/workflows"
)

// Dial connects to the Temporal server of cfg.
func Dial(ctx context.Context, cfg config.Config, logger *slog.Logger) (client.Client, error) {
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(logger.With("component", "temporal")),
	}
	if cfg.TemporalTLS {
		opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	// The SDK's own metrics go to /metrics; its tracing interceptor carries
	// the caller's trace into workflows and activities (and the workers
	// this client makes use it too). Neither changes a workflow's commands.
	handler, err := metrics.TemporalHandler()
	if err != nil {
		return nil, err
	}
	opts.MetricsHandler = handler
	tracer, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing: %w", err)
	}
	opts.Interceptors = append(opts.Interceptors, tracer)
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// Cases sends case actions to case workflows.
type Cases struct {
	Client client.Client
	Rules  casedesk.Rules
	// TaskQueue of new case workflows; workflows.TaskQueue when empty.
	TaskQueue string
	// Projector is the read model. With it a case opens without waiting
	// for a workflow task (Open); without it every case opens with an
	// Update-with-Start.
	Projector Projector
}

// Projector writes a case and its new events to the read model
// (postgres.DB.ProjectCase).
type Projector interface {
	ProjectCase(ctx context.Context, c casedesk.Case, events []casedesk.Event, from casedesk.ProjectionOrigin) error
}

// Open starts the workflow of case id and returns once the case is durable
// and readable. req has been checked by the caller
// (casedesk.OpenRequest.Check).
//
// The opening is decided here, by the same rules the workflow runs
// (casedesk.Rules.Open): the workflow starts with that state in its input
// (workflows.CaseInput.Decided) and Open writes it to the read model itself,
// so the 201 waits for the start and one projection, not for a workflow
// task. The workflow projects the same state at its first task, which
// covers an API that dies between the two. A refund case still opens with an
// Update-with-Start: its opening proposes its refund, which holds money in
// the store under the workflow's lock.
//
// Opening the same id again (a retried request) finds the workflow started
// and waits, through its open update, for the case as the workflow has it;
// so does an opening whose projection failed here.
func (s *Cases) Open(ctx context.Context, id string, req casedesk.OpenRequest, by casedesk.Actor) (casedesk.Case, error) {
	req = casedesk.MaskCommand(req)
	if s.Projector == nil || req.Type == casedesk.TypeRefund {
		return s.openWithUpdate(ctx, id, req, by)
	}
	c, events, err := s.Rules.Open(id, req, by, time.Now())
	if err != nil {
		metrics.CaseAction(workflows.UpdateOpen, err)
		return casedesk.Case{}, err
	}
	opts := s.startOptions(id, req)
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	opts.WorkflowExecutionErrorWhenAlreadyStarted = true
	run, err := s.Client.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow,
		workflows.CaseInput{ID: id, Request: req, Actor: by, Rules: s.Rules, State: &c, Pending: events, Decided: true})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		return s.openWithUpdate(ctx, id, req, by)
	case err != nil:
		err = s.translate(ctx, id, err)
		metrics.CaseAction(workflows.UpdateOpen, err)
		return casedesk.Case{}, err
	}
	// The state is the start event's input: history length 1, which any
	// projection by the workflow's own tasks supersedes.
	from := casedesk.ProjectionOrigin{RunID: run.GetRunID(), HistoryLength: 1}
	if err := s.Projector.ProjectCase(ctx, c, events, from); err != nil {
		// The case is durable; its workflow projects it once the read
		// model takes it.
		return s.openWithUpdate(ctx, id, req, by)
	}
	metrics.CaseAction(workflows.UpdateOpen, nil)
	return c, nil
}

// openWithUpdate starts the workflow of case id with an Update-with-Start
// (or attaches to the one already started) and returns the case once the
// workflow has decided and projected its opening.
func (s *Cases) openWithUpdate(ctx context.Context, id string, req casedesk.OpenRequest, by casedesk.Actor) (casedesk.Case, error) {
	start := s.Client.NewWithStartWorkflowOperation(s.startOptions(id, req),
		workflows.CaseWorkflow, workflows.CaseInput{ID: id, Request: req, Actor: by, Rules: s.Rules})
	handle, err := s.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     workflows.UpdateIDOpen,
			UpdateName:   workflows.UpdateOpen,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	return s.result(ctx, workflows.UpdateOpen, id, handle, err)
}

// startOptions starts the workflow of case id; a second start of the same
// id attaches to the first.
func (s *Cases) startOptions(id string, req casedesk.OpenRequest) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(id),
		TaskQueue:                cmp.Or(s.TaskQueue, workflows.TaskQueue),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    workflows.SearchAttributes(req.Draft(id)),
		StaticSummary:            fmt.Sprintf("%s %s: %s", id, req.Type, req.Subject),
	}
}

// Act sends cmd by actor to case id and returns the case after it, once the
// change is projected. Every text of cmd is masked here, on its way into the
// workflow, so no card number reaches its history. A non-empty updateID
// makes the action one update however often it is sent (a retried request
// with the same Idempotency-Key, through any API replica). An unknown case
// is ENOTFOUND, a closed one ECONFLICT.
func (s *Cases) Act(ctx context.Context, id string, cmd casedesk.Command, by casedesk.Actor, updateID string) (casedesk.Case, error) {
	cmd = casedesk.MaskCommand(cmd)
	handle, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     updateID,
		WorkflowID:   workflows.WorkflowID(id),
		UpdateName:   cmd.Name(),
		Args:         []any{by, cmd},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	return s.result(ctx, cmd.Name(), id, handle, err)
}

// result waits for the case an update returns, and counts the action
// named command in the metrics.
func (s *Cases) result(ctx context.Context, command, id string, handle client.WorkflowUpdateHandle, err error) (casedesk.Case, error) {
	var c casedesk.Case
	if err == nil {
		err = handle.Get(ctx, &c)
	}
	if err != nil {
		err = s.translate(ctx, id, err)
		metrics.CaseAction(command, err)
		return casedesk.Case{}, err
	}
	metrics.CaseAction(command, nil)
	return c, nil
}

// translate turns what Temporal answered into the application's errors.
func (s *Cases) translate(ctx context.Context, id string, err error) error {
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return s.gone(ctx, id)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return casedesk.Errorf(casedesk.EUNAVAILABLE, "the case service did not answer in time; the action may still be applied, so read the case before retrying")
	case isUnavailable(err):
		return casedesk.Errorf(casedesk.EUNAVAILABLE, "the case service is unavailable; try again shortly")
	}
	return temporalerr.Unwrap(err)
}

// gone tells apart the two reasons a case's workflow takes no update: it
// never existed (an unknown case) or it completed (the case is closed).
func (s *Cases) gone(ctx context.Context, id string) error {
	_, err := s.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return casedesk.Errorf(casedesk.ECONFLICT, "case %s is closed and takes no more changes", id)
	case errors.As(err, &notFound):
		return casedesk.Errorf(casedesk.ENOTFOUND, "case %s not found", id)
	}
	return casedesk.Errorf(casedesk.EUNAVAILABLE, "the case service is unavailable; try again shortly")
}

// isUnavailable reports whether err means the Temporal service could not be reached.
func isUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &deadline)
}
