package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"docent/store"
)

// Writing the persisted index: a rebuild from the whole store, a flush of
// the documents the tail holds into new segments, a merge of segments.
// Only one runs at a time (Library.persistMu); each ends with a new
// manifest.

// Persister settings: a flush runs once no document was added or deleted
// for settleTime, or at once when the tail holds maxTail chunks.
const (
	settleTime = 2 * time.Second
	maxTail    = 1 << 18
	retryTime  = time.Minute
)

// segmentWriter builds segment files from stored chunks, cutting a new
// file at maxSegmentChunks (never inside a document).
type segmentWriter struct {
	l       *Library
	dim     int
	b       *segBuilder
	names   []string
	pending []uint64 // documents whose terms need their text (older analyser)
	doc     []Chunk  // the document being read
}

// add takes a batch of stored chunks (documents in order; one may
// continue in the next batch).
func (w *segmentWriter) add(cs []store.IndexedChunk) error {
	for _, c := range libraryChunks(cs, nil) {
		if len(w.doc) > 0 && w.doc[0].DocumentID != c.DocumentID {
			if err := w.endDoc(); err != nil {
				return err
			}
		}
		w.doc = append(w.doc, c)
	}
	return nil
}

// endDoc adds the document read so far.
func (w *segmentWriter) endDoc() error {
	doc := w.doc
	w.doc = w.doc[:0:0]
	if len(doc) == 0 {
		return nil
	}
	for _, c := range doc {
		if len(c.Terms) > 0 && !c.Terms.Current() && c.Text == "" {
			w.pending = append(w.pending, c.DocumentID)
			return nil
		}
	}
	if w.b != nil && w.b.len()+len(doc) > maxSegmentChunks {
		if err := w.cut(); err != nil {
			return err
		}
	}
	if w.b == nil {
		name := segmentName(w.l.next)
		w.l.next++
		b, err := newSegBuilder(filepath.Join(w.l.dir, name+tempExt), w.dim, w.l.lexical())
		if err != nil {
			return err
		}
		w.b = b
		w.names = append(w.names, name)
	}
	scs := make([]segChunk, len(doc))
	errs := make([]error, len(doc))
	workers := runtime.GOMAXPROCS(0)
	if len(doc) < 64 {
		workers = 1
	}
	parallel(len(doc), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			scs[i], errs[i] = w.l.ix.segChunkOf(&doc[i], nil)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := range scs {
		if err := w.b.add(&scs[i]); err != nil {
			return err
		}
	}
	return nil
}

// cut finishes the current segment file and renames it into place.
func (w *segmentWriter) cut() error {
	if w.b == nil {
		return nil
	}
	b := w.b
	w.b = nil
	if err := b.finish(); err != nil {
		return err
	}
	name := w.names[len(w.names)-1]
	return os.Rename(filepath.Join(w.l.dir, name+tempExt), filepath.Join(w.l.dir, name))
}

// finish ends the last document and segment and syncs the folder.
func (w *segmentWriter) finish() error {
	if err := w.endDoc(); err != nil {
		return err
	}
	if err := w.cut(); err != nil {
		return err
	}
	return syncDir(w.l.dir)
}

// abort removes what was written.
func (w *segmentWriter) abort() {
	if w.b != nil {
		w.b.abort()
	}
	for _, name := range w.names {
		os.Remove(filepath.Join(w.l.dir, name))
	}
}

// open opens the written segments.
func (w *segmentWriter) open() ([]*segment, error) {
	var out []*segment
	for _, name := range w.names {
		s, err := openSegment(filepath.Join(w.l.dir, name), name)
		if err != nil {
			closeAll(out)
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// lexical reports whether the index embeds with the built-in embedder.
func (l *Library) lexical() bool {
	_, ok := l.ix.Embedder().(queryEmbedder)
	return ok
}

// rebuild writes the whole store as new segments and a manifest, and
// attaches them to the (empty) index; it returns the manifest and the
// documents changed while it read.
func (l *Library) rebuild(ctx context.Context) (manifest, []uint64, error) {
	os.Remove(filepath.Join(l.dir, manifestName))
	removeStray(l.dir, nil)
	v, err := l.ps.IndexVersion(ctx)
	if err != nil {
		return manifest{}, nil, err
	}
	info, err := l.db.IndexInfo(ctx)
	if err != nil {
		return manifest{}, nil, err
	}
	l.next = 1
	w := &segmentWriter{l: l, dim: info.Dim}
	err = l.db.IndexChunks(ctx, 4096, func(cs []store.IndexedChunk) error {
		if w.dim == 0 {
			for _, c := range cs {
				w.dim = max(w.dim, len(c.Vector))
			}
		}
		return w.add(cs)
	})
	if err == nil {
		err = w.finish()
	}
	if err != nil {
		w.abort()
		return manifest{}, nil, fmt.Errorf("build the persisted index: %w", err)
	}
	m := manifest{Format: manifestFormat, Embedder: l.ix.Embedder().ID(), Version: v, Pending: w.pending, Next: l.next}
	segs, err := w.open()
	if err != nil {
		return manifest{}, nil, err
	}
	for i, s := range segs {
		m.Segments = append(m.Segments, manifestSegment{Name: s.name, Chunks: s.n, Sum: s.file.sum})
		if err == nil {
			err = l.ix.attach(s, nil)
		}
		if err != nil {
			closeAll(segs[i:])
		}
	}
	if err == nil {
		err = writeManifest(l.dir, m)
	}
	if err != nil {
		return manifest{}, nil, err
	}
	docs, _, ok, err := l.ps.ChangesSince(ctx, v)
	if err == nil && !ok {
		err = errors.New("the store was reset while the index was built")
	}
	return m, docs, err
}

// Flush writes what the persisted index does not hold yet — the tail's
// documents, deletions — to new segment files and a manifest, then merges
// segments as needed. The background persister calls it once writes
// settle; docent bench calls it after ingesting. Without Persist it does
// nothing.
func (l *Library) Flush(ctx context.Context) error {
	if l.ps == nil {
		return nil
	}
	l.persistMu.Lock()
	defer l.persistMu.Unlock()
	if err := l.flush(ctx); err != nil {
		return err
	}
	for {
		ins := l.mergePlan()
		if len(ins) == 0 {
			return nil
		}
		if err := l.merge(ctx, ins); err != nil {
			return err
		}
	}
}

// flush writes the tail's documents to new segments and adopts them.
func (l *Library) flush(ctx context.Context) error {
	changes := l.ix.changeCount()
	docs := l.ix.tailDocs()
	if len(docs) == 0 && changes == l.saved {
		return nil
	}
	v, err := l.ps.IndexVersion(ctx)
	if err != nil {
		return err
	}
	var segs []*segment
	if len(docs) > 0 {
		w := &segmentWriter{l: l, dim: l.ix.dimension()}
		err := l.ps.IndexChunksOf(ctx, docs, 4096, w.add)
		if err == nil {
			err = w.finish()
		}
		if err == nil {
			segs, err = w.open()
		}
		if err != nil {
			w.abort()
			return fmt.Errorf("flush the index: %w", err)
		}
	}
	// From here on the flush completes even if ctx ends: the index has
	// changed, and the manifest must say so.
	ctx = context.WithoutCancel(ctx)
	l.write.Lock()
	changed, _, ok, err := l.ps.ChangesSince(ctx, v)
	if err == nil && !ok {
		err = errors.New("the store was reset")
	}
	for i, s := range segs {
		if err == nil {
			err = l.ix.adopt(s, func(doc uint64) bool { _, found := slices.BinarySearch(changed, doc); return found })
		}
		if err != nil {
			closeAll(segs[i:])
			for _, s := range segs[i:] {
				os.Remove(filepath.Join(l.dir, s.name))
			}
			break
		}
	}
	var m manifest
	if err == nil {
		m, err = l.capture(ctx)
	}
	l.write.Unlock()
	if err != nil {
		return fmt.Errorf("flush the index: %w", err)
	}
	return l.commitManifest(ctx, m, changes)
}

// capture returns the manifest of the index as it is. Call it with
// l.write held, so that the index and the store agree.
func (l *Library) capture(ctx context.Context) (manifest, error) {
	v, err := l.ps.IndexVersion(ctx)
	if err != nil {
		return manifest{}, err
	}
	m := manifest{Format: manifestFormat, Embedder: l.ix.Embedder().ID(), Version: v, Next: l.next, Pending: l.ix.tailDocs()}
	l.ix.mu.RLock()
	defer l.ix.mu.RUnlock()
	for _, s := range l.ix.segs {
		m.Segments = append(m.Segments, manifestSegment{Name: s.name, Chunks: s.n, Sum: s.file.sum, Dead: appendDeadList(nil, s.deadOrdinals())})
	}
	return m, nil
}

// commitManifest writes m, then lets go of what it no longer needs: the
// store's older log entries and stray files. changes is the index's
// change count m reflects.
func (l *Library) commitManifest(ctx context.Context, m manifest, changes uint64) error {
	if err := writeManifest(l.dir, m); err != nil {
		return fmt.Errorf("write the index manifest: %w", err)
	}
	l.saved = changes
	names := make([]string, len(m.Segments))
	for i, s := range m.Segments {
		names[i] = s.Name
	}
	removeStray(l.dir, names)
	return l.ps.PruneChanges(ctx, m.Version)
}

// Merge policy: segments of about the same size (within a factor of
// mergeFactor) are merged once there are mergeFactor of them, and a
// segment with more than a third of its chunks dead is rewritten alone.
const mergeFactor = 8

// mergePlan returns the segments to merge next, none if none should be.
func (l *Library) mergePlan() []*segment {
	l.ix.mu.RLock()
	defer l.ix.mu.RUnlock()
	tiers := map[int][]*segment{}
	for _, s := range l.ix.segs {
		if s.nDead*3 > s.n {
			return []*segment{s}
		}
		tier := 0
		for size := s.live() / 4096; size > 0; size /= mergeFactor {
			tier++
		}
		tiers[tier] = append(tiers[tier], s)
	}
	for tier := 0; tier < 16; tier++ {
		if ss := tiers[tier]; len(ss) >= mergeFactor {
			return ss[:mergeFactor]
		}
	}
	return nil
}

// merge writes the merge of ins as a new segment and puts it in their
// place.
func (l *Library) merge(ctx context.Context, ins []*segment) error {
	changes := l.ix.changeCount()
	l.ix.mu.RLock()
	snaps := make([]mergeInput, len(ins))
	for i, s := range ins {
		snaps[i] = s.snapshot()
	}
	l.ix.mu.RUnlock()
	name := segmentName(l.next)
	l.next++
	path := filepath.Join(l.dir, name)
	remap, err := mergeSegments(path+tempExt, snaps)
	if err == nil {
		err = os.Rename(path+tempExt, path)
	}
	if err == nil {
		err = syncDir(l.dir)
	}
	var out *segment
	if err == nil {
		out, err = openSegment(path, name)
	}
	if err != nil {
		os.Remove(path + tempExt)
		os.Remove(path)
		return fmt.Errorf("merge %d segments: %w", len(ins), err)
	}
	ctx = context.WithoutCancel(ctx) // see flush
	l.write.Lock()
	if err := l.ix.replace(ins, out, remap); err != nil {
		l.write.Unlock()
		out.close()
		os.Remove(path)
		return fmt.Errorf("merge %d segments: %w", len(ins), err)
	}
	m, err := l.capture(ctx)
	l.write.Unlock()
	closeAll(ins) // no search can reach them any more
	if err != nil {
		return fmt.Errorf("merge %d segments: %w", len(ins), err)
	}
	return l.commitManifest(ctx, m, changes)
}

// persistLoop flushes in the background until ctx is done: once writes
// settle, or when the tail grows large.
func (l *Library) persistLoop(ctx context.Context) {
	defer close(l.persisted)
	tick := time.NewTicker(settleTime / 4)
	defer tick.Stop()
	var retry time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-l.kick:
		}
		quiet := time.Since(time.Unix(0, l.lastWrite.Load())) >= settleTime
		if !quiet && l.ix.tailLen() < maxTail || time.Now().Before(retry) {
			continue
		}
		if err := l.Flush(ctx); err != nil && ctx.Err() == nil {
			// The index serves on from memory; the files wait (a full disk).
			l.log.Warn("persisting the index", "err", err.Error(), "retry in", retryTime)
			retry = time.Now().Add(retryTime)
		}
	}
}

// touch records a write, for the persister.
func (l *Library) touch() {
	if l.ps == nil {
		return
	}
	l.lastWrite.Store(time.Now().UnixNano())
	select {
	case l.kick <- struct{}{}:
	default:
	}
}
