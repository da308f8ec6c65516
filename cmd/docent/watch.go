package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"docent/ingest"
	"docent/store"
)

// watchSpec is one --watch DIR[=TARGET] value, resolved.
type watchSpec struct {
	dir       string
	owner     uint64
	workspace uint64 // 0: the owner's own space (or the shared library)
}

// parseWatches resolves --watch values. DIR indexes into the shared
// library (as does DIR=shared); DIR=USER into that user's space;
// DIR=WORKSPACE into a workspace (its owner's documents, added to it as
// they are created), named by its name when no user has that name and no
// other workspace that name, else as OWNER:WORKSPACE.
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
		if name != "" && !strings.EqualFold(name, store.LibraryName) {
			if spec.owner, spec.workspace, err = watchTarget(ctx, db, name); err != nil {
				return nil, fmt.Errorf("--watch %s: %w", v, err)
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

// watchTarget resolves the TARGET of --watch DIR=TARGET other than the
// shared library: a user, OWNER:WORKSPACE, or a workspace name only one
// user's workspaces hold.
func watchTarget(ctx context.Context, db store.Store, name string) (owner, workspace uint64, err error) {
	if ownerName, wsName, ok := strings.Cut(name, ":"); ok {
		u, err := db.UserByLogin(ctx, ownerName)
		if err != nil {
			return 0, 0, fmt.Errorf("no user %q", ownerName)
		}
		ws, err := ownWorkspaces(ctx, db, u, wsName)
		if err != nil || len(ws) == 0 {
			return 0, 0, cmp.Or(err, fmt.Errorf("%s has no workspace %q", u.Username, wsName))
		}
		return u.ID, ws[0].ID, nil
	}
	if u, err := db.UserByLogin(ctx, name); err == nil {
		return u.ID, 0, nil
	}
	var found []store.Workspace
	for skip := 0; ; skip += 1000 {
		users, err := db.Users(ctx, skip, 1000)
		if err != nil {
			return 0, 0, err
		}
		for _, u := range users {
			ws, err := ownWorkspaces(ctx, db, u, name)
			if err != nil {
				return 0, 0, err
			}
			found = append(found, ws...)
		}
		if len(users) < 1000 {
			break
		}
	}
	switch len(found) {
	case 0:
		return 0, 0, fmt.Errorf("no user or workspace %q", name)
	case 1:
		return found[0].Owner, found[0].ID, nil
	}
	return 0, 0, fmt.Errorf("several users have a workspace %q: write OWNER:%s", name, name)
}

// ownWorkspaces returns u's own workspaces named name (one at most).
func ownWorkspaces(ctx context.Context, db store.Store, u store.User, name string) ([]store.Workspace, error) {
	list, err := db.Workspaces(ctx, store.Viewer{UserID: u.ID})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(w store.Workspace) bool {
		return w.Owner != u.ID || !strings.EqualFold(strings.TrimSpace(w.Name), strings.TrimSpace(name))
	}), nil
}

// adopt puts the documents a watch indexed from its folder before it was
// tied to its workspace into that workspace (new ones go in as they are
// created).
func adopt(ctx context.Context, db store.Store, s watchSpec) error {
	if s.workspace == 0 {
		return nil
	}
	docs, err := db.OwnedDocuments(ctx, s.owner)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.Folder == s.dir {
			if err := db.AddToWorkspace(ctx, store.Viewer{UserID: s.owner}, s.workspace, d.ID); err != nil {
				return fmt.Errorf("--watch %s: add %s to its workspace: %w", s.dir, d.Path, err)
			}
		}
	}
	return nil
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
		w := pipe.NewWatch(ingest.WatchOptions{Owner: s.owner, Workspace: s.workspace, Dir: s.dir, Workers: workers})
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
