package retrieval

// Keyword-side experiments of EVAL.md: analysis variants, BM25 parameters
// and variants, query weighting and expansion (RM3, term pairs, acronyms).

import (
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// grid returns every (k1, b) of k1s × bs.
func grid(k1s, bs []float64) [][2]float64 {
	var out [][2]float64
	for _, k1 := range k1s {
		for _, b := range bs {
			out = append(out, [2]float64{k1, b})
		}
	}
	return out
}

// tokVariant is an analysis variant.
type tokVariant struct {
	name string
	fn   func(string) []string
}

// variantRows indexes the collections with each variant and logs BM25 at
// each (k1, b) of params.
func variantRows(t *testing.T, vs []tokVariant, params [][2]float64) {
	t.Helper()
	for _, v := range vs {
		loadX(t, v.fn).bm25Rows(t, v.name, params)
	}
}

func TestExpBM25Grid(t *testing.T) {
	s := expSets(t)
	s.bm25Rows(t, "production", [][2]float64{{1.2, 0.4}})
	if !strings.Contains(os.Getenv("DOCENT_EXP"), "grid") {
		return
	}
	s.bm25Rows(t, "grid", grid([]float64{0.6, 0.9, 1.2, 1.5, 2.0}, []float64{0.3, 0.4, 0.5, 0.6, 0.75}))
}

func TestExpProdTok(t *testing.T) {
	expSets(t).bm25Rows(t, "prod tok", [][2]float64{{1.2, 0.4}, {1.2, 0.5}, {1.2, 0.6}, {1.5, 0.5}, {1.5, 0.6}, {0.9, 0.4}})
}

func greekFold(s string) string {
	greekNames := map[rune]string{
		'α': "alpha", 'β': "beta", 'γ': "gamma", 'δ': "delta", 'ε': "epsilon", 'ζ': "zeta", 'η': "eta", 'θ': "theta",
		'ι': "iota", 'κ': "kappa", 'λ': "lambda", 'μ': "mu", 'µ': "mu", 'ν': "nu", 'ξ': "xi", 'ο': "omicron", 'π': "pi",
		'ρ': "rho", 'σ': "sigma", 'ς': "sigma", 'τ': "tau", 'υ': "upsilon", 'φ': "phi", 'χ': "chi", 'ψ': "psi", 'ω': "omega",
	}
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
	an := NewAnalyzer()
	base := analyzerTok(an)
	variantRows(t, []tokVariant{
		{"base", base},
		{"greek", func(s string) []string { return base(greekFold(s)) }},
		{"compound", compoundTok(base, an)},
		{"alnum split", alnumSplit(base)},
		{"greek+compound", func(s string) []string { return compoundTok(base, an)(greekFold(s)) }},
		{"greek+compound+alnum", func(s string) []string { return alnumSplit(compoundTok(base, an))(greekFold(s)) }},
		{"greek+alnum", func(s string) []string { return alnumSplit(base)(greekFold(s)) }},
	}, [][2]float64{{1.2, 0.4}, {1.5, 0.6}})
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
	base := analyzerTok(NewAnalyzer())
	variantRows(t, []tokVariant{
		{"title x2", titleTok(base, 1)},
		{"title x3", titleTok(base, 2)},
	}, [][2]float64{{1.2, 0.4}, {1.5, 0.6}})
	expSets(t).bm25Rows(t, "grid", grid([]float64{0.9, 1.2, 1.5, 2.0}, []float64{0.4, 0.5, 0.6, 0.75, 0.9}))
}

// sStem is the S-stemmer (Harman 1991).
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

// stemTok tokenises like the analyser but stems ASCII words with stem.
func stemTok(stem func(string) string) func(string) []string {
	return func(text string) []string {
		var out []string
		scanTokens(text, func(raw []byte, kind tokenKind) {
			w := string(raw)
			if kind == tokenWord && isStopWord(w) {
				out = append(out, "")
				return
			}
			if kind == tokenWord && isASCIIWord(raw) {
				w = stem(w)
			}
			out = append(out, w)
		})
		return out
	}
}

func TestExpStem(t *testing.T) {
	an := NewAnalyzer()
	snowball := func(text string) []string {
		var out []string
		scanTokens(text, func(raw []byte, kind tokenKind) { out = append(out, an.term(raw, kind)) })
		return out
	}
	variantRows(t, []tokVariant{
		{"snowball", snowball},
		{"s-stemmer", stemTok(sStem)},
		{"none", stemTok(func(s string) string { return s })},
	}, [][2]float64{{1.5, 0.5}})
}

var acronymPlural = regexp.MustCompile(`\b(\w*[A-Z]\w*[A-Z])s\b`)

func TestExpAcronym(t *testing.T) {
	base := analyzerTok(NewAnalyzer())
	variantRows(t, []tokVariant{
		{"acronym plural", func(s string) []string { return base(acronymPlural.ReplaceAllString(s, "$1")) }},
		{"acronym plural+greek", func(s string) []string { return base(greekFold(acronymPlural.ReplaceAllString(s, "$1"))) }},
	}, [][2]float64{{1.2, 0.4}, {1.5, 0.6}})
	m := map[string]int{}
	for _, d := range expDataset(t, "scifact", "train").Docs {
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

func TestExpBM25Variants(t *testing.T) {
	s := expSets(t)
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
					idf = x.idf(t.id)
				case 1:
					idf = max(1e-6, math.Log((n-df+0.5)/(df+0.5)))
				case 2:
					idf = math.Log((n + 1) / df)
				}
				for _, p := range x.post[t.id] {
					sc[p.doc] += idf * (x.bm25Weight(1, float64(p.tf), int(p.doc), k1, b) + delta)
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

func TestExpFailures(t *testing.T) {
	x := expSets(t)[xTrain]
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
	var cand []wterm
	for id, w := range rel {
		if x.df(id) >= 2 {
			cand = append(cand, wterm{id, w})
		}
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

// pairCounts counts, in the term sequence seq, the ordered adjacent
// occurrences of (a, b) (od) and the occurrences of a with b within win
// tokens (uw).
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

type termPair struct{ a, b int32 }

// queryPairs returns the distinct pairs of different known terms adjacent
// in the query text (an unknown term breaks the adjacency).
func (x *xindex) queryPairs(text string) []termPair {
	var seq []int32
	for _, t := range x.tokFn(text) {
		if t == "" {
			continue
		}
		id, ok := x.id(t)
		if !ok {
			id = -2
		}
		seq = append(seq, id)
	}
	seen := map[termPair]bool{}
	var pairs []termPair
	for i := 0; i+1 < len(seq); i++ {
		p := termPair{seq[i], seq[i+1]}
		if p.a < 0 || p.b < 0 || p.a == p.b || seen[p] {
			continue
		}
		seen[p] = true
		pairs = append(pairs, p)
	}
	return pairs
}

// sdmRanker re-ranks the top depth of BM25 by adding, for each query term
// pair, wOD × a BM25-like score of its ordered occurrences and wUW × one
// of its unordered co-occurrences within win (idf of the rarer term).
func sdmRanker(k1, b, wOD, wUW float64, win int, depth int) ranker {
	return func(x *xindex, _, text string) []int {
		s := x.bm25Scores(x.queryTerms(text), k1, b)
		top := topN(s, depth)
		out := slices.Clone(s)
		for _, p := range x.queryPairs(text) {
			idf := max(x.idf(p.a), x.idf(p.b))
			for _, d := range top {
				od, uw := pairCounts(x.seq[d], p.a, p.b, win)
				if od > 0 {
					out[d] += x.bm25Weight(wOD*idf, float64(od), d, k1, b)
				}
				if uw > 0 {
					out[d] += x.bm25Weight(wUW*idf, float64(uw), d, k1, b)
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

func TestExpQuery(t *testing.T) {
	s := expSets(t)
	for _, p := range [][2]float64{{1.2, 0.4}, {1.5, 0.6}} {
		k1, b := p[0], p[1]
		s.row(t, fmt.Sprintf("bm25 %.1f/%.1f", k1, b), bm25Ranker(k1, b))
		s.row(t, "qtf", queryRanker(k1, b, (*xindex).queryTermsQTF))
		for _, pw := range []float64{0.5, 1.5} {
			s.row(t, fmt.Sprintf("idf^%.1f", pw), queryRanker(k1, b, func(x *xindex, text string) []wterm {
				q := x.queryTerms(text)
				for i := range q {
					q[i].w = math.Pow(x.idf(q[i].id), pw-1)
				}
				return q
			}))
		}
		for _, c := range []struct {
			docs, terms int
			w           float64
		}{{3, 10, 0.7}, {10, 10, 0.5}, {10, 10, 0.7}, {10, 20, 0.8}, {5, 30, 0.8}, {10, 50, 0.9}} {
			s.row(t, fmt.Sprintf("rm3 %d docs %d terms w=%.1f", c.docs, c.terms, c.w), queryRanker(k1, b, func(x *xindex, text string) []wterm {
				q := x.queryTerms(text)
				return x.rm3(q, x.bm25Scores(q, k1, b), c.docs, c.terms, c.w)
			}))
		}
		for _, c := range []struct {
			od, uw float64
			win    int
		}{{0.1, 0, 8}, {0.2, 0, 8}, {0, 0.1, 8}, {0.1, 0.05, 8}, {0.2, 0.1, 8}, {0.3, 0, 8}} {
			s.row(t, fmt.Sprintf("sdm od=%.2f uw=%.2f win=%d", c.od, c.uw, c.win), sdmRanker(k1, b, c.od, c.uw, c.win, 200))
		}
	}
}

var abbrDef = regexp.MustCompile(`((?:[\w-]+\s+){1,8})\(([A-Za-z][\w-]{1,9}?)s?\)`)

// acronyms extracts "long form (ACR)" pairs from the corpus: acronym term
// → long-form terms.
func (x *xindex) acronyms() map[string][]string {
	out := map[string][]string{}
	for _, d := range x.ds.Docs {
		for _, m := range abbrDef.FindAllStringSubmatch(d.Title+" "+d.Text, -1) {
			long, ok := longForm(m[1], m[2])
			key := x.tokFn(m[2])
			if !ok || len(key) == 0 || key[0] == "" {
				continue
			}
			var terms []string
			for _, t := range x.tokFn(long) {
				if t != "" {
					terms = append(terms, t)
				}
			}
			if _, ok := out[key[0]]; !ok && len(terms) > 0 {
				out[key[0]] = terms
			}
		}
	}
	return out
}

// longForm returns the last words of text whose initials spell acr
// (Schwartz–Hearst style; acr has two capitals or more).
func longForm(text, acr string) (string, bool) {
	up := 0
	for _, r := range acr {
		if unicode.IsUpper(r) {
			up++
		}
	}
	if up < 2 {
		return "", false
	}
	words := strings.Fields(strings.ReplaceAll(text, "-", " "))
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
	if i >= 0 {
		return "", false
	}
	return strings.Join(words[j+1:], " "), true
}

func TestExpAcronymExpansion(t *testing.T) {
	s := expSets(t)
	acr := map[*xindex]map[string][]string{}
	for _, i := range []int{xTrain, xCran} {
		acr[s[i]] = s[i].acronyms()
		t.Logf("%s: %d acronyms", s[i].ds.Name, len(acr[s[i]]))
	}
	acr[s[xTest]] = acr[s[xTrain]] // same corpus
	keys := slices.Sorted(maps.Keys(acr[s[xTrain]]))
	for _, k := range keys[:min(15, len(keys))] {
		t.Logf("  %s → %v", k, acr[s[xTrain]][k])
	}
	for _, w := range []float64{0, 0.2, 0.4, 0.7} {
		s.row(t, fmt.Sprintf("acronym expansion w %.1f", w), queryRanker(1.5, 0.5, func(x *xindex, text string) []wterm {
			q := x.queryTerms(text)
			have := map[int32]bool{}
			for _, t := range q {
				have[t.id] = true
			}
			for _, t := range slices.Clone(q) {
				for _, lt := range acr[x][x.terms[t.id]] {
					if id, ok := x.id(lt); ok && !have[id] {
						have[id] = true
						q = append(q, wterm{id, w})
					}
				}
			}
			return q
		}))
	}
}
