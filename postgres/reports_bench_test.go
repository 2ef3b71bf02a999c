package postgres_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

// benchCases is how many cases the report benchmarks load
// (CASEDESK_BENCH_CASES, default 1,000,000) over a year.
func benchCases(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("CASEDESK_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// loadYear fills the read model with n cases opened evenly over the year
// before end, with report facts, ratings and reopenings in realistic
// shares, straight in SQL, and then case_facts from them.
func loadYear(b *testing.B, db *postgres.DB, n int, end time.Time) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	cust := newCustomerB(b, db)
	for _, table := range []string{"cases", "case_facts", "case_events", "csat"} {
		if _, err := db.Pool.Exec(ctx, "ALTER TABLE "+table+" SET (autovacuum_enabled = false)"); err != nil {
			b.Fatal(err)
		}
	}
	steps := []string{
		`INSERT INTO cases (id, type, status, priority, channel, customer_id, assignee_id, subject, description, category,
			identity_verified, outcome, first_contact_resolution, opened_by, opened_at, updated_at, resolved_at, closed_at,
			version, state, first_response_at, first_response_s, first_response_business_s, resolution_s,
			resolution_business_s, handling_s, handling_business_s, first_response_due, first_response_met,
			resolution_due, resolution_met)
		SELECT 'C-' || lpad(i::text, 8, '0'),
			(ARRAY['inquiry','inquiry','inquiry','dispute','refund','chargeback'])[1 + i % 6],
			CASE WHEN i % 20 = 0 THEN 'open' WHEN i % 3 = 0 THEN 'resolved' ELSE 'closed' END,
			(ARRAY['low','normal','normal','high','urgent'])[1 + i % 5],
			(ARRAY['phone','email','chat','social','web'])[1 + i % 5],
			$1, 'U-AGENT' || (i % 40), 'Charged twice for invoice ' || i, repeat('The customer writes about a charge. ', 10),
			(ARRAY['billing_question','payment_failed','double_charge','refund_request','plan_change','account_access','other'])[1 + i % 7],
			i % 2 = 0, CASE WHEN i % 20 = 0 THEN '' WHEN i % 6 = 5 THEN (ARRAY['won','lost','expired'])[1 + i % 3] ELSE 'answered' END,
			i % 20 <> 0 AND i % 4 <> 0, 'U-AGENT1', o, o + interval '3 days',
			CASE WHEN i % 20 = 0 THEN NULL ELSE o + (i % 97) * interval '1 hour' END,
			CASE WHEN i % 20 = 0 OR i % 3 = 0 THEN NULL ELSE o + interval '8 days' END,
			7, jsonb_build_object('id', 'C-' || i, 'subject', 'Charged twice', 'sla', jsonb_build_object('policy', 'inquiry/normal@support')),
			o + (i % 11) * interval '30 minutes', (i % 11) * 1800, (i % 11) * 1500,
			CASE WHEN i % 20 = 0 THEN NULL ELSE (i % 97) * 3600 END, CASE WHEN i % 20 = 0 THEN NULL ELSE (i % 97) * 1200 END,
			(i % 13) * 600, (i % 13) * 500, o + interval '4 hours', i % 9 <> 0,
			o + interval '2 days', CASE WHEN i % 20 = 0 THEN NULL ELSE i % 7 <> 0 END
		FROM (SELECT i, $2::timestamptz - (i::float8 / $3) * interval '365 days' AS o FROM generate_series(1, $3) i) s`,
		`INSERT INTO csat (case_id, rating, comment) SELECT id, 1 + (abs(hashtext(id)) % 5), '' FROM cases WHERE resolved_at IS NOT NULL AND abs(hashtext(id)) % 4 = 0`,
		`INSERT INTO case_events (case_id, seq, type, actor, at, data)
			SELECT id, 1, 'case_opened', 'U-AGENT1', opened_at, '{}' FROM cases`,
		`INSERT INTO case_events (case_id, seq, type, actor, at, data)
			SELECT id, 2, 'reopened', 'U-AGENT1', resolved_at - interval '1 hour', '{}' FROM cases WHERE resolved_at IS NOT NULL AND abs(hashtext(id)) % 25 = 0`,
		`ANALYZE`,
	}
	for i, sql := range steps {
		var args []any
		if i == 0 {
			args = []any{cust, end, n}
		}
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("load step %d: %v", i, err)
		}
	}
	// The report's table, as the projection writes it per case.
	if err := db.CopyAllFacts(ctx); err != nil {
		b.Fatalf("case facts: %v", err)
	}
	// Then what autovacuum does in the minutes after: the visibility map the
	// index-only scans rely on. A plain VACUUM right after the load leaves
	// the newest pages unmarked (their rows are too young for it); FREEZE
	// marks them all. Autovacuum was held off so that it does not run
	// alongside the load or the timings.
	for _, table := range []string{"cases", "case_facts", "case_events", "csat"} {
		if _, err := db.Pool.Exec(ctx, "VACUUM (FREEZE, ANALYZE) "+table); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, "ALTER TABLE "+table+" RESET (autovacuum_enabled)"); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d cases in %s", n, time.Since(start).Round(time.Second))
}

func newCustomerB(b *testing.B, db *postgres.DB) string {
	id := casedesk.NewID(casedesk.PrefixCustomer, 8)
	if _, err := db.CreateCustomer(context.Background(), casedesk.Customer{ID: id, Name: "Bench", Email: id + "@example.com"}); err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkReportAMonthOverAYearOfCases times GET /v1/reports/kpis's SQL
// for the last month of a year of cases, in total and grouped by week, and
// the CSV export of the first 100,000 cases with the heap it used.
//
//	make test ARGS="-run '^$' -bench ReportAMonth -benchtime 20x ./postgres/"
func BenchmarkReportAMonthOverAYearOfCases(b *testing.B) {
	n := benchCases(b)
	db := testenv.DB(b)
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	loadYear(b, db, n, end)
	ctx := context.Background()
	month := casedesk.ReportFilter{From: end.AddDate(0, -1, 0), To: end}
	for _, bc := range []struct {
		name string
		f    casedesk.ReportFilter
	}{
		{"totals", month},
		{"by week", func() casedesk.ReportFilter { f := month; f.GroupBy = casedesk.GroupWeek; return f }()},
		{"by agent, inquiries", func() casedesk.ReportFilter {
			f := month
			f.GroupBy, f.Type = casedesk.GroupAgent, casedesk.TypeInquiry
			return f
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var worst time.Duration
			cpu, measured := serverCPU(b, db)
			for b.Loop() {
				t := time.Now()
				if _, _, err := db.Report(ctx, bc.f); err != nil {
					b.Fatal(err)
				}
				worst = max(worst, time.Since(t))
			}
			b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
			if after, ok := serverCPU(b, db); measured && ok {
				b.ReportMetric(float64((after-cpu).Milliseconds())/float64(b.N), "pg-cpu-ms/op")
			}
		})
	}
	b.Run("export 100k", func(b *testing.B) {
		from := end.AddDate(-1, 0, 0)
		to := from.Add(time.Duration(float64(365*24*time.Hour) * 100_000 / float64(n)))
		for b.Loop() {
			var before, peak runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rows := 0
			f := casedesk.CaseFilter{DrillDown: casedesk.DrillDown{OpenedFrom: &from, OpenedTo: &to}}
			err := db.ExportCases(ctx, f, func(r casedesk.CaseRow) error {
				rows++
				if rows%10_000 == 0 {
					runtime.ReadMemStats(&peak)
				}
				_, err := io.WriteString(io.Discard, r.ID)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(peak.HeapInuse)/(1<<20), "heap-MiB")
		}
	})
}

// serverCPU is the CPU time the database's server processes have used so
// far, read from /proc when PostgreSQL runs on this machine (as under make
// test): unlike the wall time, it does not depend on what else the
// machine runs. ok is false when it cannot be read.
func serverCPU(b *testing.B, db *postgres.DB) (cpu time.Duration, ok bool) {
	rows, err := db.Pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	const tick = 10 * time.Millisecond // USER_HZ on Linux
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/stat")
		if err != nil {
			return 0, false
		}
		// utime and stime are the 14th and 15th fields; the 2nd, the
		// command, is in parentheses and may hold spaces.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			return 0, false
		}
		for _, v := range f[11:13] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, false
			}
			cpu += time.Duration(n) * tick
		}
	}
	return cpu, true
}
