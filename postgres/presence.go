package postgres

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/casedesk/casedesk"
)

// PresenceChannel carries the console's presence heartbeats
// (casedesk.Heartbeat as JSON) between API replicas: each replica sends the
// heartbeats it receives and keeps the table of every one it hears.
const PresenceChannel = "casedesk_presence"

// presenceSweep is how often expired viewers are dropped.
const presenceSweep = 2 * time.Second

// Presence listens on PresenceChannel with a connection of its own, keeps
// the casedesk.PresenceTable and tells its subscribers which cases' viewers
// changed.
type Presence struct {
	db     *DB
	log    *slog.Logger
	table  *casedesk.PresenceTable
	now    func() time.Time
	hub    hub[string]
	listen atomic.Bool
}

// PresenceSubscription receives the IDs of cases whose viewers changed
// (Sub); after Lost the subscriber rereads every case's presence.
type PresenceSubscription = Sub[string]

// NewPresence returns a presence hub on db; Run starts it.
func (db *DB) NewPresence(log *slog.Logger) *Presence {
	return &Presence{db: db, log: log, table: casedesk.NewPresenceTable(), now: time.Now}
}

// Beat sends h to every replica, this one included.
func (p *Presence) Beat(ctx context.Context, h casedesk.Heartbeat) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = p.db.Pool.Exec(ctx, `SELECT pg_notify($1, $2)`, PresenceChannel, string(b))
	return err
}

// Case returns the viewers of case id as this replica knows them.
func (p *Presence) Case(id string) casedesk.CasePresence { return p.table.Case(id) }

// All returns the presence of every case with viewers.
func (p *Presence) All() []casedesk.CasePresence { return p.table.All() }

// Listening reports whether the listener holds its connection now.
func (p *Presence) Listening() bool { return p.listen.Load() }

// Subscribe returns a subscription and the function that ends it.
func (p *Presence) Subscribe() (*PresenceSubscription, func()) { return p.hub.subscribe() }

// Run listens and sweeps until ctx ends, reconnecting after a lost
// connection.
func (p *Presence) Run(ctx context.Context) {
	go p.sweep(ctx)
	p.db.listen(ctx, listener{channel: PresenceChannel, what: "presence", log: p.log, up: &p.listen,
		lost: func() { p.hub.publish("", true) },
		payload: func(payload string) {
			var h casedesk.Heartbeat
			if err := json.Unmarshal([]byte(payload), &h); err != nil || h.CaseID == "" || h.UserID == "" {
				return
			}
			if p.table.Apply(h) {
				p.hub.publish(h.CaseID, false)
			}
		}})
}

func (p *Presence) sweep(ctx context.Context) {
	tick := time.NewTicker(presenceSweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for _, id := range p.table.Expire(p.now()) {
				p.hub.publish(id, false)
			}
		}
	}
}
