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
	DefaultRRFK           = 60
	DefaultKeywordWeight  = 1.0
	DefaultVectorWeight   = 0.5
	DefaultDepth          = 100
	DefaultMMRLambda      = 0.7
	DefaultFloorCoverage  = 0.3
	DefaultFloorCosine    = 0.35
	DefaultFeedbackDocs   = 3
	DefaultFeedbackWeight = 3.0
	DefaultScoreWeight    = 0.5
	DefaultLongQuery      = 12
	DefaultLongB          = 0.75
	DefaultDocWeight      = 0.5
	DefaultTitleWeight    = 0.5
	DefaultMaxMerge       = 3
	DefaultDocPenalty     = 0.2
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
	// when its cosine with the query vector reaches it; negative disables
	// it. Cosine scales differ between models, so the default
	// (DefaultFloorCosine, calibrated for the built-in embedder) applies
	// to the built-in embedder only; with another embedder a zero
	// FloorCosine disables the cosine rescue.
	FloorCosine float64
	// FeedbackDocs and FeedbackWeight set the pseudo-relevance feedback
	// of the built-in embedder's hybrid query vector: the vectors of the
	// best FeedbackDocs BM25 chunks are averaged and added with this
	// weight (DefaultFeedbackDocs, DefaultFeedbackWeight; negative
	// disables).
	FeedbackDocs   int
	FeedbackWeight float64
	// ScoreWeight is the weight of the cosine in the score fusion used in
	// hybrid mode with the built-in embedder: each candidate scores
	// bm25/max bm25 + ScoreWeight·cos/max cos (DefaultScoreWeight).
	// Other embedders use reciprocal rank fusion (RRFK, KeywordWeight,
	// VectorWeight).
	ScoreWeight float64
	// LongQuery is the number of distinct terms from which a question is
	// long — a passage rather than a question, such as an argument to
	// answer or a paper to match (DefaultLongQuery; negative: never). In a
	// long question a term counts as often as it occurs (a word a passage
	// repeats is what it is about), and BM25 normalises lengths with LongB
	// (DefaultLongB); in a short one a repeated term counts once
	// (repetition there is mostly inflection merged by the stemmer).
	LongQuery int
	LongB     float64
	// DocWeight is how much a chunk's whole document adds to its keyword
	// score (see docscore.go; DefaultDocWeight, negative disables).
	DocWeight float64
	// TitleWeight is the weight of a question term found in a document's
	// identity (title and file name) relative to its idf, added to each of
	// the document's chunks the question reaches (see identity.go;
	// DefaultTitleWeight, negative disables).
	TitleWeight float64
	// MaxMerge is the most chunks merged into one passage
	// (DefaultMaxMerge); DocPenalty demotes each further passage of a
	// document already in the results by this share of the best score
	// (DefaultDocPenalty, negative disables), except the document the
	// question names. See passages.go.
	MaxMerge   int
	DocPenalty float64
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
	def(&o.FeedbackWeight, DefaultFeedbackWeight)
	def(&o.ScoreWeight, DefaultScoreWeight)
	def(&o.LongB, DefaultLongB)
	def(&o.DocWeight, DefaultDocWeight)
	def(&o.TitleWeight, DefaultTitleWeight)
	def(&o.DocPenalty, DefaultDocPenalty)
	if o.Depth <= 0 {
		o.Depth = DefaultDepth
	}
	if o.MaxMerge <= 0 {
		o.MaxMerge = DefaultMaxMerge
	}
	if o.LongQuery == 0 {
		o.LongQuery = DefaultLongQuery
	}
	if o.FeedbackDocs == 0 {
		o.FeedbackDocs = DefaultFeedbackDocs
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
	if qvec == nil && q.Text != "" {
		// A corpus-aware (local) embedder is cheap enough to give the
		// relevance floor a cosine in keyword mode too.
		if qe, ok := ix.emb.(queryEmbedder); ok {
			qvec = qe.embedQuery(q.Text, ix.termIDF)
		}
	}
	if qvec != nil && ix.dim != 0 && len(qvec) != ix.dim {
		return nil, fmt.Errorf("query vector of length %d, index has %d: %w", len(qvec), ix.dim, ErrDimension)
	}
	cs, err := ix.candidates(ctx, q, qterms, qvec)
	if err != nil {
		return nil, err
	}
	return ix.rank(q, cs, qvec), nil
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

// candidates collects the chunks of the BM25 and vector lists with their
// ranks, cosines and query-term coverage.
//
// With a corpus-aware (lexical) embedder such as the built-in one, every
// vector feature comes from the query's own words, so a chunk without any
// of them could reach the vector list only through hashing noise: in
// hybrid mode the vector list is then the BM25 candidates ranked by
// cosine with the query vector moved by pseudo-relevance feedback, with no
// scan of all vectors. With other embedders the vector list is a
// nearest-neighbour search over the quantised codes, and in hybrid mode
// every candidate of either list is ranked by cosine (BM25 candidates
// that the vector search did not return get their cosine from the stored
// vector). Vector mode runs no keyword scan: the candidates' terms are
// looked up for the relevance floor (termMasks).
func (ix *Index) candidates(ctx context.Context, q Query, qterms Terms, qvec []float32) ([]candidate, error) {
	vis := q.Filter.resolve()
	depth := max(ix.opt.Depth, q.TopK)
	var cl candidateList
	s := ix.scratch()
	defer ix.pool.Put(s)
	defer s.reset()
	qt, b := ix.queryTerms(qterms)
	if ix.opt.TitleWeight > 0 {
		ix.ids.score(qt, s, len(ix.dt.len))
	}
	var top []scored
	if q.Mode != ModeVector {
		top = ix.keywordList(qt, b, &vis, s, depth)
		for r, t := range top {
			c := cl.get(ix, t.ord)
			c.kwRank, c.kwScore = r+1, float64(t.score)
		}
	}
	_, lexical := ix.emb.(queryEmbedder)
	lexical = lexical && q.Vector == nil
	switch {
	case qvec == nil || q.Mode == ModeKeyword:
	case lexical && q.Mode == ModeHybrid:
		qvec = ix.feedback(qvec, top)
		ix.cosines(cl.cs, qvec)
		rerankVector(cl.cs)
	default:
		for r, h := range ix.searchVectors(qvec, depth, vis.scopes(ix.ownerOf)) {
			c := cl.get(ix, h.ord)
			c.vecRank, c.cos, c.hasCos = r+1, float64(h.sim), true
		}
		if q.Mode == ModeHybrid {
			ix.cosines(cl.cs, qvec)
			rerankVector(cl.cs)
		}
	}
	var total float64
	for _, t := range qt {
		total += t.floor
	}
	if q.Mode == ModeVector {
		// No keyword scan ran: the candidates' matched terms are looked
		// up, as the scan (and the identity blend) would have set them.
		ix.termMasks(cl.cs, qt, s)
	}
	for i := range cl.cs {
		c := &cl.cs[i]
		c.coverage = coverage(s.mask[c.ord], qt, total)
		if int(c.slot) < len(s.tacc) {
			c.named = float64(s.tacc[c.slot])
		}
	}
	return cl.cs, nil
}

// queryTerms resolves a query's analysed terms and returns them with the
// BM25 length normalisation for the query: a long query's terms count as
// often as they occur and use LongB (see Options.LongQuery).
func (ix *Index) queryTerms(qterms Terms) ([]queryTerm, float64) {
	if ix.opt.LongQuery > 0 && qterms.Len() >= ix.opt.LongQuery {
		return ix.resolve(qterms, qtfRaw), ix.opt.LongB
	}
	return ix.resolve(qterms, qtfOnce), ix.opt.B
}

// keywordList returns the n best visible chunks by keyword score — BM25
// with length normalisation b, plus the document and identity blends —
// leaving their matched-term bits in s.mask. The identity scores must be
// in s already.
func (ix *Index) keywordList(qt []queryTerm, b float64, vis *visibility, s *scratch, n int) []scored {
	var dp *docPass
	if ix.opt.DocWeight > 0 {
		dp = ix.dt.pass(ix.opt.K1, b)
	}
	if ix.prunable(b) {
		return ix.keywordTop(qt, b, vis, s, dp, n)
	}
	ix.keywordScan(qt, b, vis, s, dp)
	if dp != nil {
		dp.blend(s, ix.opt.DocWeight)
	}
	if ix.opt.TitleWeight > 0 {
		ix.ids.blend(s, ix.opt.TitleWeight)
	}
	return s.top(n, ix.chunkID)
}

// prunable reports whether a keyword search with length normalisation b
// may skip blocks (keywordTop): the bounds hold for k1 > 0 and b in
// [0, 1], where a term's score grows with tf and falls with the length.
func (ix *Index) prunable(b float64) bool {
	return !ix.exhaustive && ix.opt.K1 > 0 && b >= 0 && b <= 1
}

// candidateList gathers candidates by ordinal.
type candidateList struct {
	cs []candidate
	at map[uint32]int
}

// get returns the candidate of ord, adding it if new.
func (l *candidateList) get(ix *Index, ord uint32) *candidate {
	if l.at == nil {
		l.at = make(map[uint32]int)
	}
	i, ok := l.at[ord]
	if !ok {
		m := ix.chunkAt(ord)
		i = len(l.cs)
		l.at[ord] = i
		l.cs = append(l.cs, candidate{ord: ord, id: m.id, doc: m.doc, owner: m.owner, start: m.start, end: m.end, vec: m.vec, content: m.content,
			firstPage: m.page, lastPage: m.page, slot: m.slot})
	}
	return &l.cs[i]
}

// cosines sets the cosine of every candidate that has a stored vector.
func (ix *Index) cosines(cs []candidate, qvec []float32) {
	for i := range cs {
		c := &cs[i]
		if !c.hasCos && c.vec != nil {
			c.cos, c.hasCos = float64(dot(qvec, c.vec)), true
		}
	}
}

// feedback moves the query vector towards the centroid of the vectors of
// the best BM25 chunks (Rocchio pseudo-relevance feedback in vector
// space): normalise(q̂ + w·ĉ). It uses corpus statistics on the query side
// only; stored vectors never change.
func (ix *Index) feedback(qvec []float32, top []scored) []float32 {
	n := min(ix.opt.FeedbackDocs, len(top))
	if n <= 0 || ix.opt.FeedbackWeight <= 0 {
		return qvec
	}
	c := make([]float32, len(qvec))
	for _, t := range top[:n] {
		if v := ix.vectorOf(t.ord); len(v) == len(c) {
			for i, x := range v {
				c[i] += x
			}
		}
	}
	if !normalize(c) {
		return qvec
	}
	out := slices.Clone(qvec)
	for i, x := range c {
		out[i] += float32(ix.opt.FeedbackWeight) * x
	}
	normalize(out)
	return out
}

// coverage returns the share of the query terms whose bits are set in
// mask, each weighted by its smoothed idf (queryTerm.floor).
func coverage(mask uint64, qt []queryTerm, total float64) float64 {
	if total == 0 || mask == 0 {
		return 0
	}
	var got float64
	for _, t := range qt {
		if mask&t.bit != 0 {
			got += t.floor
		}
	}
	return got / total
}

// rank orders the candidates for the query's mode, removes overlapping
// duplicates, diversifies when asked, cuts to TopK and flags hits below
// the relevance floor.
func (ix *Index) rank(q Query, cs []candidate, qvec []float32) []Hit {
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
		if _, lexical := ix.emb.(queryEmbedder); lexical && q.Vector == nil {
			fuseScores(cs, ix.opt.ScoreWeight)
		} else {
			rrf(cs, ix.opt.RRFK, ix.opt.KeywordWeight, ix.opt.VectorWeight)
		}
	}
	switch {
	case q.Chunks:
		for i := range cs {
			cs[i].parts = []part{{cs[i].id, cs[i].start, cs[i].end}}
		}
	case q.Diversify:
		cs = passages(cs, ix.opt.MaxMerge)
		cs = mmr(cs[:min(len(cs), max(3*q.TopK, 30))], q.TopK, ix.opt.MMRLambda)
	default:
		cs = passages(cs, ix.opt.MaxMerge)
		cs = diversify(cs[:min(len(cs), max(3*q.TopK, 30))], q.TopK, ix.opt.DocPenalty)
	}
	cs = cs[:min(len(cs), q.TopK)]
	hits := make([]Hit, len(cs))
	for i, c := range cs {
		// The floor uses the cosine with the query itself, not with the
		// feedback-moved vector, which is close to the top hits by design.
		c.hasCos = qvec != nil && c.vec != nil
		c.cos = 0
		if c.hasCos {
			c.cos = float64(dot(qvec, c.vec))
		}
		chunks := make([]uint64, len(c.parts))
		for j, p := range c.parts {
			chunks[j] = p.id
		}
		hits[i] = Hit{
			ChunkID: c.id, DocumentID: c.doc, Score: c.score, Chunks: chunks,
			KeywordRank: c.kwRank, VectorRank: c.vecRank,
			Coverage: c.coverage, Cosine: c.cos,
			BelowFloor: ix.opt.FloorCoverage >= 0 && belowFloor(c, ix.opt.FloorCoverage, ix.opt.FloorCosine),
		}
	}
	return hits
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
