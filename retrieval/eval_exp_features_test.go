package retrieval

// Feature experiments of EVAL.md: the eleven ranking features (and BM25)
// over the BM25 candidates, alone and fused, weights fitted by coordinate
// ascent (the "upper bound" row), and the embedder's feature variants.

import (
	"fmt"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// sparse is a sparse vector sorted by key.
type sparse struct {
	k []uint64
	v []float32
}

// sparseOf returns the vector m/scale.
func sparseOf(m map[uint64]float64, scale float64) sparse {
	var s sparse
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s.k = append(s.k, k)
		s.v = append(s.v, float32(m[k]/scale))
	}
	return s
}

// exact returns the normalised features of text without hashing them into
// dimensions.
func (b *Builtin) exact(text string, weight func(string) float64) sparse {
	ft := &featureTable{}
	b.features(ft, text, weight)
	m := map[uint64]float64{}
	for _, i := range ft.used {
		h, c := ft.keys[i], ft.count[i]
		w := float64(ft.sum[i])
		if c > 1 {
			w = w / float64(c) * (1 + math.Log(float64(c)))
		}
		m[h] += w
	}
	var ss float64
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ss += m[k] * m[k]
	}
	return sparseOf(m, math.Sqrt(ss))
}

func (s sparse) dot(t sparse) float64 {
	var sum float64
	i, j := 0, 0
	for i < len(s.k) && j < len(t.k) {
		switch {
		case s.k[i] < t.k[j]:
			i++
		case s.k[i] > t.k[j]:
			j++
		default:
			sum += float64(s.v[i]) * float64(t.v[j])
			i++
			j++
		}
	}
	return sum
}

// plusDocs returns s + Σ w·vs[d]/n over docs, not normalised.
func (s sparse) plusDocs(vs []sparse, docs []int, w, n float64) sparse {
	m := map[uint64]float64{}
	for i, k := range s.k {
		m[k] += float64(s.v[i])
	}
	for _, d := range docs {
		for i, k := range vs[d].k {
			m[k] += w * float64(vs[d].v[i]) / n
		}
	}
	return sparseOf(m, 1)
}

// centroid returns the normalised Σ weight(d)·vecs[d] over docs (weight
// nil: 1).
func centroid(dim int, vecs [][]float32, docs []int, weight func(d int) float32) []float32 {
	c := make([]float32, dim)
	for _, d := range docs {
		w := float32(1)
		if weight != nil {
			w = weight(d)
		}
		for i, v := range vecs[d] {
			c[i] += w * v
		}
	}
	normalize(c)
	return c
}

// cosines sets f[j] to the dot product of q with the vector of docs[j].
func cosines(f []float64, q []float32, vecs [][]float32, docs []int) {
	for j, d := range docs {
		f[j] = float64(dot(q, vecs[d]))
	}
}

// towards returns q + w·c, normalised.
func towards(q, c []float32, w float64) []float32 {
	out := slices.Clone(q)
	for i := range out {
		out[i] += float32(w) * c[i]
	}
	normalize(out)
	return out
}

// docCache returns cache[key], first computing it with fn for each
// document, in parallel.
func docCache[T any](x *xindex, cache map[string][]T, key string, fn func(ft *featureTable, text string) T) []T {
	if v, ok := cache[key]; ok {
		return v
	}
	v := make([]T, x.n)
	parallel(x.n, runtime.GOMAXPROCS(0), func(lo, hi int) {
		ft := &featureTable{}
		for i := lo; i < hi; i++ {
			v[i] = fn(ft, x.docText(i))
		}
	})
	cache[key] = v
	return v
}

func embedKey(b *Builtin) string { return fmt.Sprintf("%d %v", b.dim, b.p) }

// docVecs returns the hashed document vectors of embedder b.
func (x *xindex) docVecs(b *Builtin) [][]float32 {
	return docCache(x, x.cache.vecs, embedKey(b), func(ft *featureTable, text string) []float32 {
		return b.vector(ft, text, nil)
	})
}

// docExact returns the unhashed document features of embedder b.
func (x *xindex) docExact(b *Builtin) []sparse {
	return docCache(x, x.cache.exact, embedKey(b), func(_ *featureTable, text string) sparse {
		return b.exact(text, nil)
	})
}

// titleIndex returns the index of the document titles alone.
func (x *xindex) titleIndex() *xindex {
	if x.cache.title == nil {
		tds := &Dataset{Docs: make([]BEIRDoc, len(x.ds.Docs))}
		for i, d := range x.ds.Docs {
			tds.Docs[i] = BEIRDoc{ID: d.ID, Title: d.Title}
		}
		x.cache.title = buildX(tds, x.tokFn)
	}
	return x.cache.title
}

// queryIDF returns Σ idf over q.
func (x *xindex) queryIDF(q []wterm) float64 {
	var sum float64
	for _, t := range q {
		sum += x.idf(t.id)
	}
	return sum
}

// matchedIDF returns Σ idf over the terms of q that doc d contains.
func (x *xindex) matchedIDF(q []wterm, d int) float64 {
	var sum float64
	for _, t := range q {
		if x.tf[d][t.id] > 0 {
			sum += x.idf(t.id)
		}
	}
	return sum
}

// The features of allFeatures, in qfeats.f order.
const (
	fBM25      = iota
	fTitle     // BM25 of the title alone
	fOrdered   // ordered term pairs (SDM)
	fUnordered // term pairs within 8 words
	fRM3       // RM3 feedback terms alone, 10 docs, 20 terms
	fCos256    // hashed cosine, 256 dimensions
	fCos256FB  // the same with feedback from the top 3
	fExact     // unhashed cosine
	fCoverage  // share of the query's idf the document matches
	fExactFB   // unhashed cosine with feedback from the top 3
	fCos512    // hashed cosine, 512 dimensions
	fRM3Small  // RM3 feedback terms alone, 3 docs, 10 terms
	nFeats
)

func featName(i int) string {
	return [nFeats]string{"bm25", "title", "sdm_od", "sdm_uw", "rm3fb", "cos256", "cos256fb", "cosExact", "coverage", "cosExactFb", "cos512", "rm3cran"}[i]
}

// featData is what the features read besides the index.
type featData struct {
	title        *xindex
	b256, b512   *Builtin
	exact        []sparse
	hv256, hv512 [][]float32
}

// allFeatures computes every feature of the top depth BM25 candidates of
// each judged query.
func (x *xindex) allFeatures(depth int, k1, b float64) []qfeats {
	fd := featData{title: x.titleIndex(), b256: NewBuiltin(256), b512: NewBuiltin(512)}
	fd.exact, fd.hv256, fd.hv512 = x.docExact(fd.b256), x.docVecs(fd.b256), x.docVecs(fd.b512)
	return x.candFeats(nFeats, depth, k1, b, func(qf qfeats, c candQuery) {
		x.lexicalFeatures(qf, c, fd.title, k1, b)
		x.vectorFeatures(qf, c, fd)
	})
}

// lexicalFeatures sets the title, term pair, RM3 and coverage features.
func (x *xindex) lexicalFeatures(qf qfeats, c candQuery, ti *xindex, k1, b float64) {
	var tq []wterm
	for _, t := range c.terms {
		if id, ok := ti.id(x.terms[t.id]); ok {
			tq = append(tq, wterm{id, 1})
		}
	}
	title := ti.bm25Scores(tq, k1, b)
	rm3 := x.bm25Scores(x.rm3(c.terms, c.bm25, 10, 20, 0), k1, b)
	rm3Small := x.bm25Scores(x.rm3(c.terms, c.bm25, 3, 10, 0), k1, b)
	pairs := x.queryPairs(c.text)
	total := x.queryIDF(c.terms)
	for j, d := range qf.docs {
		qf.f[fTitle][j] = title[d]
		qf.f[fOrdered][j], qf.f[fUnordered][j] = x.pairFeatures(pairs, d, k1, b)
		qf.f[fRM3][j] = rm3[d]
		qf.f[fCoverage][j] = x.matchedIDF(c.terms, d) / total
		qf.f[fRM3Small][j] = rm3Small[d]
	}
}

// pairFeatures returns BM25-like scores of the ordered and the unordered
// (within 8 words) occurrences of the query term pairs in doc d.
func (x *xindex) pairFeatures(pairs []termPair, d int, k1, b float64) (od, uw float64) {
	for _, p := range pairs {
		idf := max(x.idf(p.a), x.idf(p.b))
		o, u := pairCounts(x.seq[d], p.a, p.b, 8)
		od += x.bm25Weight(idf, float64(o), d, k1, b)
		uw += x.bm25Weight(idf, float64(u), d, k1, b)
	}
	return od, uw
}

// vectorFeatures sets the cosine features.
func (x *xindex) vectorFeatures(qf qfeats, c candQuery, fd featData) {
	fb := qf.docs[:min(3, len(qf.docs))]
	q256 := fd.b256.embedQuery(c.text, x.termIDF)
	q256fb := towards(q256, centroid(len(q256), fd.hv256, fb, nil), 1)
	q512 := fd.b512.embedQuery(c.text, x.termIDF)
	qe := fd.b256.exact(c.text, x.termIDF)
	qefb := qe.plusDocs(fd.exact, fb, 1, 3)
	cosines(qf.f[fCos256], q256, fd.hv256, qf.docs)
	cosines(qf.f[fCos256FB], q256fb, fd.hv256, qf.docs)
	cosines(qf.f[fCos512], q512, fd.hv512, qf.docs)
	for j, d := range qf.docs {
		qf.f[fExact][j] = qe.dot(fd.exact[d])
		qf.f[fExactFB][j] = qefb.dot(fd.exact[d])
	}
}

// bm25Plus returns weights of BM25 alone plus v for feature i.
func bm25Plus(i int, v float64) []float64 {
	w := make([]float64, nFeats)
	w[fBM25] = 1
	w[i] = v
	return w
}

func TestExpFeatures(t *testing.T) {
	f := expSets(t).feats(func(x *xindex) []qfeats { return x.allFeatures(100, 1.2, 0.4) })
	f.row(t, "lin bm25", lin(bm25Plus(fBM25, 1)))
	for i := range nFeats {
		w := make([]float64, nFeats)
		w[i] = 1
		f.row(t, "lin alone "+featName(i), lin(w))
	}
	for i := fBM25 + 1; i < nFeats; i++ {
		for _, v := range []float64{0.1, 0.2, 0.4} {
			f.row(t, fmt.Sprintf("lin bm25 + %.1f %s", v, featName(i)), lin(bm25Plus(i, v)))
		}
		f.row(t, fmt.Sprintf("rrf bm25 + 0.5 %s", featName(i)), rrfFuse(bm25Plus(i, 0.5), 60))
	}
}

// ascend does coordinate ascent on weights (w[0] fixed to 1) maximising obj.
func ascend(w []float64, allowed []int, obj func([]float64) float64) ([]float64, float64) {
	w = slices.Clone(w)
	best := obj(w)
	steps := []float64{0.4, 0.2, 0.1, 0.05, 0.025}
	for _, st := range steps {
		for improved := true; improved; {
			improved = false
			for _, i := range allowed {
				for _, d := range []float64{st, -st} {
					old := w[i]
					w[i] = max(0, w[i]+d)
					if v := obj(w); v > best+1e-5 {
						best, improved = v, true
					} else {
						w[i] = old
					}
				}
			}
		}
	}
	return w, best
}

// featSet names features whose weights ascentRows fits.
type featSet struct {
	name string
	idx  []int
}

// ascentRows fits the weights of each set, from BM25 alone, on train and
// on train + Cranfield, and logs both fits.
func ascentRows(t *testing.T, f xfeats, sets []featSet) {
	t.Helper()
	w0 := bm25Plus(fBM25, 1)
	for _, set := range sets {
		w, _ := ascend(w0, set.idx, func(w []float64) float64 { return f.score(xTrain, lin(w)) })
		f.row(t, fmt.Sprintf("train-opt %s w=%.3f", set.name, w), lin(w))
		w, _ = ascend(w0, set.idx, func(w []float64) float64 { return f.trainCran(lin(w)) })
		f.row(t, fmt.Sprintf("train+cran-opt %s w=%.3f", set.name, w), lin(w))
	}
}

func TestExpAscent(t *testing.T) {
	f := expSets(t).feats(func(x *xindex) []qfeats { return x.allFeatures(100, 1.2, 0.4) })
	ascentRows(t, f, []featSet{
		{"all", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"exact only", []int{7, 9}},
		{"no exact", []int{1, 2, 3, 4, 5, 6, 8, 10, 11}},
		{"title+exact+rm3", []int{1, 7, 9, 11}},
		{"title+sdm", []int{1, 2, 3}},
		{"title+sdm+vec", []int{1, 2, 3, 5, 6}},
		{"title+vec+rm3", []int{1, 5, 6, 11}},
		{"vec256 only", []int{5, 6}},
	})
}

func TestExpAscent2(t *testing.T) {
	f := expSets(t).feats(func(x *xindex) []qfeats { return x.allFeatures(100, 1.2, 0.4) })
	f.row(t, "bm25", lin(bm25Plus(fBM25, 1)))
	ascentRows(t, f, []featSet{
		{"vec", []int{6}},
		{"vec+title", []int{1, 6}},
		{"vec+sdm", []int{2, 3, 6}},
		{"vec+rm3", []int{4, 6, 11}},
		{"vec+title+sdm", []int{1, 2, 3, 6}},
		{"vec+title+rm3", []int{1, 4, 6, 11}},
		{"vec+title+sdm+rm3", []int{1, 2, 3, 4, 6, 11}},
		{"exact", []int{7, 9}},
		{"all", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	})
}

// vecFeats computes, for the top depth BM25 candidates, BM25, the cosine
// of embedder b (unhashed when exact) and the cosine after feedback: the
// query moved by fbW towards the centroid of the top fbDocs.
func (x *xindex) vecFeats(b *Builtin, exact bool, depth int, k1, bb float64, fbDocs int, fbW float64) []qfeats {
	if exact {
		ev := x.docExact(b)
		return x.candFeats(3, depth, k1, bb, func(qf qfeats, c candQuery) {
			qe := b.exact(c.text, x.termIDF)
			nfb := min(fbDocs, len(qf.docs))
			qefb := qe.plusDocs(ev, qf.docs[:nfb], fbW, float64(nfb))
			for j, d := range qf.docs {
				qf.f[1][j] = qe.dot(ev[d])
				qf.f[2][j] = qefb.dot(ev[d])
			}
		})
	}
	dv := x.docVecs(b)
	return x.candFeats(3, depth, k1, bb, func(qf qfeats, c candQuery) {
		qv := b.embedQuery(c.text, x.termIDF)
		fb := towards(qv, centroid(len(qv), dv, qf.docs[:min(fbDocs, len(qf.docs))], nil), fbW)
		cosines(qf.f[1], qv, dv, qf.docs)
		cosines(qf.f[2], fb, dv, qf.docs)
	})
}

func TestExpEmbed(t *testing.T) {
	s := expSets(t)
	only := os.Getenv("DOCENT_EXP_V")
	for _, p := range []struct {
		n string
		p builtinParams
	}{
		{"w+c3-5", builtinParams{word: 1, char: 1, minGram: 3, maxGram: 5}},
		{"word only", builtinParams{word: 1, char: 0, minGram: 3, maxGram: 5}},
		{"w+c4", builtinParams{word: 1, char: 1, minGram: 4, maxGram: 4}},
		{"w+c3-4", builtinParams{word: 1, char: 1, minGram: 3, maxGram: 4}},
		{"w+0.5c3-5", builtinParams{word: 1, char: 0.5, minGram: 3, maxGram: 5}},
		{"w+c5", builtinParams{word: 1, char: 1, minGram: 5, maxGram: 5}},
	} {
		if only != "" && !strings.Contains(only, p.n) {
			continue
		}
		for _, dim := range []int{0, 256, 384, 512} { // 0: exact
			name := fmt.Sprintf("%s %d", p.n, dim)
			if dim == 0 {
				name = p.n + " exact"
			}
			b := NewBuiltin(0)
			b.dim, b.p = dim, p.p
			f := s.feats(func(x *xindex) []qfeats { return x.vecFeats(b, dim == 0, 100, 1.2, 0.4, 3, 1) })
			f.row(t, fmt.Sprintf("%-24s cos alone", name), lin([]float64{0, 1, 0}))
			f.row(t, fmt.Sprintf("%-24s cosfb alone", name), lin([]float64{0, 0, 1}))
			w, _ := ascend([]float64{1, 0, 0}, []int{1, 2}, func(w []float64) float64 { return f.trainCran(lin(w)) })
			f.row(t, fmt.Sprintf("%-24s bm25+%.2fcos+%.2ffb", name, w[1], w[2]), lin(w))
		}
	}
}

// TestExpAdd adds each lexical feature to the hybrid of BM25 and hashed
// cosine with feedback (3 docs ×2).
func TestExpAdd(t *testing.T) {
	k1, bb := 1.5, 0.5
	b := NewBuiltin(256)
	f := expSets(t).feats(func(x *xindex) []qfeats {
		fs := x.allFeatures(100, k1, bb)
		vs := x.vecFeats(b, false, 100, k1, bb, 3, 2)
		for i := range fs {
			fs[i].f[fCos256FB] = vs[i].f[2]
		}
		return fs
	})
	w := bm25Plus(fCos256FB, 1)
	f.row(t, "bm25+fb", lin(w))
	for _, i := range []int{fTitle, fOrdered, fUnordered, fRM3, fRM3Small} {
		for _, v := range []float64{0.05, 0.1, 0.2, 0.4} {
			w2 := slices.Clone(w)
			w2[i] = v
			f.row(t, fmt.Sprintf("bm25+fb+%.2f %s", v, featName(i)), lin(w2))
		}
	}
}
