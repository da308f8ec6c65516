package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// conversationLease is how long a conversation stays held without a
// heartbeat (a replica that dies mid-answer frees it within this).
const conversationLease = 30 * time.Second

// LockConversation waits until no process holds conversation id, then
// holds it (a lease row renewed every third of conversationLease) until
// unlock is called: one conversation's exchanges stay in order whichever
// replicas answer them.
func (db *DB) LockConversation(ctx context.Context, id uint64) (unlock func(), err error) {
	b := make([]byte, 8)
	rand.Read(b)
	holder := hex.EncodeToString(b)
	for {
		var got string
		err := db.pool.QueryRow(ctx, `INSERT INTO conversation_locks (conversation_id, holder, until)
			VALUES ($1, $2, now() + $3::interval)
			ON CONFLICT (conversation_id) DO UPDATE SET holder = excluded.holder, until = excluded.until
				WHERE conversation_locks.until < now()
			RETURNING holder`, int64(id), holder, conversationLease.String()).Scan(&got)
		if err == nil {
			break
		}
		if err != pgx.ErrNoRows {
			return nil, fmt.Errorf("lock conversation %d: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(conversationLease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				db.pool.Exec(context.Background(), `UPDATE conversation_locks SET until = now() + $3::interval
					WHERE conversation_id = $1 AND holder = $2`, int64(id), holder, conversationLease.String())
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		db.pool.Exec(ctx, `DELETE FROM conversation_locks WHERE conversation_id = $1 AND holder = $2`, int64(id), holder)
	}, nil
}

// RateCounter counts requests for the rate limit called name in the
// database, so that a limit holds across every replica: fixed windows
// whose counts httprate blends into a sliding one. It has httprate's
// LimitCounter methods.
type RateCounter struct {
	db     *DB
	name   string
	window time.Duration
	swept  atomic.Int64 // Unix nanoseconds of the last sweep of old windows
}

// RateCounter returns the counter of the rate limit called name.
func (db *DB) RateCounter(name string) *RateCounter { return &RateCounter{db: db, name: name} }

// Config records the limit's window.
func (c *RateCounter) Config(_ int, window time.Duration) { c.window = window }

// Increment counts one request of key in the window starting at win.
func (c *RateCounter) Increment(key string, win time.Time) error { return c.IncrementBy(key, win, 1) }

// IncrementBy counts n requests of key in the window starting at win.
func (c *RateCounter) IncrementBy(key string, win time.Time, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.db.pool.Exec(ctx, `INSERT INTO rate_counts (key, window_start, count) VALUES ($1, $2, $3)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counts.count + excluded.count`, c.name+"|"+key, win.UTC(), n)
	if last := c.swept.Load(); err == nil && time.Since(time.Unix(0, last)) > c.window && c.swept.CompareAndSwap(last, time.Now().UnixNano()) {
		_, err = c.db.pool.Exec(ctx, `DELETE FROM rate_counts WHERE window_start < $1`, win.Add(-3*c.window).UTC())
	}
	return err
}

// Get returns key's counts in the current and the previous window.
func (c *RateCounter) Get(key string, cur, prev time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var a, b int
	err := c.db.pool.QueryRow(ctx, `SELECT coalesce(sum(count) FILTER (WHERE window_start = $2), 0),
		coalesce(sum(count) FILTER (WHERE window_start = $3), 0) FROM rate_counts WHERE key = $1 AND window_start IN ($2, $3)`,
		c.name+"|"+key, cur.UTC(), prev.UTC()).Scan(&a, &b)
	return a, b, err
}
