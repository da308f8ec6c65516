package retrieval

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
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

// Index is the in-memory hybrid index: BM25 over chunk terms and vector
// search through chromem-go. It is safe for concurrent use.
type Index struct {
	emb Embedder
	opt Options
	an  *Analyzer

	mu   sync.RWMutex
	kw   *bm25
	vec  vectorIndex
	dim  int
	byID map[uint64]uint32 // chunk id → ordinal
	meta []chunkMeta       // by ordinal
	// owners repeats meta's owner by ordinal, densely: the keyword scan
	// tests visibility once per chunk it reaches, and at a million chunks
	// reading 8 bytes per chunk instead of a 40-byte record halves a
	// hybrid search.
	owners []uint64
	vecs   [][]float32          // by ordinal: unit vector (shared with chromem), nil if none
	docs   map[uint64]*docEntry // document id → its chunks
	dt     docTable             // document slots and lengths
	ids    identities           // document titles by term
	pool   sync.Pool            // *scratch
	nLive  int
}

// chunkMeta is what the Index keeps of a chunk.
type chunkMeta struct {
	id, doc, owner uint64
	start, end     int
	page           int
	content        uint64 // hash of the chunk's terms (identical passages)
}

// docEntry lists the live chunk ordinals of one document.
type docEntry struct {
	owner uint64
	ords  []uint32
	slot  uint32 // in Index.dt
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
		kw:   newBM25(opt.K1, opt.B),
		vec:  newChromemIndex(builtin),
		byID: make(map[uint64]uint32),
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
	ids := make([]uint64, 0, len(ix.byID))
	for id := range ix.byID {
		ids = append(ids, id)
	}
	ix.mu.RUnlock()
	slices.Sort(ids)
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

// add is Add; with owned, the chunks' vectors belong to the Index (a
// start-up rebuild reads fresh copies from the store) and are normalised
// in place instead of copied.
func (ix *Index) add(ctx context.Context, chunks []Chunk, owned bool) error {
	chunks = lastByID(chunks)
	if len(chunks) == 0 {
		return nil
	}
	terms, vecs, err := ix.prepare(ctx, chunks, owned)
	if err != nil {
		return err
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
	rs, err := ix.kw.resolveBatch(terms, workers)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if old, ok := ix.byID[c.ID]; ok {
			ix.removeOrd(old)
		}
	}
	first := ix.kw.commit(rs, workers)
	byOwner := make(map[uint64][]vectorItem)
	for i, c := range chunks {
		ord := first + uint32(i)
		ix.meta = append(ix.meta, chunkMeta{id: c.ID, doc: c.DocumentID, owner: c.Owner, start: c.Start, end: c.End, page: c.Page,
			content: maphash.Bytes(ix.kw.seed, terms[i])})
		ix.owners = append(ix.owners, c.Owner)
		ix.vecs = append(ix.vecs, vecs[i])
		ix.byID[c.ID] = ord
		d := ix.docs[c.DocumentID]
		if d == nil {
			d = &docEntry{owner: c.Owner, slot: ix.dt.alloc()}
			ix.docs[c.DocumentID] = d
			ix.ids.add(d.slot, ix.identityHashes(c.Title))
		}
		d.ords = append(d.ords, ord)
		ix.dt.of = append(ix.dt.of, d.slot)
		ix.dt.grow(d.slot, ix.kw.docLen[ord])
		ix.nLive++
		if vecs[i] != nil {
			byOwner[c.Owner] = append(byOwner[c.Owner], vectorItem{id: c.ID, doc: c.DocumentID, vec: vecs[i]})
		}
	}
	for owner, items := range byOwner {
		// chromem's AddDocument fails only for an empty id or vector,
		// which cannot happen here.
		if err := ix.vec.add(ctx, owner, items); err != nil {
			return err
		}
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
// chromem would turn into NaNs).
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
		if d := ix.docs[c.DocumentID]; !ok && d != nil && len(d.ords) > 0 {
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
// index rebuilt without the document. Deleting an unknown document does
// nothing.
func (ix *Index) DeleteDocument(docID uint64, terms ...Terms) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	d := ix.docs[docID]
	if d == nil {
		return
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
	delete(ix.docs, docID)
	ix.dt.release(d.slot)
	ix.ids.remove(d.slot)
	// chromem's Delete by ids cannot fail for an existing collection.
	_ = ix.vec.remove(context.Background(), d.owner, ids)
	ix.maybeCompact()
}

// removeOrd removes one chunk (being replaced) from all structures.
func (ix *Index) removeOrd(ord uint32) {
	m := ix.meta[ord]
	ix.forget(ord, nil)
	if d := ix.docs[m.doc]; d != nil {
		d.ords = slices.DeleteFunc(d.ords, func(o uint32) bool { return o == ord })
		if len(d.ords) == 0 {
			delete(ix.docs, m.doc)
			ix.dt.release(d.slot)
			ix.ids.remove(d.slot)
		}
	}
	// chromem's Delete by ids cannot fail for an existing collection.
	_ = ix.vec.remove(context.Background(), m.owner, []uint64{m.id})
}

// forget marks ord dead in the keyword index and drops its id and vector.
func (ix *Index) forget(ord uint32, terms Terms) {
	if !ix.kw.dead[ord] {
		ix.dt.shrink(ix.dt.of[ord], ix.kw.docLen[ord])
	}
	ix.kw.remove(ord, terms)
	ix.vecs[ord] = nil
	delete(ix.byID, ix.meta[ord].id)
	ix.nLive--
}

// maybeCompact renumbers ordinals once a quarter of them are dead.
func (ix *Index) maybeCompact() {
	dead := ix.kw.nDead
	if dead < 1024 || dead*4 < ix.kw.size() {
		return
	}
	ix.compact()
}

// compact drops dead ordinals everywhere.
func (ix *Index) compact() {
	remap := make([]uint32, len(ix.meta))
	meta := make([]chunkMeta, 0, ix.nLive)
	owners := make([]uint64, 0, ix.nLive)
	vecs := make([][]float32, 0, ix.nLive)
	of := make([]uint32, 0, ix.nLive)
	for ord, m := range ix.meta {
		if ix.kw.dead[ord] {
			continue
		}
		remap[ord] = uint32(len(meta))
		meta = append(meta, m)
		owners = append(owners, m.owner)
		vecs = append(vecs, ix.vecs[ord])
		of = append(of, ix.dt.of[ord])
	}
	ix.kw.compact(remap)
	ix.meta, ix.owners, ix.vecs, ix.dt.of = meta, owners, vecs, of
	for ord, m := range meta {
		ix.byID[m.id] = uint32(ord)
	}
	for _, d := range ix.docs {
		for i, o := range d.ords {
			d.ords[i] = remap[o]
		}
	}
}
