package postgres_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/postgres"
)

// wantCode fails the test unless err carries the application error code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := casedesk.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (err: %v), want %q", got, err, want)
	}
}

// wantPgError fails the test unless err is a PostgreSQL error with SQLSTATE
// code whose message contains msg.
func wantPgError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("err = %v, want a PostgreSQL error %s", err, code)
	}
	if pgErr.Code != code || !strings.Contains(pgErr.Message, msg) {
		t.Fatalf("PostgreSQL error = %s %q, want %s containing %q", pgErr.Code, pgErr.Message, code, msg)
	}
}

// newCustomer stores a customer with a random ID and a unique email.
func newCustomer(t *testing.T, db *postgres.DB) casedesk.Customer {
	t.Helper()
	id := casedesk.NewID(casedesk.PrefixCustomer, 8)
	c, err := db.CreateCustomer(t.Context(), casedesk.Customer{
		ID: id, Name: "Customer " + id, Email: strings.ToLower(id) + "@example.com",
	})
	if err != nil {
		t.Fatalf("create customer: %v", err)
	}
	return c
}

// inUTC returns a copy of v (a struct, or a slice or pointer of structs) with
// every time.Time moved to UTC, so that values read back from PostgreSQL (in
// the local zone) compare with reflect.DeepEqual to the values written.
func inUTC[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	toUTC(rv)
	return v
}

var timeType = reflect.TypeFor[time.Time]()

func toUTC(v reflect.Value) {
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
	case v.Kind() == reflect.Pointer && !v.IsNil():
		// Copy first so that the caller's value is never modified.
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(v.Elem())
		toUTC(p.Elem())
		v.Set(p)
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				toUTC(v.Field(i))
			}
		}
	case v.Kind() == reflect.Slice && !v.IsNil():
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(s, v)
		for i := range s.Len() {
			toUTC(s.Index(i))
		}
		v.Set(s)
	}
}
