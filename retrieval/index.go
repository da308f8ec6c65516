package retrieval

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Chunk is one passage of a document as the store feeds it to the Index.
// The Index keeps neither Text nor Terms after Add.
type Chunk struct {
	ID         uint64 // globally unique chunk id
	DocumentID uint64
	Owner      uint64 // 0 = the shared library
	Start, End int    // byte offsets in the document text, for merging overlapping chunks into passages
	Page       int    // the page the chunk is on (0 without pages): chunks across a page break are merged
	Text       string // analysed (and embedded) when Terms (or Vector) is nil, or Terms are not Current
	// Title is the identity of the chunk's document (see Identity): its
	// title and file name, scored as a field of all its chunks. It is read
	// from the first chunk of a document the index sees.
	Title  string
	Terms  Terms // optional pre-analysed terms (see Analyze)
	Vector []float32
}

// Mode selects the lists a search ranks by.
type Mode string

// Search modes.
const (
	ModeHybrid  Mode = "hybrid" // BM25 and vector lists fused by reciprocal rank fusion (the default)
	ModeVector  Mode = "vector"
	ModeKeyword Mode = "keyword"
)

// Query is one search.
type Query struct {
	Text      string
	Vector    []float32 // optional query vector; otherwise the embedder embeds Text
	TopK      int       // results wanted; 10 when <= 0
	Mode      Mode      // ModeHybrid when empty
	Filter    Filter
	Diversify bool // reorder by maximal marginal relevance (MMR)
	// Chunks asks for the best chunks as they are: no passages merged,
	// no identical content dropped, no diversity (for measuring the
	// index itself).
	Chunks bool
}

// Hit is one search result.
type Hit struct {
	ChunkID, DocumentID uint64
	// Chunks are the chunks of the passage, in document order: ChunkID
	// (the best) and the overlapping or adjacent chunks merged into it.
	Chunks []uint64
	// Score ranks the hits: in hybrid mode the fused score (max-normalised
	// BM25 plus weighted max-normalised cosine with the built-in embedder,
	// RRF otherwise), the BM25 score in keyword mode, the cosine
	// similarity in vector mode.
	Score       float64
	KeywordRank int // 1-based rank in the BM25 list, 0 if not in it
	VectorRank  int // 1-based rank in the vector list, 0 if not in it
	// Coverage is the idf-weighted share of the query's terms the chunk
	// contains; Cosine its cosine with the query vector (0 when unknown,
	// e.g. in keyword mode). Together they decide BelowFloor.
	Coverage, Cosine float64
	// BelowFloor flags a hit too weak to answer the question, so that chat
	// can say the answer is not in the documents (see the package doc).
	BelowFloor bool
}

// ErrOwnerMismatch is returned when a chunk names a document that is
// already indexed under another owner.
var ErrOwnerMismatch = errors.New("retrieval: chunk owner differs from its document's owner")

// Index is the hybrid index: BM25 over chunk terms and quantised vector
// search, with document identity and document evidence. It is made of
// parts: immutable segments, memory-mapped from files (segment.go; only
// with a persisted Library), then the tail, in memory, which takes every
// chunk added since. A chunk's ordinal is its position over all parts.
// It is safe for concurrent use.
type Index struct {
	emb Embedder
	opt Options
	an  *Analyzer

	mu sync.RWMutex
	// The tail, by tail ordinal.
	kw   *bm25
	vec  *tailVectors
	meta []chunkMeta
	vecs [][]float32 // unit vector, nil if none
	of   []uint32    // the document's slot in dt
	// The segments, in ordinal order; the tail's ordinals start at
	// tailBase. segLive and segTokens count their live chunks and those
	// chunks' tokens.
	segs      []*segment
	tailBase  uint32
	segBlocks uint32 // blocks of all segments
	segLive   int
	segTokens int64

	dim   int
	docs  map[uint64]*docEntry // document id → its chunks
	dt    docTable             // document slots and lengths
	ids   identities           // document titles by term
	pool  sync.Pool            // *scratch
	nLive int
	// changes counts deletions in segments (what a persisted index's
	// manifest must record).
	changes uint64
	// exhaustive makes keyword searches score every chunk holding a
	// query term (keywordScan) instead of skipping blocks (keywordTop);
	// for tests that compare the two.
	exhaustive bool
}

// chunkMeta is what the tail keeps of a chunk.
type chunkMeta struct {
	id, doc, owner uint64
	start, end     int
	page           int
	content        uint64 // hash of the chunk's terms (identical passages)
}

// docEntry lists the live chunks of one document: tail ordinals, and an
// ordinal range of one segment (whose dead members are skipped).
type docEntry struct {
	owner        uint64
	slot         uint32 // in Index.dt
	ords         []uint32
	seg          *segment
	segLo, segHi uint32
}

// NewIndex returns an empty index that embeds with e (the built-in
// embedder when e is nil).
func NewIndex(e Embedder, opt Options) *Index {
	if e == nil {
		e = NewBuiltin(0)
	}
	opt = opt.withDefaults()
	_, builtin := e.(queryEmbedder)
	if builtin && opt.FloorCosine == 0 {
		opt.FloorCosine = DefaultFloorCosine
	}
	return &Index{
		emb:  e,
		opt:  opt,
		an:   NewAnalyzer(),
		kw:   newBM25(),
		vec:  newTailVectors(builtin),
		docs: make(map[uint64]*docEntry),
	}
}

// Embedder returns the index's embedder.
func (ix *Index) Embedder() Embedder { return ix.emb }

// Analyze returns the terms of text using the index's stem cache; it is
// the same analysis as the package-level Analyze, only faster in bulk.
func (ix *Index) Analyze(text string) Terms { return ix.an.Analyze(text) }

// Len returns the number of chunks in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.nLive
}

// ChunkIDs returns the ids of all chunks in the index, sorted.
func (ix *Index) ChunkIDs() []uint64 {
	ix.mu.RLock()
	ids := make([]uint64, 0, ix.nLive)
	for _, d := range ix.docs {
		ids = ix.appendChunkIDs(ids, d)
	}
	ix.mu.RUnlock()
	slices.Sort(ids)
	return ids
}

// appendChunkIDs appends the ids of d's live chunks.
func (ix *Index) appendChunkIDs(ids []uint64, d *docEntry) []uint64 {
	for _, o := range d.ords {
		ids = append(ids, ix.meta[o].id)
	}
	if s := d.seg; s != nil {
		for o := d.segLo; o < d.segHi; o++ {
			if !s.isDead(o) {
				ids = append(ids, s.ids[o])
			}
		}
	}
	return ids
}

// Add indexes chunks. A chunk whose ID is already indexed replaces the
// old one (within one call, the last chunk with an ID wins). Chunks
// without Terms are analysed from Text; chunks without a Vector are
// embedded. All chunks of a document must have the same Owner. Nothing is
// changed when Add returns an error.
func (ix *Index) Add(ctx context.Context, chunks []Chunk) error {
	return ix.add(ctx, chunks, false)
}

// addBatch is how many chunks of a large Add the index takes in at a
// time (under one hold of its lock, so searches see all or none): the
// decoded terms of a batch, 16 bytes a term and a few hundred terms a
// passage, are held at once.
const addBatch = 1024

// add is Add; with owned, the chunks' vectors belong to the Index (a
// start-up rebuild reads fresh copies from the store, in batches of its
// own) and are normalised in place instead of copied, and chunks are
// taken in at once.
func (ix *Index) add(ctx context.Context, chunks []Chunk, owned bool) error {
	chunks = lastByID(chunks)
	if len(chunks) == 0 {
		return nil
	}
	terms, vecs, err := ix.prepare(ctx, chunks, owned)
	if err != nil {
		return err
	}
	batch := len(chunks)
	if !owned && batch > addBatch {
		batch = addBatch
		if err := checkTerms(terms); err != nil { // before anything changes
			return err
		}
	}
	workers := runtime.GOMAXPROCS(0)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.checkOwners(chunks); err != nil {
		return err
	}
	if err := ix.checkDim(vecs); err != nil {
		return err
	}
	for lo := 0; lo < len(chunks); lo += batch {
		hi := min(lo+batch, len(chunks))
		if err := ix.addLocked(chunks[lo:hi], terms[lo:hi], vecs[lo:hi], workers); err != nil {
			return err
		}
	}
	return nil
}

// addLocked takes chunks in, with their terms and unit vectors. The
// caller holds ix.mu; nothing is changed when it returns an error.
func (ix *Index) addLocked(chunks []Chunk, terms []Terms, vecs [][]float32, workers int) error {
	rs, err := ix.kw.resolveBatch(terms, workers)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		ix.removeChunk(c.DocumentID, c.ID)
	}
	first := ix.kw.commit(rs, workers)
	byOwner := make(map[uint64][]vectorItem)
	for i, c := range chunks {
		ord := first + uint32(i)
		ix.meta = append(ix.meta, chunkMeta{id: c.ID, doc: c.DocumentID, owner: c.Owner, start: c.Start, end: c.End, page: c.Page,
			content: contentHash(terms[i])})
		ix.vecs = append(ix.vecs, vecs[i])
		d := ix.docs[c.DocumentID]
		if d == nil {
			d = &docEntry{owner: c.Owner, slot: ix.dt.alloc(c.DocumentID, c.Owner)}
			ix.docs[c.DocumentID] = d
			ix.ids.add(d.slot, ix.identityHashes(c.Title))
		}
		d.ords = append(d.ords, ord)
		ix.of = append(ix.of, d.slot)
		ix.dt.grow(d.slot, ix.kw.docLen[ord])
		ix.nLive++
		if vecs[i] != nil {
			byOwner[c.Owner] = append(byOwner[c.Owner], vectorItem{id: c.ID, doc: c.DocumentID, ord: ord, vec: vecs[i]})
		}
	}
	for owner, items := range byOwner {
		ix.vec.add(owner, items)
	}
	return nil
}

// lastByID drops chunks whose ID appears again later in chunks.
func lastByID(chunks []Chunk) []Chunk {
	seen := make(map[uint64]bool, len(chunks))
	dup := false
	for i := len(chunks) - 1; i >= 0; i-- {
		if seen[chunks[i].ID] {
			dup = true
		}
		seen[chunks[i].ID] = true
	}
	if !dup {
		return chunks
	}
	clear(seen)
	out := make([]Chunk, 0, len(chunks))
	for i := len(chunks) - 1; i >= 0; i-- {
		if !seen[chunks[i].ID] {
			seen[chunks[i].ID] = true
			out = append(out, chunks[i])
		}
	}
	slices.Reverse(out)
	return out
}

// prepare analyses and embeds chunks outside the lock, in parallel for
// the built-in embedder; Terms of an older analyser are analysed again
// when the chunk's Text is given. It returns terms and unit vectors (copies, never
// the caller's slices, unless owned); a zero vector (a text without
// features) becomes nil and stays out of the vector index.
func (ix *Index) prepare(ctx context.Context, chunks []Chunk, owned bool) ([]Terms, [][]float32, error) {
	terms := make([]Terms, len(chunks))
	vecs := make([][]float32, len(chunks))
	var missing []int
	for i, c := range chunks {
		if c.Vector == nil {
			missing = append(missing, i)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(chunks) < 64 {
		workers = 1
	}
	parallel(len(chunks), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c := chunks[i]
			if terms[i] = c.Terms; terms[i] == nil || !terms[i].Current() && c.Text != "" {
				terms[i] = ix.an.Analyze(c.Text)
			}
			switch {
			case c.Vector == nil:
			case !owned:
				vecs[i] = unit(c.Vector)
			case normalize(c.Vector):
				vecs[i] = c.Vector
			}
		}
	})
	if len(missing) == 0 {
		return terms, vecs, nil
	}
	if _, local := ix.emb.(queryEmbedder); !local || len(missing) < 64 {
		workers = 1
	}
	errs := make([]error, workers)
	parallel(workers, workers, func(w, _ int) {
		part := missing[len(missing)*w/workers : len(missing)*(w+1)/workers]
		texts := make([]string, len(part))
		for j, i := range part {
			texts[j] = chunks[i].Text
		}
		out, err := ix.emb.Embed(ctx, texts)
		switch {
		case err != nil:
			errs[w] = fmt.Errorf("embed %d chunks: %w", len(texts), err)
		case len(out) != len(texts):
			errs[w] = fmt.Errorf("embed %d chunks: got %d vectors", len(texts), len(out))
		default:
			for j, i := range part {
				vecs[i] = unit(out[j])
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return terms, vecs, nil
}

// unit returns a normalised copy of v, or nil for a zero vector (which
// would make NaN cosines).
func unit(v []float32) []float32 {
	u := slices.Clone(v)
	if !normalize(u) {
		return nil
	}
	return u
}

// checkOwners verifies that no chunk moves a document to another owner.
func (ix *Index) checkOwners(chunks []Chunk) error {
	seen := make(map[uint64]uint64)
	for _, c := range chunks {
		owner, ok := seen[c.DocumentID]
		if d := ix.docs[c.DocumentID]; !ok && d != nil {
			owner, ok = d.owner, true
		}
		if ok && owner != c.Owner {
			return fmt.Errorf("document %d: owner %d, chunk %d says %d: %w", c.DocumentID, owner, c.ID, c.Owner, ErrOwnerMismatch)
		}
		seen[c.DocumentID] = c.Owner
	}
	return nil
}

// checkDim verifies that all vectors have the index's dimension, fixing it
// with the first vector ever added.
func (ix *Index) checkDim(vecs [][]float32) error {
	for _, v := range vecs {
		if v == nil {
			continue
		}
		if ix.dim == 0 {
			ix.dim = len(v)
		}
		if len(v) != ix.dim {
			return fmt.Errorf("vector of length %d, index has %d: %w", len(v), ix.dim, ErrDimension)
		}
	}
	return nil
}

// DeleteDocument removes every chunk of a document. terms, if given, are
// the stored Terms of its chunks (in any order): they take the chunks out
// of the keyword statistics at once, so that scores equal those of an
// index rebuilt without the document (a segment's chunks need none: the
// segment knows its terms). Deleting an unknown document does nothing.
func (ix *Index) DeleteDocument(docID uint64, terms ...Terms) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteDocument(docID, terms)
	ix.maybeCompact()
}

// deleteDocument is DeleteDocument under the write lock.
func (ix *Index) deleteDocument(docID uint64, terms []Terms) {
	d := ix.docs[docID]
	if d == nil {
		return
	}
	if d.seg != nil && len(d.ords) > 0 {
		terms = nil // not the tail's alone: which terms are whose is unknown
	}
	ids := make([]uint64, 0, len(d.ords))
	for i, ord := range d.ords {
		ids = append(ids, ix.meta[ord].id)
		var t Terms
		if i < len(terms) {
			t = terms[i]
		}
		ix.forget(ord, t)
	}
	if s := d.seg; s != nil {
		for o := d.segLo; o < d.segHi; o++ {
			ix.killSeg(s, o, d.slot)
		}
	}
	delete(ix.docs, docID)
	ix.dt.release(d.slot)
	ix.ids.remove(d.slot)
	ix.vec.remove(d.owner, ids)
}

// removeChunk removes chunk id of document doc (being replaced) from all
// structures, if it is indexed.
func (ix *Index) removeChunk(doc, id uint64) {
	d := ix.docs[doc]
	if d == nil {
		return
	}
	if i := slices.IndexFunc(d.ords, func(o uint32) bool { return ix.meta[o].id == id }); i >= 0 {
		ix.forget(d.ords[i], nil)
		d.ords = slices.Delete(d.ords, i, i+1)
		ix.vec.remove(d.owner, []uint64{id})
	} else if s := d.seg; s != nil {
		o, ok := slices.BinarySearch(s.ids[d.segLo:d.segHi], id)
		if !ok {
			return
		}
		ix.killSeg(s, d.segLo+uint32(o), d.slot)
	} else {
		return
	}
	if len(d.ords) == 0 && !ix.segLiveIn(d) {
		delete(ix.docs, doc)
		ix.dt.release(d.slot)
		ix.ids.remove(d.slot)
	}
}

// segLiveIn reports whether d has a live chunk in its segment; when it
// has none it drops the reference.
func (ix *Index) segLiveIn(d *docEntry) bool {
	if d.seg == nil {
		return false
	}
	for o := d.segLo; o < d.segHi; o++ {
		if !d.seg.isDead(o) {
			return true
		}
	}
	d.seg = nil
	return false
}

// forget marks tail ordinal ord dead in the keyword index and drops its
// vector.
func (ix *Index) forget(ord uint32, terms Terms) {
	if !ix.kw.isDead(ord) {
		ix.dt.shrink(ix.of[ord], ix.kw.docLen[ord])
		ix.nLive--
	}
	ix.kw.remove(ord, terms)
	ix.vecs[ord] = nil
}

// killSeg marks ordinal ord of segment s (a chunk of the document in
// slot) dead.
func (ix *Index) killSeg(s *segment, ord uint32, slot uint32) {
	if tokens, ok := s.kill(ord); ok {
		ix.changes++
		ix.segLive--
		ix.segTokens -= int64(tokens)
		ix.dt.shrink(slot, tokens)
		ix.nLive--
	}
}

// maybeCompact renumbers the tail's ordinals once a quarter of them are
// dead.
func (ix *Index) maybeCompact() {
	dead := ix.kw.nDead
	if dead < 1024 || dead*4 < ix.kw.size() {
		return
	}
	ix.compact()
}

// compact drops the tail's dead ordinals everywhere.
func (ix *Index) compact() {
	remap := make([]uint32, len(ix.meta))
	meta := make([]chunkMeta, 0, ix.kw.live())
	vecs := make([][]float32, 0, ix.kw.live())
	of := make([]uint32, 0, ix.kw.live())
	for ord, m := range ix.meta {
		if ix.kw.isDead(uint32(ord)) {
			continue
		}
		remap[ord] = uint32(len(meta))
		meta = append(meta, m)
		vecs = append(vecs, ix.vecs[ord])
		of = append(of, ix.of[ord])
	}
	ix.kw.compact(remap)
	ix.meta, ix.vecs, ix.of = meta, vecs, of
	for _, d := range ix.docs {
		for i, o := range d.ords {
			d.ords[i] = remap[o]
		}
	}
	ix.vec.renumber(remap)
}
