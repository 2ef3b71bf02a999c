package postgres_test

import (
	"slices"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

func TestWebhookDeliveriesGoOutWithTheProjection(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	admin, _ := newUser(t, db, "hooks-admin@casedesk.test", casedesk.RoleAdmin)
	endpoint := func(events ...string) casedesk.WebhookEndpoint {
		t.Helper()
		e, err := db.CreateWebhookEndpoint(ctx, casedesk.WebhookEndpoint{ID: casedesk.NewID(casedesk.PrefixWebhookEndpoint, 8),
			URL: "https://hooks.example.com/in", Events: events, Secret: casedesk.NewWebhookSecret(), CreatedBy: admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	types := func(id string) []string {
		t.Helper()
		ds, err := db.WebhookDeliveries(ctx, id, 200)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.EventType)
		}
		slices.Sort(out)
		return out
	}
	all, refunds := endpoint(casedesk.HookAll), endpoint(casedesk.HookRefundPosted)
	cust := newCustomer(t, db)
	req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID, Subject: "Charged twice", Channel: casedesk.ChannelPhone}
	h := history(t, "C-HOOKS1", req, opened, casedesk.Assign{AssigneeID: agent.ID},
		casedesk.Reply{Body: "Looking into it"}, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})

	t.Run("each event an endpoint takes is one delivery, however often it is projected", func(t *testing.T) {
		project(t, db, h)
		project(t, db, h)
		want := []string{casedesk.HookCaseAssigned, casedesk.HookCaseOpened, casedesk.HookCaseResolved,
			casedesk.HookCaseStatusChanged, casedesk.HookCaseStatusChanged}
		if got := types(all.ID); !slices.Equal(got, want) {
			t.Errorf("deliveries to * = %v, want %v", got, want)
		}
		if got := types(refunds.ID); len(got) != 0 {
			t.Errorf("deliveries to refund.posted = %v, want none", got)
		}
	})
	t.Run("a rating is sent as csat.received", func(t *testing.T) {
		if err := db.SaveCSAT(ctx, "C-HOOKS1", 5, "Quick and kind"); err != nil {
			t.Fatal(err)
		}
		if got := types(all.ID); !slices.Contains(got, casedesk.HookCSATReceived) {
			t.Errorf("deliveries %v, want a csat.received", got)
		}
	})
	t.Run("a claim is shared: nobody else takes it while it is leased", func(t *testing.T) {
		first, err := db.ClaimWebhookDeliveries(ctx, 100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		again, err := db.ClaimWebhookDeliveries(ctx, 100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 6 || len(again) != 0 || first[0].Attempts != 1 || first[0].Endpoint.Secret != all.Secret {
			t.Fatalf("claimed %d then %d (%+v), want 6 then none", len(first), len(again), first)
		}
		now := time.Now()
		if _, err := db.RecordWebhookAttempt(ctx, first[0], casedesk.WebhookOutcome{At: now, StatusCode: 500, RetryFirst: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordWebhookAttempt(ctx, first[1], casedesk.WebhookOutcome{At: now, StatusCode: 204}); err != nil {
			t.Fatal(err)
		}
		failed, err := db.WebhookDelivery(ctx, first[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if failed.Status != casedesk.DeliveryPending || failed.NextAttemptAt == nil || failed.NextAttemptAt.Sub(now) < 59*time.Minute ||
			len(failed.AttemptLog) != 1 || *failed.AttemptLog[0].StatusCode != 500 {
			t.Errorf("after a 500: %+v, want pending for another hour with one attempt logged", failed)
		}
		done, err := db.WebhookDelivery(ctx, first[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != casedesk.DeliverySucceeded || done.NextAttemptAt != nil || done.DeliveredAt == nil {
			t.Errorf("after a 204: %+v, want succeeded", done)
		}
	})
	t.Run("an endpoint failing for three days is disabled and takes nothing more", func(t *testing.T) {
		if _, err := db.Pool.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = now() - interval '73 hours' WHERE id = $1`, all.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1 AND status = 'pending'`, all.ID); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimWebhookDeliveries(ctx, 1, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claimed %v, %v", claimed, err)
		}
		disabled, err := db.RecordWebhookAttempt(ctx, claimed[0], casedesk.WebhookOutcome{At: time.Now(), Error: "connection refused"})
		if err != nil || !disabled {
			t.Fatalf("disabled %v, %v; want disabled", disabled, err)
		}
		e, err := db.WebhookEndpoint(ctx, all.ID)
		if err != nil || e.Status != casedesk.WebhookDisabled || e.DisabledAt == nil {
			t.Fatalf("endpoint %+v, %v; want disabled", e, err)
		}
		before := len(types(all.ID))
		project(t, db, history(t, "C-HOOKS2", req, opened))
		if got := len(types(all.ID)); got != before {
			t.Errorf("a disabled endpoint got %d new deliveries", got-before)
		}
		if again, err := db.ClaimWebhookDeliveries(ctx, 100, time.Minute); err != nil || len(again) != 0 {
			t.Errorf("claimed %d deliveries of a disabled endpoint (%v)", len(again), err)
		}
		if _, err := db.RedeliverWebhook(ctx, claimed[0].ID); casedesk.ErrorCode(err) != casedesk.ECONFLICT {
			t.Errorf("redeliver to a disabled endpoint: %v, want conflict", err)
		}
	})
	t.Run("event IDs differ per event", func(t *testing.T) {
		a, b := postgres.WebhookEventID("C-1/1"), postgres.WebhookEventID("C-1/2")
		if a == b || len(a) != len("EV-")+20 || a[:3] != "EV-" {
			t.Errorf("event IDs %s and %s", a, b)
		}
	})
}
