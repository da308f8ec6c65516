package retrieval

import (
	"math"
	"slices"
)

// Keyword scoring over the whole Index: Okapi BM25 with the Lucene idf
// (see the package documentation), its statistics — live chunks, their
// total length, each term's document frequency — summed over the
// segments and the tail, so that a chunk scores the same whichever part
// holds it, and the same as in an index rebuilt in one piece.

// queryTerm is one distinct term of a query, resolved against the index.
type queryTerm struct {
	hash   uint64  // the term's hash
	tail   uint32  // term id in the tail, when inTail
	inTail bool    // the tail's dictionary has the term
	segs   []int32 // term id in each segment (by position in Index.segs), −1 if absent
	weight float64 // idf × qtf
	qtf    float64 // the weight of the term's frequency in the query (see Options.LongQuery)
	bit    uint64  // bit of this term in the match masks
	// floor is the term's weight in the relevance floor's coverage: the
	// smoothed idf (see floorIDF).
	floor float64
}

// corpusSize is N of the idf: the live chunks, and those removed without
// their terms (still counted in the document frequencies).
func (ix *Index) corpusSize() float64 {
	return float64(ix.kw.live() + ix.segLive + ix.kw.nStale)
}

// idf returns the BM25 inverse document frequency of a term with document
// frequency df (the Lucene form, always positive).
func (ix *Index) idf(df uint32) float64 {
	n := ix.corpusSize()
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// Smoothing of the relevance floor's idf: floorPrior pseudo-chunks in which
// every term occurs with probability floorPriorRate.
const (
	floorPrior     = 100
	floorPriorRate = 0.05
)

// floorIDF is the idf of a term in df chunks, smoothed as if the library
// held floorPrior more chunks containing every term at floorPriorRate. A
// library of a handful of passages says little about which words are rare:
// unsmoothed, words it happens not to contain ("long", "high") would weigh
// most in a question and push its true answer below the floor. From a few
// thousand chunks on, the prior no longer matters.
func (ix *Index) floorIDF(df uint32) float64 {
	n := ix.corpusSize() + floorPrior
	d := float64(df) + floorPrior*floorPriorRate
	return math.Log(1 + (n-d+0.5)/(d+0.5))
}

// df returns the document frequency of the term with hash h over all
// parts, with the term's id in the tail.
func (ix *Index) df(h uint64) uint32 {
	_, df, _ := ix.kw.df(h)
	for _, s := range ix.segs {
		if t, ok := s.term(h); ok {
			df += s.df(t)
		}
	}
	return df
}

// termIDF returns the idf of term (0 df for an unseen term).
func (ix *Index) termIDF(term string) float64 {
	return ix.idf(ix.df(termHashString(term)))
}

// resolve turns analysed query terms into query terms weighted by idf
// and by qtf(their frequency in the query), one match bit each (terms past
// the 63rd share the last bit).
func (ix *Index) resolve(q Terms, qtf func(freq int) float64) []queryTerm {
	var out []queryTerm
	_ = q.each(func(term []byte, freq int) bool {
		h := termHash(term)
		qt := queryTerm{bit: uint64(1) << min(len(out), 63), qtf: qtf(freq), hash: h}
		var df uint32
		qt.tail, df, qt.inTail = ix.kw.df(h)
		if len(ix.segs) > 0 {
			qt.segs = make([]int32, len(ix.segs))
			for i, s := range ix.segs {
				qt.segs[i] = -1
				if t, ok := s.term(h); ok {
					qt.segs[i] = int32(t)
					df += s.df(t)
				}
			}
		}
		qt.weight, qt.floor = ix.idf(df)*qt.qtf, ix.floorIDF(df)
		out = append(out, qt)
		return true
	})
	return out
}

// qtfOnce counts a term repeated in a query once; qtfRaw as often as it
// occurs.
func qtfOnce(int) float64     { return 1 }
func qtfRaw(freq int) float64 { return float64(freq) }

// scanPart is one part of the index as a keyword scan reads it: its
// ordinals start at base; docLen, dead and of are by its own ordinals.
type scanPart struct {
	base   uint32
	docLen []uint32
	dead   []uint64 // bitset
	of     []uint32 // document slot
}

// parts returns the segments and the tail as scan parts, in ordinal order.
func (ix *Index) parts() []scanPart {
	out := make([]scanPart, 0, len(ix.segs)+1)
	for _, s := range ix.segs {
		out = append(out, scanPart{base: s.base, docLen: s.docLen, dead: s.dead, of: s.of})
	}
	return append(out, scanPart{base: ix.tailBase, docLen: ix.kw.docLen, dead: ix.kw.dead, of: ix.of})
}

// size returns the number of ordinals of all parts, dead ones included.
func (ix *Index) size() int { return int(ix.tailBase) + ix.kw.size() }

// keywordScan scores every visible chunk that contains a query term into
// s, with length normalisation b: s.acc holds the BM25 score and s.mask
// the bits of the matched terms of each touched ordinal (s.tslot its
// document slot). Visibility is decided once per touched ordinal, so
// filtering happens while scoring.
//
// With dp, whole documents are scored too (s.dacc, by document slot; see
// docscore.go): every live posting counts, visible or not, so document
// statistics do not depend on who searches.
func (ix *Index) keywordScan(q []queryTerm, b float64, vis *visibility, s *scratch, dp *docPass) {
	s.grow(ix.size())
	if dp != nil {
		s.growDocs(len(dp.len))
	}
	k1 := ix.opt.K1
	st := ix.scanParams(b, vis, dp)
	parts := ix.parts()
	tail := parts[len(parts)-1]
	for _, qt := range q {
		st.w, st.bit = qt.weight*(k1+1), qt.bit
		for i, seg := range ix.segs {
			if t := qt.segs[i]; t >= 0 {
				s.scan(seg.list(int(t)), parts[i], &st)
			}
		}
		if qt.inTail {
			s.scan(ix.kw.lists[qt.tail].data, tail, &st)
		}
		if dp != nil {
			dp.endTerm(s, qt.qtf)
		}
	}
}

// scanTerm is what a scan of one query term's posting lists needs.
type scanTerm struct {
	w      float64 // the term's weight × (k1+1)
	c1, c2 float64 // k1·(1−b) and k1·b/avg
	bit    uint64
	dp     *docPass
	vis    *visibility
	owner  []uint64 // by document slot
	doc    []uint64 // by document slot
}

// scan adds the postings of one posting list of part p.
func (s *scratch) scan(data []byte, p scanPart, t *scanTerm) {
	ord := uint32(0)
	for i := 0; i < len(data); {
		d, k := uvarint(data[i:])
		i += k
		tf, k := uvarint(data[i:])
		i += k
		ord += uint32(d)
		if p.dead[ord>>6]&(1<<(ord&63)) != 0 {
			continue
		}
		slot := p.of[ord]
		if t.dp != nil {
			t.dp.add(s, slot, float32(tf))
		}
		g := p.base + ord
		m := s.mask[g]
		if m == 0 {
			if !t.vis.allows(t.owner[slot], t.doc[slot]) {
				continue
			}
			s.touched = append(s.touched, g)
			s.tslot = append(s.tslot, slot)
		}
		s.acc[g] += termScore(t.w, t.c1, t.c2, uint32(tf), p.docLen[ord])
		s.mask[g] = m | t.bit
	}
}

// termScore is a posting's BM25 term score: w·tf/(tf + c1 + c2·length),
// w the term's weight × (k1+1). Every scan computes it with this
// expression, so that pruned and exhaustive searches agree to the bit
// (the explicit conversion keeps a compiler from fusing c2·length into
// the sum on some CPUs and not others).
func termScore(w, c1, c2 float64, tf, length uint32) float32 {
	f := float64(tf)
	return float32(w * f / (f + c1 + float64(c2*float64(length))))
}

// termMasks sets s.mask of each candidate to the bits of the query terms
// it contains, or'ed with its document identity's bits when it has one —
// what keywordScan and the identity blend set — without scanning the
// posting lists: a segment chunk's terms are read from its forward list,
// and only the tail's lists are walked, up to the last candidate. The
// candidates are visible (a search found them).
func (ix *Index) termMasks(cs []candidate, qt []queryTerm, s *scratch) {
	s.grow(ix.size())
	var tail []uint32
	for _, c := range cs {
		if seg := ix.segmentOf(c.ord); seg != nil {
			si := slices.Index(ix.segs, seg)
			var m uint64
			seg.eachTerm(c.ord-seg.base, func(t, _ uint32) {
				for _, q := range qt {
					if q.segs[si] == int32(t) {
						m |= q.bit
					}
				}
			})
			ix.setMask(s, c.ord, c.slot, m)
			continue
		}
		tail = append(tail, c.ord-ix.tailBase)
	}
	if len(tail) == 0 {
		return
	}
	slices.Sort(tail)
	masks := make([]uint64, len(tail))
	for _, q := range qt {
		if !q.inTail {
			continue
		}
		data := ix.kw.lists[q.tail].data
		ord, j := uint32(0), 0
		for i := 0; i < len(data) && j < len(tail); {
			d, k := uvarint(data[i:])
			i += k
			_, k = uvarint(data[i:])
			i += k
			ord += uint32(d)
			for j < len(tail) && tail[j] < ord {
				j++
			}
			if j < len(tail) && tail[j] == ord {
				masks[j] |= q.bit
			}
		}
	}
	for j, o := range tail {
		ix.setMask(s, ix.tailBase+o, ix.of[o], masks[j])
	}
}

// setMask records the matched-term bits m of ordinal g (document slot
// slot), with its document identity's when m is not empty.
func (ix *Index) setMask(s *scratch, g, slot uint32, m uint64) {
	if m == 0 {
		return
	}
	if ix.opt.TitleWeight > 0 && int(slot) < len(s.tmask) {
		m |= s.tmask[slot]
	}
	if s.mask[g] == 0 {
		s.touched = append(s.touched, g)
		s.tslot = append(s.tslot, slot)
	}
	s.mask[g] = m
}
