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
	tlog "go.temporal.io/sdk/log"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/config"
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
}

// Open starts the workflow of case id and returns once the case is projected
// and readable. Opening the same id again (a retried request) attaches to the
// workflow already started and returns the same case.
func (s *Cases) Open(ctx context.Context, id string, req casedesk.OpenRequest, by casedesk.Actor) (casedesk.Case, error) {
	initial, _, err := casedesk.Open(id, req, by, time.Now())
	if err != nil {
		return casedesk.Case{}, err
	}
	start := s.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(id),
		TaskQueue:                cmp.Or(s.TaskQueue, workflows.TaskQueue),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    workflows.SearchAttributes(initial),
		StaticSummary:            fmt.Sprintf("%s %s: %s", id, req.Type, initial.Subject),
	}, workflows.CaseWorkflow, workflows.CaseInput{ID: id, Request: req, Actor: by, Rules: s.Rules})
	handle, err := s.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     workflows.UpdateIDOpen,
			UpdateName:   workflows.UpdateOpen,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return casedesk.Case{}, s.translate(err)
	}
	var c casedesk.Case
	if err := handle.Get(ctx, &c); err != nil {
		return casedesk.Case{}, s.translate(err)
	}
	return c, nil
}

// Act sends cmd by actor to case id and returns the case after it, once the
// change is projected.
func (s *Cases) Act(ctx context.Context, id string, cmd casedesk.Command, by casedesk.Actor) (casedesk.Case, error) {
	handle, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(id),
		UpdateName:   cmd.Name(),
		Args:         []any{by, cmd},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return casedesk.Case{}, s.translate(err)
	}
	var c casedesk.Case
	if err := handle.Get(ctx, &c); err != nil {
		return casedesk.Case{}, s.translate(err)
	}
	return c, nil
}

// ErrWorkflowGone is returned when the case's workflow does not exist or has
// completed; the caller decides between "unknown case" and "case closed".
var ErrWorkflowGone = errors.New("case workflow not found or completed")

func (s *Cases) translate(err error) error {
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return ErrWorkflowGone
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return casedesk.Errorf(casedesk.EUNAVAILABLE, "the case service did not answer in time; the action may still be applied, so read the case before retrying")
	}
	return workflows.AsCaseError(err)
}
