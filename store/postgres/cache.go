package postgres

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// Every request a replica answers names its caller (UserByID, KeyByHash)
// and a search asks what the caller may search (ScopeOf, Workspace).
// Asking the database each time costs round trips a laptop's bbolt does
// not make, so each process keeps those answers in a cache, kept correct
// by the cache_changes log (migration 0005): triggers log, at commit,
// every change to users, API keys, workspaces and their documents,
// whoever made it, and NOTIFY the replicas. A follower reads the log at each
// notification (and every pollInterval in case one is lost) and drops
// what it names; a process that made a change reads the log before the
// change returns, so its own next request sees it. The cache answers only
// while the log has been read in the last cacheTrust: a process cut off
// from the database asks it (and fails) instead of trusting what may have
// been revoked meanwhile.

// cacheTrust is how recently the log must have been read for the cache
// to answer.
const cacheTrust = 3 * pollInterval

// cacheMax bounds each map of the cache; a full map is emptied.
const cacheMax = 100_000

// channelCache is the notification channel of the cache_changes log.
const channelCache = "docent_cache"

// cache holds the answers of UserByID, KeyByHash, ScopeOf and Workspace.
type cache struct {
	mu     sync.Mutex
	users  map[uint64]store.User
	keys   map[string]store.APIKey // by hash
	scopes map[scopeKey]store.Scope
	// workspaces holds the workspaces a viewer may see (Workspace).
	workspaces map[scopeKey]store.Workspace
	// gen counts the times entries were dropped: a value read from the
	// database is kept only if gen did not move while it was read (else
	// it may predate a change already dropped).
	gen     uint64
	applied uint64    // the last entry of the log read
	contact time.Time // when the log was last read
	lapsed  bool      // a read failed: drop everything at the next one

	read sync.Mutex // one reader of the log at a time
	bg   background // the follower
}

type scopeKey struct {
	v         store.Viewer
	workspace uint64
}

// trusted reports whether the cache may answer (c.mu held), starting the
// follower on first use.
func (c *cache) trusted(db *DB) bool {
	c.bg.start(func(ctx context.Context) { c.follow(ctx, db) })
	return !c.lapsed && time.Since(c.contact) < cacheTrust
}

// lookup returns what get finds in the cache if it may answer, and the
// generation a value read from the database must be kept under.
func lookup[T any](db *DB, get func(c *cache) (T, bool)) (v T, ok bool, gen uint64, trusted bool) {
	c := &db.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if trusted = c.trusted(db); trusted {
		v, ok = get(c)
	}
	return v, ok, c.gen, trusted
}

// keep stores a value read from the database under generation gen,
// unless entries were dropped since.
func (c *cache) keep(gen uint64, put func(c *cache)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && !c.lapsed {
		put(c)
	}
}

// putIn stores v under k in *m, making the map or emptying a full one.
func putIn[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil || len(*m) >= cacheMax {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// follow reads the log at each notification, or every pollInterval,
// until ctx is done.
func (c *cache) follow(ctx context.Context, db *DB) {
	for ctx.Err() == nil {
		wake := db.listener.subscribe(db, channelCache)
		c.sync(ctx, db)
		select {
		case <-wake:
		case <-time.After(pollInterval):
		case <-ctx.Done():
		}
	}
}

// sync reads the log from the last entry read and drops what it names.
func (c *cache) sync(ctx context.Context, db *DB) error {
	c.read.Lock()
	defer c.read.Unlock()
	c.mu.Lock()
	after, first := c.applied, c.contact.IsZero()
	c.mu.Unlock()
	type entry struct {
		seq  int64
		kind string
		id   int64
	}
	var entries []entry
	var err error
	if first { // the cache is empty: nothing before now to drop
		var seq int64
		err = db.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM cache_changes`).Scan(&seq)
		entries = []entry{{seq: seq}}
	} else {
		var rows pgx.Rows
		rows, err = db.pool.Query(ctx, `SELECT seq, kind, id FROM cache_changes WHERE seq > $1 ORDER BY seq`, int64(after))
		if err == nil {
			var e entry
			_, err = pgx.ForEachRow(rows, []any{&e.seq, &e.kind, &e.id}, func() error { entries = append(entries, e); return nil })
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.lapsed = true
		return err
	}
	if !first && time.Since(c.contact) >= cacheTrust {
		c.lapsed = true // not read for a while (a process stopped?)
	}
	if c.lapsed || len(entries) > 0 && !first {
		c.gen++
	}
	if c.lapsed { // entries may be gone from the log since: start afresh
		c.users, c.keys, c.scopes, c.workspaces, c.lapsed = nil, nil, nil, nil, false
	}
	for _, e := range entries {
		c.applied = max(c.applied, uint64(e.seq))
		if first {
			continue
		}
		switch id := uint64(e.id); e.kind {
		case "user":
			delete(c.users, id)
			maps.DeleteFunc(c.keys, func(_ string, k store.APIKey) bool { return k.UserID == id })
		case "key":
			maps.DeleteFunc(c.keys, func(_ string, k store.APIKey) bool { return k.ID == id })
		default:
			c.scopes, c.workspaces = nil, nil
		}
	}
	c.contact = time.Now()
	return nil
}

// changed is called after a write that may have changed what the cache
// holds: the change is dropped before the write returns, so this
// process's next request sees it (the others see it at their next read
// of the log). A failed read leaves the cache unanswering until a read
// succeeds. (An upload put in a workspace does not call it: the document
// is searched only once committed, and Commit does.)
func (db *DB) changed(ctx context.Context) {
	db.cache.sync(context.WithoutCancel(ctx), db)
}

// close stops the follower, if it runs.
func (c *cache) close() { c.bg.stop(&c.mu) }

// cloneUser returns u sharing nothing with the cached copy.
func cloneUser(u store.User) store.User {
	if u.Quota != nil {
		q := store.QuotaOverride{Documents: clonePtr(u.Quota.Documents), Bytes: clonePtr(u.Quota.Bytes), Chunks: clonePtr(u.Quota.Chunks)}
		u.Quota = &q
	}
	return u
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloneWorkspace returns w sharing nothing with the cached copy.
func cloneWorkspace(w store.Workspace) store.Workspace {
	w.Members = maps.Clone(w.Members)
	return w
}

// cloneScope returns sc sharing nothing with the cached copy.
func cloneScope(sc store.Scope) store.Scope {
	return store.Scope{Owners: slices.Clone(sc.Owners), Documents: slices.Clone(sc.Documents)}
}
