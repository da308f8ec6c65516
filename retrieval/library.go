package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"docent/store"
)

// ErrEmbedderChanged means the stored vectors were made by another embedder
// than the one configured; `docent reindex` re-embeds them.
var ErrEmbedderChanged = errors.New("the index was built with another embedder")

// Store is what a Library needs of docent's store (store.Store has all
// of it): reading chunks and vectors to build the index, committing and
// deleting documents, and the documents a search result names.
type Store interface {
	IndexInfo(ctx context.Context) (store.IndexInfo, error)
	SetIndexInfo(ctx context.Context, info store.IndexInfo) error
	IndexChunks(ctx context.Context, size int, fn func([]store.IndexedChunk) error) error
	ForEachChunk(ctx context.Context, fn func(*store.IndexedChunk) error) error
	CachedVectors(ctx context.Context, hashes [][16]byte) (map[[16]byte][]float32, error)
	Commit(ctx context.Context, d *store.Document, chunks []store.Chunk, vectors map[[16]byte][]float32) error
	DeleteDocument(ctx context.Context, v store.Viewer, id uint64) (store.Document, error)
	OwnedDocuments(ctx context.Context, owner uint64) ([]store.Document, error)
	DeleteUser(ctx context.Context, id uint64) ([]uint64, error)
	Chunks(ctx context.Context, id uint64) ([]store.Chunk, error)
	ChunksByID(ctx context.Context, ids []uint64) ([]store.Chunk, error)
	ReadableDocuments(ctx context.Context, v store.Viewer, ids []uint64) ([]store.Document, error)
	Document(ctx context.Context, v store.Viewer, id uint64) (store.Document, error)
	ScopeOf(ctx context.Context, v store.Viewer, workspace uint64) (store.Scope, error)
}

// memoryReleaser is a store that can let go of the pages a rebuild read
// (bbolt's memory map).
type memoryReleaser interface {
	ReleaseMemory(ctx context.Context) error
}

// Library keeps the store and the in-memory Index in step. It is the only
// writer of chunks and vectors: a document's chunks, terms and vectors are
// committed to the store in one transaction and then added to the Index,
// and a deletion leaves both at once. It is safe for concurrent use.
type Library struct {
	db        Store
	ix        *Index
	opt       Options
	batch     int
	storeOnly bool
	observe   func(Mode, time.Duration)
	log       *slog.Logger
	// feed is set when the store is shared by several processes: the
	// index then follows the store's change log (follow.go).
	feed   store.ChangeFeed
	follow followState
	// held is what searches show of the indexed documents, when following
	// (held.go).
	held held

	// write serialises commit+add against delete, so a document deleted
	// while it was being committed can never reappear in the Index.
	write sync.Mutex

	// The persisted index (persist.go): the store's change log, the
	// index's folder, the number of the next segment file, the Index's
	// change count the last manifest holds, and the background persister.
	ps        persistStore
	dir       string
	persistMu sync.Mutex
	next      int
	saved     uint64
	lastWrite atomic.Int64
	kick      chan struct{}
	stop      context.CancelFunc
	persisted chan struct{} // closed when the persister has stopped
}

// LibraryOptions configure a Library. The zero value is usable.
type LibraryOptions struct {
	Index Options
	// EmbedBatch is how many passages go to the embedder per call (default 64).
	EmbedBatch int
	// StoreOnly commits to the store without keeping an in-memory index
	// (offline `docent ingest`, which never searches).
	StoreOnly bool
	// ObserveSearch, if set, is told how long each Search took, by mode
	// (for metrics).
	ObserveSearch func(mode Mode, d time.Duration)
	// Log receives warnings about the persisted index (slog.Default()
	// when nil).
	Log *slog.Logger
	// Persist keeps the index in segment files in the store's folder
	// (IndexDir), so that Load maps them instead of rebuilding the index,
	// and updates them in the background (see persist.go); docent serve
	// sets it. It applies to a store of its own that keeps an index
	// change log (bbolt's); a shared store's replicas load a snapshot.
	// Close stops the background work.
	Persist bool
}

// NewLibrary returns a Library over db that embeds with e. Call Load before
// searching.
func NewLibrary(db Store, e Embedder, opt LibraryOptions) *Library {
	if opt.EmbedBatch <= 0 {
		opt.EmbedBatch = 64
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	l := &Library{db: db, ix: NewIndex(e, opt.Index), opt: opt.Index, batch: opt.EmbedBatch, storeOnly: opt.StoreOnly,
		observe: opt.ObserveSearch, log: opt.Log, kick: make(chan struct{}, 1)}
	if feed, ok := db.(store.ChangeFeed); ok && !opt.StoreOnly {
		l.feed = feed
	}
	if ps, ok := db.(persistStore); ok && opt.Persist && l.feed == nil && !opt.StoreOnly && littleEndianHost {
		l.ps, l.dir = ps, filepath.Join(ps.Dir(), IndexDir)
	}
	return l
}

// Index returns the in-memory index (for statistics and consistency checks).
func (l *Library) Index() *Index { return l.ix }

// CheckEmbedder fails with ErrEmbedderChanged, naming `docent reindex`, when
// the stored vectors were built by a different embedder than the
// configured one.
func (l *Library) CheckEmbedder(ctx context.Context) error {
	info, err := l.db.IndexInfo(ctx)
	if err != nil {
		return err
	}
	emb := l.ix.Embedder()
	if info.Embedder == "" || info.Embedder == emb.ID() {
		return nil
	}
	return fmt.Errorf("%w: the stored vectors come from %q (dimension %d) but docent is configured with %q; "+
		"run `docent reindex` to re-embed every document with the new embedder, or configure %q again",
		ErrEmbedderChanged, info.Embedder, info.Dim, emb.ID(), info.Embedder)
}

// Load rebuilds the in-memory index from the store, reusing each chunk's
// stored terms and vector (nothing is re-analysed or re-embedded), then
// lets go of the store file's pages the rebuild read. It returns the
// number of chunks loaded.
func (l *Library) Load(ctx context.Context) (int, error) {
	if err := l.CheckEmbedder(ctx); err != nil {
		return 0, err
	}
	var n int
	var err error
	if l.ps != nil {
		n, err = l.loadPersisted(ctx)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("the index is not persisted this time", "reason", err.Error())
			l.ps = nil
			l.ix = NewIndex(l.ix.Embedder(), l.opt)
		}
	}
	if l.ps == nil {
		n, err = loadInto(ctx, l.db, l.ix, l.snapshot(&l.follow, &l.held))
	}
	if err != nil {
		return n, err
	}
	if l.ps != nil {
		l.saved = l.ix.changeCount()
		work, stop := context.WithCancel(context.WithoutCancel(ctx))
		l.stop, l.persisted = stop, make(chan struct{})
		go l.persistLoop(work)
	}
	if m, ok := l.db.(memoryReleaser); ok {
		return n, m.ReleaseMemory(ctx)
	}
	return n, nil
}

// Close stops the background persister and unmaps the segment files;
// the Library must not be used afterwards. It does not close the store.
func (l *Library) Close() error {
	if l.stop != nil {
		l.stop()
		<-l.persisted
		l.stop = nil
	}
	l.ix.mu.Lock()
	defer l.ix.mu.Unlock()
	closeAll(l.ix.segs)
	return nil
}

// loadInto adds every stored chunk of a ready document to ix, as read
// reads them (IndexChunks, or a change-log snapshot): the store reads and
// decodes the next batch while the index adds the previous one.
func loadInto(ctx context.Context, db Store, ix *Index, read func(ctx context.Context, size int, fn func([]store.IndexedChunk) error) error) (int, error) {
	const batch = 4096
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []Chunk, 1)
	added := make(chan error, 1)
	n, stale := 0, 0
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = ix.add(ctx, b, true); err != nil {
					cancel(err)
				}
				n += len(b)
			}
		}
		added <- err
	}()
	err := read(ctx, batch, func(cs []store.IndexedChunk) error {
		rcs := libraryChunks(cs, &stale)
		select {
		case batches <- rcs:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(batches)
	if aerr := <-added; aerr != nil {
		err = aerr
	}
	if err == nil && stale > 0 {
		err = reanalyse(ctx, db, ix)
	}
	if err != nil {
		return n, fmt.Errorf("load index: %w", err)
	}
	return n, nil
}

// reanalyse adds again, from their text, the chunks whose stored Terms
// come from an older analyser (a store written before an analyser
// upgrade), so that documents and questions are analysed alike. It is the
// slow path of a start-up rebuild, taken only when such chunks exist.
func reanalyse(ctx context.Context, db Store, ix *Index) error {
	const batch = 1024
	var buf []Chunk
	err := db.ForEachChunk(ctx, func(c *store.IndexedChunk) error {
		if Terms(c.Terms).Current() || len(c.Terms) == 0 {
			return nil
		}
		buf = append(buf, Chunk{ID: c.ID(), DocumentID: c.DocumentID, Owner: c.Owner, Title: Identity(c.Title, c.Filename),
			Start: c.Start, End: c.End, Page: c.Page, Text: c.Text, Vector: slices.Clone(c.Vector)})
		if len(buf) < batch {
			return nil
		}
		err := ix.Add(ctx, buf)
		buf = buf[:0]
		return err
	})
	if err == nil && len(buf) > 0 {
		err = ix.Add(ctx, buf)
	}
	return err
}

// Add embeds the chunks of doc (reusing stored vectors of identical
// passages), commits doc, chunks and vectors to the store in one
// transaction, and adds them to the index. If doc.Replaces is set, that
// document (an older version of the same file) is removed in the same
// transaction. progress, if not nil, is told how many passages are embedded.
func (l *Library) Add(ctx context.Context, doc *store.Document, chunks []store.Chunk, progress func(done, total int)) error {
	replaces := doc.Replaces
	for i := range chunks {
		chunks[i].TextHash = store.TextHash(chunks[i].Text)
		chunks[i].Terms = l.ix.Analyze(chunks[i].Text)
	}
	vectors, err := l.embed(ctx, chunks, progress)
	if err != nil {
		return err
	}
	if err := l.recordEmbedder(ctx, vectors); err != nil {
		return err
	}
	if l.feed != nil { // the index follows the store's change log
		if err := l.db.Commit(ctx, doc, chunks, vectors); err != nil {
			return err
		}
		l.follow.keep(doc.ID, doc.ChangeSeq, indexChunks(doc, chunks, vectors), committedDoc(doc, chunks))
		return l.Sync(ctx)
	}
	l.write.Lock()
	defer l.write.Unlock()
	var before, replaced []Terms // what the commit is about to remove
	if !l.storeOnly {
		if before, err = l.storedTerms(ctx, doc.ID); err == nil && replaces != 0 {
			replaced, err = l.storedTerms(ctx, replaces)
		}
		if err != nil {
			return err
		}
	}
	if err := l.db.Commit(ctx, doc, chunks, vectors); err != nil {
		return err
	}
	if l.storeOnly {
		return nil
	}
	l.ix.DeleteDocument(doc.ID, before...) // a document committed again
	if replaces != 0 {
		l.ix.DeleteDocument(replaces, replaced...)
	}
	rcs := indexChunks(doc, chunks, vectors)
	// The store has the document now; an index failure here would only be
	// a bug, and a restart rebuilds the index from the store.
	if err := l.ix.Add(context.WithoutCancel(ctx), rcs); err != nil {
		return fmt.Errorf("index document %d: %w", doc.ID, err)
	}
	l.touch()
	return nil
}

// indexChunks are the Index's chunks of doc's committed chunks.
func indexChunks(doc *store.Document, chunks []store.Chunk, vectors map[[16]byte][]float32) []Chunk {
	rcs := make([]Chunk, len(chunks))
	for i := range chunks {
		c := &chunks[i]
		rcs[i] = Chunk{ID: c.ID(), DocumentID: doc.ID, Owner: doc.Owner, Start: c.Start, End: c.End, Page: c.Page,
			Terms: Terms(c.Terms), Vector: vectors[c.TextHash]}
	}
	if len(rcs) > 0 {
		rcs[0].Title = Identity(doc.Title, doc.Filename)
	}
	return rcs
}

// embed returns a vector for every distinct passage of chunks: from the
// store when an identical passage was embedded before, from the embedder
// otherwise, in batches.
func (l *Library) embed(ctx context.Context, chunks []store.Chunk, progress func(done, total int)) (map[[16]byte][]float32, error) {
	hashes := make([][16]byte, len(chunks))
	for i := range chunks {
		hashes[i] = chunks[i].TextHash
	}
	vectors, err := l.db.CachedVectors(ctx, hashes)
	if err != nil {
		return nil, err
	}
	var todo []int // index of the first chunk of each passage still to embed
	queued := map[[16]byte]bool{}
	for i, h := range hashes {
		if vectors[h] == nil && !queued[h] {
			queued[h] = true
			todo = append(todo, i)
		}
	}
	done := len(chunks) - len(todo)
	for lo := 0; lo < len(todo); lo += l.batch {
		hi := min(lo+l.batch, len(todo))
		texts := make([]string, 0, hi-lo)
		for _, i := range todo[lo:hi] {
			texts = append(texts, chunks[i].Text)
		}
		vecs, err := l.ix.Embedder().Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("embed: %d vectors for %d passages", len(vecs), len(texts))
		}
		for j, i := range todo[lo:hi] {
			vectors[hashes[i]] = vecs[j]
		}
		done += hi - lo
		if progress != nil {
			progress(done, len(chunks))
		}
	}
	return vectors, nil
}

// recordEmbedder stores which embedder built the vectors, the first time.
func (l *Library) recordEmbedder(ctx context.Context, vectors map[[16]byte][]float32) error {
	info, err := l.db.IndexInfo(ctx)
	if err != nil || info.Embedder != "" {
		return err
	}
	dim := l.ix.Embedder().Dim()
	for _, v := range vectors {
		dim = len(v)
		break
	}
	return l.db.SetIndexInfo(ctx, store.IndexInfo{Embedder: l.ix.Embedder().ID(), Dim: dim})
}

// Delete removes document id (if v may) from the store and the index.
func (l *Library) Delete(ctx context.Context, v store.Viewer, id uint64) (store.Document, error) {
	if l.feed != nil {
		d, err := l.db.DeleteDocument(ctx, v, id)
		if err != nil {
			return d, err
		}
		return d, l.Sync(ctx)
	}
	l.write.Lock()
	defer l.write.Unlock()
	terms, err := l.storedTerms(ctx, id)
	if err != nil {
		return store.Document{}, err
	}
	d, err := l.db.DeleteDocument(ctx, v, id)
	if err != nil {
		return d, err
	}
	l.ix.DeleteDocument(id, terms...)
	l.touch()
	return d, nil
}

// DeleteUser removes a user with their conversations and private
// documents from the store (one transaction) and the documents from the
// index.
func (l *Library) DeleteUser(ctx context.Context, userID uint64) error {
	if l.feed != nil {
		if _, err := l.db.DeleteUser(ctx, userID); err != nil {
			return err
		}
		return l.Sync(ctx)
	}
	l.write.Lock()
	defer l.write.Unlock()
	owned, err := l.db.OwnedDocuments(ctx, userID)
	if err != nil {
		return err
	}
	terms := make(map[uint64][]Terms, len(owned))
	for _, d := range owned {
		if terms[d.ID], err = l.storedTerms(ctx, d.ID); err != nil {
			return err
		}
	}
	ids, err := l.db.DeleteUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		l.ix.DeleteDocument(id, terms[id]...)
	}
	l.touch()
	return nil
}

// storedTerms returns the stored Terms of document id's chunks, so that
// removing them from the index can take them out of its statistics.
func (l *Library) storedTerms(ctx context.Context, id uint64) ([]Terms, error) {
	chunks, err := l.db.Chunks(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Terms, len(chunks))
	for i, c := range chunks {
		out[i] = Terms(c.Terms)
	}
	return out, nil
}

// SearchRequest is one search on behalf of a viewer.
type SearchRequest struct {
	Text        string
	TopK        int
	Mode        Mode
	DocumentIDs []uint64
	// Workspace, when not 0, restricts the search to that workspace's
	// documents (store.ErrNotFound if the viewer may not see it).
	Workspace uint64
	Diversify bool
}

// Result is a passage with its document, ready to show or cite. A
// passage is one chunk, or several overlapping or adjacent chunks of a
// document merged (see Hit.Chunks).
type Result struct {
	DocumentID uint64
	Filename   string
	Title      string // the document's title
	ChunkIndex int    // the best matching chunk of the passage
	// ChunkIndexes are the passage's chunks in document order.
	ChunkIndexes []int
	Page         int // page where the passage starts (from 1), 0 without pages
	EndPage      int // page where it ends
	Headings     []string
	Score        float64
	Text         string
	BelowFloor   bool
}

// Search finds the passages best matching r among the documents v may read
// (their own, the shared library, and those of the workspaces they see;
// or one workspace's), best first. The scope is applied inside the index
// search, never by dropping results.
func (l *Library) Search(ctx context.Context, v store.Viewer, r SearchRequest) ([]Result, error) {
	if l.observe != nil {
		start := time.Now()
		defer func() {
			mode := r.Mode
			if mode == "" {
				mode = ModeHybrid
			}
			l.observe(mode, time.Since(start))
		}()
	}
	sc, err := l.db.ScopeOf(ctx, v, r.Workspace)
	if err != nil || sc.Empty() {
		return nil, err
	}
	hits, err := l.ix.Search(ctx, Query{Text: r.Text, TopK: r.TopK, Mode: r.Mode, Diversify: r.Diversify,
		Filter: Filter{Owners: sc.Owners, Granted: sc.Documents, DocumentIDs: r.DocumentIDs}})
	if err != nil {
		return nil, err
	}
	chunks, docs, err := l.passages(ctx, v, hits)
	if err != nil {
		return nil, err
	}
	byID := make(map[uint64]*store.Chunk, len(chunks))
	for i := range chunks {
		byID[chunks[i].ID()] = &chunks[i]
	}
	out := make([]Result, 0, len(hits))
	for _, h := range hits {
		parts := make([]*store.Chunk, 0, len(h.Chunks))
		for _, id := range h.Chunks {
			if c := byID[id]; c != nil {
				parts = append(parts, c)
			}
		}
		best := byID[h.ChunkID]
		if best == nil || len(parts) == 0 {
			continue // deleted since the search
		}
		d := docs[best.DocumentID]
		if d == nil {
			continue // deleted since the search, or not the viewer's
		}
		res := Result{DocumentID: d.ID, Filename: d.Filename, Title: d.Title, ChunkIndex: best.Index,
			Page: parts[0].Page, EndPage: parts[len(parts)-1].Page, Headings: parts[0].Headings,
			Score: h.Score, Text: joinParts(parts), BelowFloor: h.BelowFloor}
		for _, c := range parts {
			res.ChunkIndexes = append(res.ChunkIndexes, c.Index)
		}
		out = append(out, res)
	}
	return out, nil
}

// passages returns the chunks of hits and the documents they belong to
// that v may read: those a following library holds (the index found them
// within v's scope, and they are held exactly while indexed), else read
// from the store.
func (l *Library) passages(ctx context.Context, v store.Viewer, hits []Hit) ([]store.Chunk, map[uint64]*store.Document, error) {
	var ids, docIDs []uint64
	for _, h := range hits {
		ids = append(ids, h.Chunks...)
		if doc, _ := store.SplitChunkID(h.ChunkID); !slices.Contains(docIDs, doc) {
			docIDs = append(docIDs, doc)
		}
	}
	if l.feed != nil {
		chunks, docs := l.held.lookup(ids)
		return chunks, docs, nil
	}
	// The passages and their documents are read at once (one round trip
	// with a store over the network, not two).
	var readable []store.Document
	var derr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		readable, derr = l.db.ReadableDocuments(ctx, v, docIDs)
	}()
	chunks, err := l.db.ChunksByID(ctx, ids)
	<-read
	if err = cmp.Or(err, derr); err != nil {
		return nil, nil, err
	}
	docs := make(map[uint64]*store.Document, len(readable))
	for i := range readable {
		docs[readable[i].ID] = &readable[i]
	}
	return chunks, docs, nil
}

// joinParts returns the text of a passage of several chunks, in document
// order: each chunk's text continues where the previous one ended (the
// overlap written once), a chunk that follows without overlap starts a
// new paragraph.
func joinParts(parts []*store.Chunk) string {
	if len(parts) == 1 {
		return parts[0].Text
	}
	var b strings.Builder
	b.WriteString(parts[0].Text)
	end := parts[0].End
	for _, c := range parts[1:] {
		switch body := chunkBody(c); {
		case c.End <= end:
			continue // inside what is written
		case c.Start < end && end-c.Start <= len(body) && utf8.RuneStart(body[end-c.Start]) && len(body) == c.End-c.Start:
			b.WriteString(body[end-c.Start:])
		default:
			b.WriteString("\n\n")
			b.WriteString(c.Text)
		}
		end = max(end, c.End)
	}
	return b.String()
}

// chunkBody is a chunk's text without the heading path line that the
// chunker puts in front of the body of a section's chunks.
func chunkBody(c *store.Chunk) string {
	if len(c.Headings) == 0 {
		return c.Text
	}
	_, body, _ := strings.Cut(c.Text, "\n")
	return body
}

// IndexedDocuments returns the ids of the documents in the in-memory index,
// sorted (for consistency checks against the store).
func (l *Library) IndexedDocuments() []uint64 {
	var out []uint64
	for _, id := range l.ix.ChunkIDs() {
		doc, _ := store.SplitChunkID(id)
		if len(out) == 0 || out[len(out)-1] != doc {
			out = append(out, doc)
		}
	}
	return out
}

// Verify compares the in-memory index with the store: the same chunk ids,
// and, for each query, the same results as an index freshly rebuilt from
// the store (with no queries, a sample is taken from the stored passages).
// Writes wait while it runs. It returns the differences, none when the
// index is exact.
func (l *Library) Verify(ctx context.Context, queries []string) ([]string, error) {
	l.write.Lock()
	defer l.write.Unlock()
	fresh, err := l.freshIndex(ctx)
	if err != nil {
		return nil, err
	}
	var diffs []string
	live, want := l.ix.ChunkIDs(), fresh.ChunkIDs()
	if !slices.Equal(live, want) {
		diffs = append(diffs, fmt.Sprintf("the index holds %d chunks, the store %d (%d differ)", len(live), len(want), symmetricDiff(live, want)))
	}
	if queries == nil {
		queries = l.sampleQueries(ctx, want, 10)
	}
	for _, q := range queries {
		for _, mode := range []Mode{ModeKeyword, ModeVector, ModeHybrid} {
			query := Query{Text: q, TopK: 5, Mode: mode, Filter: Filter{Owners: owners(fresh, want)}}
			a, err := l.ix.Search(ctx, query)
			if err != nil {
				return diffs, err
			}
			b, err := fresh.Search(ctx, query)
			if err != nil {
				return diffs, err
			}
			if !sameHits(a, b) {
				diffs = append(diffs, fmt.Sprintf("%s search %q differs from a fresh rebuild", mode, q))
			}
		}
	}
	return diffs, nil
}

// sampleQueries takes the first words of up to n evenly spaced passages.
func (l *Library) sampleQueries(ctx context.Context, ids []uint64, n int) []string {
	if len(ids) == 0 {
		return nil
	}
	var pick []uint64
	for i := 0; i < n && i < len(ids); i++ {
		pick = append(pick, ids[i*len(ids)/min(n, len(ids))])
	}
	chunks, err := l.db.ChunksByID(ctx, pick)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range chunks {
		words := strings.Fields(c.Text)
		out = append(out, strings.Join(words[:min(6, len(words))], " "))
	}
	return out
}

// owners lists every owner of the chunks ids in ix, so verification
// searches see everything.
func owners(ix *Index, ids []uint64) []uint64 {
	seen := map[uint64]bool{store.Shared: true}
	out := []uint64{store.Shared}
	for _, id := range ids {
		doc, _ := store.SplitChunkID(id)
		if o, ok := ix.ownerOf(doc); ok && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

func sameHits(a, b []Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ChunkID != b[i].ChunkID || math.Abs(a[i].Score-b[i].Score) > 1e-9*math.Max(1, math.Abs(a[i].Score)) {
			return false
		}
	}
	return true
}

// symmetricDiff counts the ids in exactly one of two sorted lists.
func symmetricDiff(a, b []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			n, i = n+1, i+1
		case i == len(a) || b[j] < a[i]:
			n, j = n+1, j+1
		default:
			i, j = i+1, j+1
		}
	}
	return n
}
