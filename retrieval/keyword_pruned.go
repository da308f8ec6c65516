package retrieval

import "slices"

// Keyword search that skips what cannot rank. keywordScan scores every
// chunk holding a query term; at a million chunks a common word alone has
// hundreds of thousands. keywordTop returns exactly what keywordScan, the
// two blends and scratch.top return — the same chunks, the same float32
// scores, the same matched-term bits — while scoring only the chunks of
// segment blocks (segment_blocks.go) that could reach the top n:
//
//  1. The block lists of the query terms are read instead of their
//     posting lists: their tf sums are the whole-document statistics
//     (docscore.go), exact because a block with dead chunks has its live
//     postings counted again; and each visible block gets an upper bound
//     of its chunks' BM25 score, the sum over the terms it holds of
//     w·maxtf/(maxtf + c1 + c2·minlen). The tail is scanned whole, as
//     keywordScan does.
//  2. The document blend scales by the best chunk's BM25 score. Blocks
//     are scored best bound first until no bound reaches the best score
//     found: that is the best score.
//  3. A chunk's final score is its BM25 score plus its document's blend
//     and identity terms, both known now. Blocks are scored best final
//     bound first until no bound reaches the n-th best final score found.
//
// A block left out has a bound below a score n chunks reach (or, in step
// 2, below the best), so none of its chunks could have entered; the
// bounds carry a margin for float32 rounding. Everything a kept chunk
// gets is computed by the same expressions as keywordScan's, term by term
// in the same order.

// blockRec is one query term's entry for one block, linked to the
// block's previous one.
type blockRec struct {
	next  int32 // 1-based index of the block's previous record, 0 for none
	term  uint16
	seg   uint16
	first uint32 // ordinal of the first posting
	size  uint32 // bytes of the postings
	off   uint64 // where they start in the segment's posting lists
}

// growBlocks makes the block accumulators hold n blocks and the slot
// visibility n slots.
func (s *scratch) growBlocks(blocks, slots int) {
	if len(s.ubb) < blocks {
		s.ubb = slices.Grow(s.ubb, blocks-len(s.ubb))[:blocks]
		s.bhead = slices.Grow(s.bhead, blocks-len(s.bhead))[:blocks]
		s.bslot = slices.Grow(s.bslot, blocks-len(s.bslot))[:blocks]
	}
	if len(s.svis) < slots {
		s.svis = slices.Grow(s.svis, slots-len(s.svis))[:slots]
	}
}

// visible reports whether the document in slot is visible, deciding it
// once per search.
func (s *scratch) visible(slot uint32, t *scanTerm) bool {
	switch s.svis[slot] {
	case slotVisible:
		return true
	case slotHidden:
		return false
	}
	v := slotHidden
	if t.vis.allows(t.owner[slot], t.doc[slot]) {
		v = slotVisible
	}
	s.svis[slot] = v
	s.vtouched = append(s.vtouched, slot)
	return v == slotVisible
}

// Values of scratch.svis.
const (
	slotUnknown uint8 = iota
	slotVisible
	slotHidden
)

// keywordTop returns the n best visible chunks for q as keywordScan,
// the document and identity blends and top(n, chunkID) would, leaving in
// s the scores and matched-term bits of the chunks it scored (a subset
// of what keywordScan touches, the returned ones among them).
func (ix *Index) keywordTop(q []queryTerm, b float64, vis *visibility, s *scratch, dp *docPass, n int) []scored {
	s.grow(ix.size())
	if dp != nil {
		s.growDocs(len(dp.len))
	}
	s.growBlocks(int(ix.segBlocks), len(ix.dt.len))
	st := ix.scanParams(b, vis, dp)
	parts := ix.parts()
	tail := parts[len(parts)-1]
	k1 := ix.opt.K1
	for ti, qt := range q {
		st.w, st.bit = qt.weight*(k1+1), qt.bit
		for si, seg := range ix.segs {
			if t := qt.segs[si]; t >= 0 {
				s.blockPass(seg, si, int(t), ti, &st)
			}
		}
		if qt.inTail {
			s.scan(ix.kw.lists[qt.tail].data, tail, &st)
		}
		if dp != nil {
			dp.endTerm(s, qt.qtf)
		}
	}
	r := blockRanker{ix: ix, s: s, q: q, st: &st, slack: 1 + 1e-5 + float64(len(q)+4)/(1<<22)}
	if dp != nil {
		for _, slot := range s.dtouched {
			if s.visible(slot, &st) {
				r.maxD = max(r.maxD, s.dacc[slot])
			}
		}
		if r.maxD > 0 {
			r.blend = true
			r.f = r.bestScore()
		}
	}
	r.title = ix.opt.TitleWeight > 0 && len(s.ttouched) > 0
	return r.top(n)
}

// scanParams returns the scan parameters of a search with length
// normalisation b (the term's weight and bit left to set).
func (ix *Index) scanParams(b float64, vis *visibility, dp *docPass) scanTerm {
	avg := 1.0
	if live := ix.kw.live() + ix.segLive; live > 0 {
		if sum := ix.kw.sumLen + ix.segTokens; sum > 0 {
			avg = float64(sum) / float64(live)
		}
	}
	k1 := ix.opt.K1
	return scanTerm{c1: k1 * (1 - b), c2: k1 * b / avg, dp: dp, vis: vis, owner: ix.dt.owner, doc: ix.dt.doc}
}

// blockPass reads the block list of term t of segment seg (position si),
// the ti-th query term: document counts for the whole-document scores,
// and a record and a bound for every visible block.
func (s *scratch) blockPass(seg *segment, si, t, ti int, st *scanTerm) {
	c := seg.blockList(t)
	for c.next() {
		e := &c.e
		live := seg.blockLive[e.block]
		if live == 0 {
			continue
		}
		tf := e.tfSum
		if live < seg.blockSize(e.block) {
			tf = 0
			seg.eachPosting(e, func(ord, f uint32) {
				if !seg.isDead(ord) {
					tf += f
				}
			})
			if tf == 0 {
				continue
			}
		}
		slot := seg.blockSlot[e.block]
		if st.dp != nil {
			st.dp.add(s, slot, float32(tf))
		}
		if !s.visible(slot, st) {
			continue
		}
		g := seg.blockBase + e.block
		if s.bhead[g] == 0 {
			s.btouched = append(s.btouched, g)
			s.bslot[g] = slot
		}
		f := float64(e.maxTF)
		s.ubb[g] += st.w * f / (f + st.c1 + st.c2*float64(e.minLen))
		s.recs = append(s.recs, blockRec{next: s.bhead[g], term: uint16(ti), seg: uint16(si), first: e.first, size: uint32(e.end - e.off), off: uint64(e.off)})
		s.bhead[g] = int32(len(s.recs))
	}
}

// blockRanker scores blocks for keywordTop.
type blockRanker struct {
	ix    *Index
	s     *scratch
	q     []queryTerm
	st    *scanTerm
	slack float64 // bounds are multiplied by it (float32 rounding)
	blend bool    // the document blend applies, with factor f
	f     float32
	maxD  float32
	title bool // the identity blend applies
	terms []int32
}

// evaluated marks a block whose chunks have been scored.
const evaluated = -1

// score scores the chunks of block g into s (BM25 only), term by term in
// query order as keywordScan adds them.
func (r *blockRanker) score(g uint32) {
	s := r.s
	r.terms = r.terms[:0]
	for i := s.bhead[g]; i > 0; i = s.recs[i-1].next {
		r.terms = append(r.terms, i-1)
	}
	s.bhead[g] = evaluated
	slot := s.bslot[g]
	for j := len(r.terms) - 1; j >= 0; j-- {
		rec := &s.recs[r.terms[j]]
		seg := r.ix.segs[rec.seg]
		qt := &r.q[rec.term]
		w, bit := qt.weight*(r.ix.opt.K1+1), qt.bit
		data := seg.postings[rec.off : rec.off+uint64(rec.size)]
		_, i := uvarint(data) // from the previous block's last posting
		ord := rec.first
		for {
			tf, k := uvarint(data[i:])
			i += k
			if !seg.isDead(ord) {
				o := seg.base + ord
				m := s.mask[o]
				if m == 0 {
					s.touched = append(s.touched, o)
					s.tslot = append(s.tslot, slot)
				}
				s.acc[o] += termScore(w, r.st.c1, r.st.c2, uint32(tf), seg.docLen[ord])
				s.mask[o] = m | bit
			}
			if i >= len(data) {
				break
			}
			d, k := uvarint(data[i:])
			i += k
			ord += uint32(d)
		}
	}
}

// bestScore returns the best BM25 score of a visible chunk and the
// document blend's factor that follows from it.
func (r *blockRanker) bestScore() float32 {
	s := r.s
	var best float32
	for _, o := range s.touched {
		best = max(best, s.acc[o])
	}
	if best == 0 {
		// Nothing in the tail: the block of the best bound first, so that
		// the heap holds only the blocks that can beat it.
		top, at := -1.0, uint32(0)
		for _, g := range s.btouched {
			if s.ubb[g] > top {
				top, at = s.ubb[g], g
			}
		}
		if top > 0 {
			n := len(s.touched)
			r.score(at)
			for _, o := range s.touched[n:] {
				best = max(best, s.acc[o])
			}
		}
	}
	h := r.heap(func(g uint32) float64 { return s.ubb[g] * r.slack }, float64(best))
	for h.len() > 0 && h.key[0] >= float64(best) {
		at := len(s.touched)
		r.score(h.pop())
		for _, o := range s.touched[at:] {
			best = max(best, s.acc[o])
		}
	}
	return docBlendFactor(r.ix.opt.DocWeight, best, r.maxD)
}

// bound returns an upper bound of the final score of block g's chunks.
func (r *blockRanker) bound(g uint32) float64 {
	s := r.s
	slot := s.bslot[g]
	v := s.ubb[g] * r.slack
	if r.blend {
		v += float64(scaled(r.f, s.dacc[slot]))
	}
	if r.title && int(slot) < len(s.tmask) && s.tmask[slot] != 0 {
		v += float64(scaled(float32(r.ix.opt.TitleWeight), s.tacc[slot]))
	}
	return v * r.slack
}

// finish turns the BM25 scores of touched chunks from index at on into
// final scores, as the two blends do.
func (r *blockRanker) finish(at int) {
	s := r.s
	tw := float32(r.ix.opt.TitleWeight)
	for i, o := range s.touched[at:] {
		slot := s.tslot[at+i]
		if r.blend {
			s.acc[o] += scaled(r.f, s.dacc[slot])
		}
		if r.title && int(slot) < len(s.tmask) && s.tmask[slot] != 0 {
			s.acc[o] += scaled(tw, s.tacc[slot])
			s.mask[o] |= s.tmask[slot]
		}
	}
}

// top scores blocks best final bound first until none can enter the n
// best, and returns the n best chunks.
func (r *blockRanker) top(n int) []scored {
	s := r.s
	r.finish(0)
	var best scoreHeap
	for _, o := range s.touched {
		best.offer(s.acc[o], n)
	}
	floor := func() float64 {
		if best.len() < n {
			return -1
		}
		return float64(best.v[0])
	}
	h := r.heap(r.bound, floor())
	for h.len() > 0 && h.key[0] >= floor() {
		at := len(s.touched)
		r.score(h.pop())
		r.finish(at)
		for _, o := range s.touched[at:] {
			best.offer(s.acc[o], n)
		}
	}
	return s.top(n, r.ix.chunkID)
}

// heap returns the blocks not scored yet whose key is at least min, in a
// max-heap by key.
func (r *blockRanker) heap(key func(g uint32) float64, min float64) *blockHeap {
	h := &r.s.heap
	h.g, h.key = h.g[:0], h.key[:0]
	for _, g := range r.s.btouched {
		if r.s.bhead[g] == evaluated {
			continue
		}
		if k := key(g); k >= min {
			h.g, h.key = append(h.g, g), append(h.key, k)
		}
	}
	for i := h.len()/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	return h
}

// blockHeap is a max-heap of blocks by key.
type blockHeap struct {
	g   []uint32
	key []float64
}

func (h *blockHeap) len() int { return len(h.g) }

// pop removes and returns the block with the highest key.
func (h *blockHeap) pop() uint32 {
	g := h.g[0]
	last := len(h.g) - 1
	h.g[0], h.key[0] = h.g[last], h.key[last]
	h.g, h.key = h.g[:last], h.key[:last]
	h.down(0)
	return g
}

func (h *blockHeap) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h.g) {
			return
		}
		if c+1 < len(h.g) && h.key[c+1] > h.key[c] {
			c++
		}
		if h.key[c] <= h.key[i] {
			return
		}
		h.g[i], h.g[c] = h.g[c], h.g[i]
		h.key[i], h.key[c] = h.key[c], h.key[i]
		i = c
	}
}

// scoreHeap keeps the n best scores offered, the lowest at the root.
type scoreHeap struct{ v []float32 }

func (h *scoreHeap) len() int { return len(h.v) }

// offer adds v if it is among the n best so far.
func (h *scoreHeap) offer(v float32, n int) {
	if len(h.v) < n {
		h.v = append(h.v, v)
		for i := len(h.v) - 1; i > 0; {
			p := (i - 1) / 2
			if h.v[p] <= h.v[i] {
				break
			}
			h.v[p], h.v[i] = h.v[i], h.v[p]
			i = p
		}
		return
	}
	if n == 0 || v <= h.v[0] {
		return
	}
	h.v[0] = v
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(h.v) {
			return
		}
		if c+1 < len(h.v) && h.v[c+1] < h.v[c] {
			c++
		}
		if h.v[c] >= h.v[i] {
			return
		}
		h.v[i], h.v[c] = h.v[c], h.v[i]
		i = c
	}
}
