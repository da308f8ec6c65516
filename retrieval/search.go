package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Defaults of Options. The floor values are calibrated on the SciFact
// train split (see the package documentation).
const (
	DefaultRRFK          = 60
	DefaultKeywordWeight = 1.0
	DefaultVectorWeight  = 1.0
	DefaultDepth         = 100
	DefaultMMRLambda     = 0.7
	DefaultFloorCoverage = 0.4
	DefaultFloorCosine   = 0.3
)

// Options tune an Index. The zero value means the defaults; a field left
// at zero takes its default.
type Options struct {
	K1, B         float64 // BM25 parameters (DefaultK1, DefaultB)
	RRFK          float64 // reciprocal rank fusion constant k (DefaultRRFK)
	KeywordWeight float64 // RRF weight of the BM25 list (DefaultKeywordWeight)
	VectorWeight  float64 // RRF weight of the vector list (DefaultVectorWeight)
	Depth         int     // candidates taken from each list, at least TopK (DefaultDepth)
	MMRLambda     float64 // relevance/diversity trade-off of Query.Diversify (DefaultMMRLambda)
	// FloorCoverage is the idf-weighted share of the query's terms a hit
	// must contain to be above the relevance floor (DefaultFloorCoverage);
	// negative disables the floor.
	FloorCoverage float64
	// FloorCosine lifts a hit with too little term coverage above the floor
	// when its cosine with the query vector reaches it (DefaultFloorCosine,
	// calibrated for the built-in embedder); negative disables it.
	FloorCosine float64
}

// withDefaults fills zero fields with the defaults.
func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.K1, DefaultK1)
	def(&o.B, DefaultB)
	def(&o.RRFK, DefaultRRFK)
	def(&o.KeywordWeight, DefaultKeywordWeight)
	def(&o.VectorWeight, DefaultVectorWeight)
	def(&o.MMRLambda, DefaultMMRLambda)
	def(&o.FloorCoverage, DefaultFloorCoverage)
	def(&o.FloorCosine, DefaultFloorCosine)
	if o.Depth <= 0 {
		o.Depth = DefaultDepth
	}
	return o
}

// ErrMode is returned for an unknown Query.Mode.
var ErrMode = errors.New("retrieval: unknown search mode")

// Search returns the best chunks for q among those q.Filter makes
// visible, best first, overlapping chunks of one document counted once.
func (ix *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	if q.TopK <= 0 {
		q.TopK = 10
	}
	switch q.Mode {
	case "":
		q.Mode = ModeHybrid
	case ModeHybrid, ModeVector, ModeKeyword:
	default:
		return nil, fmt.Errorf("%w %q", ErrMode, q.Mode)
	}
	qterms := ix.an.Analyze(q.Text)
	qvec, err := ix.queryVector(ctx, q)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if qvec == nil && q.Mode != ModeKeyword && q.Text != "" {
		if qe, ok := ix.emb.(queryEmbedder); ok {
			qvec = qe.embedQuery(q.Text, ix.kw.termIDF)
		}
	}
	if qvec != nil && ix.dim != 0 && len(qvec) != ix.dim {
		return nil, fmt.Errorf("query vector of length %d, index has %d: %w", len(qvec), ix.dim, ErrDimension)
	}
	cs, err := ix.candidates(ctx, q, qterms, qvec)
	if err != nil {
		return nil, err
	}
	return ix.rank(ctx, q, cs, qvec), nil
}

// queryVector returns the query's vector when it does not depend on the
// index: a normalised copy of q.Vector, or Embed(q.Text) from an embedder
// without corpus-aware query weighting. It is called outside the lock
// (remote embedders go over the network).
func (ix *Index) queryVector(ctx context.Context, q Query) ([]float32, error) {
	if q.Mode == ModeKeyword {
		return nil, nil
	}
	if q.Vector != nil {
		v := slices.Clone(q.Vector)
		normalize(v)
		return v, nil
	}
	if _, ok := ix.emb.(queryEmbedder); ok || q.Text == "" {
		return nil, nil
	}
	out, err := ix.emb.Embed(ctx, []string{q.Text})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("embed query: got %d vectors", len(out))
	}
	return out[0], nil
}

// candidates collects the chunks of the vector and BM25 lists with their
// ranks and the query-term coverage of each.
func (ix *Index) candidates(ctx context.Context, q Query, qterms Terms, qvec []float32) ([]candidate, error) {
	vis := q.Filter.resolve()
	depth := max(ix.opt.Depth, q.TopK)
	var cs []candidate
	at := make(map[uint32]int)
	get := func(ord uint32) *candidate {
		i, ok := at[ord]
		if !ok {
			m := ix.meta[ord]
			i = len(cs)
			at[ord] = i
			cs = append(cs, candidate{ord: ord, id: m.id, doc: m.doc, owner: m.owner, start: m.start, end: m.end})
		}
		return &cs[i]
	}
	if qvec != nil && q.Mode != ModeKeyword {
		hits, err := ix.vec.search(ctx, qvec, depth, vis.scopes(ix.ownerOf))
		if err != nil {
			return nil, err
		}
		for r, h := range hits {
			ord, ok := ix.byID[h.id]
			if !ok {
				continue
			}
			c := get(ord)
			c.vecRank, c.cos, c.hasCos = r+1, float64(h.sim), true
		}
	}
	s := ix.scratch()
	defer ix.pool.Put(s)
	defer s.reset()
	qt := ix.kw.resolve(qterms)
	ix.kw.search(qt, func(ord uint32) bool {
		m := &ix.meta[ord]
		return !ix.kw.dead[ord] && vis.allows(m.owner, m.doc)
	}, s)
	if q.Mode != ModeVector {
		for r, t := range s.top(depth) {
			c := get(t.ord)
			c.kwRank, c.kwScore = r+1, float64(t.score)
		}
	}
	var total float64
	for _, t := range qt {
		total += t.weight
	}
	for i := range cs {
		cs[i].coverage = coverage(s.mask[cs[i].ord], qt, total)
	}
	return cs, nil
}

// coverage returns the idf-weighted share of the query terms whose bits
// are set in mask.
func coverage(mask uint64, qt []queryTerm, total float64) float64 {
	if total == 0 || mask == 0 {
		return 0
	}
	var got float64
	for _, t := range qt {
		if mask&t.bit != 0 {
			got += t.weight
		}
	}
	return got / total
}

// rank orders the candidates for the query's mode, removes overlapping
// duplicates, diversifies when asked, cuts to TopK and flags hits below
// the relevance floor.
func (ix *Index) rank(ctx context.Context, q Query, cs []candidate, qvec []float32) []Hit {
	switch q.Mode {
	case ModeKeyword:
		for i := range cs {
			cs[i].score = cs[i].kwScore
		}
		sortCandidates(cs)
	case ModeVector:
		for i := range cs {
			cs[i].score = cs[i].cos
		}
		cs = slices.DeleteFunc(cs, func(c candidate) bool { return c.vecRank == 0 })
		sortCandidates(cs)
	default:
		if qvec != nil {
			ix.fillVectors(ctx, cs, qvec)
			rerankVector(cs)
		}
		rrf(cs, ix.opt.RRFK, ix.opt.KeywordWeight, ix.opt.VectorWeight)
	}
	cs = dedupe(cs)
	if q.Diversify {
		pool := cs[:min(len(cs), max(3*q.TopK, 30))]
		ix.fillVectors(ctx, pool, qvec)
		cs = mmr(pool, q.TopK, ix.opt.MMRLambda)
	}
	cs = cs[:min(len(cs), q.TopK)]
	if qvec != nil {
		ix.fillVectors(ctx, cs, qvec)
	}
	hits := make([]Hit, len(cs))
	for i, c := range cs {
		hits[i] = Hit{
			ChunkID: c.id, DocumentID: c.doc, Score: c.score,
			KeywordRank: c.kwRank, VectorRank: c.vecRank,
			BelowFloor: ix.opt.FloorCoverage >= 0 && belowFloor(c, ix.opt.FloorCoverage, ix.opt.FloorCosine),
		}
	}
	return hits
}

// fillVectors loads the stored vectors of candidates and, when the query
// vector is known, their cosine.
func (ix *Index) fillVectors(ctx context.Context, cs []candidate, qvec []float32) {
	for i := range cs {
		c := &cs[i]
		if c.vec == nil {
			c.vec, _ = ix.vec.vector(ctx, c.owner, c.id)
		}
		if !c.hasCos && qvec != nil && c.vec != nil {
			c.cos, c.hasCos = float64(dot(qvec, c.vec)), true
		}
	}
}

// ownerOf returns the owner of a live document.
func (ix *Index) ownerOf(doc uint64) (uint64, bool) {
	d := ix.docs[doc]
	if d == nil {
		return 0, false
	}
	return d.owner, true
}

// scratch returns BM25 accumulators from the pool.
func (ix *Index) scratch() *scratch {
	if s, ok := ix.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}
