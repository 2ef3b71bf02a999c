package postgres_test

import (
	"testing"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
)

func TestMacros(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	user := func(id string) {
		t.Helper()
		if _, err := db.CreateUser(ctx, casedesk.User{ID: id, Name: id, Email: id + "@casedesk.test", Role: casedesk.RoleAgent},
			casedesk.HashToken(casedesk.NewToken())); err != nil {
			t.Fatal(err)
		}
	}
	user("U-MACROA1")
	user("U-MACROB1")
	save := func(m casedesk.Macro) casedesk.Macro {
		t.Helper()
		m, err := db.CreateMacro(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	shared := save(casedesk.Macro{ID: "MA-SHARED1", Name: "Duplicate authorisation", Body: "Hello {{customer.name}}", Shared: true,
		OwnerID: "U-MACROB1", Actions: casedesk.MacroActions{Resolve: casedesk.OutcomeAnswered}})
	mine := save(casedesk.Macro{ID: "MA-MINE0001", Name: "acknowledge", Body: "Thanks", OwnerID: "U-MACROA1"})
	save(casedesk.Macro{ID: "MA-THEIRS01", Name: "Theirs", Body: "x", OwnerID: "U-MACROB1"})

	t.Run("a user lists the shared macros and their own, by name, actions read back", func(t *testing.T) {
		got, err := db.Macros(ctx, "U-MACROA1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != mine.ID || got[1].ID != shared.ID || got[1].Actions.Resolve != casedesk.OutcomeAnswered {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("uses are counted and the report lists the most used first", func(t *testing.T) {
		// Two applications without a key, and one retried under the same key.
		for _, updateID := range []string{"", "", "idem-1", "idem-1"} {
			if err := db.RecordMacroUse(ctx, shared.ID, "C-ANY001", "U-MACROA1", updateID); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.MacroUsage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].ID != shared.ID || got[0].Uses != 3 || got[1].Uses != 0 {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("a change is stored; a deleted macro is gone with its uses", func(t *testing.T) {
		mine.Body = "Thanks, {{agent.name}}"
		if _, err := db.UpdateMacro(ctx, mine); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Macro(ctx, mine.ID); got.Body != mine.Body {
			t.Fatalf("body %q", got.Body)
		}
		if err := db.DeleteMacro(ctx, shared.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.Macro(ctx, shared.ID)
		wantCode(t, err, casedesk.ENOTFOUND)
		wantCode(t, db.DeleteMacro(ctx, shared.ID), casedesk.ENOTFOUND)
	})
}
