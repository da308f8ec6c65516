package retrieval

// Fusion experiments of EVAL.md: BM25 fused with the hashed cosine after
// pseudo-relevance feedback (weights, RRF, normalisation, dimensions,
// Rocchio, adaptive feedback, term centroids) and the paired standard
// errors of hybrid − keyword.

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// hashedFeats is vecFeats (hashed, top 100 candidates) on each collection.
func (s xsets) hashedFeats(b *Builtin, k1, bb float64, fbDocs int, fbW float64) xfeats {
	return s.feats(func(x *xindex) []qfeats { return x.vecFeats(b, false, 100, k1, bb, fbDocs, fbW) })
}

func TestExpPRF(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	for _, fb := range []struct {
		docs int
		w    float64
	}{{3, 1}, {3, 0.5}, {3, 2}, {5, 1}, {10, 1}, {1, 1}} {
		f := s.hashedFeats(b, 1.2, 0.4, fb.docs, fb.w)
		prefix := fmt.Sprintf("fb %2d docs w=%.1f", fb.docs, fb.w)
		f.row(t, prefix+" cosfb alone", lin([]float64{0, 0, 1}))
		for _, w := range []float64{0.3, 0.5, 0.8, 1.2} {
			f.row(t, fmt.Sprintf("%s lin bm25+%.1f fb", prefix, w), lin([]float64{1, 0, w}))
		}
		for _, k := range []float64{10, 30, 60} {
			for _, w := range []float64{0.5, 1} {
				f.row(t, fmt.Sprintf("%s rrf k=%.0f bm25+%.1f fb", prefix, k, w), rrfFuse([]float64{1, 0, w}, k))
			}
		}
	}
}

func TestExpGridHybrid(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	for _, k1 := range []float64{1.2, 1.5, 2.0} {
		for _, bb := range []float64{0.4, 0.5, 0.6, 0.75} {
			for _, fbW := range []float64{1, 2} {
				f := s.hashedFeats(b, k1, bb, 3, fbW)
				f.wvRows(t, fmt.Sprintf("k1 %.1f b %.2f fbW %.0f", k1, bb, fbW), []float64{0, 0.4, 0.6, 0.8, 1.0})
			}
		}
	}
}

func TestExpFuse(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	for _, fbd := range []int{2, 3, 4} {
		for _, fbW := range []float64{1.5, 2, 3} {
			f := s.hashedFeats(b, 1.5, 0.5, fbd, fbW)
			for _, norm := range []string{"max", "minmax", "z"} {
				for _, wv := range []float64{0.6, 0.8, 1.0, 1.2} {
					for _, depth := range []int{30, 100} {
						name := fmt.Sprintf("fb %d/%.1f %-6s wv %.1f depth %3d", fbd, fbW, norm, wv, depth)
						f.row(t, name, normFuse([]float64{1, 0, wv}, norm, depth))
					}
				}
			}
		}
	}
}

func TestExpDim(t *testing.T) {
	s := expSets(t)
	for _, dim := range []int{256, 384, 512} {
		b := NewBuiltin(dim)
		for _, fbW := range []float64{2, 3} {
			f := s.hashedFeats(b, 1.5, 0.5, 3, fbW)
			f.wvRows(t, fmt.Sprintf("dim %d fb 3/%.1f", dim, fbW), []float64{0.6, 0.8, 1.0, 1.2, 1.5})
		}
	}
}

// termCentroidFeats is vecFeats (3 docs ×2) plus a fourth feature: the
// cosine with the idf-weighted sum of the centroids of the documents of
// each query term found in at most maxDF documents.
func (x *xindex) termCentroidFeats(b *Builtin, maxDF int) []qfeats {
	fs := x.vecFeats(b, false, 100, 1.2, 0.4, 3, 2)
	dv := x.docVecs(b)
	for i := range fs {
		qf := &fs[i]
		c := make([]float32, b.dim)
		for _, t := range x.queryTerms(x.ds.Queries[qf.qid]) {
			if x.df(t.id) > maxDF {
				continue
			}
			docs := make([]int, 0, x.df(t.id))
			for _, p := range x.post[t.id] {
				docs = append(docs, int(p.doc))
			}
			tc := centroid(b.dim, dv, docs, nil)
			w := float32(x.idf(t.id))
			for j := range c {
				c[j] += w * tc[j]
			}
		}
		normalize(c)
		qf.f = append(qf.f, make([]float64, len(qf.docs)))
		cosines(qf.f[3], c, dv, qf.docs)
	}
	return fs
}

func TestExpTermCentroid(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	for _, maxDF := range []int{50, 200, 100000} {
		f := s.feats(func(x *xindex) []qfeats { return x.termCentroidFeats(b, maxDF) })
		prefix := fmt.Sprintf("maxDF %6d", maxDF)
		f.row(t, prefix+" tc alone", lin([]float64{0, 0, 0, 1}))
		f.row(t, prefix+" bm25+0.55fb", lin([]float64{1, 0, 0.55, 0}))
		for _, w := range []float64{0.1, 0.2, 0.4} {
			f.row(t, fmt.Sprintf("%s bm25+0.55fb+%.1ftc", prefix, w), lin([]float64{1, 0, 0.55, w}))
		}
	}
}

// fbVariant is a way of computing feedback features (BM25, unused, cosine
// after feedback).
type fbVariant struct {
	name  string
	feats func(x *xindex) []qfeats
}

// feedbackRows logs each variant fused with BM25 at cosine weights 0.6,
// 0.8 and 1.0.
func (s xsets) feedbackRows(t *testing.T, vs []fbVariant) {
	t.Helper()
	for _, v := range vs {
		s.feats(v.feats).wvRows(t, v.name, []float64{0.6, 0.8, 1.0})
	}
}

// rocchioFeats: bm25, cos(q + beta·ĉ_top − gamma·ĉ_all), ĉ_top the centroid
// of the top fbDocs (weighted by their BM25 score relative to the best),
// ĉ_all that of all 100 candidates.
func (x *xindex) rocchioFeats(b *Builtin, k1, bb float64, fbDocs int, beta, gamma float64, weighted bool) []qfeats {
	dv := x.docVecs(b)
	return x.candFeats(3, 100, k1, bb, func(qf qfeats, c candQuery) {
		top := qf.docs
		var weight func(d int) float32
		if weighted {
			weight = func(d int) float32 { return float32(c.bm25[d] / c.bm25[top[0]]) }
		}
		qv := b.embedQuery(c.text, x.termIDF)
		pos := centroid(len(qv), dv, top[:min(fbDocs, len(top))], weight)
		all := centroid(len(qv), dv, top, nil)
		fb := slices.Clone(qv)
		for j := range fb {
			fb[j] += float32(beta)*pos[j] - float32(gamma)*all[j]
		}
		normalize(fb)
		cosines(qf.f[2], fb, dv, top)
	})
}

func TestExpRocchio(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	v := func(docs int, beta, gamma float64, weighted bool) fbVariant {
		return fbVariant{fmt.Sprintf("fb %d β %.1f γ %.1f weighted %v", docs, beta, gamma, weighted), func(x *xindex) []qfeats {
			return x.rocchioFeats(b, 1.5, 0.5, docs, beta, gamma, weighted)
		}}
	}
	s.feedbackRows(t, []fbVariant{v(3, 3, 0, false), v(3, 3, 0, true), v(3, 3, 0.5, false), v(3, 3, 1, false), v(3, 3, 2, false),
		v(3, 2, 1, false), v(5, 3, 1, false), v(5, 3, 1, true), v(3, 3, 1, true), v(3, 3, 1.5, true)})
}

// adaptiveFeats: bm25, cos(q + β·ĉ) where ĉ averages the top fbDocs whose
// BM25 score is at least ratio × the best, and β is scaled by the mean
// coverage of those docs when cov is set.
func (x *xindex) adaptiveFeats(b *Builtin, k1, bb float64, fbDocs int, beta, ratio float64, cov bool) []qfeats {
	dv := x.docVecs(b)
	return x.candFeats(3, 100, k1, bb, func(qf qfeats, c candQuery) {
		var fbd []int
		for r, d := range qf.docs {
			if r >= fbDocs || c.bm25[d] < ratio*c.bm25[qf.docs[0]] {
				break
			}
			fbd = append(fbd, d)
		}
		w := beta
		if cov && len(fbd) > 0 {
			total := x.queryIDF(c.terms)
			var covSum float64
			for _, d := range fbd {
				covSum += x.matchedIDF(c.terms, d) / total
			}
			w *= covSum / float64(len(fbd))
		}
		qv := b.embedQuery(c.text, x.termIDF)
		fb := towards(qv, centroid(len(qv), dv, fbd, nil), w)
		cosines(qf.f[2], fb, dv, qf.docs)
	})
}

func TestExpAdaptive(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	v := func(docs int, beta, ratio float64, cov bool) fbVariant {
		return fbVariant{fmt.Sprintf("fb %d β %.1f ratio %.2f cov %v", docs, beta, ratio, cov), func(x *xindex) []qfeats {
			return x.adaptiveFeats(b, 1.5, 0.5, docs, beta, ratio, cov)
		}}
	}
	s.feedbackRows(t, []fbVariant{v(3, 3, 0, false), v(3, 3, 0.7, false), v(3, 3, 0.85, false), v(3, 3, 0, true),
		v(3, 4, 0, true), v(5, 3, 0.8, false), v(5, 4, 0.8, true)})
}

// pairedSE returns the mean of b − a and its standard error.
func pairedSE(a, b []float64) (mean, se float64) {
	n := float64(len(a))
	for i := range a {
		mean += b[i] - a[i]
	}
	mean /= n
	var ss float64
	for i := range a {
		d := b[i] - a[i] - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss/(n-1)) / math.Sqrt(n)
}

func TestExpSE(t *testing.T) {
	s := expSets(t)
	b := NewBuiltin(256)
	for _, c := range []struct{ fbW, wv float64 }{{3, 1}, {3, 0.8}, {3, 0.6}, {2, 0.8}, {2, 0.6}} {
		f := s.hashedFeats(b, 1.5, 0.5, 3, c.fbW)
		for i, x := range s {
			kw := x.fusedPerQuery(f.q[i], lin([]float64{1, 0, 0}))
			hy := x.fusedPerQuery(f.q[i], lin([]float64{1, 0, c.wv}))
			m, se := pairedSE(kw, hy)
			t.Logf("fb 3/%.0f wv %.1f %-10s hybrid-keyword %+.4f ± %.4f (SE)", c.fbW, c.wv, x.ds.Name+"/"+fmt.Sprint(len(kw)), m, se)
		}
	}
}
