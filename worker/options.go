package worker

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkworker "go.temporal.io/sdk/worker"
)

// Options size the worker: how many case workflows it keeps in memory
// between their tasks, how many tasks it runs at once and how it polls.
// docs/performance.md explains each default and the stall the polling
// settings remove.
type Options struct {
	// StickyCacheSize is how many case workflows stay in memory between
	// their workflow tasks (CASEDESK_WORKER_STICKY_CACHE). A case evicted
	// from it costs nothing until its next task, which replays its history.
	// It bounds the worker's memory: about 100 KiB per cached case. The
	// cache is the process's: the first worker of a process sets it.
	StickyCacheSize int
	// WorkflowTaskSlots and ActivitySlots bound the workflow tasks and the
	// activities run at once (CASEDESK_WORKER_WORKFLOW_SLOTS,
	// CASEDESK_WORKER_ACTIVITY_SLOTS).
	WorkflowTaskSlots int
	ActivitySlots     int
	// WorkflowPollers and ActivityPollers are the most long polls the worker
	// keeps open for each kind of task (CASEDESK_WORKER_WORKFLOW_POLLERS,
	// CASEDESK_WORKER_ACTIVITY_POLLERS); the SDK's autoscaling picks how
	// many within that. Workflow task pollers are split into ones on the
	// worker's sticky queue and ones on the shared queue, so a task sent back
	// to the shared queue always finds a poller.
	WorkflowPollers int
	ActivityPollers int
	// StickyScheduleToStartTimeout is how long a task waits on this worker's
	// sticky queue before the server hands it to any worker
	// (CASEDESK_WORKER_STICKY_TIMEOUT).
	StickyScheduleToStartTimeout time.Duration
	// FixedPollers keeps exactly WorkflowPollers and ActivityPollers polls
	// open, as the SDK's default behaviour does, instead of autoscaling
	// (CASEDESK_WORKER_POLLERS=fixed; the default is autoscale). Its pollers
	// each choose the sticky or the shared queue, and all of them choose the
	// sticky queue while the server reports a backlog there, which is what
	// stalls tasks sent back to the shared queue (docs/performance.md).
	FixedPollers bool
}

// Defaults of Options.
const (
	DefaultStickyCacheSize   = 4096
	DefaultWorkflowTaskSlots = 256
	DefaultActivitySlots     = 256
	DefaultWorkflowPollers   = 16
	DefaultActivityPollers   = 16
	DefaultStickyTimeout     = 5 * time.Second
)

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		StickyCacheSize:              DefaultStickyCacheSize,
		WorkflowTaskSlots:            DefaultWorkflowTaskSlots,
		ActivitySlots:                DefaultActivitySlots,
		WorkflowPollers:              DefaultWorkflowPollers,
		ActivityPollers:              DefaultActivityPollers,
		StickyScheduleToStartTimeout: DefaultStickyTimeout,
	}
}

// OptionsFromEnv reads Options from getenv (os.Getenv in production); a
// variable left unset keeps its default. Every bad value is reported.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := DefaultOptions()
	var errs []string
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"CASEDESK_WORKER_STICKY_CACHE", &o.StickyCacheSize, 0, 1_000_000},
		{"CASEDESK_WORKER_WORKFLOW_SLOTS", &o.WorkflowTaskSlots, 2, 10_000},
		{"CASEDESK_WORKER_ACTIVITY_SLOTS", &o.ActivitySlots, 1, 10_000},
		{"CASEDESK_WORKER_WORKFLOW_POLLERS", &o.WorkflowPollers, 2, 1000},
		{"CASEDESK_WORKER_ACTIVITY_POLLERS", &o.ActivityPollers, 1, 1000},
	}
	for _, v := range ints {
		s := strings.TrimSpace(getenv(v.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < v.min || n > v.max {
			errs = append(errs, fmt.Sprintf("%s must be a whole number from %d to %d", v.name, v.min, v.max))
			continue
		}
		*v.dst = n
	}
	if s := strings.TrimSpace(getenv("CASEDESK_WORKER_STICKY_TIMEOUT")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d > 10*time.Minute {
			errs = append(errs, "CASEDESK_WORKER_STICKY_TIMEOUT must be a duration from 1s to 10m, such as 5s")
		} else {
			o.StickyScheduleToStartTimeout = d
		}
	}
	switch s := strings.TrimSpace(getenv("CASEDESK_WORKER_POLLERS")); s {
	case "", "autoscale":
	case "fixed":
		o.FixedPollers = true
	default:
		errs = append(errs, "CASEDESK_WORKER_POLLERS must be autoscale or fixed")
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("worker configuration: %s", strings.Join(errs, "; "))
	}
	return o, nil
}

var stickyCacheOnce sync.Once

// SDK returns the SDK's options for o, setting the process's sticky cache
// size the first time.
func (o Options) SDK() sdkworker.Options {
	stickyCacheOnce.Do(func() { sdkworker.SetStickyWorkflowCacheSize(o.StickyCacheSize) })
	opts := sdkworker.Options{
		MaxConcurrentWorkflowTaskExecutionSize:  o.WorkflowTaskSlots,
		MaxConcurrentActivityExecutionSize:      o.ActivitySlots,
		MaxConcurrentLocalActivityExecutionSize: o.ActivitySlots,
		StickyScheduleToStartTimeout:            o.StickyScheduleToStartTimeout,
	}
	if o.FixedPollers {
		opts.MaxConcurrentWorkflowTaskPollers = o.WorkflowPollers
		opts.MaxConcurrentActivityTaskPollers = o.ActivityPollers
		return opts
	}
	opts.WorkflowTaskPollerBehavior = sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{
		InitialNumberOfPollers: min(4, o.WorkflowPollers), MinimumNumberOfPollers: 2, MaximumNumberOfPollers: o.WorkflowPollers,
	})
	opts.ActivityTaskPollerBehavior = sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{
		InitialNumberOfPollers: min(2, o.ActivityPollers), MinimumNumberOfPollers: 1, MaximumNumberOfPollers: o.ActivityPollers,
	})
	return opts
}
