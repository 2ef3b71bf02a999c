package e2e_test

import (
	"context"
	"errors"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/temporalclient"
	"github.com/casedesk/casedesk/worker"
)

// failingProjector is an API's read model that refuses every write.
type failingProjector struct{}

func (failingProjector) ProjectCase(context.Context, casedesk.Case, []casedesk.Event, casedesk.ProjectionOrigin) error {
	return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
}

// startCaseWorker runs a case worker on queue against the system's store.
func startCaseWorker(t *testing.T, s *system, queue string) {
	t.Helper()
	w := worker.New(s.temporal, queue, &activities.Activities{Store: s.db, Ledger: s.db, Outbox: s.db,
		Mail: activities.MailSettings{From: mail.Address{Email: "support@casedesk.test", Name: "casedesk support"},
			ReplyDomain: testReplyDomain, PublicURL: "http://casedesk.test", Links: testSigner}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// A case opens with a plain start and the API's own projection: it is
// durable and readable before any worker has run a task of it, its workflow
// then takes the state it was started with, a retried opening answers the
// same case, and an opening whose projection failed waits for the
// workflow's.
func TestACaseOpensWithoutWaitingForAWorkflowTask(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.DefaultRules())
	queue := "casedesk-open-" + randomHex(4)
	cases := &temporalclient.Cases{Client: s.temporal, Rules: casedesk.DefaultRules(), TaskQueue: queue, Projector: s.db}
	agent := casedesk.Actor{ID: s.users[casedesk.RoleAgent].ID, Role: casedesk.RoleAgent}
	req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: s.customer.ID, Subject: "Charged twice",
		Channel: casedesk.ChannelPhone, Priority: casedesk.PriorityNormal}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// No worker polls the queue yet.
	id := casedesk.NewCaseID()
	opened, err := cases.Open(ctx, id, req, agent)
	if err != nil {
		t.Fatal(err)
	}
	if opened.ID != id || opened.Status != casedesk.StatusNew || opened.Version != 1 || opened.SLA.FirstResponseDue == nil {
		t.Fatalf("opened %+v", opened)
	}
	read, err := s.db.Case(ctx, id)
	if err != nil || read.Version != 1 || !read.OpenedAt.Equal(opened.OpenedAt) {
		t.Fatalf("read model before any workflow task: %+v, %v", read, err)
	}
	if events, err := s.db.CaseEvents(ctx, id); err != nil || len(events) != 1 || events[0].Type != casedesk.EventOpened {
		t.Fatalf("timeline before any workflow task: %v, %v", events, err)
	}

	startCaseWorker(t, s, queue)
	again, err := cases.Open(ctx, id, req, agent)
	if err != nil || again.Version != opened.Version || !again.OpenedAt.Equal(opened.OpenedAt) {
		t.Fatalf("a retried opening answered %+v, %v; want the first opening's case", again, err)
	}
	assigned, err := cases.Act(ctx, id, casedesk.Assign{AssigneeID: agent.ID}, agent, "")
	if err != nil || assigned.Version != 2 || assigned.AssigneeID != agent.ID || !assigned.OpenedAt.Equal(opened.OpenedAt) {
		t.Fatalf("assigning the case: %+v, %v", assigned, err)
	}
	eventually(t, 30*time.Second, "the opening's email reaches the outbox", func() bool {
		var n int
		err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE case_id = $1 AND kind = 'case_opened'`, id).Scan(&n)
		return err == nil && n == 1
	})
	// The first task projected and queued the email in local activities:
	// the opening took no activity task.
	for _, e := range workflowHistory(t, s, id).Events {
		if e.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			t.Errorf("the opened case scheduled an activity: %v", e)
		}
	}

	// The API's projection fails: the case is still durable, and the
	// opening answers once the workflow projected it.
	down := &temporalclient.Cases{Client: s.temporal, Rules: casedesk.DefaultRules(), TaskQueue: queue, Projector: failingProjector{}}
	id2 := casedesk.NewCaseID()
	c2, err := down.Open(ctx, id2, req, agent)
	if err != nil || c2.ID != id2 || c2.Version != 1 {
		t.Fatalf("opening with the API's projection failing: %+v, %v", c2, err)
	}
	if read, err := s.db.Case(ctx, id2); err != nil || read.Version != 1 {
		t.Fatalf("read model after the workflow's projection: %+v, %v", read, err)
	}
}
