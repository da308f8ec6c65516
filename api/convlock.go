package api

import (
	"context"
	"sync"
)

// convLocks serialises the exchanges of one conversation: a question waits
// until the previous answer of its conversation is stored (complete or
// partial), so a thread always reads question, answer, question, answer —
// even when a client leaves a stream and asks again at once.
type convLocks struct {
	mu    sync.Mutex
	locks map[uint64]*convLock
	// shared, when set, holds the conversation across processes too
	// (taken after the local lock, so one process asks for it once).
	shared Shared
}

type convLock struct {
	ch   chan struct{} // holds one token while the conversation is busy
	refs int
}

// lock waits until conversation id is free or ctx is done; the returned
// function frees it.
func (c *convLocks) lock(ctx context.Context, id uint64) (unlock func(), err error) {
	c.mu.Lock()
	if c.locks == nil {
		c.locks = map[uint64]*convLock{}
	}
	l := c.locks[id]
	if l == nil {
		l = &convLock{ch: make(chan struct{}, 1)}
		c.locks[id] = l
	}
	l.refs++
	c.mu.Unlock()
	release := func() {
		c.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(c.locks, id)
		}
		c.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	local := func() { <-l.ch; release() }
	if c.shared == nil {
		return local, nil
	}
	unlockShared, err := c.shared.LockConversation(ctx, id)
	if err != nil {
		local()
		return nil, err
	}
	return func() { unlockShared(); local() }, nil
}
