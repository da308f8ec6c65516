package retrieval

// Research harness behind the experiment tables of EVAL.md (DOCENT_EXP=1
// go test ./retrieval -run TestExp<Name> -v): a document-level,
// brute-force re-implementation of the ranking ideas, so that they can be
// compared on SciFact train, SciFact test and Cranfield in seconds. It
// tokenises with the current analyser; the analyser rows of EVAL.md were
// measured with analyser v1 (before commit aef9dd7), the letter/digit split
// emulated by alnumSplit.

import (
	"container/heap"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

type xpost struct {
	doc int32
	tf  int32
}

type xindex struct {
	name   string
	ds     *Dataset
	vocab  map[string]int32
	terms  []string
	post   [][]xpost
	toks   [][]int32 // per doc, -1 = stop word / gap
	tf     []map[int32]int32
	dl     []float64
	avgdl  float64
	n      int
	tokFn  func(string) []string
	vecs   [][]float32
	extras map[string]any
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

func buildX(ds *Dataset, tokFn func(string) []string) *xindex {
	x := &xindex{ds: ds, vocab: map[string]int32{}, tokFn: tokFn, n: len(ds.Docs), extras: map[string]any{}}
	var sum float64
	for d, doc := range ds.Docs {
		toks := tokFn(doc.Title + "\n" + doc.Text)
		ids := make([]int32, len(toks))
		tf := map[int32]int32{}
		n := 0
		for i, t := range toks {
			if t == "" {
				ids[i] = -1
				continue
			}
			ids[i] = x.intern(t)
			tf[ids[i]]++
			n++
		}
		for id, f := range tf {
			x.post[id] = append(x.post[id], xpost{int32(d), f})
		}
		x.toks = append(x.toks, ids)
		x.tf = append(x.tf, tf)
		x.dl = append(x.dl, float64(n))
		sum += float64(n)
	}
	x.avgdl = sum / float64(x.n)
	return x
}

func (x *xindex) df(id int32) int { return len(x.post[id]) }

func (x *xindex) idf(id int32) float64 {
	df := float64(x.df(id))
	return math.Log(1 + (float64(x.n)-df+0.5)/(df+0.5))
}

// wterm is a weighted query term.
type wterm struct {
	id int32
	w  float64
}

// bm25Scores scores all docs for weighted terms (weights multiply idf).
func (x *xindex) bm25Scores(q []wterm, k1, b float64) []float64 {
	s := make([]float64, x.n)
	for _, t := range q {
		idf := x.idf(t.id)
		for _, p := range x.post[t.id] {
			f := float64(p.tf)
			s[p.doc] += t.w * idf * f * (k1 + 1) / (f + k1*(1-b+b*x.dl[p.doc]/x.avgdl))
		}
	}
	return s
}

// queryTerms returns the unique known terms of text with weight 1 (the
// production behaviour).
func (x *xindex) queryTerms(text string) []wterm {
	seen := map[int32]bool{}
	var out []wterm
	for _, t := range x.tokFn(text) {
		if t == "" {
			continue
		}
		if id, ok := x.id(t); ok && !seen[id] {
			seen[id] = true
			out = append(out, wterm{id, 1})
		}
	}
	return out
}

func topN(s []float64, n int) []int {
	h := make(minHeap, 0, n)
	for i, v := range s {
		if v <= 0 {
			continue
		}
		c := scored{uint32(i), float32(v), uint64(i)}
		switch {
		case len(h) < n:
			heap.Push(&h, c)
		case better(c, h[0]):
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, compareScored)
	out := make([]int, len(h))
	for i, c := range h {
		out[i] = int(c.ord)
	}
	return out
}

// ranker returns a ranking (doc indexes, best first) for query qid.
type ranker func(x *xindex, qid, text string) []int

func (x *xindex) eval(r ranker) float64 {
	var sum float64
	pq := x.perQuery(r)
	for _, v := range pq {
		sum += v
	}
	return sum / float64(len(pq))
}

// perQuery returns nDCG@10 per judged query.
func (x *xindex) perQuery(r ranker) []float64 {
	qs := x.ds.judgedQueries()
	out := make([]float64, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = x.ndcgOf(r, qs[i])
		}
	})
	return out
}

func (x *xindex) ndcgOf(r ranker, qid string) float64 {
	{
		docs := r(x, qid, x.ds.Queries[qid])
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
}

func analyzerTok(an *Analyzer) func(string) []string {
	return func(text string) []string {
		var out []string
		an.each(text, func(_ []byte, term string, _ tokenKind) { out = append(out, term) })
		return out
	}
}

type xsets struct {
	train, test, cran *xindex
}

func loadX(t *testing.T, tokFn func(string) []string) xsets {
	load := func(name, split string) *Dataset {
		ds, err := LoadBEIR(filepath.Join(sharedEval, name), split)
		if err != nil {
			t.Skip(err)
		}
		return ds
	}
	tr := load("scifact", "train")
	te := load("scifact", "test")
	cr := load("cranfield", "test")
	xtr := buildX(tr, tokFn)
	// test shares the corpus: reuse the index with another qrels set.
	xte := *xtr
	xte.ds = te
	return xsets{xtr, &xte, buildX(cr, tokFn)}
}

func (s xsets) row(t *testing.T, name string, r ranker) [3]float64 {
	out := [3]float64{s.train.eval(r), s.test.eval(r), s.cran.eval(r)}
	t.Logf("%-48s train %.4f  test %.4f  cran %.4f", name, out[0], out[1], out[2])
	return out
}

func bm25Ranker(k1, b float64) ranker {
	return func(x *xindex, _, text string) []int {
		return topN(x.bm25Scores(x.queryTerms(text), k1, b), 100)
	}
}

func TestExpBM25Grid(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	s.row(t, "bm25 1.2/0.4 (production)", bm25Ranker(1.2, 0.4))
	if !strings.Contains(os.Getenv("DOCENT_EXP"), "grid") {
		return
	}
	for _, k1 := range []float64{0.6, 0.9, 1.2, 1.5, 2.0} {
		for _, b := range []float64{0.3, 0.4, 0.5, 0.6, 0.75} {
			s.row(t, fmt.Sprintf("bm25 %.1f/%.2f", k1, b), bm25Ranker(k1, b))
		}
	}
}

var greekNames = map[rune]string{
	'α': "alpha", 'β': "beta", 'γ': "gamma", 'δ': "delta", 'ε': "epsilon", 'ζ': "zeta", 'η': "eta", 'θ': "theta",
	'ι': "iota", 'κ': "kappa", 'λ': "lambda", 'μ': "mu", 'µ': "mu", 'ν': "nu", 'ξ': "xi", 'ο': "omicron", 'π': "pi",
	'ρ': "rho", 'σ': "sigma", 'ς': "sigma", 'τ': "tau", 'υ': "upsilon", 'φ': "phi", 'χ': "chi", 'ψ': "psi", 'ω': "omega",
}

func greekFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		lr := []rune(strings.ToLower(string(r)))[0]
		if n, ok := greekNames[lr]; ok {
			b.WriteString(n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// compoundTok wraps a tokenizer: hyphenated runs also yield the joined
// compound (hyphens removed) as an extra token.
func compoundTok(base func(string) []string, an *Analyzer) func(string) []string {
	return func(text string) []string {
		var extra []string
		var run []rune
		hy := false
		flush := func() {
			if hy && len(run) > 0 {
				extra = append(extra, an.term([]byte(strings.ToLower(string(run))), tokenWord))
			}
			run, hy = run[:0], false
		}
		rs := []rune(text)
		for i, r := range rs {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				run = append(run, r)
			case (r == '-' || r == '‐' || r == '‑') && len(run) > 0 && i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.IsDigit(rs[i+1])):
				hy = true
			default:
				flush()
			}
		}
		flush()
		return append(base(text), extra...)
	}
}

// alnumSplit: tokens mixing letters and digits also yield their parts.
func alnumSplit(base func(string) []string) func(string) []string {
	return func(text string) []string {
		toks := base(text)
		var extra []string
		for _, t := range toks {
			if t == "" {
				continue
			}
			var parts []string
			start := 0
			for i := 1; i < len(t); i++ {
				a, b := t[i-1], t[i]
				if isDigit(a) != isDigit(b) && isASCIIAlnum(a) && isASCIIAlnum(b) {
					parts = append(parts, t[start:i])
					start = i
				}
			}
			if start > 0 {
				parts = append(parts, t[start:])
				extra = append(extra, parts...)
			}
		}
		return append(toks, extra...)
	}
}

func TestExpTokenize(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	an := NewAnalyzer()
	base := analyzerTok(an)
	for _, v := range []struct {
		name string
		fn   func(string) []string
	}{
		{"base", base},
		{"greek", func(s string) []string { return base(greekFold(s)) }},
		{"compound", compoundTok(base, an)},
		{"alnum split", alnumSplit(base)},
		{"greek+compound", func(s string) []string { return compoundTok(base, an)(greekFold(s)) }},
		{"greek+compound+alnum", func(s string) []string { return alnumSplit(compoundTok(base, an))(greekFold(s)) }},
		{"greek+alnum", func(s string) []string { return alnumSplit(base)(greekFold(s)) }},
	} {
		s := loadX(t, v.fn)
		for _, p := range [][2]float64{{1.2, 0.4}, {1.5, 0.6}} {
			s.row(t, fmt.Sprintf("%s bm25 %.1f/%.1f", v.name, p[0], p[1]), bm25Ranker(p[0], p[1]))
		}
	}
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

// rm3 expands q with the best terms of the top fbDocs documents.
func (x *xindex) rm3(q []wterm, first []float64, fbDocs, fbTerms int, origW float64) []wterm {
	top := topN(first, fbDocs)
	rel := map[int32]float64{}
	var norm float64
	for _, d := range top {
		norm += first[d]
	}
	for _, d := range top {
		w := first[d] / norm
		for id, f := range x.tf[d] {
			rel[id] += w * float64(f) / x.dl[d]
		}
	}
	type tw struct {
		id int32
		w  float64
	}
	var cand []tw
	for id, w := range rel {
		if x.df(id) < 2 {
			continue
		}
		cand = append(cand, tw{id, w})
	}
	sort.Slice(cand, func(a, b int) bool {
		if cand[a].w != cand[b].w {
			return cand[a].w > cand[b].w
		}
		return cand[a].id < cand[b].id
	})
	cand = cand[:min(fbTerms, len(cand))]
	var sumFb, sumQ float64
	for _, c := range cand {
		sumFb += c.w
	}
	for _, t := range q {
		sumQ += t.w
	}
	m := map[int32]float64{}
	for _, t := range q {
		m[t.id] += origW * t.w / sumQ
	}
	for _, c := range cand {
		m[c.id] += (1 - origW) * c.w / sumFb
	}
	out := make([]wterm, 0, len(m))
	for id, w := range m {
		out = append(out, wterm{id, w})
	}
	slices.SortFunc(out, func(a, b wterm) int { return int(a.id - b.id) })
	return out
}

// nonStop returns the non-stop-word term ids of doc d in order.
func (x *xindex) nonStop(d int) []int32 {
	out := make([]int32, 0, len(x.toks[d]))
	for _, id := range x.toks[d] {
		if id >= 0 {
			out = append(out, id)
		}
	}
	return out
}

func (x *xindex) prepNonStop() {
	if _, ok := x.extras["ns"]; ok {
		return
	}
	ns := make([][]int32, x.n)
	for d := range ns {
		ns[d] = x.nonStop(d)
	}
	x.extras["ns"] = ns
}

// pairStats counts, for each query term pair (a,b) adjacent in the query,
// ordered adjacent occurrences (od) and unordered co-occurrences within
// win tokens (uw) in doc d.
func pairCounts(seq []int32, a, b int32, win int) (od, uw int) {
	for i, t := range seq {
		if t == a {
			if i+1 < len(seq) && seq[i+1] == b {
				od++
			}
			for j := max(0, i-win+1); j < min(len(seq), i+win); j++ {
				if j != i && seq[j] == b {
					uw++
					break
				}
			}
		}
	}
	return
}

// sdmRanker: BM25 + wOD·Σ bm25-like(ordered pair) + wUW·Σ(unordered window).
func sdmRanker(k1, b, wOD, wUW float64, win int, depth int) ranker {
	return func(x *xindex, _, text string) []int {
		x.prepNonStop()
		ns := x.extras["ns"].([][]int32)
		// query sequence, unique adjacent pairs
		var qs []int32
		for _, t := range x.tokFn(text) {
			if t == "" {
				continue
			}
			if id, ok := x.id(t); ok {
				qs = append(qs, id)
			} else {
				qs = append(qs, -2)
			}
		}
		q := x.queryTerms(text)
		s := x.bm25Scores(q, k1, b)
		top := topN(s, depth)
		type pr struct{ a, b int32 }
		seen := map[pr]bool{}
		var pairs []pr
		for i := 0; i+1 < len(qs); i++ {
			p := pr{qs[i], qs[i+1]}
			if p.a < 0 || p.b < 0 || p.a == p.b || seen[p] {
				continue
			}
			seen[p] = true
			pairs = append(pairs, p)
		}
		out := slices.Clone(s)
		for _, p := range pairs {
			// df of pair over candidate docs only approximated with
			// min(df(a), df(b)) idf proxy: use idf of the rarer term.
			idf := max(x.idf(p.a), x.idf(p.b))
			for _, d := range top {
				od, uw := pairCounts(ns[d], p.a, p.b, win)
				if od > 0 {
					f := float64(od)
					out[d] += wOD * idf * f * (k1 + 1) / (f + k1*(1-b+b*x.dl[d]/x.avgdl))
				}
				if uw > 0 {
					f := float64(uw)
					out[d] += wUW * idf * f * (k1 + 1) / (f + k1*(1-b+b*x.dl[d]/x.avgdl))
				}
			}
		}
		// only reorder the candidates
		res := make([]float64, x.n)
		for _, d := range top {
			res[d] = out[d] + 1e6
		}
		return topN(res, 100)
	}
}

func baseTok(an *Analyzer) func(string) []string { return analyzerTok(an) }

func TestExpQuery(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, baseTok(NewAnalyzer()))
	for _, p := range [][2]float64{{1.2, 0.4}, {1.5, 0.6}} {
		k1, b := p[0], p[1]
		s.row(t, fmt.Sprintf("bm25 %.1f/%.1f", k1, b), bm25Ranker(k1, b))
		s.row(t, "qtf", func(x *xindex, _, text string) []int { return topN(x.bm25Scores(x.queryTermsQTF(text), k1, b), 100) })
		for _, pw := range []float64{0.5, 1.5} {
			s.row(t, fmt.Sprintf("idf^%.1f", pw), func(x *xindex, _, text string) []int {
				q := x.queryTerms(text)
				for i := range q {
					q[i].w = math.Pow(x.idf(q[i].id), pw-1)
				}
				return topN(x.bm25Scores(q, k1, b), 100)
			})
		}
		for _, c := range []struct {
			docs, terms int
			w           float64
		}{{3, 10, 0.7}, {10, 10, 0.5}, {10, 10, 0.7}, {10, 20, 0.8}, {5, 30, 0.8}, {10, 50, 0.9}} {
			s.row(t, fmt.Sprintf("rm3 %d docs %d terms w=%.1f", c.docs, c.terms, c.w), func(x *xindex, _, text string) []int {
				q := x.queryTerms(text)
				first := x.bm25Scores(q, k1, b)
				return topN(x.bm25Scores(x.rm3(q, first, c.docs, c.terms, c.w), k1, b), 100)
			})
		}
		for _, c := range []struct {
			od, uw float64
			win    int
		}{{0.1, 0, 8}, {0.2, 0, 8}, {0, 0.1, 8}, {0.1, 0.05, 8}, {0.2, 0.1, 8}, {0.3, 0, 8}} {
			s.row(t, fmt.Sprintf("sdm od=%.2f uw=%.2f win=%d", c.od, c.uw, c.win), sdmRanker(k1, b, c.od, c.uw, c.win, 200))
		}
	}
}

// titleTok repeats the terms of the first line rep more times.
func titleTok(base func(string) []string, rep int) func(string) []string {
	return func(text string) []string {
		toks := base(text)
		first, _, ok := strings.Cut(text, "\n")
		if !ok {
			return toks
		}
		ft := base(first)
		for range rep {
			toks = append(toks, ft...)
		}
		return toks
	}
}

func TestExpTitle(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	for _, rep := range []int{1, 2} {
		s := loadX(t, titleTok(baseTok(NewAnalyzer()), rep))
		for _, p := range [][2]float64{{1.2, 0.4}, {1.5, 0.6}} {
			s.row(t, fmt.Sprintf("title x%d bm25 %.1f/%.1f", rep+1, p[0], p[1]), bm25Ranker(p[0], p[1]))
		}
	}
	s := loadX(t, baseTok(NewAnalyzer()))
	for _, k1 := range []float64{0.9, 1.2, 1.5, 2.0} {
		for _, b := range []float64{0.4, 0.5, 0.6, 0.75, 0.9} {
			s.row(t, fmt.Sprintf("bm25 %.1f/%.2f", k1, b), bm25Ranker(k1, b))
		}
	}
}

func TestExpFailures(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, baseTok(NewAnalyzer()))
	x := s.train
	r := bm25Ranker(1.2, 0.4)
	qs := x.ds.judgedQueries()
	pq := x.perQuery(r)
	zero := 0
	for i, qid := range qs {
		if pq[i] > 0 {
			continue
		}
		zero++
		if zero > 25 {
			continue
		}
		top := r(x, qid, x.ds.Queries[qid])
		rank := -1
		for j, d := range top {
			if x.ds.Qrels[qid][x.ds.Docs[d].ID] > 0 {
				rank = j + 1
				break
			}
		}
		t.Logf("Q %s: %s  (first relevant at %d)", qid, x.ds.Queries[qid], rank)
		for id := range x.ds.Qrels[qid] {
			for _, d := range x.ds.Docs {
				if d.ID == id {
					t.Logf("   REL %s: %.200s", d.Title, d.Text)
				}
			}
		}
		t.Logf("   TOP %s", x.ds.Docs[top[0]].Title)
	}
	t.Logf("%d of %d queries with nDCG 0", zero, len(qs))
}

var acronymPlural = regexp.MustCompile(`\b(\w*[A-Z]\w*[A-Z])s\b`)

func TestExpAcronym(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	an := NewAnalyzer()
	base := baseTok(an)
	for _, v := range []struct {
		name string
		fn   func(string) []string
	}{
		{"acronym plural", func(s string) []string { return base(acronymPlural.ReplaceAllString(s, "$1")) }},
		{"acronym plural+greek", func(s string) []string { return base(greekFold(acronymPlural.ReplaceAllString(s, "$1"))) }},
	} {
		s := loadX(t, v.fn)
		for _, p := range [][2]float64{{1.2, 0.4}, {1.5, 0.6}} {
			s.row(t, fmt.Sprintf("%s bm25 %.1f/%.1f", v.name, p[0], p[1]), bm25Ranker(p[0], p[1]))
		}
	}
	m := map[string]int{}
	ds, _ := LoadBEIR(filepath.Join(sharedEval, "scifact"), "train")
	for _, d := range ds.Docs {
		for _, x := range acronymPlural.FindAllString(d.Text, -1) {
			m[x]++
		}
	}
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range m {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(a, b int) bool { return l[a].v > l[b].v })
	t.Log(len(l), l[:40])
}

// sparse is a normalised sparse vector sorted by key.
type sparse struct {
	k []uint64
	v []float32
}

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
	var s sparse
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ss float64
	for _, k := range keys {
		ss += m[k] * m[k]
	}
	n := math.Sqrt(ss)
	for _, k := range keys {
		s.k = append(s.k, k)
		s.v = append(s.v, float32(m[k]/n))
	}
	return s
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

// feats holds, per query, candidates and their features.
type qfeats struct {
	qid   string
	docs  []int
	f     [][]float64 // feature → per candidate
	judge map[string]int
}

var featNames = []string{"bm25", "title", "sdm_od", "sdm_uw", "rm3fb", "cos256", "cos256fb", "cosExact", "coverage", "cosExactFb", "cos512", "rm3cran"}

func (x *xindex) prepVectors(b *Builtin, dims []int) {
	if _, ok := x.extras["exact"]; ok {
		return
	}
	ex := make([]sparse, x.n)
	hv := map[int][][]float32{}
	for _, d := range dims {
		hv[d] = make([][]float32, x.n)
	}
	parallel(x.n, runtime.GOMAXPROCS(0), func(lo, hi int) {
		ft := &featureTable{}
		for i := lo; i < hi; i++ {
			text := x.ds.Docs[i].Title + "\n" + x.ds.Docs[i].Text
			ex[i] = b.exact(text, nil)
			for _, d := range dims {
				bd := NewBuiltin(d)
				hv[d][i] = bd.vector(ft, text, nil)
			}
		}
	})
	x.extras["exact"] = ex
	x.extras["hv"] = hv
}

func (x *xindex) titleIndex() *xindex {
	if v, ok := x.extras["title"]; ok {
		return v.(*xindex)
	}
	tds := &Dataset{Docs: make([]BEIRDoc, len(x.ds.Docs))}
	for i, d := range x.ds.Docs {
		tds.Docs[i] = BEIRDoc{ID: d.ID, Title: d.Title}
	}
	ti := buildX(tds, x.tokFn)
	x.extras["title"] = ti
	return ti
}

func (x *xindex) features(qid, text string, depth int, k1, b float64) qfeats {
	x.prepNonStop()
	ns := x.extras["ns"].([][]int32)
	q := x.queryTerms(text)
	s := x.bm25Scores(q, k1, b)
	top := topN(s, depth)
	nf := len(featNames)
	qf := qfeats{qid: qid, docs: top, f: make([][]float64, nf), judge: x.ds.Qrels[qid]}
	for i := range qf.f {
		qf.f[i] = make([]float64, len(top))
	}
	// title bm25 (title terms through the same query terms)
	ti := x.titleIndex()
	var tq []wterm
	for _, t := range q {
		if id, ok := ti.id(x.terms[t.id]); ok {
			tq = append(tq, wterm{id, 1})
		}
	}
	ts := ti.bm25Scores(tq, k1, b)
	// sdm pairs
	var qs []int32
	for _, tk := range x.tokFn(text) {
		if tk == "" {
			continue
		}
		if id, ok := x.id(tk); ok {
			qs = append(qs, id)
		} else {
			qs = append(qs, -2)
		}
	}
	type pr struct{ a, b int32 }
	seen := map[pr]bool{}
	var pairs []pr
	for i := 0; i+1 < len(qs); i++ {
		p := pr{qs[i], qs[i+1]}
		if p.a < 0 || p.b < 0 || p.a == p.b || seen[p] {
			continue
		}
		seen[p] = true
		pairs = append(pairs, p)
	}
	// rm3 feedback-only
	fbq := x.rm3(q, s, 10, 20, 0)
	fs := x.bm25Scores(fbq, k1, b)
	fbq3 := x.rm3(q, s, 3, 10, 0)
	fs3 := x.bm25Scores(fbq3, k1, b)
	// vectors
	bi := NewBuiltin(256)
	idf := func(term string) float64 {
		if id, ok := x.id(term); ok {
			return x.idf(id)
		}
		return math.Log(1 + (float64(x.n)+0.5)/0.5)
	}
	qe := bi.exact(text, idf)
	ex := x.extras["exact"].([]sparse)
	hv := x.extras["hv"].(map[int][][]float32)
	q256 := bi.embedQuery(text, idf)
	q512 := NewBuiltin(512).embedQuery(text, idf)
	fb := func(qv []float32, vecs [][]float32) []float32 {
		c := make([]float32, len(qv))
		for _, d := range top[:min(3, len(top))] {
			for i, v := range vecs[d] {
				c[i] += v
			}
		}
		normalize(c)
		out := slices.Clone(qv)
		for i := range out {
			out[i] += c[i]
		}
		normalize(out)
		return out
	}
	q256fb := fb(q256, hv[256])
	// exact fb: centroid of top-3 exact vectors added to qe
	cm := map[uint64]float64{}
	for i, k := range qe.k {
		cm[k] += float64(qe.v[i])
	}
	for _, d := range top[:min(3, len(top))] {
		for i, k := range ex[d].k {
			cm[k] += float64(ex[d].v[i]) / 3
		}
	}
	var qefb sparse
	{
		keys := make([]uint64, 0, len(cm))
		for k := range cm {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			qefb.k = append(qefb.k, k)
			qefb.v = append(qefb.v, float32(cm[k]))
		}
	}
	var total float64
	for _, t := range q {
		total += x.idf(t.id)
	}
	for j, d := range top {
		qf.f[0][j] = s[d]
		qf.f[1][j] = ts[d]
		var od, uw float64
		for _, p := range pairs {
			idf := max(x.idf(p.a), x.idf(p.b))
			o, u := pairCounts(ns[d], p.a, p.b, 8)
			norm := k1 * (1 - b + b*x.dl[d]/x.avgdl)
			od += idf * float64(o) * (k1 + 1) / (float64(o) + norm)
			uw += idf * float64(u) * (k1 + 1) / (float64(u) + norm)
		}
		qf.f[2][j], qf.f[3][j] = od, uw
		qf.f[4][j] = fs[d]
		qf.f[5][j] = float64(dot(q256, hv[256][d]))
		qf.f[6][j] = float64(dot(q256fb, hv[256][d]))
		qf.f[7][j] = qe.dot(ex[d])
		var got float64
		for _, t := range q {
			if x.tf[d][t.id] > 0 {
				got += x.idf(t.id)
			}
		}
		qf.f[8][j] = got / total
		qf.f[9][j] = qefb.dot(ex[d])
		qf.f[10][j] = float64(dot(q512, hv[512][d]))
		qf.f[11][j] = fs3[d]
	}
	return qf
}

func (x *xindex) allFeatures(depth int, k1, b float64) []qfeats {
	x.prepVectors(NewBuiltin(256), []int{256, 512})
	x.titleIndex()
	x.prepNonStop()
	qs := x.ds.judgedQueries()
	out := make([]qfeats, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = x.features(qs[i], x.ds.Queries[qs[i]], depth, k1, b)
		}
	})
	return out
}

// linear scores candidates by Σ w_i · f_i / max f_i (per query) and
// returns mean nDCG@10.
func scoreLinear(x *xindex, qfs []qfeats, w []float64) float64 {
	var sum float64
	sc := make([]float64, 0, 128)
	idx := make([]int, 0, 128)
	for _, qf := range qfs {
		sc = sc[:0]
		idx = idx[:0]
		for j := range qf.docs {
			sc = append(sc, 0)
			idx = append(idx, j)
		}
		for i, wi := range w {
			if wi == 0 {
				continue
			}
			mx := 0.0
			for _, v := range qf.f[i] {
				mx = max(mx, v)
			}
			if mx <= 0 {
				continue
			}
			for j, v := range qf.f[i] {
				sc[j] += wi * v / mx
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return sc[idx[a]] > sc[idx[b]] })
		ranked := make([]string, 0, 10)
		for _, j := range idx {
			id := x.ds.Docs[qf.docs[j]].ID
			if id == qf.qid {
				continue
			}
			ranked = append(ranked, id)
			if len(ranked) == 10 {
				break
			}
		}
		sum += NDCG(ranked, qf.judge, 10)
	}
	return sum / float64(len(qfs))
}

// rrfFeat fuses feature rankings by weighted RRF.
func scoreRRF(x *xindex, qfs []qfeats, w []float64, k float64) float64 {
	var sum float64
	for _, qf := range qfs {
		n := len(qf.docs)
		sc := make([]float64, n)
		for i, wi := range w {
			if wi == 0 {
				continue
			}
			idx := make([]int, n)
			for j := range idx {
				idx[j] = j
			}
			f := qf.f[i]
			sort.SliceStable(idx, func(a, b int) bool { return f[idx[a]] > f[idx[b]] })
			for r, j := range idx {
				sc[j] += wi / (k + float64(r+1))
			}
		}
		idx := make([]int, n)
		for j := range idx {
			idx[j] = j
		}
		sort.SliceStable(idx, func(a, b int) bool { return sc[idx[a]] > sc[idx[b]] })
		ranked := make([]string, 0, 10)
		for _, j := range idx {
			id := x.ds.Docs[qf.docs[j]].ID
			if id == qf.qid {
				continue
			}
			ranked = append(ranked, id)
			if len(ranked) == 10 {
				break
			}
		}
		sum += NDCG(ranked, qf.judge, 10)
	}
	return sum / float64(len(qfs))
}

func TestExpFeatures(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, baseTok(NewAnalyzer()))
	k1, b := 1.2, 0.4
	ftr := s.train.allFeatures(100, k1, b)
	fte := s.test.allFeatures(100, k1, b)
	fcr := s.cran.allFeatures(100, k1, b)
	row := func(name string, w []float64) {
		t.Logf("%-40s lin train %.4f test %.4f cran %.4f", name, scoreLinear(s.train, ftr, w), scoreLinear(s.test, fte, w), scoreLinear(s.cran, fcr, w))
	}
	rowR := func(name string, w []float64, k float64) {
		t.Logf("%-40s rrf train %.4f test %.4f cran %.4f", name, scoreRRF(s.train, ftr, w, k), scoreRRF(s.test, fte, w, k), scoreRRF(s.cran, fcr, w, k))
	}
	one := func(i int, v float64) []float64 {
		w := make([]float64, len(featNames))
		w[0] = 1
		w[i] = v
		return w
	}
	row("bm25", one(0, 1))
	for i := 0; i < len(featNames); i++ {
		w := make([]float64, len(featNames))
		w[i] = 1
		row("alone "+featNames[i], w)
	}
	for i := 1; i < len(featNames); i++ {
		for _, v := range []float64{0.1, 0.2, 0.4} {
			row(fmt.Sprintf("bm25 + %.1f %s", v, featNames[i]), one(i, v))
		}
		rowR(fmt.Sprintf("rrf bm25 + 0.5 %s", featNames[i]), one(i, 0.5), 60)
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

func TestExpAscent(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, baseTok(NewAnalyzer()))
	k1, b := 1.2, 0.4
	ftr := s.train.allFeatures(100, k1, b)
	fte := s.test.allFeatures(100, k1, b)
	fcr := s.cran.allFeatures(100, k1, b)
	show := func(name string, w []float64) {
		t.Logf("%-30s train %.4f test %.4f cran %.4f  w=%v", name, scoreLinear(s.train, ftr, w), scoreLinear(s.test, fte, w), scoreLinear(s.cran, fcr, w), w)
	}
	w0 := make([]float64, len(featNames))
	w0[0] = 1
	sets := map[string][]int{
		"all":             {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		"no exact":        {1, 2, 3, 4, 5, 6, 8, 10, 11},
		"title+sdm":       {1, 2, 3},
		"title+sdm+vec":   {1, 2, 3, 5, 6},
		"vec256 only":     {5, 6},
		"exact only":      {7, 9},
		"title+vec+rm3":   {1, 5, 6, 11},
		"title+exact+rm3": {1, 7, 9, 11},
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range sets {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		w, _ := ascend(w0, sets[name], func(w []float64) float64 { return scoreLinear(s.train, ftr, w) })
		show("train-opt "+name, w)
		w, _ = ascend(w0, sets[name], func(w []float64) float64 {
			return scoreLinear(s.train, ftr, w) + scoreLinear(s.cran, fcr, w)
		})
		show("train+cran-opt "+name, w)
	}
}

// vecFeats computes bm25, cos and cos with Rocchio feedback for embedder b.
func (x *xindex) vecFeats(b *Builtin, exact bool, depth int, k1, bb float64, fbDocs int, fbW float64) []qfeats {
	key := fmt.Sprintf("vec%d-%v-%v-%v", b.dim, b.p, exact, b.an == nil)
	var dv [][]float32
	var ev []sparse
	if v, ok := x.extras[key]; ok {
		if exact {
			ev = v.([]sparse)
		} else {
			dv = v.([][]float32)
		}
	} else {
		dv = make([][]float32, x.n)
		ev = make([]sparse, x.n)
		parallel(x.n, runtime.GOMAXPROCS(0), func(lo, hi int) {
			ft := &featureTable{}
			for i := lo; i < hi; i++ {
				text := x.ds.Docs[i].Title + "\n" + x.ds.Docs[i].Text
				if exact {
					ev[i] = b.exact(text, nil)
				} else {
					dv[i] = b.vector(ft, text, nil)
				}
			}
		})
		if exact {
			x.extras[key] = ev
		} else {
			x.extras[key] = dv
		}
	}
	idf := func(term string) float64 {
		if id, ok := x.id(term); ok {
			return x.idf(id)
		}
		return math.Log(1 + (float64(x.n)+0.5)/0.5)
	}
	qs := x.ds.judgedQueries()
	out := make([]qfeats, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			qid := qs[i]
			text := x.ds.Queries[qid]
			q := x.queryTerms(text)
			s := x.bm25Scores(q, k1, bb)
			top := topN(s, depth)
			qf := qfeats{qid: qid, docs: top, f: make([][]float64, 3), judge: x.ds.Qrels[qid]}
			for j := range qf.f {
				qf.f[j] = make([]float64, len(top))
			}
			if exact {
				qe := b.exact(text, idf)
				cm := map[uint64]float64{}
				for i, k := range qe.k {
					cm[k] += float64(qe.v[i])
				}
				nfb := min(fbDocs, len(top))
				for _, d := range top[:nfb] {
					for i, k := range ev[d].k {
						cm[k] += fbW * float64(ev[d].v[i]) / float64(nfb)
					}
				}
				var qefb sparse
				keys := slices.Sorted(func(yield func(uint64) bool) {
					for k := range cm {
						if !yield(k) {
							return
						}
					}
				})
				for _, k := range keys {
					qefb.k = append(qefb.k, k)
					qefb.v = append(qefb.v, float32(cm[k]))
				}
				for j, d := range top {
					qf.f[0][j] = s[d]
					qf.f[1][j] = qe.dot(ev[d])
					qf.f[2][j] = qefb.dot(ev[d])
				}
			} else {
				qv := b.embedQuery(text, idf)
				c := make([]float32, len(qv))
				for _, d := range top[:min(fbDocs, len(top))] {
					for i, v := range dv[d] {
						c[i] += v
					}
				}
				normalize(c)
				fb := slices.Clone(qv)
				for i := range fb {
					fb[i] += float32(fbW) * c[i]
				}
				normalize(fb)
				for j, d := range top {
					qf.f[0][j] = s[d]
					qf.f[1][j] = float64(dot(qv, dv[d]))
					qf.f[2][j] = float64(dot(fb, dv[d]))
				}
			}
			out[i] = qf
		}
	})
	return out
}

func TestExpEmbed(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, baseTok(NewAnalyzer()))
	k1, bb := 1.2, 0.4
	type variant struct {
		name  string
		dim   int
		p     builtinParams
		exact bool
	}
	def := builtinParams{word: 1, char: 1, minGram: 3, maxGram: 5}
	var vs []variant
	for _, p := range []struct {
		n string
		p builtinParams
	}{
		{"w+c3-5", def},
		{"word only", builtinParams{word: 1, char: 0, minGram: 3, maxGram: 5}},
		{"w+c4", builtinParams{word: 1, char: 1, minGram: 4, maxGram: 4}},
		{"w+c3-4", builtinParams{word: 1, char: 1, minGram: 3, maxGram: 4}},
		{"w+0.5c3-5", builtinParams{word: 1, char: 0.5, minGram: 3, maxGram: 5}},
		{"w+c5", builtinParams{word: 1, char: 1, minGram: 5, maxGram: 5}},
	} {
		only := os.Getenv("DOCENT_EXP_V")
		if only != "" && !strings.Contains(only, p.n) {
			continue
		}
		vs = append(vs, variant{p.n + " exact", 0, p.p, true})
		for _, d := range []int{256, 384, 512} {
			vs = append(vs, variant{fmt.Sprintf("%s %d", p.n, d), d, p.p, false})
		}
	}
	for _, v := range vs {
		b := NewBuiltin(max(v.dim, 1))
		b.p = v.p
		if v.dim == 0 {
			b.dim = 0
		}
		ftr := s.train.vecFeats(b, v.exact, 100, k1, bb, 3, 1)
		fcr := s.cran.vecFeats(b, v.exact, 100, k1, bb, 3, 1)
		fte := s.test.vecFeats(b, v.exact, 100, k1, bb, 3, 1)
		show := func(name string, w []float64) {
			t.Logf("%-24s %-22s train %.4f test %.4f cran %.4f", v.name, name, scoreLinear(s.train, ftr, w), scoreLinear(s.test, fte, w), scoreLinear(s.cran, fcr, w))
		}
		show("cos alone", []float64{0, 1, 0})
		show("cosfb alone", []float64{0, 0, 1})
		w, _ := ascend([]float64{1, 0, 0}, []int{1, 2}, func(w []float64) float64 {
			return scoreLinear(s.train, ftr, w) + scoreLinear(s.cran, fcr, w)
		})
		show(fmt.Sprintf("bm25+%.2fcos+%.2ffb", w[1], w[2]), w)
	}
}

func TestExpProdTok(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	for _, p := range [][2]float64{{1.2, 0.4}, {1.2, 0.5}, {1.2, 0.6}, {1.5, 0.5}, {1.5, 0.6}, {0.9, 0.4}} {
		s.row(t, fmt.Sprintf("prod tok bm25 %.1f/%.1f", p[0], p[1]), bm25Ranker(p[0], p[1]))
	}
}

func TestExpPRF(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.2, 0.4
	for _, fb := range []struct {
		docs int
		w    float64
	}{{3, 1}, {3, 0.5}, {3, 2}, {5, 1}, {10, 1}, {1, 1}} {
		b := NewBuiltin(256)
		ftr := s.train.vecFeats(b, false, 100, k1, bb, fb.docs, fb.w)
		fcr := s.cran.vecFeats(b, false, 100, k1, bb, fb.docs, fb.w)
		fte := s.test.vecFeats(b, false, 100, k1, bb, fb.docs, fb.w)
		show := func(name string, lin bool, w []float64, k float64) {
			f := func(x *xindex, q []qfeats) float64 {
				if lin {
					return scoreLinear(x, q, w)
				}
				return scoreRRF(x, q, w, k)
			}
			t.Logf("fb %2d docs w=%.1f %-28s train %.4f test %.4f cran %.4f", fb.docs, fb.w, name, f(s.train, ftr), f(s.test, fte), f(s.cran, fcr))
		}
		show("cosfb alone", true, []float64{0, 0, 1}, 0)
		for _, w := range []float64{0.3, 0.5, 0.8, 1.2} {
			show(fmt.Sprintf("lin bm25+%.1f fb", w), true, []float64{1, 0, w}, 0)
		}
		for _, k := range []float64{10, 30, 60} {
			for _, w := range []float64{0.5, 1} {
				show(fmt.Sprintf("rrf k=%.0f bm25+%.1f fb", k, w), false, []float64{1, 0, w}, k)
			}
		}
	}
}

func TestExpAscent2(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, b := 1.2, 0.4
	ftr := s.train.allFeatures(100, k1, b)
	fte := s.test.allFeatures(100, k1, b)
	fcr := s.cran.allFeatures(100, k1, b)
	show := func(name string, w []float64) {
		t.Logf("%-30s train %.4f test %.4f cran %.4f  w=%.2f", name, scoreLinear(s.train, ftr, w), scoreLinear(s.test, fte, w), scoreLinear(s.cran, fcr, w), w)
	}
	w0 := make([]float64, len(featNames))
	w0[0] = 1
	show("bm25", w0)
	sets := []struct {
		n string
		s []int
	}{
		{"vec", []int{6}},
		{"vec+title", []int{1, 6}},
		{"vec+sdm", []int{2, 3, 6}},
		{"vec+rm3", []int{4, 6, 11}},
		{"vec+title+sdm", []int{1, 2, 3, 6}},
		{"vec+title+rm3", []int{1, 4, 6, 11}},
		{"vec+title+sdm+rm3", []int{1, 2, 3, 4, 6, 11}},
		{"exact", []int{7, 9}},
		{"all", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	}
	for _, set := range sets {
		w, _ := ascend(w0, set.s, func(w []float64) float64 { return scoreLinear(s.train, ftr, w) })
		show("train-opt "+set.n, w)
		w, _ = ascend(w0, set.s, func(w []float64) float64 {
			return scoreLinear(s.train, ftr, w) + scoreLinear(s.cran, fcr, w)
		})
		show("train+cran-opt "+set.n, w)
	}
}

func TestExpTermCentroid(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.2, 0.4
	b := NewBuiltin(256)
	for _, x := range []*xindex{s.train, s.cran} {
		x.vecFeats(b, false, 100, k1, bb, 3, 2)
	}
	s.test.extras = s.train.extras
	run := func(x *xindex, maxDF int) []qfeats {
		fs := x.vecFeats(b, false, 100, k1, bb, 3, 2)
		dv := x.extras[fmt.Sprintf("vec%d-%v-%v-%v", b.dim, b.p, false, false)].([][]float32)
		for i := range fs {
			qf := &fs[i]
			q := x.queryTerms(x.ds.Queries[qf.qid])
			c := make([]float32, 256)
			for _, t := range q {
				if x.df(t.id) > maxDF {
					continue
				}
				tc := make([]float32, 256)
				for _, p := range x.post[t.id] {
					for j, v := range dv[p.doc] {
						tc[j] += v
					}
				}
				normalize(tc)
				w := float32(x.idf(t.id))
				for j := range c {
					c[j] += w * tc[j]
				}
			}
			normalize(c)
			f := make([]float64, len(qf.docs))
			for j, d := range qf.docs {
				f[j] = float64(dot(c, dv[d]))
			}
			qf.f = append(qf.f, f)
		}
		return fs
	}
	for _, maxDF := range []int{50, 200, 100000} {
		ftr, fte, fcr := run(s.train, maxDF), run(s.test, maxDF), run(s.cran, maxDF)
		show := func(name string, w []float64) {
			t.Logf("maxDF %6d %-24s train %.4f test %.4f cran %.4f", maxDF, name, scoreLinear(s.train, ftr, w), scoreLinear(s.test, fte, w), scoreLinear(s.cran, fcr, w))
		}
		show("tc alone", []float64{0, 0, 0, 1})
		show("bm25+0.55fb", []float64{1, 0, 0.55, 0})
		for _, w := range []float64{0.1, 0.2, 0.4} {
			show(fmt.Sprintf("bm25+0.55fb+%.1ftc", w), []float64{1, 0, 0.55, w})
		}
	}
}

func TestExpGridHybrid(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	b := NewBuiltin(256)
	for _, k1 := range []float64{1.2, 1.5, 2.0} {
		for _, bb := range []float64{0.4, 0.5, 0.6, 0.75} {
			for _, fbW := range []float64{1, 2} {
				ftr := s.train.vecFeats(b, false, 100, k1, bb, 3, fbW)
				fcr := s.cran.vecFeats(b, false, 100, k1, bb, 3, fbW)
				s.test.extras = s.train.extras
				fte := s.test.vecFeats(b, false, 100, k1, bb, 3, fbW)
				for _, wv := range []float64{0, 0.4, 0.6, 0.8, 1.0} {
					tr, cr := scoreLinear(s.train, ftr, []float64{1, 0, wv}), scoreLinear(s.cran, fcr, []float64{1, 0, wv})
					t.Logf("k1 %.1f b %.2f fbW %.0f wv %.1f: train %.4f test %.4f cran %.4f  sum %.4f", k1, bb, fbW, wv, tr, scoreLinear(s.test, fte, []float64{1, 0, wv}), cr, tr+cr)
				}
			}
		}
	}
}

func TestExpAdd(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.5, 0.5
	b := NewBuiltin(256)
	ftr, fte, fcr := s.train.allFeatures(100, k1, bb), s.test.allFeatures(100, k1, bb), s.cran.allFeatures(100, k1, bb)
	vtr := s.train.vecFeats(b, false, 100, k1, bb, 3, 2)
	s.test.extras = s.train.extras
	vte := s.test.vecFeats(b, false, 100, k1, bb, 3, 2)
	vcr := s.cran.vecFeats(b, false, 100, k1, bb, 3, 2)
	for i := range ftr {
		ftr[i].f[6] = vtr[i].f[2]
	}
	for i := range fte {
		fte[i].f[6] = vte[i].f[2]
	}
	for i := range fcr {
		fcr[i].f[6] = vcr[i].f[2]
	}
	show := func(name string, w []float64) {
		tr, cr := scoreLinear(s.train, ftr, w), scoreLinear(s.cran, fcr, w)
		t.Logf("%-34s train %.4f test %.4f cran %.4f sum %.4f", name, tr, scoreLinear(s.test, fte, w), cr, tr+cr)
	}
	w := make([]float64, len(featNames))
	w[0], w[6] = 1, 1
	show("bm25+fb", w)
	for _, f := range []int{1, 2, 3, 4, 11} {
		for _, v := range []float64{0.05, 0.1, 0.2, 0.4} {
			w2 := slices.Clone(w)
			w2[f] = v
			show(fmt.Sprintf("bm25+fb+%.2f %s", v, featNames[f]), w2)
		}
	}
}

// scoreNorm is scoreLinear with a choice of per-query normalisation:
// "max", "minmax", "z".
func scoreNorm(x *xindex, qfs []qfeats, w []float64, norm string, depthFuse int) float64 {
	var sum float64
	for _, qf := range qfs {
		n := min(len(qf.docs), depthFuse)
		sc := make([]float64, n)
		for i, wi := range w {
			if wi == 0 {
				continue
			}
			f := qf.f[i][:n]
			lo, hi, mean, sd := math.Inf(1), math.Inf(-1), 0.0, 0.0
			for _, v := range f {
				lo, hi = min(lo, v), max(hi, v)
				mean += v
			}
			mean /= float64(n)
			for _, v := range f {
				sd += (v - mean) * (v - mean)
			}
			sd = math.Sqrt(sd / float64(n))
			for j, v := range f {
				switch norm {
				case "max":
					if hi > 0 {
						sc[j] += wi * v / hi
					}
				case "minmax":
					if hi > lo {
						sc[j] += wi * (v - lo) / (hi - lo)
					}
				case "z":
					if sd > 0 {
						sc[j] += wi * (v - mean) / sd
					}
				}
			}
		}
		idx := make([]int, n)
		for j := range idx {
			idx[j] = j
		}
		sort.SliceStable(idx, func(a, b int) bool { return sc[idx[a]] > sc[idx[b]] })
		ranked := make([]string, 0, 10)
		for _, j := range idx {
			if id := x.ds.Docs[qf.docs[j]].ID; id != qf.qid {
				ranked = append(ranked, id)
			}
			if len(ranked) == 10 {
				break
			}
		}
		sum += NDCG(ranked, qf.judge, 10)
	}
	return sum / float64(len(qfs))
}

func TestExpFuse(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.5, 0.5
	b := NewBuiltin(256)
	for _, fbd := range []int{2, 3, 4} {
		for _, fbW := range []float64{1.5, 2, 3} {
			ftr := s.train.vecFeats(b, false, 100, k1, bb, fbd, fbW)
			fcr := s.cran.vecFeats(b, false, 100, k1, bb, fbd, fbW)
			s.test.extras = s.train.extras
			fte := s.test.vecFeats(b, false, 100, k1, bb, fbd, fbW)
			for _, norm := range []string{"max", "minmax", "z"} {
				for _, wv := range []float64{0.6, 0.8, 1.0, 1.2} {
					for _, depth := range []int{30, 100} {
						w := []float64{1, 0, wv}
						tr, cr := scoreNorm(s.train, ftr, w, norm, depth), scoreNorm(s.cran, fcr, w, norm, depth)
						t.Logf("fb %d/%.1f %-6s wv %.1f depth %3d: train %.4f test %.4f cran %.4f sum %.4f", fbd, fbW, norm, wv, depth, tr, scoreNorm(s.test, fte, w, norm, depth), cr, tr+cr)
					}
				}
			}
		}
	}
}

func TestExpDim(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.5, 0.5
	for _, dim := range []int{256, 384, 512} {
		b := NewBuiltin(dim)
		for _, fbW := range []float64{2, 3} {
			ftr := s.train.vecFeats(b, false, 100, k1, bb, 3, fbW)
			fcr := s.cran.vecFeats(b, false, 100, k1, bb, 3, fbW)
			s.test.extras = s.train.extras
			fte := s.test.vecFeats(b, false, 100, k1, bb, 3, fbW)
			for _, wv := range []float64{0.6, 0.8, 1.0, 1.2, 1.5} {
				w := []float64{1, 0, wv}
				tr, cr := scoreNorm(s.train, ftr, w, "max", 100), scoreNorm(s.cran, fcr, w, "max", 100)
				t.Logf("dim %d fb 3/%.1f wv %.1f: train %.4f test %.4f cran %.4f sum %.4f", dim, fbW, wv, tr, scoreNorm(s.test, fte, w, "max", 100), cr, tr+cr)
			}
		}
	}
}

func TestExpBM25Variants(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, b := 1.5, 0.5
	variant := func(delta float64, idfKind int) ranker {
		return func(x *xindex, _, text string) []int {
			sc := make([]float64, x.n)
			for _, t := range x.queryTerms(text) {
				df := float64(x.df(t.id))
				n := float64(x.n)
				var idf float64
				switch idfKind {
				case 0:
					idf = math.Log(1 + (n-df+0.5)/(df+0.5))
				case 1:
					idf = max(1e-6, math.Log((n-df+0.5)/(df+0.5)))
				case 2:
					idf = math.Log((n + 1) / df)
				}
				for _, p := range x.post[t.id] {
					f := float64(p.tf)
					sc[p.doc] += idf * (f*(k1+1)/(f+k1*(1-b+b*x.dl[p.doc]/x.avgdl)) + delta)
				}
			}
			return topN(sc, 100)
		}
	}
	for _, d := range []float64{0, 0.25, 0.5, 1} {
		for _, k := range []int{0, 1, 2} {
			s.row(t, fmt.Sprintf("bm25+ delta %.2f idf %d", d, k), variant(d, k))
		}
	}
}

// rocchioFeats: bm25, cos(q + beta·ĉ_top − gamma·ĉ_all).
func (x *xindex) rocchioFeats(b *Builtin, k1, bb float64, fbDocs int, beta, gamma float64, weighted bool) []qfeats {
	key := fmt.Sprintf("vec%d-%v-%v-%v", b.dim, b.p, false, false)
	if _, ok := x.extras[key]; !ok {
		x.vecFeats(b, false, 100, k1, bb, 3, 1)
	}
	dv := x.extras[key].([][]float32)
	idf := func(term string) float64 {
		if id, ok := x.id(term); ok {
			return x.idf(id)
		}
		return math.Log(1 + (float64(x.n)+0.5)/0.5)
	}
	qs := x.ds.judgedQueries()
	out := make([]qfeats, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			qid := qs[i]
			text := x.ds.Queries[qid]
			s := x.bm25Scores(x.queryTerms(text), k1, bb)
			top := topN(s, 100)
			qf := qfeats{qid: qid, docs: top, f: [][]float64{make([]float64, len(top)), make([]float64, len(top)), make([]float64, len(top))}, judge: x.ds.Qrels[qid]}
			qv := b.embedQuery(text, idf)
			c := make([]float32, len(qv))
			all := make([]float32, len(qv))
			for r, d := range top {
				for j, v := range dv[d] {
					all[j] += v
					if r < fbDocs {
						w := float32(1)
						if weighted {
							w = float32(s[d] / s[top[0]])
						}
						c[j] += w * v
					}
				}
			}
			normalize(c)
			normalize(all)
			fb := slices.Clone(qv)
			for j := range fb {
				fb[j] += float32(beta)*c[j] - float32(gamma)*all[j]
			}
			normalize(fb)
			for j, d := range top {
				qf.f[0][j] = s[d]
				qf.f[2][j] = float64(dot(fb, dv[d]))
			}
			out[i] = qf
		}
	})
	return out
}

func TestExpRocchio(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.5, 0.5
	b := NewBuiltin(256)
	for _, c := range []struct {
		docs        int
		beta, gamma float64
		weighted    bool
	}{{3, 3, 0, false}, {3, 3, 0, true}, {3, 3, 0.5, false}, {3, 3, 1, false}, {3, 3, 2, false}, {3, 2, 1, false}, {5, 3, 1, false}, {5, 3, 1, true}, {3, 3, 1, true}, {3, 3, 1.5, true}} {
		ftr := s.train.rocchioFeats(b, k1, bb, c.docs, c.beta, c.gamma, c.weighted)
		fcr := s.cran.rocchioFeats(b, k1, bb, c.docs, c.beta, c.gamma, c.weighted)
		s.test.extras = s.train.extras
		fte := s.test.rocchioFeats(b, k1, bb, c.docs, c.beta, c.gamma, c.weighted)
		for _, wv := range []float64{0.6, 0.8, 1.0} {
			w := []float64{1, 0, wv}
			tr, cr := scoreNorm(s.train, ftr, w, "max", 100), scoreNorm(s.cran, fcr, w, "max", 100)
			t.Logf("fb %d β %.1f γ %.1f weighted %v wv %.1f: train %.4f test %.4f cran %.4f sum %.4f", c.docs, c.beta, c.gamma, c.weighted, wv, tr, scoreNorm(s.test, fte, w, "max", 100), cr, tr+cr)
		}
	}
}

func sStem(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "aes") && !strings.HasSuffix(w, "ees") && !strings.HasSuffix(w, "oes"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

func TestExpStem(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	for _, v := range []struct {
		name string
		stem func(string) string
	}{{"snowball", nil}, {"s-stemmer", sStem}, {"none", func(s string) string { return s }}} {
		an := NewAnalyzer()
		fn := func(text string) []string {
			var out []string
			scanTokens(text, func(raw []byte, kind tokenKind) {
				if v.stem == nil {
					out = append(out, an.term(raw, kind))
					return
				}
				w := string(raw)
				if kind == tokenWord && isStopWord(w) {
					out = append(out, "")
					return
				}
				if kind == tokenWord && isASCIIWord(raw) {
					w = v.stem(w)
				}
				out = append(out, w)
			})
			return out
		}
		s := loadX(t, fn)
		s.row(t, v.name+" bm25 1.5/0.5", bm25Ranker(1.5, 0.5))
	}
}

func perQueryNorm(x *xindex, qfs []qfeats, w []float64) []float64 {
	out := make([]float64, len(qfs))
	for i := range qfs {
		out[i] = scoreNorm(x, qfs[i:i+1], w, "max", 100)
	}
	return out
}

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
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	b := NewBuiltin(256)
	for _, c := range []struct{ fbW, wv float64 }{{3, 1}, {3, 0.8}, {3, 0.6}, {2, 0.8}, {2, 0.6}} {
		for _, x := range []*xindex{s.train, s.test, s.cran} {
			if x == s.test {
				s.test.extras = s.train.extras
			}
			f := x.vecFeats(b, false, 100, 1.5, 0.5, 3, c.fbW)
			kw := perQueryNorm(x, f, []float64{1, 0, 0})
			hy := perQueryNorm(x, f, []float64{1, 0, c.wv})
			m, se := pairedSE(kw, hy)
			t.Logf("fb 3/%.0f wv %.1f %-10s hybrid-keyword %+.4f ± %.4f (SE)", c.fbW, c.wv, x.ds.Name+"/"+fmt.Sprint(len(kw)), m, se)
		}
	}
}

// adaptiveFeats: bm25, cos(q + β·ĉ) where ĉ averages the top fbDocs whose
// BM25 score is at least ratio × the best, and β is scaled by the mean
// coverage of those docs when cov is set.
func (x *xindex) adaptiveFeats(b *Builtin, k1, bb float64, fbDocs int, beta, ratio float64, cov bool) []qfeats {
	key := fmt.Sprintf("vec%d-%v-%v-%v", b.dim, b.p, false, false)
	if _, ok := x.extras[key]; !ok {
		x.vecFeats(b, false, 100, k1, bb, 3, 1)
	}
	dv := x.extras[key].([][]float32)
	idf := func(term string) float64 {
		if id, ok := x.id(term); ok {
			return x.idf(id)
		}
		return math.Log(1 + (float64(x.n)+0.5)/0.5)
	}
	qs := x.ds.judgedQueries()
	out := make([]qfeats, len(qs))
	parallel(len(qs), runtime.GOMAXPROCS(0), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			qid := qs[i]
			text := x.ds.Queries[qid]
			q := x.queryTerms(text)
			s := x.bm25Scores(q, k1, bb)
			top := topN(s, 100)
			qf := qfeats{qid: qid, docs: top, f: [][]float64{make([]float64, len(top)), make([]float64, len(top)), make([]float64, len(top))}, judge: x.ds.Qrels[qid]}
			qv := b.embedQuery(text, idf)
			c := make([]float32, len(qv))
			var total, covSum float64
			for _, t := range q {
				total += x.idf(t.id)
			}
			n := 0
			for r, d := range top {
				if r >= fbDocs || s[d] < ratio*s[top[0]] {
					break
				}
				var got float64
				for _, t := range q {
					if x.tf[d][t.id] > 0 {
						got += x.idf(t.id)
					}
				}
				covSum += got / total
				n++
				for j, v := range dv[d] {
					c[j] += v
				}
			}
			normalize(c)
			w := beta
			if cov && n > 0 {
				w *= covSum / float64(n)
			}
			fb := slices.Clone(qv)
			for j := range fb {
				fb[j] += float32(w) * c[j]
			}
			normalize(fb)
			for j, d := range top {
				qf.f[0][j] = s[d]
				qf.f[2][j] = float64(dot(fb, dv[d]))
			}
			out[i] = qf
		}
	})
	return out
}

func TestExpAdaptive(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	k1, bb := 1.5, 0.5
	b := NewBuiltin(256)
	for _, c := range []struct {
		docs        int
		beta, ratio float64
		cov         bool
	}{{3, 3, 0, false}, {3, 3, 0.7, false}, {3, 3, 0.85, false}, {3, 3, 0, true}, {3, 4, 0, true}, {5, 3, 0.8, false}, {5, 4, 0.8, true}} {
		ftr := s.train.adaptiveFeats(b, k1, bb, c.docs, c.beta, c.ratio, c.cov)
		fcr := s.cran.adaptiveFeats(b, k1, bb, c.docs, c.beta, c.ratio, c.cov)
		s.test.extras = s.train.extras
		fte := s.test.adaptiveFeats(b, k1, bb, c.docs, c.beta, c.ratio, c.cov)
		for _, wv := range []float64{0.6, 0.8, 1.0} {
			w := []float64{1, 0, wv}
			tr, cr := scoreNorm(s.train, ftr, w, "max", 100), scoreNorm(s.cran, fcr, w, "max", 100)
			t.Logf("fb %d β %.1f ratio %.2f cov %v wv %.1f: train %.4f test %.4f cran %.4f sum %.4f", c.docs, c.beta, c.ratio, c.cov, wv, tr, scoreNorm(s.test, fte, w, "max", 100), cr, tr+cr)
		}
	}
}

var abbrDef = regexp.MustCompile(`((?:[\w-]+\s+){1,8})\(([A-Za-z][\w-]{1,9}?)s?\)`)

// acronyms extracts "long form (ACR)" pairs (Schwartz–Hearst style: the
// acronym's letters are the initials of the last words) from the corpus:
// acronym term → long-form terms.
func (x *xindex) acronyms() map[string][]string {
	out := map[string][]string{}
	for _, d := range x.ds.Docs {
		for _, m := range abbrDef.FindAllStringSubmatch(d.Title+" "+d.Text, -1) {
			acr := m[2]
			up := 0
			for _, r := range acr {
				if unicode.IsUpper(r) {
					up++
				}
			}
			if up < 2 {
				continue
			}
			words := strings.Fields(strings.ReplaceAll(m[1], "-", " "))
			letters := []rune(strings.ToLower(acr))
			// match letters to initials from the end
			j := len(words) - 1
			i := len(letters) - 1
			for ; i >= 0 && j >= 0; j-- {
				w := strings.ToLower(words[j])
				if w == "" {
					continue
				}
				if []rune(w)[0] == letters[i] {
					i--
				} else if !unicode.IsLetter(letters[i]) {
					i--
					j++
				}
			}
			if i >= 0 || j < 0 && i >= 0 {
				continue
			}
			long := strings.Join(words[j+1:], " ")
			key := x.tokFn(acr)
			if len(key) == 0 || key[0] == "" {
				continue
			}
			var terms []string
			for _, t := range x.tokFn(long) {
				if t != "" {
					terms = append(terms, t)
				}
			}
			if len(terms) == 0 {
				continue
			}
			k := key[0]
			if _, ok := out[k]; !ok {
				out[k] = terms
			}
		}
	}
	return out
}

func TestExpAcronymExpansion(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip()
	}
	s := loadX(t, analyzerTok(NewAnalyzer()))
	for _, x := range []*xindex{s.train, s.cran} {
		x.extras["acr"] = x.acronyms()
		t.Logf("%s: %d acronyms", x.ds.Name, len(x.extras["acr"].(map[string][]string)))
	}
	s.test.extras = s.train.extras
	n := 0
	for k, v := range s.train.extras["acr"].(map[string][]string) {
		if n < 15 {
			t.Logf("  %s → %v", k, v)
		}
		n++
	}
	k1, b := 1.5, 0.5
	for _, w := range []float64{0, 0.2, 0.4, 0.7} {
		s.row(t, fmt.Sprintf("acronym expansion w %.1f", w), func(x *xindex, _, text string) []int {
			q := x.queryTerms(text)
			acr := x.extras["acr"].(map[string][]string)
			have := map[int32]bool{}
			for _, t := range q {
				have[t.id] = true
			}
			for _, t := range slices.Clone(q) {
				for _, lt := range acr[x.terms[t.id]] {
					if id, ok := x.id(lt); ok && !have[id] {
						have[id] = true
						q = append(q, wterm{id, w})
					}
				}
			}
			return topN(x.bm25Scores(q, k1, b), 100)
		})
	}
}
