package retrieval

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"sync"
)

// Default BM25 parameters (Options.K1, Options.B), chosen on the SciFact
// train split; see the package documentation.
const (
	DefaultK1 = 1.5
	DefaultB  = 0.5
)

// bm25 is the keyword part of the Index's tail: an incremental inverted
// index of the chunks added since the last flush to a segment (of every
// chunk when nothing is persisted). Scoring is the Index's (keyword.go),
// over the segments and the tail together.
//
// Chunks are numbered by tail ordinals in the order they are added. Each
// term has one posting list: (ordinal delta, term frequency) pairs as
// uvarints, ordinals increasing, so appending a chunk appends to the
// lists of its terms and a scan decodes sequentially. Deleting a chunk
// marks its ordinal dead and, given the chunk's terms, takes it out of
// the document frequencies at once, so scores equal those of an index
// rebuilt without it; the next compaction rewrites the lists without dead
// postings and renumbers the ordinals densely.
//
// The dictionary is keyed by a 64-bit hash of the term rather than the
// term itself (termHash): lookups then touch no string data, which makes
// a start-up rebuild several times faster. Two distinct terms would share
// a posting list only on a 64-bit collision (about 1 in 10^7 for a
// million terms).
type bm25 struct {
	dict   termTable  // 64-bit hash of a term → term id
	lists  []postings // by term id
	docLen []uint32   // by ordinal: number of term occurrences
	dead   []uint64   // bitset by ordinal
	nDead  int
	// nStale counts dead chunks removed without their terms: they still
	// count in the document frequencies, so also in N, until compaction.
	nStale int
	sumLen int64 // over live chunks
}

// postings is the posting list of one term.
type postings struct {
	data []byte // uvarint(ordinal − previous ordinal), uvarint(tf), …
	last uint32 // ordinal of the last posting
	df   uint32 // live chunks containing the term
}

// scored is a chunk ordinal with a score.
type scored struct {
	ord   uint32
	score float32
	key   uint64 // chunk id, for ties
}

// newBM25 returns an empty index.
func newBM25() *bm25 { return &bm25{} }

// size returns the number of ordinals, dead ones included.
func (x *bm25) size() int { return len(x.docLen) }

// live returns the number of live chunks.
func (x *bm25) live() int { return len(x.docLen) - x.nDead }

// add indexes terms under the next ordinal and returns it. terms must be
// valid (see Terms.validate).
func (x *bm25) add(terms Terms) uint32 {
	rs, _ := x.resolveBatch([]Terms{terms}, 1)
	return x.commit(rs, 1)
}

// resolved is one chunk's Terms decoded against the dictionary: term ids
// where known, hashes of the terms still to be added.
type resolved struct {
	ids    []uint32 // term id, or noID for a new term
	hashes []uint64
	freqs  []uint32
	tokens int
}

// noID marks a term that is not in the dictionary yet.
const noID = ^uint32(0)

// resolveBatch validates and decodes batch, looking terms up in the
// dictionary in parallel (read-only). It changes nothing. The resolved
// chunks share three backing arrays, one allocation each per batch.
func (x *bm25) resolveBatch(batch []Terms, workers int) ([]resolved, error) {
	out := make([]resolved, len(batch))
	ends := make([]int, len(batch)) // end of each chunk's terms in the shared arrays
	total := 0
	for i, t := range batch {
		n, tokens, _, err := t.header()
		if err != nil {
			return nil, fmt.Errorf("terms of chunk %d in batch: %w", i, err)
		}
		out[i].tokens = tokens
		total += n
		ends[i] = total
	}
	ids, hashes, freqs := make([]uint32, total), make([]uint64, total), make([]uint32, total)
	for i, at := range ends {
		lo := 0
		if i > 0 {
			lo = ends[i-1]
		}
		out[i].ids, out[i].hashes, out[i].freqs = ids[lo:lo:at], hashes[lo:lo:at], freqs[lo:lo:at]
	}
	errs := make([]error, len(batch))
	parallel(len(batch), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			errs[i] = x.resolve1(batch[i], &out[i])
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("terms of chunk %d in batch: %w", i, err)
		}
	}
	return out, nil
}

// checkTerms validates every Terms of batch as resolveBatch does,
// without decoding them into anything.
func checkTerms(batch []Terms) error {
	for i, t := range batch {
		n, tokens, _, err := t.header()
		if err != nil {
			return fmt.Errorf("terms of chunk %d in batch: %w", i, err)
		}
		count, sum := 0, 0
		err = t.each(func(_ []byte, freq int) bool {
			count++
			sum += freq
			return count <= n
		})
		if err != nil || sum != tokens || count != n {
			return fmt.Errorf("terms of chunk %d in batch: %w", i, ErrBadTerms)
		}
	}
	return nil
}

// resolve1 validates and decodes one chunk's terms into r, whose slices
// have room for them.
func (x *bm25) resolve1(t Terms, r *resolved) error {
	sum := 0
	err := t.each(func(term []byte, freq int) bool {
		if len(r.ids) == cap(r.ids) {
			return false // more terms than the header says
		}
		sum += freq
		h := termHash(term)
		id, ok := x.dict.get(h)
		if !ok {
			id = noID
		}
		r.ids = append(r.ids, id)
		r.hashes = append(r.hashes, h)
		r.freqs = append(r.freqs, uint32(freq))
		return true
	})
	if err != nil || sum != r.tokens || len(r.ids) != cap(r.ids) {
		return ErrBadTerms
	}
	return nil
}

// commit adds resolved chunks under consecutive new ordinals and returns
// the first. New terms enter the dictionary serially; posting lists are
// then appended in parallel, each worker owning the term ids ≡ w mod
// workers, so no list is touched by two workers.
func (x *bm25) commit(rs []resolved, workers int) uint32 {
	first := uint32(len(x.docLen))
	for i := range rs {
		r := &rs[i]
		for j, id := range r.ids {
			if id != noID {
				continue
			}
			id, ok := x.dict.get(r.hashes[j])
			if !ok {
				id = uint32(len(x.lists))
				x.dict.put(r.hashes[j], id)
				x.lists = append(x.lists, postings{})
			}
			r.ids[j] = id
		}
		x.docLen = append(x.docLen, uint32(r.tokens))
		if len(x.docLen) > 64*len(x.dead) {
			x.dead = append(x.dead, 0)
		}
		x.sumLen += int64(r.tokens)
	}
	if len(rs) < 64 {
		x.appendPostings(rs, first, 0, 1)
		return first
	}
	nw := uint32(workers)
	parallel(workers, workers, func(w, _ int) {
		x.appendGrouped(rs, first, uint32(w), nw)
	})
	return first
}

// appendPostings appends the postings of rs (ordinals from first) to the
// lists of the term ids ≡ w mod nw, in chunk order.
func (x *bm25) appendPostings(rs []resolved, first, w, nw uint32) {
	for i := range rs {
		ord := first + uint32(i)
		for j, id := range rs[i].ids {
			if id%nw == w {
				x.lists[id].append(ord, rs[i].freqs[j])
			}
		}
	}
}

// appendGrouped does what appendPostings does for a large batch, grouped
// by term first (a counting sort): each list's tail is then touched once
// per batch rather than once per posting, which spares a cache miss per
// posting on a big vocabulary. Within a term the order stays by ordinal.
func (x *bm25) appendGrouped(rs []resolved, first, w, nw uint32) {
	n := (uint32(len(x.lists)) + nw - 1 - w) / nw // term ids ≡ w: w, w+nw, …
	end := make([]uint32, n+1)                    // counts at k+1, then cursors
	for i := range rs {
		for _, id := range rs[i].ids {
			if id%nw == w {
				end[id/nw+1]++
			}
		}
	}
	for k := 1; k <= int(n); k++ {
		end[k] += end[k-1]
	}
	type posting struct{ ord, freq uint32 }
	buf := make([]posting, end[n])
	for i := range rs {
		ord := first + uint32(i)
		for j, id := range rs[i].ids {
			if id%nw == w {
				k := id / nw
				buf[end[k]] = posting{ord, rs[i].freqs[j]}
				end[k]++
			}
		}
	}
	// end[k] is now the end of term k's group, which starts where the
	// previous group ended.
	lo := uint32(0)
	for k, hi := range end[:n] {
		if hi == lo {
			continue
		}
		p := &x.lists[uint32(k)*nw+w]
		for _, e := range buf[lo:hi] {
			p.append(e.ord, e.freq)
		}
		lo = hi
	}
}

// append adds the posting (ord, freq); ord is above every ordinal in p.
func (p *postings) append(ord, freq uint32) {
	p.data = appendUvarint(p.data, uint64(ord-p.last))
	p.data = appendUvarint(p.data, uint64(freq))
	p.last = ord
	p.df++
}

// parallel splits [0,n) into up to workers contiguous ranges and runs fn
// on each in its own goroutine, waiting for all.
func parallel(n, workers int, fn func(lo, hi int)) {
	workers = max(1, min(workers, n))
	if workers == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// isDead reports whether ord is dead.
func (x *bm25) isDead(ord uint32) bool { return x.dead[ord>>6]&(1<<(ord&63)) != 0 }

// remove marks ord dead and, when its terms are given, takes it out of
// their document frequencies (without them the frequencies count the dead
// chunk until the next compaction).
func (x *bm25) remove(ord uint32, terms Terms) {
	if int(ord) >= len(x.docLen) || x.isDead(ord) {
		return
	}
	x.dead[ord>>6] |= 1 << (ord & 63)
	x.nDead++
	x.sumLen -= int64(x.docLen[ord])
	if len(terms) == 0 {
		x.nStale++
		return
	}
	_ = terms.each(func(term []byte, _ int) bool {
		x.forgetTerm(termHash(term))
		return true
	})
}

// removeMoved marks ord dead and takes it out of the document frequency
// of each term hash in terms (a chunk moved to a segment, whose terms the
// segment knows).
func (x *bm25) removeMoved(ord uint32, terms []uint64) {
	if x.isDead(ord) {
		return
	}
	x.dead[ord>>6] |= 1 << (ord & 63)
	x.nDead++
	x.sumLen -= int64(x.docLen[ord])
	for _, h := range terms {
		x.forgetTerm(h)
	}
}

// forgetTerm takes one dead chunk out of a term's document frequency.
func (x *bm25) forgetTerm(h uint64) {
	if id, ok := x.dict.get(h); ok && x.lists[id].df > 0 {
		x.lists[id].df--
	}
}

// df returns the document frequency of the term with hash h.
func (x *bm25) df(h uint64) (id uint32, df uint32, ok bool) {
	id, ok = x.dict.get(h)
	if !ok {
		return 0, 0, false
	}
	return id, x.lists[id].df, true
}

// compact drops dead ordinals from the posting lists and renumbers the
// live ones densely; remap[old] is the new ordinal of a live chunk.
func (x *bm25) compact(remap []uint32) {
	for id := range x.lists {
		p := &x.lists[id]
		var out []byte
		var last, ord uint32
		var df uint32
		for i := 0; i < len(p.data); {
			d, k := uvarint(p.data[i:])
			i += k
			tf, k := uvarint(p.data[i:])
			i += k
			ord += uint32(d)
			if x.isDead(ord) {
				continue
			}
			n := remap[ord]
			out = appendUvarint(out, uint64(n-last))
			out = appendUvarint(out, tf)
			last = n
			df++
		}
		p.data, p.last, p.df = slices.Clip(out), last, df
	}
	docLen := make([]uint32, 0, x.live())
	for ord, n := range x.docLen {
		if !x.isDead(uint32(ord)) {
			docLen = append(docLen, n)
		}
	}
	x.docLen = docLen
	x.dead = make([]uint64, (len(docLen)+63)/64)
	x.nDead, x.nStale = 0, 0
	x.dropEmptyTerms()
}

// dropEmptyTerms removes terms without postings from the dictionary and
// renumbers term ids.
func (x *bm25) dropEmptyTerms() {
	var lists []postings
	var dict termTable
	x.dict.all(func(h uint64, id uint32) {
		if x.lists[id].df > 0 {
			dict.put(h, uint32(len(lists)))
			lists = append(lists, x.lists[id])
		}
	})
	x.dict, x.lists = dict, lists
}

// scratch holds the per-query accumulators of a BM25 search. Slices are
// indexed by ordinal and kept zero between uses (reset clears only the
// touched entries).
type scratch struct {
	acc     []float32
	mask    []uint64
	touched []uint32 // ordinals with a score
	tslot   []uint32 // document slot of each of touched
	// Whole-document scoring, by document slot: dtf holds the current
	// term's frequencies (documents in dterm), dacc the scores (documents
	// in dtouched).
	dtf, dacc       []float32
	dterm, dtouched []uint32
	// Identity scores and matched-term bits by document slot (documents
	// in ttouched).
	tacc     []float32
	tmask    []uint64
	ttouched []uint32
	// Pruned search (keyword_pruned.go), by block over all segments: the
	// bound of its chunks' BM25 scores and its last record (1-based, 0
	// for none, evaluated once scored; blocks in btouched); by slot, the
	// visibility of the document (slots in vtouched).
	ubb      []float64
	bhead    []int32
	bslot    []uint32
	btouched []uint32
	recs     []blockRec
	heap     blockHeap
	svis     []uint8
	vtouched []uint32
}

// growTitles makes the identity accumulators hold n slots.
func (s *scratch) growTitles(n int) {
	if len(s.tacc) < n {
		s.tacc = slices.Grow(s.tacc, n-len(s.tacc))[:n]
		s.tmask = slices.Grow(s.tmask, n-len(s.tmask))[:n]
	}
}

// growDocs makes the document accumulators hold n slots.
func (s *scratch) growDocs(n int) {
	if len(s.dacc) < n {
		s.dacc = slices.Grow(s.dacc, n-len(s.dacc))[:n]
		s.dtf = slices.Grow(s.dtf, n-len(s.dtf))[:n]
	}
}

// grow makes the accumulators hold n ordinals.
func (s *scratch) grow(n int) {
	if len(s.acc) < n {
		s.acc = slices.Grow(s.acc, n-len(s.acc))[:n]
		s.mask = slices.Grow(s.mask, n-len(s.mask))[:n]
	}
}

// reset zeroes the touched entries.
func (s *scratch) reset() {
	for _, o := range s.touched {
		s.acc[o], s.mask[o] = 0, 0
	}
	s.touched, s.tslot = s.touched[:0], s.tslot[:0]
	for _, d := range s.dtouched {
		s.dacc[d] = 0
	}
	s.dtouched = s.dtouched[:0]
	for _, d := range s.ttouched {
		s.tacc[d], s.tmask[d] = 0, 0
	}
	s.ttouched = s.ttouched[:0]
	for _, g := range s.btouched {
		s.ubb[g], s.bhead[g] = 0, 0
	}
	s.btouched, s.recs = s.btouched[:0], s.recs[:0]
	for _, d := range s.vtouched {
		s.svis[d] = slotUnknown
	}
	s.vtouched = s.vtouched[:0]
}

// top returns the n touched ordinals with the highest scores, best first;
// ties go to the lower key (the ordinal when key is nil). key is called
// only for ordinals that can still enter the top n.
func (s *scratch) top(n int, key func(ord uint32) uint64) []scored {
	if n <= 0 {
		return nil
	}
	h := make(minHeap, 0, min(n, len(s.touched)))
	for _, o := range s.touched {
		if len(h) == n && s.acc[o] < h[0].score {
			continue // cannot enter, whatever its key: the key is not read
		}
		c := scored{o, s.acc[o], uint64(o)}
		if key != nil {
			c.key = key(o)
		}
		switch {
		case len(h) < n:
			heap.Push(&h, c)
		case better(c, h[0]):
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, compareScored)
	return h
}

// better orders scored values: higher score first, then lower ordinal.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.key < b.key
}

// minHeap keeps the worst retained candidate at the root.
type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// appendUvarint appends v as a uvarint.
func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// uvarint decodes a uvarint written by appendUvarint from trusted data.
func uvarint(b []byte) (uint64, int) {
	if b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	var v uint64
	var s uint
	for i, c := range b {
		if c < 0x80 {
			return v | uint64(c)<<s, i + 1
		}
		v |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, len(b)
}

// compareScored orders scored values best first, for slices.SortFunc.
func compareScored(a, b scored) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(a.key, b.key)
}
