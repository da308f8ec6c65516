package ingest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watched folders. A Watch keeps the documents of one folder equal to its
// files: every pass (a reconcile) scans the folder, deletes the documents
// whose file is gone, ignored or no longer readable as a document, and
// indexes the files that are new or whose size or modification time
// changed since they were last indexed (replacing the old version in one
// transaction, as folder ingest does). Deletions go first, so a renamed
// file is indexed under its new path rather than taken for a duplicate of
// the old one.
//
// Passes are triggered by inotify events (fsnotify, every directory
// watched), debounced: a file is indexed only once its size and time have
// stayed the same for Debounce, so half-written files wait. A folder on a
// network file system (NFS, SMB, FUSE…), or where inotify cannot be set
// up, is polled every Poll instead. A pass also runs at start, which
// reconciles whatever changed while the server was down, and every
// Resync as a safety net for missed events.

// WatchOptions configure Pipeline.Watch.
type WatchOptions struct {
	// Owner receives the documents (store.Shared for the shared library).
	Owner uint64
	// Workspace, when not zero, is a workspace of Owner's the documents
	// go into as they are created.
	Workspace uint64
	// Dir is the folder, an absolute path; documents are known by it.
	Dir string
	// Debounce is how long a file must stay unchanged before it is
	// indexed (default 1 s).
	Debounce time.Duration
	// Poll is the polling interval without inotify (default 2 s); Polling
	// forces it.
	Poll    time.Duration
	Polling bool
	// Resync is the interval of full passes even without events (default
	// 1 minute).
	Resync time.Duration
	// Workers is how many files are indexed at once (default 2).
	Workers int
	// Event, if set, is told each file's outcome.
	Event func(Event)
}

// WatchStatus is what a watch reports for the documents page and metrics.
type WatchStatus struct {
	Dir       string    `json:"folder"`
	Owner     uint64    `json:"owner"`
	Workspace uint64    `json:"workspace_id,omitempty"`
	Mode      string    `json:"mode"` // "inotify" or "polling"
	Files     int       `json:"files"`
	Pending   int       `json:"pending"` // changed files waiting to settle or to be indexed
	Failed    int       `json:"failed"`  // files whose last indexing failed
	Passes    int       `json:"passes"`
	LastSync  time.Time `json:"last_sync,omitzero"`
	Syncing   bool      `json:"syncing"`
	Error     string    `json:"error,omitempty"`
}

// Watch is a running folder watch.
type Watch struct {
	p   *Pipeline
	opt WatchOptions
	fs  fs.FS

	mu      sync.Mutex
	status  WatchStatus
	indexed map[string]fileStamp // path → stamp when last indexed (or failed)
	seen    map[string]seenStamp // path → current stamp and since when
	failed  map[string]bool      // paths whose last indexing failed
	kick    chan struct{}
}

type fileStamp struct {
	size int64
	mod  time.Time
}

type seenStamp struct {
	stamp fileStamp
	since time.Time
}

// NewWatch prepares a watch of opt.Dir; Run runs it.
func (p *Pipeline) NewWatch(opt WatchOptions) *Watch {
	if opt.Debounce <= 0 {
		opt.Debounce = time.Second
	}
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.Resync <= 0 {
		opt.Resync = time.Minute
	}
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	opt.Dir = filepath.Clean(opt.Dir)
	return &Watch{p: p, opt: opt, fs: os.DirFS(opt.Dir), indexed: map[string]fileStamp{}, seen: map[string]seenStamp{}, failed: map[string]bool{},
		kick: make(chan struct{}, 1), status: WatchStatus{Dir: opt.Dir, Owner: opt.Owner, Workspace: opt.Workspace}}
}

// Status reports the watch's progress.
func (w *Watch) Status() WatchStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Run watches until ctx is done.
func (w *Watch) Run(ctx context.Context) error {
	if st, err := os.Stat(w.opt.Dir); err != nil || !st.IsDir() {
		return errors.New(w.opt.Dir + " is not a folder")
	}
	var errs <-chan error
	mode := "polling"
	if !w.opt.Polling && !networkFS(w.opt.Dir) {
		if fw, err := fsnotify.NewWatcher(); err == nil {
			defer fw.Close()
			if err := addTree(fw, w.opt.Dir); err == nil {
				errs, mode = fw.Errors, "inotify"
				go w.follow(ctx, fw)
			} else {
				w.p.opt.Log.Warn("watch: inotify unavailable, polling", "folder", w.opt.Dir, "err", err)
			}
		}
	}
	w.mu.Lock()
	w.status.Mode = mode
	w.mu.Unlock()
	interval := w.opt.Resync
	if mode == "polling" {
		interval = w.opt.Poll
	}
	next := time.Now() // a pass at start reconciles what changed while down
	for {
		timer := time.NewTimer(max(time.Until(next), 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case err := <-errs:
			timer.Stop()
			w.p.opt.Log.Warn("watch: event error, resyncing", "folder", w.opt.Dir, "err", err)
			next = time.Now()
			continue
		case <-w.kick:
			timer.Stop()
			next = time.Now().Add(w.opt.Debounce / 4) // coalesce a burst of events
			continue
		case <-timer.C:
		}
		wait := w.pass(ctx)
		next = time.Now().Add(interval)
		if wait > 0 && time.Now().Add(wait).Before(next) {
			next = time.Now().Add(wait)
		}
	}
}

// follow turns inotify events into passes, watching new directories.
func (w *Watch) follow(ctx context.Context, fw *fsnotify.Watcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					addTree(fw, ev.Name)
				}
			}
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
}

// addTree watches dir and every directory under it (hidden ones aside).
func addTree(fw *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return nil
		}
		if p != dir && e.Name()[0] == '.' {
			return filepath.SkipDir
		}
		return fw.Add(p)
	})
}

// pass reconciles the folder once and returns how soon files that are
// still changing should be looked at again (0: none is).
func (w *Watch) pass(ctx context.Context) time.Duration {
	w.setSyncing(true)
	defer w.setSyncing(false)
	folder := FolderOptions{Owner: w.opt.Owner, Workspace: w.opt.Workspace, Root: w.opt.Dir, Event: w.opt.Event}
	files, skipped, err := Scan(w.fs, folder, w.p.opt.Limits.withDefaults().MaxBytes)
	if err != nil {
		w.fail(err)
		return 0
	}
	present := append([]File(nil), files...)
	for _, r := range skipped {
		present = append(present, File{Path: r.Path})
	}
	record := func(r FileResult) {
		if w.opt.Event != nil {
			w.opt.Event(Event{Path: r.Path, Outcome: r.Outcome, Chunks: r.Chunks, Reason: r.Reason})
		}
	}
	if err := w.p.prune(ctx, present, folder, record); err != nil {
		w.fail(err)
		return 0
	}
	ready, wait := w.settled(files)
	w.process(ctx, ready, folder, record)
	w.mu.Lock()
	w.status.Files = len(files)
	w.status.Pending = w.pendingLocked(files)
	w.status.Failed = len(w.failed)
	w.status.Passes++
	w.status.LastSync = time.Now()
	w.status.Error = ""
	w.mu.Unlock()
	return wait
}

func stampOf(f File) fileStamp { return fileStamp{f.Size, f.ModTime} }

// settled returns the files to index now (new or changed, and unchanged
// for Debounce) and how long until the next still-changing one settles.
func (w *Watch) settled(files []File) ([]File, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	var ready []File
	var wait time.Duration
	current := make(map[string]bool, len(files))
	for _, f := range files {
		current[f.Path] = true
		st := stampOf(f)
		if done, ok := w.indexed[f.Path]; ok && done == st {
			continue
		}
		s, ok := w.seen[f.Path]
		if !ok || s.stamp != st {
			s = seenStamp{st, now}
			if !ok && now.Sub(f.ModTime) >= w.opt.Debounce {
				s.since = now.Add(-w.opt.Debounce) // already quiet when first seen (e.g. at start)
			}
			w.seen[f.Path] = s
		}
		if left := w.opt.Debounce - now.Sub(s.since); left > 0 {
			if wait == 0 || left < wait {
				wait = left
			}
			continue
		}
		ready = append(ready, f)
	}
	for p := range w.seen { // forget files that are gone
		if !current[p] {
			delete(w.seen, p)
			delete(w.indexed, p)
		}
	}
	for p := range w.indexed {
		if !current[p] {
			delete(w.indexed, p)
		}
	}
	for p := range w.failed {
		if !current[p] {
			delete(w.failed, p)
		}
	}
	return ready, wait
}

// process indexes the settled files, Workers at a time.
func (w *Watch) process(ctx context.Context, files []File, folder FolderOptions, record func(FileResult)) {
	eachFile(ctx, files, w.opt.Workers, func(f File) {
		r := w.p.ingestFile(ctx, w.fs, f, folder)
		if ctx.Err() != nil {
			return // interrupted: indexed again at the next start
		}
		record(r)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.indexed[f.Path] = stampOf(f)
		if r.Outcome == Failed {
			w.failed[f.Path] = true
		} else {
			delete(w.failed, f.Path)
		}
	})
}

// pendingLocked counts the files not indexed in their current state.
func (w *Watch) pendingLocked(files []File) int {
	n := 0
	for _, f := range files {
		if w.indexed[f.Path] != stampOf(f) {
			n++
		}
	}
	return n
}

func (w *Watch) setSyncing(on bool) {
	w.mu.Lock()
	w.status.Syncing = on
	w.mu.Unlock()
}

func (w *Watch) fail(err error) {
	w.p.opt.Log.Warn("watch: pass failed", "folder", w.opt.Dir, "err", err)
	w.mu.Lock()
	w.status.Error = "the folder could not be read"
	w.mu.Unlock()
}
