package retrieval

import "math"

// Document evidence. A question often names what its answer's document is
// about (a company, a product, a paper) while the passage that answers it
// says "the Company" or "we": the name is on the cover page, in a handful
// of the document's chunks. So a keyword search also scores every whole
// document with BM25 — a document's term frequencies are the sums over its
// live chunks, its length theirs, its document frequencies counted over
// documents — and adds that score, scaled to the best chunk's, to each of
// the document's chunks:
//
//	score(chunk) = bm25(chunk) + DocWeight · max bm25(chunk) · bm25(doc)/max bm25(doc)
//
// When every document is one chunk the two scores are the same and the
// ranking does not change. The whole-document statistics come from the
// posting lists the chunk search reads anyway, so nothing more is stored.

// docTable numbers the documents of an Index densely (slots) and keeps
// their lengths, so a keyword search can score whole documents.
type docTable struct {
	len    []uint32 // by slot: term occurrences in the document's live chunks
	owner  []uint64 // by slot: the document's owner (for visibility)
	doc    []uint64 // by slot: the document's id
	free   []uint32 // slots of deleted documents, for reuse
	live   int
	sumLen int64
}

// alloc returns a slot for a new document.
func (t *docTable) alloc(doc, owner uint64) uint32 {
	t.live++
	if n := len(t.free); n > 0 {
		s := t.free[n-1]
		t.free = t.free[:n-1]
		t.owner[s], t.doc[s] = owner, doc
		return s
	}
	t.len = append(t.len, 0)
	t.owner = append(t.owner, owner)
	t.doc = append(t.doc, doc)
	return uint32(len(t.len) - 1)
}

// release frees the slot of a deleted document.
func (t *docTable) release(slot uint32) {
	t.live--
	t.sumLen -= int64(t.len[slot])
	t.len[slot] = 0
	t.free = append(t.free, slot)
}

// grow adds tokens to a document's length.
func (t *docTable) grow(slot uint32, tokens uint32) {
	t.len[slot] += tokens
	t.sumLen += int64(tokens)
}

// shrink takes tokens off a document's length.
func (t *docTable) shrink(slot uint32, tokens uint32) {
	t.len[slot] -= tokens
	t.sumLen -= int64(tokens)
}

// docPass is what a keyword search needs to score whole documents.
type docPass struct {
	len    []uint32
	n      float64 // live documents
	k1, c1 float64 // BM25 k1 and k1·(1−b)
	c2     float64 // k1·b / average document length
}

// pass returns the document scoring of a search with BM25 parameters k1
// and b, or nil when there are no documents.
func (t *docTable) pass(k1, b float64) *docPass {
	if t.live == 0 || t.sumLen == 0 {
		return nil
	}
	avg := float64(t.sumLen) / float64(t.live)
	return &docPass{len: t.len, n: float64(t.live), k1: k1, c1: k1 * (1 - b), c2: k1 * b / avg}
}

// add counts a posting of the current term in the document of slot.
func (p *docPass) add(s *scratch, slot uint32, tf float32) {
	if s.dtf[slot] == 0 {
		s.dterm = append(s.dterm, slot)
	}
	s.dtf[slot] += tf
}

// endTerm scores the documents the current term occurs in, weighted by
// the term's query weight over its idf (its query-frequency factor), and
// clears the term's counts.
func (p *docPass) endTerm(s *scratch, qtf float64) {
	df := float64(len(s.dterm))
	w := qtf * math.Log(1+(p.n-df+0.5)/(df+0.5)) * (p.k1 + 1)
	for _, slot := range s.dterm {
		f := float64(s.dtf[slot])
		if s.dacc[slot] == 0 {
			s.dtouched = append(s.dtouched, slot)
		}
		s.dacc[slot] += float32(w * f / (f + p.c1 + p.c2*float64(p.len[slot])))
		s.dtf[slot] = 0
	}
	s.dterm = s.dterm[:0]
}

// blend adds to every touched chunk its document's score, scaled so that
// the best document adds weight times the best chunk score.
func (p *docPass) blend(s *scratch, weight float64) {
	var maxC, maxD float32
	for i, o := range s.touched {
		maxC = max(maxC, s.acc[o])
		maxD = max(maxD, s.dacc[s.tslot[i]])
	}
	if maxD == 0 || weight <= 0 {
		return
	}
	f := docBlendFactor(weight, maxC, maxD)
	for i, o := range s.touched {
		s.acc[o] += scaled(f, s.dacc[s.tslot[i]])
	}
}

// docBlendFactor is what blend multiplies document scores by: weight ×
// the best chunk score over the best document score.
func docBlendFactor(weight float64, maxC, maxD float32) float32 {
	return float32(weight) * maxC / maxD
}

// scaled returns f·x rounded to float32 (so never fused with the sum it
// goes into: pruned and exhaustive searches add it alike).
func scaled(f, x float32) float32 { return float32(f * x) }
