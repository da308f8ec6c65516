package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"docent/ingest"
	"docent/store"
)

// watchSpec is one --watch DIR[=USER] value, resolved.
type watchSpec struct {
	dir   string
	owner uint64
}

// parseWatches resolves --watch values: DIR indexes into the shared
// library, DIR=USER into that user's space (DIR=shared is the library).
func parseWatches(ctx context.Context, db store.Store, values []string) ([]watchSpec, error) {
	var out []watchSpec
	for _, v := range values {
		dir, name := v, ""
		if i := strings.LastIndex(v, "="); i > 0 && !strings.ContainsAny(v[i+1:], `/\`) {
			dir, name = v[:i], v[i+1:]
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("--watch %s: %w", v, err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--watch %s: %s is not a folder", v, abs)
		}
		spec := watchSpec{dir: abs, owner: store.Shared}
		if name != "" && name != "shared" {
			u, err := db.UserByLogin(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("--watch %s: no user %q", v, name)
			}
			spec.owner = u.ID
		}
		out = append(out, spec)
	}
	return out, nil
}

// watchSet holds the running watches.
type watchSet struct {
	mu      sync.Mutex
	watches []*ingest.Watch
	wg      sync.WaitGroup
	closed  bool // wait was called: start adds nothing more
}

// start runs a watch per spec until ctx is done.
func (ws *watchSet) start(ctx context.Context, pipe *ingest.Pipeline, specs []watchSpec, workers int) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed || ctx.Err() != nil {
		return
	}
	for _, s := range specs {
		w := pipe.NewWatch(ingest.WatchOptions{Owner: s.owner, Dir: s.dir, Workers: workers})
		ws.watches = append(ws.watches, w)
		ws.wg.Go(func() { w.Run(ctx) })
	}
}

// wait returns once every watch has stopped (after start's ctx is done).
func (ws *watchSet) wait() {
	ws.mu.Lock()
	ws.closed = true
	ws.mu.Unlock()
	ws.wg.Wait()
}

// status reports every watch.
func (ws *watchSet) status() []ingest.WatchStatus {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := make([]ingest.WatchStatus, len(ws.watches))
	for i, w := range ws.watches {
		out[i] = w.Status()
	}
	return out
}
