package postgres_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/outbox"
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
		if _, err := db.RecordWebhookAttempt(ctx, first[0], casedesk.WebhookOutcome{At: now, StatusCode: 500, RetryFirst: time.Hour}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordWebhookAttempt(ctx, first[1], casedesk.WebhookOutcome{At: now, StatusCode: 204}, nil); err != nil {
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
		admin2, _ := newUser(t, db, "hooks-admin2@casedesk.test", casedesk.RoleAdmin)
		gone, _ := newUser(t, db, "hooks-gone@casedesk.test", casedesk.RoleAdmin)
		if _, err := db.Pool.Exec(ctx, `UPDATE users SET deactivated_at = now() WHERE id = $1`, gone.ID); err != nil {
			t.Fatal(err)
		}
		var notices []casedesk.WebhookDisabledNotice
		alert := func(n casedesk.WebhookDisabledNotice) ([]casedesk.Message, error) {
			notices = append(notices, n)
			return outbox.WebhookDisabledAlert(n, false)
		}
		disabled, err := db.RecordWebhookAttempt(ctx, claimed[0], casedesk.WebhookOutcome{At: time.Now(), Error: "connection refused"}, alert)
		if err != nil || !disabled {
			t.Fatalf("disabled %v, %v; want disabled", disabled, err)
		}
		if len(notices) != 1 || notices[0].Endpoint.ID != all.ID || notices[0].LastError != "connection refused" || notices[0].Pending == 0 {
			t.Fatalf("notices %+v; want one about %s with what waits for it", notices, all.ID)
		}
		var got []string
		rows, err := db.Pool.Query(ctx, `SELECT user_id || ' ' || status || ' ' || audience || ' ' || batch_key FROM messages
			WHERE kind = 'webhook_disabled' ORDER BY user_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r string
			_ = rows.Scan(&r)
			got = append(got, r)
		}
		rows.Close()
		ids := []string{admin.ID, admin2.ID}
		slices.Sort(ids)
		if len(got) != 2 || !strings.HasPrefix(got[0], ids[0]+" pending staff webhook_disabled/"+all.ID+"/") ||
			!strings.HasPrefix(got[1], ids[1]+" pending staff ") || got[0][len(ids[0]):] != got[1][len(ids[1]):] {
			t.Fatalf("messages %q; want one to each active admin, pending in one batch", got)
		}
		// Recorded again (a retried transaction), the endpoint is disabled
		// already and nothing more is queued.
		if again, err := db.RecordWebhookAttempt(ctx, claimed[0], casedesk.WebhookOutcome{At: time.Now(), Error: "connection refused"}, alert); err != nil || again || len(notices) != 1 {
			t.Fatalf("recorded again: disabled %v, %v, %d notices", again, err, len(notices))
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
	t.Run("an endpoint enabled again starts afresh and gets what waited for it", func(t *testing.T) {
		pending := 0
		for _, d := range mustDeliveries(t, db, all.ID) {
			if d.Status == casedesk.DeliveryPending {
				pending++
			}
		}
		if _, err := db.Pool.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_attempt_at = now()
			WHERE id = (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' LIMIT 1)`, all.ID); err != nil {
			t.Fatal(err)
		}
		res, err := db.EnableWebhookEndpoint(ctx, all.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		e := res.Endpoint
		if e.Status != casedesk.WebhookEnabled || e.FailingSince != nil || e.DisabledAt != nil || e.DisabledReason != "" ||
			res.Pending != pending-1 || res.Failed != 1 || res.Redelivered != 0 {
			t.Fatalf("enabled: %+v; want enabled afresh, %d pending and one failed left as it is", res, pending-1)
		}
		claimed, err := db.ClaimWebhookDeliveries(ctx, 100, time.Minute)
		if err != nil || len(claimed) != pending-1 {
			t.Fatalf("claimed %d of %d pending deliveries (%v)", len(claimed), pending-1, err)
		}
		for _, c := range claimed {
			if _, err := db.RecordWebhookAttempt(ctx, c, casedesk.WebhookOutcome{At: time.Now(), StatusCode: 500, RetryFirst: time.Hour}, nil); err != nil {
				t.Fatal(err)
			}
		}
		// Failing again, one gives up; asked to, enabling sends that one
		// again too, but not the one that gave up before the endpoint was
		// enabled the first time.
		if _, err := db.Pool.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_attempt_at = now() + interval '1 second'
			WHERE id = $1`, claimed[0].ID); err != nil {
			t.Fatal(err)
		}
		res, err = db.EnableWebhookEndpoint(ctx, all.ID, true)
		if err != nil || res.Redelivered != 1 || res.Failed != 0 || res.Pending != pending-2 {
			t.Fatalf("enabled with redeliver_failed: %+v, %v; want the failed one due with the %d pending", res, err, pending-2)
		}
		if claimed, err := db.ClaimWebhookDeliveries(ctx, 100, time.Minute); err != nil || len(claimed) != pending-1 {
			t.Fatalf("claimed %d, want %d (%v)", len(claimed), pending-1, err)
		}
		if _, err := db.EnableWebhookEndpoint(ctx, "WH-NOSUCH", false); casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
			t.Errorf("enable an unknown endpoint: %v, want not found", err)
		}
	})
	t.Run("event IDs differ per event", func(t *testing.T) {
		a, b := postgres.WebhookEventID("C-1/1"), postgres.WebhookEventID("C-1/2")
		if a == b || len(a) != len("EV-")+20 || a[:3] != "EV-" {
			t.Errorf("event IDs %s and %s", a, b)
		}
	})
}

func mustDeliveries(t *testing.T, db *postgres.DB, endpointID string) []casedesk.WebhookDelivery {
	t.Helper()
	ds, err := db.WebhookDeliveries(t.Context(), endpointID, 200)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
