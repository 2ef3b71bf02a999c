package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk/worker"
)

// The baseline's workflow types: the least a workflow can be.
const (
	noopWorkflow   = "BenchNoop"
	waiterWorkflow = "BenchWaiter"
	timerWorkflow  = "BenchTimer"
	pingUpdate     = "ping"
	stopSignal     = "stop"
)

// benchNoop completes at once.
func benchNoop(workflow.Context) error { return nil }

// benchWaiter answers the ping update at once until it is signalled to stop.
func benchWaiter(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, pingUpdate, func(_ workflow.Context, n int) (int, error) {
		return n, nil
	}); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, stopSignal).Receive(ctx, nil)
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// benchTimer sleeps until due and returns the time its next task ran.
func benchTimer(ctx workflow.Context, due time.Time) (time.Time, error) {
	if d := due.Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return time.Time{}, err
		}
	}
	return workflow.Now(ctx), nil
}

// baseline is an in-process worker for the baseline's workflows on a task
// queue of its own, sized as casedesk's worker is (the CASEDESK_WORKER_*
// variables of the bench's environment).
type baseline struct {
	c     client.Client
	queue string
	w     sdkworker.Worker
}

func startBaseline(c client.Client) (*baseline, error) {
	opts, err := worker.OptionsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	b := &baseline{c: c, queue: "casedesk-bench-" + randomHex(4)}
	b.w = sdkworker.New(c, b.queue, opts.SDK())
	b.w.RegisterWorkflowWithOptions(benchNoop, workflow.RegisterOptions{Name: noopWorkflow})
	b.w.RegisterWorkflowWithOptions(benchWaiter, workflow.RegisterOptions{Name: waiterWorkflow})
	b.w.RegisterWorkflowWithOptions(benchTimer, workflow.RegisterOptions{Name: timerWorkflow})
	if err := b.w.Start(); err != nil {
		return nil, fmt.Errorf("start the baseline worker: %w", err)
	}
	return b, nil
}

func (b *baseline) stop() { b.w.Stop() }

func (b *baseline) start(ctx context.Context, id, workflowType string, args ...any) (client.WorkflowRun, error) {
	return b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: b.queue, WorkflowExecutionTimeout: time.Hour,
	}, workflowType, args...)
}

// ping sends the trivial update to a waiter and waits for its result.
func (b *baseline) ping(ctx context.Context, id string, n int) error {
	h, err := b.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: pingUpdate, Args: []any{n}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	var got int
	return h.Get(ctx, &got)
}
