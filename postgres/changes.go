package postgres

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"
)

// CaseChannel is the PostgreSQL notification channel on which every
// projection of a case announces itself, in the projecting transaction, so
// that every API replica hears of each committed change.
const CaseChannel = "casedesk_case_changed"

// CaseChange says that a case reached a version in the read model.
type CaseChange struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
}

func caseChangePayload(id string, version int64) string {
	b, _ := json.Marshal(CaseChange{ID: id, Version: version})
	return string(b)
}

// Changes listens on CaseChannel with one connection of its own and fans
// each change out to its subscribers.
type Changes struct {
	db     *DB
	log    *slog.Logger
	hub    hub[CaseChange]
	listen atomic.Bool
}

// Subscription receives case changes (Sub).
type Subscription = Sub[CaseChange]

// NewChanges returns a listener on db; Run starts it.
func (db *DB) NewChanges(log *slog.Logger) *Changes {
	return &Changes{db: db, log: log}
}

// Subscribe returns a subscription and the function that ends it.
func (c *Changes) Subscribe() (*Subscription, func()) { return c.hub.subscribe() }

// Listening reports whether the listener holds its connection now.
func (c *Changes) Listening() bool { return c.listen.Load() }

// Run listens until ctx ends, reconnecting after a lost connection.
func (c *Changes) Run(ctx context.Context) {
	c.db.listen(ctx, listener{channel: CaseChannel, what: "case change", log: c.log, up: &c.listen,
		// A zero change wakes each subscriber to see Lost.
		lost: func() { c.hub.publish(CaseChange{}, true) },
		payload: func(payload string) {
			var ch CaseChange
			if err := json.Unmarshal([]byte(payload), &ch); err == nil && ch.ID != "" {
				c.hub.publish(ch, false)
			}
		}})
}

// listener is what DB.listen listens for and to whom it says what it hears.
type listener struct {
	channel, what string
	log           *slog.Logger
	// up is true while the listener holds its connection.
	up *atomic.Bool
	// payload takes each notification; lost is called after a reconnection,
	// since notifications may have been missed meanwhile.
	payload func(string)
	lost    func()
}

// listen LISTENs on l.channel with a connection of its own until ctx ends,
// reconnecting a second after a lost connection.
func (db *DB) listen(ctx context.Context, l listener) {
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			l.lost()
		}
		err := db.listenOnce(ctx, l)
		l.up.Store(false)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn(l.what+" listener lost its connection; reconnecting", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, l listener) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that has listened is not given back to the pool.
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	if _, err := pc.Exec(ctx, "LISTEN "+l.channel); err != nil {
		return err
	}
	l.up.Store(true)
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.payload(n.Payload)
	}
}
