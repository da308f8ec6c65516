package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// Notification channels.
const (
	channelChanges = "docent_changes"
	channelJobs    = "docent_jobs"
)

// changeRetention is how long the change log keeps a change: a replica
// cut off for longer rebuilds its index from a snapshot.
const changeRetention = time.Hour

// pollInterval bounds how long a waiter sleeps without a notification (a
// notification lost with a connection is made up for by polling).
const pollInterval = time.Second

// changeLog collects the changes of one transaction.
type changeLog struct {
	entries []store.Change
}

func (l *changeLog) add(doc uint64, added bool, removed [][]byte) {
	l.entries = append(l.entries, store.Change{DocumentID: doc, Added: added, Removed: removed})
}

func (l *changeLog) reload() { l.entries = append(l.entries, store.Change{Reload: true}) }

// write appends the changes to the log as the transaction's last step:
// it takes the change lock (held until commit), so sequence numbers are
// assigned in commit order, records on each document the change that
// wrote its chunks, and notifies the replicas (delivered at commit).
// Every document it names must already be locked by the transaction.
func (l *changeLog) write(ctx context.Context, tx pgx.Tx) error {
	_, err := l.writeSeq(ctx, tx)
	return err
}

// writeSeq is write, returning the sequence number of the last change.
func (l *changeLog) writeSeq(ctx context.Context, tx pgx.Tx) (uint64, error) {
	if len(l.entries) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockChanges); err != nil {
		return 0, err
	}
	var seq int64
	for _, c := range l.entries {
		err := tx.QueryRow(ctx, `INSERT INTO changes (seq, document_id, added, reload, removed)
			VALUES (nextval('change_seq'), $1, $2, $3, $4) RETURNING seq`, int64(c.DocumentID), c.Added, c.Reload, c.Removed).Scan(&seq)
		if err != nil {
			return 0, fmt.Errorf("log change: %w", err)
		}
		if c.Added {
			if _, err := tx.Exec(ctx, `UPDATE documents SET change_seq = $2 WHERE id = $1`, int64(c.DocumentID), seq); err != nil {
				return 0, err
			}
		}
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, channelChanges)
	return uint64(seq), err
}

// IndexSnapshot calls fn with batches of the chunks of every ready
// document (with their text and headings) from one snapshot, and returns
// the last change it holds.
func (db *DB) IndexSnapshot(ctx context.Context, size int, fn func([]store.IndexedChunk) error) (uint64, error) {
	return db.indexChunks(ctx, size, 0, true, fn)
}

// LastChange returns the sequence number of the latest committed change.
func (db *DB) LastChange(ctx context.Context) (uint64, error) {
	var seq int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq)
	return uint64(seq), err
}

// Changes returns up to limit changes after seq, in order; if the log was
// pruned past seq it fails with store.ErrChangesPruned.
func (db *DB) Changes(ctx context.Context, after uint64, limit int) ([]store.Change, error) {
	var out []store.Change
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		var pruned int64
		err := tx.QueryRow(ctx, `SELECT coalesce((SELECT (value #>> '{}')::bigint FROM meta WHERE key = 'changes_pruned_through'), 0)`).Scan(&pruned)
		if err != nil {
			return err
		}
		if int64(after) < pruned {
			return store.ErrChangesPruned
		}
		rows, err := tx.Query(ctx, `SELECT seq, document_id, added, reload, removed FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), limit)
		if err != nil {
			return err
		}
		var c store.Change
		var seq, doc int64
		_, err = pgx.ForEachRow(rows, []any{&seq, &doc, &c.Added, &c.Reload, &c.Removed}, func() error {
			c.Seq, c.DocumentID = uint64(seq), uint64(doc)
			out = append(out, c)
			c = store.Change{}
			return nil
		})
		return err
	})
	if err == nil && len(out) == 0 {
		db.maybePrune(ctx)
	}
	return out, err
}

// ChangedChunks returns the chunks of document id as change seq wrote
// them: none when the document is gone, not ready, or rewritten by a
// later change (which the reader applies in its turn).
func (db *DB) ChangedChunks(ctx context.Context, id, seq uint64) ([]store.IndexedChunk, error) {
	var out []store.IndexedChunk
	_, err := db.indexChunks(ctx, 4096, id, true, func(b []store.IndexedChunk) error {
		for _, c := range b {
			if c.Seq == seq {
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

// WaitForChange returns when a change after seq may have been committed:
// at once if one is, else at the next notification, or after a poll
// interval at the latest; or when ctx is done.
func (db *DB) WaitForChange(ctx context.Context, after uint64) error {
	return db.waitFor(ctx, channelChanges, func() (bool, error) {
		last, err := db.LastChange(ctx)
		return last > after, err
	})
}

// waitFor subscribes to channel, then returns at once if ready says so,
// else at the next notification or poll interval.
func (db *DB) waitFor(ctx context.Context, channel string, ready func() (bool, error)) error {
	wake := db.listener.subscribe(db, channel)
	if ok, err := ready(); ok || err != nil {
		return err
	}
	select {
	case <-wake:
	case <-time.After(pollInterval):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// maybePrune drops changes (and cache changes) older than
// changeRetention, at most once a minute per process, remembering how far
// the change log was pruned.
func (db *DB) maybePrune(ctx context.Context) {
	db.pruneMu.Lock()
	due := time.Since(db.pruned) > time.Minute
	if due {
		db.pruned = time.Now()
	}
	db.pruneMu.Unlock()
	if !due {
		return
	}
	db.tx(ctx, func(tx pgx.Tx) error {
		// The caches' log (cache.go): its readers are never behind by
		// more than a few seconds, or else start afresh.
		if _, err := tx.Exec(ctx, `DELETE FROM cache_changes WHERE at < now() - $1::interval`, changeRetention.String()); err != nil {
			return err
		}
		var through *int64
		err := tx.QueryRow(ctx, `SELECT max(seq) FROM changes WHERE at < now() - $1::interval
			AND seq < (SELECT max(seq) FROM changes)`, changeRetention.String()).Scan(&through)
		if err != nil || through == nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM changes WHERE seq <= $1`, *through); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('changes_pruned_through', to_jsonb($1::bigint))
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, *through)
		return err
	})
}

// listener holds one connection that LISTENs on docent's channels and
// wakes the subscribers of a channel at each notification. It starts on
// first use and reconnects after failures; Close stops it.
type listener struct {
	mu    sync.Mutex
	wakes map[string]chan struct{} // closed and replaced at each notification
	bg    background
}

// background is a goroutine started on first use and stopped by stop.
type background struct {
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// start runs fn in a goroutine, unless it was started before (the
// owner's lock held); fn returns when ctx is done.
func (b *background) start(fn func(ctx context.Context)) {
	if b.started {
		return
	}
	b.started = true
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel, b.done = cancel, make(chan struct{})
	go func() {
		defer close(b.done)
		fn(ctx)
	}()
}

// stop stops the goroutine, if started, and waits for it; mu is the
// owner's lock.
func (b *background) stop(mu *sync.Mutex) {
	mu.Lock()
	started, cancel, done := b.started, b.cancel, b.done
	mu.Unlock()
	if started {
		cancel()
		<-done
	}
}

// subscribe returns a channel closed at the next notification on channel.
func (l *listener) subscribe(db *DB, channel string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wakes == nil {
		l.wakes = map[string]chan struct{}{}
	}
	l.bg.start(func(ctx context.Context) { l.run(ctx, db) })
	ch := l.wakes[channel]
	if ch == nil {
		ch = make(chan struct{})
		l.wakes[channel] = ch
	}
	return ch
}

func (l *listener) wake(channel string) {
	l.mu.Lock()
	if ch := l.wakes[channel]; ch != nil {
		close(ch)
		delete(l.wakes, channel)
	}
	l.mu.Unlock()
}

// wakeAll wakes every subscriber (after a reconnection: anything may have
// happened meanwhile).
func (l *listener) wakeAll() {
	l.mu.Lock()
	for name, ch := range l.wakes {
		close(ch)
		delete(l.wakes, name)
	}
	l.mu.Unlock()
}

func (l *listener) run(ctx context.Context, db *DB) {
	for ctx.Err() == nil {
		err := l.listen(ctx, db)
		if ctx.Err() != nil {
			return
		}
		_ = err // the database is away: polling covers it; try again shortly
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollInterval):
		}
	}
}

func (l *listener) listen(ctx context.Context, db *DB) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	for _, ch := range []string{channelChanges, channelJobs, channelCache} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			conn.Conn().Close(ctx)
			return err
		}
	}
	l.wakeAll()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			conn.Conn().Close(context.Background()) // never back into the pool while listening
			if errors.Is(err, context.Canceled) {
				return err
			}
			return err
		}
		l.wake(n.Channel)
	}
}

// close stops the listener, if it runs.
func (l *listener) close() { l.bg.stop(&l.mu) }
