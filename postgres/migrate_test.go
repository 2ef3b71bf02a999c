package postgres_test

import (
	"io/fs"
	"sync"
	"testing"

	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/migrations"
	"github.com/casedesk/casedesk/postgres"
)

// latestVersion is the schema version once every embedded migration is
// applied: migrations are numbered 001, 002, … without gaps.
func latestVersion(t *testing.T) int32 {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v (%d files)", err, len(files))
	}
	return int32(len(files))
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	want := latestVersion(t)

	t.Run("migrating an up-to-date database is a no-op that reports the same version", func(t *testing.T) {
		t.Parallel()
		db := testenv.DB(t) // migrated once already
		for i := range 2 {
			v, err := db.Migrate(t.Context())
			if err != nil {
				t.Fatalf("migration %d: %v", i+2, err)
			}
			if v != want {
				t.Fatalf("migration %d: version = %d, want %d", i+2, v, want)
			}
		}
		var stored int32
		if err := db.Pool.QueryRow(t.Context(), `SELECT version FROM schema_version`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != want {
			t.Fatalf("schema_version = %d, want %d", stored, want)
		}
	})

	// The api and the worker both migrate at start-up, from separate
	// processes (separate pools) or, in `casedesk dev`, one pool.
	for _, tc := range []struct {
		name       string
		sharedPool bool
		migratorsN int
	}{
		{name: "migrators in separate processes racing on a fresh database all succeed", migratorsN: 8},
		{name: "migrators sharing one pool racing on a fresh database all succeed", sharedPool: true, migratorsN: 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := testenv.DatabaseURL(t)
			open := func() *postgres.DB {
				t.Helper()
				db, err := postgres.Open(t.Context(), url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(db.Close)
				return db
			}
			dbs := make([]*postgres.DB, tc.migratorsN)
			for i := range dbs {
				if tc.sharedPool && i > 0 {
					dbs[i] = dbs[0]
				} else {
					dbs[i] = open()
				}
			}

			start := make(chan struct{})
			versions := make([]int32, len(dbs))
			errs := make([]error, len(dbs))
			var wg sync.WaitGroup
			for i, db := range dbs {
				wg.Go(func() {
					<-start
					versions[i], errs[i] = db.Migrate(t.Context())
				})
			}
			close(start)
			wg.Wait()

			for i := range dbs {
				if errs[i] != nil {
					t.Errorf("migrator %d: %v", i, errs[i])
				} else if versions[i] != want {
					t.Errorf("migrator %d: version = %d, want %d", i, versions[i], want)
				}
			}
			// The schema is there exactly once and usable.
			var tables int
			err := dbs[0].Pool.QueryRow(t.Context(), `
				SELECT count(*) FROM information_schema.tables
				WHERE table_schema = 'public' AND table_name IN
					('users', 'customers', 'payments', 'invoices', 'case_requests', 'cases', 'case_events')`).Scan(&tables)
			if err != nil {
				t.Fatal(err)
			}
			if tables != 7 {
				t.Fatalf("found %d of the 7 tables", tables)
			}
			var rows int
			if err := dbs[0].Pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_version`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != 1 {
				t.Fatalf("schema_version has %d rows, want 1", rows)
			}
		})
	}
}
