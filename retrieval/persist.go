package retrieval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"docent/store"
)

// The persisted index. With LibraryOptions.Persist the Library keeps its
// index in segment files under <data>/index and a manifest naming them:
//
//	index/MANIFEST        which segments, their dead chunks, the store
//	                      version they reflect, documents still to read
//	index/seg-000042.dseg a segment (segment.go, segfile.go)
//
// The manifest reflects the store exactly at Version (an entry of the
// store's change log): the segments' live chunks plus the Pending
// documents, read from the store, are the index of that moment. A start
// opens the segments in place (memory-mapped, checksums verified) and
// re-reads from the store only Pending and the documents the log names
// after Version. The store stays the only source of truth: a missing,
// damaged or foreign manifest or segment, a Version the store's log does
// not know (another store, a restored backup from before it, a reset by
// re-embedding or repair), another embedder or another format all lead
// to a rebuild from the store — deleting the folder loses nothing.
//
// Files are written beside their final name, synced, renamed and the
// folder synced, segments before the manifest that names them; a crash
// at any moment leaves the last complete manifest and its segments (and
// stray files, removed at the next start).

// persistStore is a store beside which the index can be persisted: one
// of its own, in a folder, keeping an index change log (bbolt's DB).
type persistStore interface {
	Dir() string
	IndexVersion(ctx context.Context) (store.IndexVersion, error)
	ChangesSince(ctx context.Context, v store.IndexVersion) (docs []uint64, now store.IndexVersion, ok bool, err error)
	PruneChanges(ctx context.Context, v store.IndexVersion) error
	IndexChunksOf(ctx context.Context, ids []uint64, size int, fn func([]store.IndexedChunk) error) error
}

// IndexDir is the folder of the persisted index inside the data directory.
const IndexDir = "index"

const (
	manifestName   = "MANIFEST"
	manifestFormat = 2
	segmentExt     = ".dseg"
	tempExt        = ".tmp"
)

// manifest is the persisted index's table of contents.
type manifest struct {
	Format   int                `json:"format"`
	Embedder string             `json:"embedder"`
	Version  store.IndexVersion `json:"version"`
	Segments []manifestSegment  `json:"segments"`
	Pending  []uint64           `json:"pending,omitempty"`
	Next     int                `json:"next"` // number of the next segment file
}

// manifestSegment names one segment file and its dead chunks.
type manifestSegment struct {
	Name   string `json:"name"`
	Chunks int    `json:"chunks"`
	// Sum is the segment's own checksum (over its table of contents and
	// block checksums, so over every byte): a file of the same name from
	// another index is refused.
	Sum  uint32 `json:"sum"`
	Dead []byte `json:"dead,omitempty"` // appendDeadList
}

// readManifest reads and checks dir's manifest: JSON, then a line with
// its CRC-32C.
func readManifest(dir string) (manifest, error) {
	var m manifest
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return m, err
	}
	body, sum, ok := bytes.Cut(raw, []byte("\ncrc32c "))
	want, perr := strconv.ParseUint(strings.TrimSpace(string(sum)), 16, 32)
	if !ok || perr != nil || crc32.Checksum(body, castagnoli) != uint32(want) {
		return m, fmt.Errorf("manifest checksum: %w", errSegment)
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("manifest: %w: %w", errSegment, err)
	}
	if m.Format != manifestFormat {
		return m, fmt.Errorf("manifest format %d: %w", m.Format, errSegment)
	}
	for _, s := range m.Segments {
		if filepath.Base(s.Name) != s.Name || !strings.HasSuffix(s.Name, segmentExt) {
			return m, fmt.Errorf("manifest names %q: %w", s.Name, errSegment)
		}
	}
	return m, nil
}

// writeManifest replaces dir's manifest atomically and durably.
func writeManifest(dir string, m manifest) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	body = fmt.Appendf(body, "\ncrc32c %08x\n", crc32.Checksum(body, castagnoli))
	return writeFileSync(dir, manifestName, body)
}

// writeFileSync writes name in dir through a temporary file, synced and
// renamed into place, then syncs dir.
func writeFileSync(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+tempExt)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// segmentName is the file name of segment number n.
func segmentName(n int) string { return fmt.Sprintf("seg-%06d%s", n, segmentExt) }

// removeStray deletes the files of dir that keep does not name: the
// temporary files of an interrupted write, segments of older manifests.
func removeStray(dir string, keep []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if name := e.Name(); name != manifestName && !slices.Contains(keep, name) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// openPersisted opens the segments of dir's manifest for an index
// embedding with emb, verifying each. It returns the manifest with the
// opened segments in its order; on any error nothing stays open.
func openPersisted(dir string, emb Embedder) (manifest, []*segment, error) {
	m, err := readManifest(dir)
	if err != nil {
		return m, nil, err
	}
	if m.Embedder != emb.ID() {
		return m, nil, fmt.Errorf("segments of embedder %q, not %q: %w", m.Embedder, emb.ID(), errSegment)
	}
	var segs []*segment
	for _, ms := range m.Segments {
		s, err := openSegment(filepath.Join(dir, ms.Name), ms.Name)
		if err == nil && (s.n != ms.Chunks || s.file.sum != ms.Sum) {
			s.close()
			err = fmt.Errorf("segment %s is not the one the manifest names (%d chunks, checksum %08x; want %d, %08x): %w",
				ms.Name, s.n, s.file.sum, ms.Chunks, ms.Sum, errSegment)
		}
		if err != nil {
			closeAll(segs)
			return m, nil, err
		}
		segs = append(segs, s)
	}
	return m, segs, nil
}

// closeAll unmaps segments.
func closeAll(segs []*segment) {
	for _, s := range segs {
		s.close()
	}
}

// loadPersisted is Load for a persisted library: the manifest's segments
// if they still reflect the store, otherwise a rebuild into new
// segments; then the documents changed since, read from the store.
func (l *Library) loadPersisted(ctx context.Context) (int, error) {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return 0, fmt.Errorf("index folder: %w", err)
	}
	m, segs, err := openPersisted(l.dir, l.ix.Embedder())
	var docs []uint64
	if err == nil {
		var ok bool
		docs, _, ok, err = l.ps.ChangesSince(ctx, m.Version)
		if err == nil && !ok {
			err = fmt.Errorf("the store changed in ways its log does not list: %w", errSegment)
		}
		if err == nil {
			err = l.attachAll(m, segs)
		}
		if err != nil {
			closeAll(segs)
			l.ix = NewIndex(l.ix.Embedder(), l.opt)
		}
	}
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			l.log.Warn("rebuilding the persisted index from the store", "reason", err.Error())
		}
		if m, docs, err = l.rebuild(ctx); err != nil {
			return 0, err
		}
	}
	l.next = m.Next
	removeStray(l.dir, l.segmentNames())
	if err := l.reread(ctx, append(docs, m.Pending...)); err != nil {
		return 0, err
	}
	return l.ix.Len(), nil
}

// attachAll attaches the manifest's opened segments to the (empty) index.
func (l *Library) attachAll(m manifest, segs []*segment) error {
	for i, s := range segs {
		dead, err := readDeadList(m.Segments[i].Dead, s.n)
		if err == nil {
			err = l.ix.attach(s, dead)
		}
		if err != nil {
			return fmt.Errorf("segment %s: %w", s.name, err)
		}
	}
	return nil
}

// segmentNames returns the file names of the index's segments.
func (l *Library) segmentNames() []string {
	l.ix.mu.RLock()
	defer l.ix.mu.RUnlock()
	var out []string
	for _, s := range l.ix.segs {
		out = append(out, s.name)
	}
	return out
}

// reread makes the index hold the store's current version of docs: each
// is removed and, if the store has it ready, added again from the store
// (with its text, so older terms are analysed again).
func (l *Library) reread(ctx context.Context, docs []uint64) error {
	if len(docs) == 0 {
		return nil
	}
	slices.Sort(docs)
	docs = slices.Compact(docs)
	for _, d := range docs {
		l.ix.DeleteDocument(d)
	}
	return l.ps.IndexChunksOf(ctx, docs, 4096, func(cs []store.IndexedChunk) error {
		return l.ix.add(ctx, libraryChunks(cs, nil), true)
	})
}

// libraryChunks turns stored chunks into index chunks, each document's
// first chunk carrying its identity; stale, if not nil, counts chunks
// whose stored terms come from an older analyser.
func libraryChunks(cs []store.IndexedChunk, stale *int) []Chunk {
	rcs := make([]Chunk, len(cs))
	for i := range cs {
		c := &cs[i]
		rcs[i] = Chunk{ID: c.ID(), DocumentID: c.DocumentID, Owner: c.Owner, Page: c.Page,
			Start: c.Start, End: c.End, Terms: Terms(c.Terms), Vector: c.Vector, Text: c.Text}
		if i == 0 || cs[i-1].DocumentID != c.DocumentID {
			rcs[i].Title = Identity(c.Title, c.Filename)
		}
		if stale != nil && len(c.Terms) > 0 && !rcs[i].Terms.Current() {
			*stale++
		}
	}
	return rcs
}
