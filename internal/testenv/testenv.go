// Package testenv gives tests the real services that `make test` starts:
// a fresh PostgreSQL database per test and the Temporal dev server.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk/postgres"
)

// required reports whether missing services fail the test instead of
// skipping it; `make test` and CI set it.
func required() bool {
	return os.Getenv("CASEDESK_REQUIRE_SERVICES") != "" || os.Getenv("CI") != ""
}

func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if required() {
			t.Fatalf("%s is not set: run the tests with `make test`", name)
		}
		t.Skipf("%s is not set: run the tests with `make test` to start PostgreSQL and Temporal", name)
	}
	return v
}

// DatabaseURL creates an empty database for this test on the test cluster,
// drops it when the test ends and returns its URL.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	admin := need(t, "CASEDESK_TEST_DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to the test cluster: %v", err)
	}
	defer conn.Close(ctx)
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "casedesk_test_" + hex.EncodeToString(buf)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("CASEDESK_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// DB returns a migrated store on a fresh database, closed when the test ends.
func DB(t testing.TB) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// TemporalAddress returns the host:port of the test Temporal dev server.
func TemporalAddress(t testing.TB) string {
	t.Helper()
	return need(t, "CASEDESK_TEST_TEMPORAL_ADDRESS")
}

// TemporalNamespace returns the namespace to use on the test server.
func TemporalNamespace() string {
	if ns := os.Getenv("CASEDESK_TEST_TEMPORAL_NAMESPACE"); ns != "" {
		return ns
	}
	return "default"
}
