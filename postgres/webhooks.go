package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casedesk/casedesk"
)

const endpointColumns = `id, url, description, events, status, failing_since, disabled_at, disabled_reason,
	previous_secret_until, created_by, created_at, secret, coalesce(previous_secret, '')`

func scanEndpoint(row pgx.CollectableRow) (casedesk.WebhookEndpoint, error) {
	var e casedesk.WebhookEndpoint
	err := row.Scan(&e.ID, &e.URL, &e.Description, &e.Events, &e.Status, &e.FailingSince, &e.DisabledAt,
		&e.DisabledReason, &e.PreviousSecretUntil, &e.CreatedBy, &e.CreatedAt, &e.Secret, &e.PreviousSecret)
	return e, err
}

// CreateWebhookEndpoint stores a new endpoint.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e casedesk.WebhookEndpoint) (casedesk.WebhookEndpoint, error) {
	rows, err := db.Pool.Query(ctx, `
		INSERT INTO webhook_endpoints (id, url, description, events, secret, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+endpointColumns,
		e.ID, e.URL, e.Description, e.Events, e.Secret, e.CreatedBy, db.Now())
	if err != nil {
		return casedesk.WebhookEndpoint{}, translate(err, "webhook endpoint")
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
	return out, translate(err, "webhook endpoint")
}

// WebhookEndpoints lists every endpoint, newest first.
func (db *DB) WebhookEndpoints(ctx context.Context) ([]casedesk.WebhookEndpoint, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanEndpoint)
}

// WebhookEndpoint returns endpoint id.
func (db *DB) WebhookEndpoint(ctx context.Context, id string) (casedesk.WebhookEndpoint, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, id)
	if err != nil {
		return casedesk.WebhookEndpoint{}, err
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
	return e, translate(err, "webhook endpoint "+id)
}

// DeleteWebhookEndpoint removes endpoint id and its deliveries.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	// The cascade to deliveries can meet a dispatcher recording an attempt
	// in the other lock order; PostgreSQL then drops one side as a deadlock,
	// and the delete is simply tried again.
	var tag pgconn.CommandTag
	var err error
	for range 5 {
		tag, err = db.Pool.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "40P01" && pgErr.Code != "40001") {
			break
		}
	}
	if err == nil && tag.RowsAffected() == 0 {
		return casedesk.Errorf(casedesk.ENOTFOUND, "webhook endpoint %s not found", id)
	}
	return err
}

// RotateWebhookSecret makes secret the endpoint's secret; the current one
// keeps signing, beside it, until until.
func (db *DB) RotateWebhookSecret(ctx context.Context, id, secret string, until time.Time) (casedesk.WebhookEndpoint, error) {
	rows, err := db.Pool.Query(ctx, `
		UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $3, secret = $2
		WHERE id = $1 RETURNING `+endpointColumns, id, secret, until)
	if err != nil {
		return casedesk.WebhookEndpoint{}, err
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
	return e, translate(err, "webhook endpoint "+id)
}

// WebhookEventID is the ID of the event with key: the same on every attempt
// and for every endpoint, however often the event is projected.
func WebhookEventID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return casedesk.PrefixWebhookEvent + "-" + strings.ToUpper(hex.EncodeToString(sum[:10]))
}

// hookBody is what an endpoint receives.
type hookBody struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	CreatedAt time.Time      `json:"created_at"`
	Data      map[string]any `json:"data"`
}

// hook is one event to send to every endpoint that subscribes to its type.
type hook struct {
	typ, key string
	at       time.Time
	caseID   string
	data     map[string]any
}

// view shows c as the API does (WebhookView), or as stored when unset.
func (db *DB) view(c casedesk.Case) any {
	if db.WebhookView != nil {
		return db.WebhookView(c)
	}
	return c
}

// caseHooks are the webhook events of one projection of c: one per event
// sent as a webhook, and case.status_changed when the status moved on from
// what the read model held before.
func (db *DB) caseHooks(ctx context.Context, tx pgx.Tx, c casedesk.Case, events []casedesk.Event) ([]hook, error) {
	var hooks []hook
	for _, e := range events {
		if typ := casedesk.WebhookTypeOf(e.Type); typ != "" {
			hooks = append(hooks, hook{typ: typ, key: c.ID + "/" + strconv.FormatInt(e.Seq, 10), at: e.At, caseID: c.ID,
				data: map[string]any{"case": db.view(c), "event": e}})
		}
	}
	var before casedesk.Status
	var version int64
	err := tx.QueryRow(ctx, `SELECT status, version FROM cases WHERE id = $1`, c.ID).Scan(&before, &version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if err == nil && version < c.Version && before != c.Status {
		hooks = append(hooks, hook{typ: casedesk.HookCaseStatusChanged, at: c.UpdatedAt, caseID: c.ID,
			key:  c.ID + "/v" + strconv.FormatInt(c.Version, 10) + "/status",
			data: map[string]any{"case": db.view(c), "from": before, "to": c.Status}})
	}
	return hooks, nil
}

// hookEndpoint is an enabled endpoint and what it subscribes to.
type hookEndpoint struct {
	id     string
	events []string
}

// hookEndpoints returns the enabled endpoints.
func hookEndpoints(ctx context.Context, tx pgx.Tx) ([]hookEndpoint, error) {
	rows, err := tx.Query(ctx, `SELECT id, events FROM webhook_endpoints WHERE status = 'enabled'`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookEndpoint, error) {
		var e hookEndpoint
		return e, row.Scan(&e.id, &e.events)
	})
}

// enqueueHooks writes a delivery of each hook to every endpoint that
// subscribes to it, in tx; a delivery already written is not written again.
func (db *DB) enqueueHooks(ctx context.Context, tx pgx.Tx, endpoints []hookEndpoint, hooks []hook) error {
	batch := &pgx.Batch{}
	now := db.Now()
	for _, h := range hooks {
		var body []byte
		for _, e := range endpoints {
			if !casedesk.Subscribed(e.events, h.typ) {
				continue
			}
			id := WebhookEventID(h.key)
			if body == nil {
				var err error
				if body, err = json.Marshal(hookBody{ID: id, Type: h.typ, CreatedAt: h.at.UTC(), Data: h.data}); err != nil {
					return err
				}
			}
			batch.Queue(`
				INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, case_id, body, created_at, next_attempt_at)
				VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $7) ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
				casedesk.NewID(casedesk.PrefixWebhookDelivery, 10), e.id, id, h.typ, h.caseID, string(body), now)
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// enqueueCaseHooks queues the webhooks of one projection of c (ProjectCase
// calls it before it writes the case row, which it compares with). With no
// endpoint it costs one query.
func (db *DB) enqueueCaseHooks(ctx context.Context, tx pgx.Tx, c casedesk.Case, events []casedesk.Event) error {
	endpoints, err := hookEndpoints(ctx, tx)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	hooks, err := db.caseHooks(ctx, tx, c, events)
	if err != nil {
		return err
	}
	return db.enqueueHooks(ctx, tx, endpoints, hooks)
}

// enqueueCaseHook queues one webhook about case caseID as it is in the read
// model, with more data beside the case.
func (db *DB) enqueueCaseHook(ctx context.Context, tx pgx.Tx, typ, key, caseID string, at time.Time, data map[string]any) error {
	endpoints, err := hookEndpoints(ctx, tx)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	var state []byte
	if err := tx.QueryRow(ctx, `SELECT state FROM cases WHERE id = $1`, caseID).Scan(&state); err != nil {
		return translate(err, "case "+caseID)
	}
	var c casedesk.Case
	if err := json.Unmarshal(state, &c); err != nil {
		return err
	}
	data["case"] = db.view(c)
	return db.enqueueHooks(ctx, tx, endpoints, []hook{{typ: typ, key: key, at: at, caseID: caseID, data: data}})
}

// ClaimWebhookDeliveries claims up to n due deliveries of enabled endpoints
// for lease: each is due again once the lease is over unless its attempt is
// recorded first. Claims are shared with SKIP LOCKED, so dispatchers on
// several machines never claim the same delivery at once.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, n int, lease time.Duration) ([]casedesk.WebhookClaim, error) {
	now := db.Now()
	rows, err := db.Pool.Query(ctx, `
		WITH due AS (
			SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.status = 'enabled'
			ORDER BY d.next_attempt_at LIMIT $2
			FOR UPDATE OF d SKIP LOCKED)
		UPDATE webhook_deliveries d SET next_attempt_at = $3, attempts = d.attempts + 1
		FROM due, webhook_endpoints e WHERE d.id = due.id AND e.id = d.endpoint_id
		RETURNING d.id, d.event_id, d.event_type, d.body, d.attempts, d.created_at,
			e.id, e.url, e.secret, coalesce(e.previous_secret, ''), e.previous_secret_until`,
		now, n, now.Add(lease))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.WebhookClaim, error) {
		var d casedesk.WebhookClaim
		err := row.Scan(&d.ID, &d.EventID, &d.EventType, &d.Body, &d.Attempts, &d.CreatedAt, &d.Endpoint.ID,
			&d.Endpoint.URL, &d.Endpoint.Secret, &d.Endpoint.PreviousSecret, &d.Endpoint.PreviousSecretUntil)
		d.EndpointID = d.Endpoint.ID
		return d, err
	})
}

// RecordWebhookAttempt records the outcome of attempt d.Attempts of d: done
// on a 2xx, else due again with backoff or failed once the retry window is
// over. An endpoint whose every attempt failed for the window is disabled,
// and the messages alert makes for its admins are queued in the same
// transaction, so the notice is never lost nor queued twice; disabled
// reports whether this attempt disabled it.
func (db *DB) RecordWebhookAttempt(ctx context.Context, d casedesk.WebhookClaim, o casedesk.WebhookOutcome,
	alert func(casedesk.WebhookDisabledNotice) ([]casedesk.Message, error)) (disabled bool, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		disabled = false
		var code *int
		if o.StatusCode != 0 {
			code = &o.StatusCode
		}
		errText := casedesk.MaskCardNumbers(o.Error)
		if _, err := tx.Exec(ctx, `
			INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			d.ID, d.Attempts, o.At, code, errText, o.Duration.Milliseconds()); err != nil {
			return err
		}
		if o.OK() {
			if _, err := tx.Exec(ctx, `
				UPDATE webhook_deliveries SET status = 'succeeded', delivered_at = $2, last_attempt_at = $2,
					last_status_code = $3, last_error = '' WHERE id = $1`, d.ID, o.At, code); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1`, d.EndpointID)
			return err
		}
		next, retried := casedesk.WebhookNext(d.CreatedAt, d.Attempts, o)
		status, due := casedesk.DeliveryPending, next
		if !retried {
			status, due = casedesk.DeliveryFailed, o.At
		}
		if _, err := tx.Exec(ctx, `
			UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, last_attempt_at = $4,
				last_status_code = $5, last_error = $6 WHERE id = $1 AND status = 'pending'`,
			d.ID, status, due, o.At, code, errText); err != nil {
			return err
		}
		var since *time.Time
		if err := tx.QueryRow(ctx, `
			UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1
			RETURNING failing_since`, d.EndpointID, o.At).Scan(&since); err != nil {
			return translate(err, "webhook endpoint "+d.EndpointID)
		}
		if !casedesk.WebhookShouldDisable(since, o, next, retried) {
			return nil
		}
		rows, err := tx.Query(ctx, `
			UPDATE webhook_endpoints SET status = 'disabled', disabled_at = $2, disabled_reason = $3
			WHERE id = $1 AND status = 'enabled' RETURNING `+endpointColumns,
			d.EndpointID, o.At, casedesk.WebhookDisabledReason(o.Window()))
		if err != nil {
			return err
		}
		e, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // disabled already, by another attempt
		} else if err != nil {
			return err
		}
		disabled = true
		return db.queueWebhookNotice(ctx, tx, e, errText, alert)
	})
	return disabled, err
}

// queueWebhookNotice queues, in tx, the messages alert makes to tell every
// active admin that endpoint e was disabled.
func (db *DB) queueWebhookNotice(ctx context.Context, tx pgx.Tx, e casedesk.WebhookEndpoint, lastError string,
	alert func(casedesk.WebhookDisabledNotice) ([]casedesk.Message, error)) error {
	if alert == nil {
		return nil
	}
	n := casedesk.WebhookDisabledNotice{Endpoint: e, LastError: lastError}
	if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'),
			count(*) FILTER (WHERE status = 'failed' AND last_attempt_at >= $2)
		FROM webhook_deliveries WHERE endpoint_id = $1`, e.ID, e.FailingSince).Scan(&n.Pending, &n.Failed); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id, email, name FROM users
		WHERE role = ANY($1) AND deactivated_at IS NULL ORDER BY id`, roleNames(casedesk.AdminRoles))
	if err != nil {
		return err
	}
	if n.Admins, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (casedesk.Recipient, error) {
		var r casedesk.Recipient
		return r, row.Scan(&r.UserID, &r.Email, &r.Name)
	}); err != nil || len(n.Admins) == 0 {
		return err
	}
	msgs, err := alert(n)
	if err != nil {
		return err
	}
	return sendMessages(ctx, tx, msgs)
}

// EnableWebhookEndpoint enables endpoint id again, disabled or not: its
// failure window starts afresh, its pending deliveries are due now with a
// retry window of their own, and with redeliverFailed so are the deliveries
// that gave up since it began to fail, with the same event IDs and bodies.
func (db *DB) EnableWebhookEndpoint(ctx context.Context, id string, redeliverFailed bool) (casedesk.WebhookEnableResult, error) {
	var out casedesk.WebhookEnableResult
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var since *time.Time
		err := tx.QueryRow(ctx, `SELECT failing_since FROM webhook_endpoints WHERE id = $1 FOR UPDATE`, id).Scan(&since)
		if err != nil {
			return translate(err, "webhook endpoint "+id)
		}
		now := db.Now()
		// The deliveries that gave up since the endpoint began to fail (all
		// of them when it is not failing: none then gave up for that).
		failed := `status = 'failed' AND $3::timestamptz IS NOT NULL AND last_attempt_at >= $3`
		// The counts are read in the snapshot before the update (that of a
		// statement's WITH): what was waiting and what had given up.
		var due int
		err = tx.QueryRow(ctx, `
			WITH due AS (
				UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, created_at = $2
				WHERE endpoint_id = $1 AND (status = 'pending' OR ($4 AND `+failed+`))
				RETURNING 1)
			SELECT (SELECT count(*) FROM due),
				(SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'),
				(SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND `+failed+`)`,
			id, now, since, redeliverFailed).Scan(&due, &out.Pending, &out.Failed)
		if err != nil {
			return err
		}
		if redeliverFailed {
			out.Redelivered, out.Failed = due-out.Pending, 0
		}
		rows, err := tx.Query(ctx, `
			UPDATE webhook_endpoints SET status = 'enabled', failing_since = NULL, disabled_at = NULL,
				disabled_reason = '' WHERE id = $1 RETURNING `+endpointColumns, id)
		if err != nil {
			return err
		}
		out.Endpoint, err = pgx.CollectExactlyOneRow(rows, scanEndpoint)
		return err
	})
	return out, err
}

const deliveryColumns = `id, endpoint_id, event_id, event_type, case_id, status, attempts, last_status_code, last_error,
	last_attempt_at, CASE WHEN status = 'pending' THEN next_attempt_at END, created_at, delivered_at, body`

func scanDelivery(row pgx.CollectableRow) (casedesk.WebhookDelivery, error) {
	var d casedesk.WebhookDelivery
	err := row.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.CaseID, &d.Status, &d.Attempts,
		&d.LastStatusCode, &d.LastError, &d.LastAttemptAt, &d.NextAttemptAt, &d.CreatedAt, &d.DeliveredAt, &d.Body)
	d.AttemptLog = []casedesk.WebhookAttempt{}
	return d, err
}

// WebhookDeliveries returns the latest deliveries to endpoint id, newest
// first, each with its attempts.
func (db *DB) WebhookDeliveries(ctx context.Context, endpointID string, limit int) ([]casedesk.WebhookDelivery, error) {
	if _, err := db.WebhookEndpoint(ctx, endpointID); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, endpointID, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, err
	}
	return out, db.attachAttempts(ctx, out)
}

// WebhookDelivery returns delivery id with its attempts.
func (db *DB) WebhookDelivery(ctx context.Context, id string) (casedesk.WebhookDelivery, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, id)
	if err != nil {
		return casedesk.WebhookDelivery{}, err
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if err != nil {
		return d, translate(err, "webhook delivery "+id)
	}
	one := []casedesk.WebhookDelivery{d}
	return one[0], db.attachAttempts(ctx, one)
}

func (db *DB) attachAttempts(ctx context.Context, ds []casedesk.WebhookDelivery) error {
	ids := make([]string, len(ds))
	at := map[string]int{}
	for i, d := range ds {
		ids[i], at[d.ID] = d.ID, i
	}
	rows, err := db.Pool.Query(ctx, `SELECT delivery_id, attempt, at, status_code, error, duration_ms
		FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a casedesk.WebhookAttempt
		if err := rows.Scan(&id, &a.Attempt, &a.At, &a.StatusCode, &a.Error, &a.DurationMS); err != nil {
			return err
		}
		ds[at[id]].AttemptLog = append(ds[at[id]].AttemptLog, a)
	}
	return rows.Err()
}

// RedeliverWebhook makes delivery id due now, whatever became of it, with the
// same event ID and body; its attempts go on counting. A delivery to a
// disabled endpoint is a conflict.
func (db *DB) RedeliverWebhook(ctx context.Context, id string) (casedesk.WebhookDelivery, error) {
	var status string
	err := db.Pool.QueryRow(ctx, `
		WITH d AS (SELECT d.id, e.status FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.id = $1),
		u AS (UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, created_at = $2
			WHERE id = (SELECT id FROM d WHERE status = 'enabled') RETURNING id)
		SELECT status FROM d`, id, db.Now()).Scan(&status)
	if err != nil {
		return casedesk.WebhookDelivery{}, translate(err, "webhook delivery "+id)
	}
	if status != casedesk.WebhookEnabled {
		return casedesk.WebhookDelivery{}, casedesk.Errorf(casedesk.ECONFLICT, "the endpoint of webhook delivery %s is disabled", id)
	}
	return db.WebhookDelivery(ctx, id)
}
