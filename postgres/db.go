// Package postgres is the PostgreSQL store: the read model of cases, their
// timeline, users, customers, payments and invoices. Queries are hand-written
// here and nowhere else.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/exaring/otelpgx"
	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/migrations"
)

// DB is the store, backed by a connection pool.
type DB struct {
	Pool *pgxpool.Pool
	// Now is the store's clock, replaceable in tests.
	Now func() time.Time
	// Calendars are the business calendars case facts are measured in;
	// nil measures them in calendar time.
	Calendars Calendars
	// WebhookView shows a case in webhook payloads as the API does (nil:
	// as stored).
	WebhookView func(casedesk.Case) any
}

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	// Every query is a span of the trace it runs in (a no-op unless
	// tracing is on).
	cfg.ConnConfig.Tracer = otelpgx.NewTracer()
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		pgxdecimal.Register(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &DB{Pool: pool, Now: time.Now}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks that PostgreSQL answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// migrationLockID serialises migrators started at the same time (api and worker).
const migrationLockID = 7_340_001

// Migrate applies every embedded migration not yet applied and returns the
// schema version.
func (db *DB) Migrate(ctx context.Context) (int32, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return 0, fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID) //nolint:errcheck // released with the session anyway
	m, err := migrate.NewMigrator(ctx, conn.Conn(), "schema_version")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return m.GetCurrentVersion(ctx)
}

// inTx runs fn in a transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.Pool, fn)
}

// translate maps PostgreSQL errors to the application's error codes.
func translate(err error, what string) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return casedesk.Errorf(casedesk.ENOTFOUND, "%s not found", what)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return casedesk.Errorf(casedesk.ECONFLICT, "%s already exists", what)
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return casedesk.Errorf(casedesk.EINVALID, "%s refers to something that does not exist", what)
	}
	return err
}

// IsOutage reports whether err means PostgreSQL could not be reached or is
// not taking work (down, restarting, out of connections), as opposed to a
// refused statement: the API answers such errors 503 with Retry-After.
func IsOutage(err error) bool {
	if err == nil {
		return false
	}
	var connect *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-57P03: shutting down, cannot connect now; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	case errors.Is(err, context.DeadlineExceeded):
		// A pool that could not get a connection in time.
		return true
	}
	return pgconn.SafeToRetry(err)
}
