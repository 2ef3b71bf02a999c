package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// list seeds the read model up to Cases rows with SQL (cases without
// workflows) and measures GET /v1/cases with the console's common filters,
// combinations of them, free-text search and deep cursors.
func (b *bench) list(ctx context.Context) (Report, error) {
	n := b.cfg.Cases
	if n <= 0 {
		n = 1_000_000
	}
	r := Report{Started: time.Now().UTC(), Params: map[string]any{"cases": n, "requests_per_query": b.cfg.Requests}}
	if b.cfg.DB == nil {
		return r, fmt.Errorf("list needs the database (DATABASE_URL) to seed the read model")
	}
	customers := make([]string, 20)
	for i := range customers {
		id, err := b.newCustomer(ctx, randomHex(4))
		if err != nil {
			return r, err
		}
		customers[i] = id
	}
	agents := make([]string, len(b.agents))
	for i, a := range b.agents {
		agents[i] = a.id
	}
	var have int
	if err := b.cfg.DB.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&have); err != nil {
		return r, err
	}
	seeded := time.Now()
	tag := randomHex(3)
	const chunk = 100_000
	newest := b.cfg.SeedBefore
	if newest.IsZero() {
		newest = time.Now().Add(-time.Minute)
	}
	for from := have; from < n; from += chunk {
		to := min(n, from+chunk)
		if _, err := b.cfg.DB.Exec(ctx, seedSQL, from+1, to, tag, agents, customers, newest); err != nil {
			return r, fmt.Errorf("seed the read model: %w", err)
		}
		b.logf("bench list: %d of %d cases in the read model", to, n)
	}
	if have < n {
		if _, err := b.cfg.DB.Exec(ctx, "VACUUM (ANALYZE) cases"); err != nil {
			return r, err
		}
		r.Notes = append(r.Notes, fmt.Sprintf("seeded %d cases in %s", n-have, time.Since(seeded).Round(time.Second)))
	} else {
		r.Notes = append(r.Notes, fmt.Sprintf("the read model holds %d cases already; none seeded", have))
	}
	var rareID string
	if err := b.cfg.DB.QueryRow(ctx, `SELECT id FROM cases ORDER BY opened_at DESC, id DESC OFFSET $1 LIMIT 1`, n/3).
		Scan(&rareID); err != nil {
		return r, err
	}
	cursor, err := b.cursorAt(ctx, "", n/2)
	if err != nil {
		return r, err
	}
	openCursor, err := b.cursorAt(ctx, "open", n/20)
	if err != nil {
		return r, err
	}
	a, c := agents[len(agents)/2], customers[3]
	queries := []struct{ name, query string }{
		{"newest first", ""},
		{"status=new (the unassigned queue)", "status=new"},
		{"status=waiting_on_customer (a queue)", "status=waiting_on_customer"},
		{"needs_supervisor=true (a queue)", "needs_supervisor=true"},
		{"assignee_id (my cases)", "assignee_id=" + a},
		{"customer_id", "customer_id=" + c},
		{"status=waiting_on_customer&assignee_id", "status=waiting_on_customer&assignee_id=" + a},
		{"status=open&assignee_id", "status=open&assignee_id=" + a},
		{"type=dispute&priority=urgent (no row)", "type=dispute&priority=urgent"},
		{"type=chargeback&priority=high", "type=chargeback&priority=high"},
		{"type=refund&status=open&priority=low", "type=refund&status=open&priority=low"},
		{"status=pending_approval&type=refund", "status=pending_approval&type=refund"},
		{"q=a case ID", "q=" + url.QueryEscape(rareID)},
		{"q=an invoice number (one row)", fmt.Sprintf("q=%d", n/3)},
		{"q=charged (every row)", "q=charged"},
		{"q=twice&status=open", "q=twice&status=open"},
		{"cursor half way down", "cursor=" + cursor},
		{"status=open, cursor 5% down", "status=open&cursor=" + openCursor},
	}
	for _, q := range queries {
		p := runPhase(ctx, q.name, 1, b.cfg.Duration, b.cfg.Requests, func(ctx context.Context, i int) error {
			return b.call(ctx, b.agent().token, "GET", "/v1/cases?limit=50&"+q.query, nil, http.StatusOK, nil)
		})
		r.Series = append(r.Series, stats(q.name, p))
	}
	return r, nil
}

// cursorAt is the list cursor after the first offset cases of status (all
// when empty), newest first, as the API encodes it.
func (b *bench) cursorAt(ctx context.Context, status string, offset int) (string, error) {
	var at time.Time
	var id string
	err := b.cfg.DB.QueryRow(ctx, `SELECT opened_at, id FROM cases WHERE $1 = '' OR status = $1
		ORDER BY opened_at DESC, id DESC OFFSET $2 LIMIT 1`, status, offset).Scan(&at, &id)
	if err != nil {
		return "", fmt.Errorf("find a row %d deep: %w", offset, err)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id)), nil
}

// seedSQL inserts cases $1 to $2 (IDs of the API's shape, C- and the tag $3
// and the number in hexadecimal, so that each is one search word as a real
// ID is), assigned among the
// agents $4, for the customers $5, opened every 20 seconds back from $6.
// The shares are a help desk's: most cases closed, a fifth open, a few
// waiting on the customer or on a supervisor; no dispute is urgent.
const seedSQL = `
INSERT INTO cases (id, type, status, priority, channel, customer_id, assignee_id, subject, description, category,
	identity_verified, outcome, first_contact_resolution, opened_by, opened_at, updated_at, version, needs_supervisor, state)
SELECT id, ty, st, pr, ch, cu, asg, subj, 'The customer writes about a charge on their card.', cat,
	false, '', false, 'U-BENCH', o, o, 1, ns,
	jsonb_build_object('id', id, 'type', ty, 'status', st, 'priority', pr, 'channel', ch, 'customer_id', cu,
		'assignee_id', coalesce(asg, ''), 'subject', subj, 'description', 'The customer writes about a charge on their card.',
		'category', cat, 'opened_by', 'U-BENCH', 'opened_at', o, 'updated_at', o, 'version', 1, 'needs_supervisor', ns)
FROM (
	SELECT id, ty, st, CASE WHEN ty = 'dispute' AND pr = 'urgent' THEN 'high' ELSE pr END AS pr, ch, cu,
		CASE WHEN st = 'new' THEN NULL ELSE asg END AS asg, subj, cat, o, st = 'escalated' OR i % 97 = 0 AS ns
	FROM (
		SELECT i, 'C-' || upper($3 || lpad(to_hex(i), 6, '0')) AS id,
			(ARRAY['inquiry','inquiry','inquiry','dispute','refund','chargeback'])[1 + i % 6] AS ty,
			(ARRAY['new','new','open','open','open','open','waiting_on_customer','waiting_on_customer','pending_approval','escalated',
				'resolved','resolved','resolved','closed','closed','closed','closed','closed','closed','closed'])[1 + (i * 7) % 20] AS st,
			(ARRAY['low','normal','normal','high','urgent'])[1 + (i / 7) % 5] AS pr,
			(ARRAY['phone','email','chat','social','web'])[1 + (i / 3) % 5] AS ch,
			($5::text[])[1 + (i / 11) % cardinality($5::text[])] AS cu,
			($4::text[])[1 + (i * 13) % cardinality($4::text[])] AS asg,
			'Charged twice for invoice ' || i AS subj,
			(ARRAY['billing_question','payment_failed','double_charge','refund_request','plan_change','account_access','other'])[1 + (i / 5) % 7] AS cat,
			$6::timestamptz - i * interval '20 seconds' AS o
		FROM generate_series($1::int, $2::int) i
	) s
) t`
