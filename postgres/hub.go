package postgres

import (
	"sync"
	"sync/atomic"
)

// Sub receives what a hub publishes on C. When it could not keep up, or
// the hub's listener reconnected and may have missed some, Lost reports
// true once: the subscriber should then reread everything.
type Sub[T any] struct {
	C    chan T
	lost atomic.Bool
}

// Lost reports, and clears, whether values may have been missed.
func (s *Sub[T]) Lost() bool { return s.lost.Swap(false) }

// hub fans values out to its subscribers without ever blocking on one.
type hub[T any] struct {
	mu   sync.Mutex
	subs map[*Sub[T]]struct{}
}

// subscribe returns a subscription and the function that ends it.
func (h *hub[T]) subscribe() (*Sub[T], func()) {
	s := &Sub[T]{C: make(chan T, 64)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Sub[T]]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s, func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
	}
}

// publish sends v to every subscriber; lost marks every one as having
// missed values (after a reconnection), and a subscriber whose channel is
// full is marked so too.
func (h *hub[T]) publish(v T, lost bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if lost {
			s.lost.Store(true)
		}
		select {
		case s.C <- v:
		default:
			s.lost.Store(true)
		}
	}
}
