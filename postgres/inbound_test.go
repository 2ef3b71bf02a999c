package postgres_test

import (
	"reflect"
	"testing"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
)

func TestInboundJournal(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	taken := casedesk.InboundRecord{CaseID: "C-INB001", MessageKey: "k1", From: "jane@example.com", Subject: "Re: hi",
		TakenAs: "follow_up", ResultCase: "C-INB002"}

	t.Run("a taken message is found by its case and key, once", func(t *testing.T) {
		for range 2 {
			if err := db.RecordInbound(ctx, taken); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := db.InboundTaken(ctx, "C-INB001", "k1")
		if err != nil || !ok || !reflect.DeepEqual(got, taken) {
			t.Fatalf("InboundTaken = %+v, %v, %v", got, ok, err)
		}
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM inbound_mail WHERE case_id = 'C-INB001'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d rows (%v), want 1", n, err)
		}
	})
	t.Run("mail not taken is journaled every time and never found as taken", func(t *testing.T) {
		refused := casedesk.InboundRecord{CaseID: "C-INB003", MessageKey: "k2", From: "x@example.com",
			TakenAs: casedesk.InboundNotTaken, Reason: "expired"}
		for range 2 {
			if err := db.RecordInbound(ctx, refused); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok, err := db.InboundTaken(ctx, "C-INB003", "k2"); ok || err != nil {
			t.Errorf("a refused message was found as taken: %v", err)
		}
		if _, ok, _ := db.InboundTaken(ctx, "C-INB003", ""); ok {
			t.Error("an empty key matched")
		}
	})
}
