package retrieval

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// prunedCorpus returns chunks of docs documents of 1 to 150 chunks (so
// documents of several blocks), owners 0 to 3, a title on most documents
// (words of the vocabulary, so questions reach them), and the generator.
func prunedCorpus(seed uint64, docs int) ([]Chunk, *synthCorpus) {
	gen := newSynthCorpus(seed, 1500)
	rng := rand.New(rand.NewPCG(seed, 99))
	var out []Chunk
	for d := range docs {
		n := 1 + rng.IntN(12)
		switch d % 7 {
		case 0:
			n = 65 + rng.IntN(90)
		case 3:
			n = 20 + rng.IntN(30)
		}
		for i := range n {
			c := Chunk{ID: uint64(d+1)<<24 | uint64(i), DocumentID: uint64(d + 1), Owner: uint64(d % 4),
				Start: i * 300, End: i*300 + 350, Text: gen.text(80 + rng.IntN(400))}
			if i == 0 && d%3 != 2 {
				c.Title = gen.vocab[rng.IntN(60)] + " " + gen.vocab[20+rng.IntN(400)]
			}
			out = append(out, c)
		}
	}
	return out, gen
}

// prunedIndex builds an index of chunks with opt: two segments holding
// the first two thirds (cut between documents), the rest in the tail,
// then whole documents deleted in both parts and chunks replaced and
// added in segment documents (so blocks with dead chunks, and documents
// in a segment and the tail at once).
func prunedIndex(t *testing.T, chunks []Chunk, opt Options, gen *synthCorpus) *Index {
	t.Helper()
	ix := NewIndex(nil, opt)
	cuts := []int{0, len(chunks) / 3, 2 * len(chunks) / 3}
	for i := 1; i < len(cuts); i++ {
		for chunks[cuts[i]].DocumentID == chunks[cuts[i]-1].DocumentID {
			cuts[i]++
		}
	}
	dir := t.TempDir()
	for i := range 2 {
		if err := ix.attach(buildSegment(t, ix, dir, chunks[cuts[i]:cuts[i+1]]), nil); err != nil {
			t.Fatal(err)
		}
	}
	addAll(t, ix, chunks[cuts[2]:])
	terms := map[uint64][]Terms{}
	for _, c := range chunks {
		terms[c.DocumentID] = append(terms[c.DocumentID], Analyze(c.Text))
	}
	last := chunks[len(chunks)-1].DocumentID
	for _, doc := range []uint64{2, 9, 15, last - 1, last - 4} {
		ix.DeleteDocument(doc, terms[doc]...)
	}
	var changed []Chunk
	for i, c := range chunks[:cuts[2]] {
		if i%37 == 5 { // replaced: dead in its block, alive in the tail
			c.Text = gen.text(200)
			changed = append(changed, c)
		}
		if i%101 == 7 { // a new chunk of a segment document
			c.ID |= 1 << 20
			c.Text = gen.text(150)
			changed = append(changed, c)
		}
	}
	addAll(t, ix, changed)
	if len(ix.segs) != 2 || ix.kw.live() == 0 {
		t.Fatalf("%d segments, %d chunks in the tail", len(ix.segs), ix.kw.live())
	}
	return ix
}

// prunedQueries returns questions of every kind: common, middling and
// rare words, title words, repeated words, unknown words, and long ones.
func prunedQueries(gen *synthCorpus, rng *rand.Rand, n int) []string {
	var out []string
	for i := range n {
		var w []string
		for range 1 + rng.IntN(5) {
			switch rng.IntN(4) {
			case 0:
				w = append(w, gen.vocab[rng.IntN(15)])
			case 1:
				w = append(w, gen.vocab[rng.IntN(60)])
			default:
				w = append(w, gen.vocab[20+rng.IntN(800)])
			}
		}
		switch i % 6 {
		case 1:
			w = append(w, w[0]) // repeated
		case 2:
			w = append(w, "zzqqxv") // unknown
		case 3:
			for range 14 {
				w = append(w, gen.vocab[rng.IntN(300)])
			}
		}
		out = append(out, strings.Join(w, " "))
	}
	return out
}

// keywordListOf runs the keyword part of a search (what candidates runs)
// and returns the list with each entry's matched-term bits and how many
// chunks were scored.
func keywordListOf(ix *Index, text string, f Filter, n int) ([]scored, []uint64, int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	qt, b := ix.queryTerms(ix.an.Analyze(text))
	s := &scratch{}
	if ix.opt.TitleWeight > 0 {
		ix.ids.score(qt, s, len(ix.dt.len))
	}
	vis := f.resolve()
	top := ix.keywordList(qt, b, &vis, s, n)
	masks := make([]uint64, len(top))
	for i, c := range top {
		masks[i] = s.mask[c.ord]
	}
	return top, masks, len(s.touched)
}

// TestPrunedKeywordSearchIsExact: skipping blocks changes nothing — over
// randomised corpora (documents of one to several blocks, deletions and
// replacements in segments and tail), questions (short, repeated words,
// unknown words, long ones), filters, list depths and scoring options,
// the pruned keyword list has the same chunks, the same float32 scores
// and the same matched terms as scoring every chunk, and searches return
// the same hits.
func TestPrunedKeywordSearchIsExact(t *testing.T) {
	variants := []Options{{}, {DocWeight: -1}, {TitleWeight: -1}, {DocWeight: -1, TitleWeight: -1},
		{K1: 0.9, B: 1}, {B: 0.05, LongQuery: 4}, {DocWeight: 2, TitleWeight: 3}}
	filters := []Filter{{}, {Owners: []uint64{0, 1, 2, 3}}, {Owners: []uint64{1}}, {Owners: []uint64{3, 0}, DocumentIDs: []uint64{1, 4, 8, 13, 22, 29}},
		{Owners: []uint64{2}, Granted: []uint64{1, 5, 8, 22, 33}}, {Granted: []uint64{4, 8, 12, 15}}}
	for seed := range uint64(3) {
		chunks, gen := prunedCorpus(seed+1, 45)
		rng := rand.New(rand.NewPCG(seed, 5))
		queries := prunedQueries(gen, rng, 24)
		for vi, opt := range variants {
			ix := prunedIndex(t, chunks, opt, gen)
			for qi, text := range queries {
				for fi, f := range filters {
					for _, n := range []int{1, 7, 40, 100} {
						ix.exhaustive = true
						want, wantMasks, _ := keywordListOf(ix, text, f, n)
						ix.exhaustive = false
						got, gotMasks, _ := keywordListOf(ix, text, f, n)
						if !slices.Equal(got, want) || !slices.Equal(gotMasks, wantMasks) {
							t.Fatalf("seed %d, options %d, query %d %q, filter %d, n %d:\nscoring all %v %x\npruned      %v %x",
								seed, vi, qi, text, fi, n, want, wantMasks, got, gotMasks)
						}
					}
					if qi%4 != 0 {
						continue
					}
					for _, mode := range []Mode{ModeHybrid, ModeKeyword} {
						q := Query{Text: text, Mode: mode, TopK: 10, Filter: f}
						ix.exhaustive = true
						want := search(t, ix, q)
						ix.exhaustive = false
						if got := search(t, ix, q); fmt.Sprint(got) != fmt.Sprint(want) {
							t.Fatalf("seed %d, options %d, query %q, filter %d, %s:\nscoring all %v\npruned      %v", seed, vi, text, fi, mode, want, got)
						}
					}
				}
			}
		}
	}
}

// TestPrunedKeywordSkipsBlocks: on segments of many documents, the ten
// best chunks for two- or three-word questions are found scoring a small
// part of the chunks holding a query word.
func TestPrunedKeywordSkipsBlocks(t *testing.T) {
	gen := newSynthCorpus(3, 3000)
	var chunks []Chunk
	for d := range 400 {
		for i := range 10 {
			chunks = append(chunks, Chunk{ID: uint64(d+1)<<24 | uint64(i), DocumentID: uint64(d + 1), Text: gen.text(500)})
		}
	}
	ix := NewIndex(nil, Options{})
	if err := ix.attach(buildSegment(t, ix, t.TempDir(), chunks), nil); err != nil {
		t.Fatal(err)
	}
	scored, all := 0, 0
	for i := range 30 {
		text := gen.query(2 + i%2)
		ix.exhaustive = true
		want, _, a := keywordListOf(ix, text, Filter{}, 10)
		ix.exhaustive = false
		got, _, s := keywordListOf(ix, text, Filter{}, 10)
		if !slices.Equal(got, want) {
			t.Fatalf("query %q: pruned %v, scoring all %v", text, got, want)
		}
		scored, all = scored+s, all+a
	}
	if scored*4 > all {
		t.Errorf("pruned searches scored %d chunks, exhaustive ones %d: few blocks skipped", scored, all)
	}
	t.Logf("chunks scored: %d pruned, %d exhaustive", scored, all)
}

// TestBlockListsMatchPostings: a segment's block lists say what its
// posting lists hold — per block, the tf sum, the first ordinal, the
// highest tf, the shortest chunk and the stretch of postings — after a
// build and after a merge that drops dead chunks.
func TestBlockListsMatchPostings(t *testing.T) {
	chunks, _ := prunedCorpus(7, 30)
	ix := NewIndex(nil, Options{})
	dir := t.TempDir()
	half := len(chunks) / 2
	for chunks[half].DocumentID == chunks[half-1].DocumentID {
		half++
	}
	a, b := buildSegment(t, ix, dir, chunks[:half]), buildSegment(t, ix, dir, chunks[half:])
	checkBlockLists(t, a)
	for o := uint32(0); o < uint32(a.n); o += 3 {
		a.kill(o)
	}
	path := dir + "/merged"
	if _, err := mergeSegments(path, []mergeInput{a.snapshot(), b.snapshot()}); err != nil {
		t.Fatal(err)
	}
	m, err := openSegment(path, "merged")
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	checkBlockLists(t, m)
	if m.blocks() <= m.nDocs {
		t.Fatalf("%d blocks for %d documents: no document of several blocks", m.blocks(), m.nDocs)
	}
}

// checkBlockLists compares every term's block list with its postings.
func checkBlockLists(t *testing.T, s *segment) {
	t.Helper()
	for term := range s.nTerms {
		var want []blockEntry
		data := s.list(term)
		ord := uint32(0)
		for i := 0; i < len(data); {
			at := i
			d, k := uvarint(data[i:])
			i += k
			tf, k := uvarint(data[i:])
			i += k
			ord += uint32(d)
			b := s.blockOf(ord)
			if len(want) == 0 || want[len(want)-1].block != b {
				want = append(want, blockEntry{block: b, first: ord, minLen: s.docLen[ord], off: int(s.termOff[term]) + at})
			}
			e := &want[len(want)-1]
			e.tfSum += uint32(tf)
			e.maxTF = max(e.maxTF, uint32(tf))
			e.minLen = min(e.minLen, s.docLen[ord])
			e.end = int(s.termOff[term]) + i
		}
		var got []blockEntry
		for c := s.blockList(term); c.next(); {
			got = append(got, c.e)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("term %d: block list %+v, postings say %+v", term, got, want)
		}
	}
}
