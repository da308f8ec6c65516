package retrieval

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"docent/store"
)

// When the store is shared by several docent processes (store.ChangeFeed,
// PostgreSQL), every process keeps its own in-memory index: Load reads a
// snapshot and remembers the last change it holds, and Follow applies the
// change log from there, in order, waking on the store's notifications
// and polling in case one is lost. The index changes only there: Add,
// Delete and DeleteUser commit to the store and then wait (Sync) until
// the change they made is applied, so whoever called them finds the
// result in this process's searches, as with a store of its own.

// followState is what a following Library knows of the change log.
type followState struct {
	mu      sync.Mutex
	applied uint64        // the last change applied to the index
	moved   chan struct{} // closed (and replaced) when applied moves
	contact time.Time     // the last time the change log was read
	loaded  bool
	running bool // Follow is running
	// local holds the chunks this process committed, by document, until
	// their change is applied: the index takes them from here instead of
	// reading them back from the store.
	local map[uint64]localCommit
}

// localCommit is a document's chunks as change seq wrote them: for the
// index, and what the library holds of them (held.go).
type localCommit struct {
	seq    uint64
	chunks []Chunk
	held   *heldDoc
}

// keep remembers chunks this process committed as change seq of doc.
func (st *followState) keep(doc, seq uint64, chunks []Chunk, hd *heldDoc) {
	if seq == 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.local == nil {
		st.local = map[uint64]localCommit{}
	}
	if seq > st.applied {
		st.local[doc] = localCommit{seq, chunks, hd}
	}
}

// take returns (and forgets) what this process committed as change seq
// of doc, if it did.
func (st *followState) take(doc, seq uint64) (localCommit, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	lc, ok := st.local[doc]
	if ok && lc.seq <= seq {
		delete(st.local, doc)
	}
	return lc, ok && lc.seq == seq
}

// staleAfter is how long without reading the change log makes a following
// library unhealthy (its store is unreachable).
const staleAfter = 3 * time.Second

// snapshot returns the reader Load uses: IndexChunks for a store of its
// own, else a change-log snapshot whose last change st records and whose
// documents h holds (when not nil).
func (l *Library) snapshot(st *followState, h *held) func(ctx context.Context, size int, fn func([]store.IndexedChunk) error) error {
	if l.feed == nil {
		return l.db.IndexChunks
	}
	return func(ctx context.Context, size int, fn func([]store.IndexedChunk) error) error {
		seq, err := l.feed.IndexSnapshot(ctx, size, func(cs []store.IndexedChunk) error {
			if h != nil {
				h.addIndexed(cs)
			}
			return fn(cs)
		})
		if err == nil {
			st.advance(seq)
			st.mu.Lock()
			st.loaded = true
			st.mu.Unlock()
		}
		return err
	}
}

// advance records that the index holds every change up to seq.
func (st *followState) advance(seq uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.contact = time.Now()
	if seq <= st.applied && st.moved != nil {
		return
	}
	st.applied = seq
	if st.moved != nil {
		close(st.moved)
	}
	st.moved = make(chan struct{})
}

// state returns the last applied change and a channel closed when it moves.
func (st *followState) state() (uint64, <-chan struct{}) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.moved == nil {
		st.moved = make(chan struct{})
	}
	return st.applied, st.moved
}

// Following reports whether the index follows a shared store's change log.
func (l *Library) Following() bool { return l.feed != nil }

// Healthy reports whether a following library is loaded and has read the
// change log in the last few seconds (its store answers); a library with
// a store of its own is always healthy.
func (l *Library) Healthy() bool {
	if l.feed == nil {
		return true
	}
	st := &l.follow
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.loaded && time.Since(st.contact) < staleAfter
}

// Applied returns the last change of the store's log the index holds.
func (l *Library) Applied() uint64 {
	seq, _ := l.follow.state()
	return seq
}

// Sync waits until the index holds every change committed before it was
// called (at once for a store of its own). Without Follow running, it
// applies them itself.
func (l *Library) Sync(ctx context.Context) error {
	if l.feed == nil {
		return nil
	}
	last, err := l.feed.LastChange(ctx)
	if err != nil {
		return err
	}
	l.follow.mu.Lock()
	running := l.follow.running
	l.follow.mu.Unlock()
	if !running {
		l.write.Lock()
		_, err := l.catchUp(ctx)
		l.write.Unlock()
		if err != nil {
			return err
		}
	}
	return l.WaitApplied(ctx, last)
}

// WaitApplied waits until the index holds change seq.
func (l *Library) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		applied, moved := l.follow.state()
		if applied >= seq {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Follow applies the store's change log to the index until ctx is done,
// after Load. While the store is unreachable it retries every second
// (Healthy turns false meanwhile) and catches up when it answers again.
// It returns at once for a library with a store of its own.
func (l *Library) Follow(ctx context.Context, log func(msg string, args ...any)) error {
	if l.feed == nil {
		return nil
	}
	l.follow.mu.Lock()
	l.follow.running = true
	l.follow.mu.Unlock()
	defer func() {
		l.follow.mu.Lock()
		l.follow.running = false
		l.follow.mu.Unlock()
	}()
	failing := false
	for ctx.Err() == nil {
		l.write.Lock()
		n, err := l.catchUp(ctx)
		l.write.Unlock()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if !failing && log != nil {
				log("cannot follow the store's change log; retrying", "err", err.Error())
			}
			failing = true
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		case failing && log != nil:
			log("following the store's change log again", "applied", l.Applied())
		}
		failing = false
		if n == 0 {
			l.feed.WaitForChange(ctx, l.Applied())
		}
	}
	return nil
}

// catchUp applies every change after the last applied one (l.write held),
// returning how many it applied.
func (l *Library) catchUp(ctx context.Context) (int, error) {
	total := 0
	for {
		applied := l.Applied()
		changes, err := l.feed.Changes(ctx, applied, 512)
		if errors.Is(err, store.ErrChangesPruned) {
			return total, l.reload(ctx)
		}
		if err != nil {
			return total, err
		}
		if len(changes) == 0 {
			l.follow.advance(applied) // records the contact
			return total, nil
		}
		for _, c := range changes {
			if err := l.apply(ctx, c); err != nil {
				return total, fmt.Errorf("apply change %d: %w", c.Seq, err)
			}
			l.follow.advance(c.Seq)
			total++
		}
	}
}

// apply makes the index hold what change c left in the store. A document
// it wrote that a later change rewrote or removed is skipped: that later
// change adds or removes it in its turn.
func (l *Library) apply(ctx context.Context, c store.Change) error {
	if c.Reload {
		return l.reload(ctx)
	}
	removed := make([]Terms, len(c.Removed))
	for i, t := range c.Removed {
		removed[i] = Terms(t)
	}
	l.ix.DeleteDocument(c.DocumentID, removed...)
	l.held.drop(c.DocumentID)
	mine, ok := l.follow.take(c.DocumentID, c.Seq)
	if !c.Added {
		return nil
	}
	if ok {
		l.held.put(c.DocumentID, mine.held)
		return l.ix.Add(ctx, mine.chunks)
	}
	chunks, err := l.feed.ChangedChunks(ctx, c.DocumentID, c.Seq)
	if err != nil || len(chunks) == 0 {
		return err
	}
	l.held.addIndexed(chunks)
	rcs := make([]Chunk, len(chunks))
	for i := range chunks {
		ch := &chunks[i]
		rcs[i] = Chunk{ID: ch.ID(), DocumentID: ch.DocumentID, Owner: ch.Owner, Page: ch.Page,
			Start: ch.Start, End: ch.End, Terms: Terms(ch.Terms), Vector: ch.Vector, Text: ch.Text}
	}
	rcs[0].Title = Identity(chunks[0].Title, chunks[0].Filename)
	return l.ix.Add(ctx, rcs)
}

// reload rebuilds the whole index from a new snapshot and puts it in
// place of the old one (after docent reindex, or when the change log no
// longer reaches back to the last change applied).
func (l *Library) reload(ctx context.Context) error {
	var st followState
	var h held
	fresh := NewIndex(l.ix.Embedder(), l.opt)
	if _, err := loadInto(ctx, l.db, fresh, l.snapshot(&st, &h)); err != nil {
		return err
	}
	l.ix.takeFrom(fresh)
	l.held.replace(&h)
	seq, _ := st.state()
	l.follow.mu.Lock()
	l.follow.applied = 0 // advance below may move backwards only here
	l.follow.mu.Unlock()
	l.follow.advance(seq)
	return nil
}

// freshIndex builds an index from the store for Verify (l.write held). A
// following library first applies what is pending and retries until its
// index and the snapshot hold the same last change.
func (l *Library) freshIndex(ctx context.Context) (*Index, error) {
	if l.feed == nil {
		fresh := NewIndex(l.ix.Embedder(), l.opt)
		_, err := loadInto(ctx, l.db, fresh, l.db.IndexChunks)
		return fresh, err
	}
	for range 10 {
		if _, err := l.catchUp(ctx); err != nil {
			return nil, err
		}
		var st followState
		fresh := NewIndex(l.ix.Embedder(), l.opt)
		if _, err := loadInto(ctx, l.db, fresh, l.snapshot(&st, nil)); err != nil {
			return nil, err
		}
		if seq, _ := st.state(); seq == l.Applied() {
			return fresh, nil
		}
	}
	return nil, errors.New("the store kept changing while the index was verified; try again")
}

// takeFrom replaces the contents of ix with those of fresh, which must
// not be used afterwards.
func (ix *Index) takeFrom(fresh *Index) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.kw, ix.vec, ix.dim, ix.meta, ix.vecs, ix.of = fresh.kw, fresh.vec, fresh.dim, fresh.meta, fresh.vecs, fresh.of
	ix.segs, ix.tailBase, ix.segLive, ix.segTokens = fresh.segs, fresh.tailBase, fresh.segLive, fresh.segTokens
	ix.docs, ix.dt, ix.ids, ix.nLive, ix.changes = fresh.docs, fresh.dt, fresh.ids, fresh.nLive, fresh.changes
}
