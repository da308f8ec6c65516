package retrieval

// Research harness behind the experiment tables of EVAL.md (DOCENT_EXP=1
// go test ./retrieval -run TestExp<Name> -v): a document-level,
// brute-force re-implementation of the ranking ideas, so that they can be
// compared on SciFact train, SciFact test and Cranfield in seconds. It
// tokenises with the current analyser; the analyser rows of EVAL.md were
// measured with analyser v1 (before commit aef9dd7), the letter/digit split
// emulated by alnumSplit.
//
// This file holds the harness: the in-memory index (xindex), the three
// collections (xsets), rankers and their rows, candidate features (qfeats)
// and their fusion. The experiments are in eval_exp_keyword_test.go
// (analysis, BM25, query expansion), eval_exp_features_test.go (feature
// sets, weight fitting, embedder variants) and eval_exp_fusion_test.go
// (vector feedback and fusion of BM25 with cosine).

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
)

type xpost struct {
	doc int32
	tf  int32
}

type xindex struct {
	ds    *Dataset
	vocab map[string]int32
	terms []string
	post  [][]xpost
	seq   [][]int32 // per doc, the term ids in order, stop words left out
	tf    []map[int32]int32
	dl    []float64
	avgdl float64
	n     int
	tokFn func(string) []string // "" = stop word / gap
	cache *xcache               // shared by indexes of the same corpus
}

// xcache holds what experiments derive from a corpus, computed once.
type xcache struct {
	title *xindex                // index of the titles alone
	vecs  map[string][][]float32 // hashed document vectors by embedder
	exact map[string][]sparse    // unhashed document features by embedder
}

func (x *xindex) id(t string) (int32, bool) { i, ok := x.vocab[t]; return i, ok }

func (x *xindex) intern(t string) int32 {
	if i, ok := x.vocab[t]; ok {
		return i
	}
	i := int32(len(x.terms))
	x.vocab[t] = i
	x.terms = append(x.terms, t)
	x.post = append(x.post, nil)
	return i
}

func (x *xindex) docText(d int) string { return x.ds.Docs[d].Title + "\n" + x.ds.Docs[d].Text }

func buildX(ds *Dataset, tokFn func(string) []string) *xindex {
	x := &xindex{ds: ds, vocab: map[string]int32{}, tokFn: tokFn, n: len(ds.Docs),
		cache: &xcache{vecs: map[string][][]float32{}, exact: map[string][]sparse{}}}
	var sum float64
	for d := range ds.Docs {
		var seq []int32
		tf := map[int32]int32{}
		for _, t := range tokFn(x.docText(d)) {
			if t != "" {
				id := x.intern(t)
				seq = append(seq, id)
				tf[id]++
			}
		}
		for id, f := range tf {
			x.post[id] = append(x.post[id], xpost{int32(d), f})
		}
		x.seq = append(x.seq, seq)
		x.tf = append(x.tf, tf)
		x.dl = append(x.dl, float64(len(seq)))
		sum += float64(len(seq))
	}
	x.avgdl = sum / float64(x.n)
	return x
}

func (x *xindex) df(id int32) int { return len(x.post[id]) }

func (x *xindex) idf(id int32) float64 { return x.idfOfDF(x.df(id)) }

func (x *xindex) idfOfDF(n int) float64 {
	df := float64(n)
	return math.Log(1 + (float64(x.n)-df+0.5)/(df+0.5))
}

// termIDF is the idf of a term, unknown terms counting as df 0.
func (x *xindex) termIDF(term string) float64 {
	if id, ok := x.id(term); ok {
		return x.idf(id)
	}
	return x.idfOfDF(0)
}

// wterm is a weighted query term.
type wterm struct {
	id int32
	w  float64
}

// bm25Weight is w times the BM25 saturation of frequency f in doc d.
func (x *xindex) bm25Weight(w, f float64, d int, k1, b float64) float64 {
	return w * f * (k1 + 1) / (f + k1*(1-b+b*x.dl[d]/x.avgdl))
}

// bm25Scores scores all docs for weighted terms (weights multiply idf).
func (x *xindex) bm25Scores(q []wterm, k1, b float64) []float64 {
	s := make([]float64, x.n)
	for _, t := range q {
		w := t.w * x.idf(t.id)
		for _, p := range x.post[t.id] {
			s[p.doc] += x.bm25Weight(w, float64(p.tf), int(p.doc), k1, b)
		}
	}
	return s
}

// queryTerms returns the unique known terms of text with weight 1 (the
// production behaviour).
func (x *xindex) queryTerms(text string) []wterm {
	q := x.queryTermsQTF(text)
	for i := range q {
		q[i].w = 1
	}
	return q
}

// queryTermsQTF counts repeated terms.
func (x *xindex) queryTermsQTF(text string) []wterm {
	at := map[int32]int{}
	var out []wterm
	for _, t := range x.tokFn(text) {
		if t == "" {
			continue
		}
		if id, ok := x.id(t); ok {
			if i, ok := at[id]; ok {
				out[i].w++
				continue
			}
			at[id] = len(out)
			out = append(out, wterm{id, 1})
		}
	}
	return out
}

// topN returns the indexes of the n best positive scores, best first,
// ties to the lower index: the production top-k over float32 scores.
func topN(s []float64, n int) []int {
	sc := scratch{acc: make([]float32, len(s))}
	for i, v := range s {
		if v > 0 {
			sc.acc[i] = float32(v)
			sc.touched = append(sc.touched, uint32(i))
		}
	}
	top := sc.top(n, nil)
	out := make([]int, len(top))
	for i, c := range top {
		out[i] = int(c.ord)
	}
	return out
}

// ranker returns a ranking (doc indexes, best first) for query qid.
type ranker func(x *xindex, qid, text string) []int

// queryRanker ranks the top 100 documents by BM25 (k1, b) of the weighted
// terms that query makes of the text.
func queryRanker(k1, b float64, query func(x *xindex, text string) []wterm) ranker {
	return func(x *xindex, _, text string) []int {
		return topN(x.bm25Scores(query(x, text), k1, b), 100)
	}
}

func bm25Ranker(k1, b float64) ranker { return queryRanker(k1, b, (*xindex).queryTerms) }

func (x *xindex) eval(r ranker) float64 { return meanOf(x.perQuery(r)) }

// perQuery returns nDCG@10 per judged query.
func (x *xindex) perQuery(r ranker) []float64 {
	qs := x.ds.judgedQueries()
	out := make([]float64, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = x.ndcg10(qs[i], r(x, qs[i], x.ds.Queries[qs[i]]))
		}
	})
	return out
}

// ndcg10 returns nDCG@10 of a ranking of doc indexes for query qid, the
// query's own document dropped (as Evaluate does, following BEIR).
func (x *xindex) ndcg10(qid string, docs []int) float64 {
	ranked := make([]string, 0, 10)
	for _, d := range docs {
		if id := x.ds.Docs[d].ID; id != qid {
			ranked = append(ranked, id)
		}
		if len(ranked) == 10 {
			break
		}
	}
	return NDCG(ranked, x.ds.Qrels[qid], 10)
}

func meanOf(v []float64) float64 {
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

func analyzerTok(an *Analyzer) func(string) []string {
	return func(text string) []string {
		var out []string
		an.each(text, func(_ []byte, term string, _ tokenKind) { out = append(out, term) })
		return out
	}
}

// xsets are the three collections every experiment reports on, indexed
// by xTrain, xTest and xCran.
type xsets [3]*xindex

const (
	xTrain = iota // SciFact train
	xTest         // SciFact test (the train index with other qrels)
	xCran         // Cranfield
)

// expDataset loads a BEIR dataset of the shared evaluation data, skipping
// the test when it is missing.
func expDataset(t *testing.T, name, split string) *Dataset {
	ds, err := LoadBEIR(filepath.Join(sharedEval, name), split)
	if err != nil {
		t.Skip(err)
	}
	return ds
}

// loadX skips the test unless DOCENT_EXP is set, else indexes the three
// collections with tokFn.
func loadX(t *testing.T, tokFn func(string) []string) xsets {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip("experiment: set DOCENT_EXP=1")
	}
	tr := expDataset(t, "scifact", "train")
	te := expDataset(t, "scifact", "test")
	cr := expDataset(t, "cranfield", "test")
	xtr := buildX(tr, tokFn)
	// test shares the corpus: reuse the index with another qrels set.
	xte := *xtr
	xte.ds = te
	return xsets{xtr, &xte, buildX(cr, tokFn)}
}

// expSets is loadX with the production analyser.
func expSets(t *testing.T) xsets { return loadX(t, analyzerTok(NewAnalyzer())) }

// logRow logs nDCG@10 of the three collections and train + Cranfield, the
// sum the defaults were chosen on.
func logRow(t *testing.T, name string, v [3]float64) {
	t.Helper()
	t.Logf("%-48s train %.4f  test %.4f  cran %.4f  sum %.4f", name, v[xTrain], v[xTest], v[xCran], v[xTrain]+v[xCran])
}

func (s xsets) row(t *testing.T, name string, r ranker) {
	t.Helper()
	logRow(t, name, [3]float64{s[xTrain].eval(r), s[xTest].eval(r), s[xCran].eval(r)})
}

// bm25Rows logs a BM25 row for each (k1, b) of params.
func (s xsets) bm25Rows(t *testing.T, prefix string, params [][2]float64) {
	t.Helper()
	for _, p := range params {
		s.row(t, fmt.Sprintf("%s bm25 %.1f/%.2f", prefix, p[0], p[1]), bm25Ranker(p[0], p[1]))
	}
}

// qfeats holds the candidates of one query and their features.
type qfeats struct {
	qid  string
	docs []int
	f    [][]float64 // feature → per candidate
}

// candQuery is what candFeats knows of a query.
type candQuery struct {
	text  string
	terms []wterm
	bm25  []float64 // scores of all documents
}

// candFeats computes nf features of the top depth BM25 (k1, b) candidates
// of each judged query, in parallel: f[0] is the BM25 score, fill sets the
// others.
func (x *xindex) candFeats(nf, depth int, k1, b float64, fill func(qf qfeats, c candQuery)) []qfeats {
	qs := x.ds.judgedQueries()
	out := make([]qfeats, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c := candQuery{text: x.ds.Queries[qs[i]]}
			c.terms = x.queryTerms(c.text)
			c.bm25 = x.bm25Scores(c.terms, k1, b)
			top := topN(c.bm25, depth)
			qf := qfeats{qid: qs[i], docs: top, f: make([][]float64, nf)}
			for j := range qf.f {
				qf.f[j] = make([]float64, len(top))
			}
			for j, d := range top {
				qf.f[0][j] = c.bm25[d]
			}
			fill(qf, c)
			out[i] = qf
		}
	})
	return out
}

// fuser scores the candidates of a query; the query's ranking is its
// first len(scores) candidates ordered by score.
type fuser func(qf qfeats) []float64

// normFuse fuses the first depth candidates by Σ w_i · norm(f_i), norm a
// per-query normalisation: "max" (f/max), "minmax" or "z" (z-score).
func normFuse(w []float64, norm string, depth int) fuser {
	return func(qf qfeats) []float64 {
		n := min(len(qf.docs), depth)
		sc := make([]float64, n)
		for i, wi := range w {
			if wi == 0 {
				continue
			}
			f := qf.f[i][:n]
			shift, scale, ok := normParams(norm, f)
			if !ok {
				continue
			}
			for j, v := range f {
				sc[j] += wi * (v - shift) / scale
			}
		}
		return sc
	}
}

// normParams returns the shift and scale of normalisation norm for the
// values f, ok false when the scale is not positive.
func normParams(norm string, f []float64) (shift, scale float64, ok bool) {
	lo, hi, mean := math.Inf(1), math.Inf(-1), 0.0
	for _, v := range f {
		lo, hi = min(lo, v), max(hi, v)
		mean += v
	}
	switch norm {
	case "max":
		return 0, hi, hi > 0
	case "minmax":
		return lo, hi - lo, hi > lo
	}
	mean /= float64(len(f))
	var sd float64
	for _, v := range f {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd / float64(len(f)))
	return mean, sd, sd > 0
}

// lin fuses all candidates by Σ w_i · f_i / max f_i (per query).
func lin(w []float64) fuser { return normFuse(w, "max", math.MaxInt) }

// rrfFuse fuses the feature rankings by weighted reciprocal rank.
func rrfFuse(w []float64, k float64) fuser {
	return func(qf qfeats) []float64 {
		sc := make([]float64, len(qf.docs))
		for i, wi := range w {
			if wi == 0 {
				continue
			}
			for r, j := range byScore(qf.f[i]) {
				sc[j] += wi / (k + float64(r+1))
			}
		}
		return sc
	}
}

// byScore returns the indexes of sc, highest score first (stable).
func byScore(sc []float64) []int {
	idx := make([]int, len(sc))
	for j := range idx {
		idx[j] = j
	}
	sort.SliceStable(idx, func(a, b int) bool { return sc[idx[a]] > sc[idx[b]] })
	return idx
}

// fusedPerQuery returns nDCG@10 per query of the rankings fuse makes.
func (x *xindex) fusedPerQuery(qfs []qfeats, fuse fuser) []float64 {
	out := make([]float64, len(qfs))
	for i, qf := range qfs {
		order := byScore(fuse(qf))
		docs := make([]int, len(order))
		for r, j := range order {
			docs[r] = qf.docs[j]
		}
		out[i] = x.ndcg10(qf.qid, docs)
	}
	return out
}

// xfeats holds the candidate features of each collection of an xsets.
type xfeats struct {
	s xsets
	q [3][]qfeats
}

// feats computes fn on each collection.
func (s xsets) feats(fn func(x *xindex) []qfeats) xfeats {
	f := xfeats{s: s}
	for i, x := range s {
		f.q[i] = fn(x)
	}
	return f
}

// score returns the mean nDCG@10 of fuse on collection i.
func (f xfeats) score(i int, fuse fuser) float64 {
	return meanOf(f.s[i].fusedPerQuery(f.q[i], fuse))
}

// trainCran is the objective the defaults were tuned on.
func (f xfeats) trainCran(fuse fuser) float64 { return f.score(xTrain, fuse) + f.score(xCran, fuse) }

func (f xfeats) row(t *testing.T, name string, fuse fuser) {
	t.Helper()
	logRow(t, name, [3]float64{f.score(xTrain, fuse), f.score(xTest, fuse), f.score(xCran, fuse)})
}

// wvRows logs linear fusions of BM25 (f[0]) and f[2] at each weight of wvs.
func (f xfeats) wvRows(t *testing.T, prefix string, wvs []float64) {
	t.Helper()
	for _, wv := range wvs {
		f.row(t, fmt.Sprintf("%s wv %.1f", prefix, wv), lin([]float64{1, 0, wv}))
	}
}
