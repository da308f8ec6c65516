package retrieval

import (
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// Vector search over the quantised codes of every part (PERF.md has the
// measurements behind each step). The candidates of one search are the
// visible vectors of all sources together — the tail's owner parts and
// the segments' runs of those owners — so which part holds a chunk never
// changes what is found:
//
//  1. Hamming pass (codes of two bits or fewer, large scopes): sign codes
//     against the query's larger half of components; every slot within
//     the distance that reaches coarseKeep slots is kept, ties included.
//  2. Code scan: the query quantised to 4 bits against the stored codes;
//     the best rescoreBudget by (estimate, chunk id) are kept.
//  3. Exact re-scoring of those on the float32 vectors.
//
// Scopes no larger than the budget are scored exactly.

// vecSource is a set of quantised vectors a search may scan: a tail
// part's slots, or a segment's ordinals (slot = ordinal).
type vecSource struct {
	codes, signs []uint64
	fac          []float32
	ids          []uint64
	vecs         [][]float32 // tail: by slot
	ords         []uint32    // tail: tail ordinal by slot
	flat         []float32   // segment: vectors by slot, dim each
	has, dead    []uint64    // segment: bitsets by slot
	base         uint32      // the ordinal of slot 0 (segment) or of tail ordinal 0
	dim, stride  int
	signW, bits  int
	spans        []span // the slots in scope
}

// span is a range of slots [lo, hi).
type span struct{ lo, hi int32 }

// tailSource returns a tail part as a source over all its slots.
func tailSource(p *quantPart, base uint32) *vecSource {
	return &vecSource{codes: p.codes, signs: p.signs, fac: p.fac, ids: p.ids, vecs: p.vecs, ords: p.ords, base: base,
		dim: p.dim, stride: p.stride(), signW: p.signWords(), bits: p.bits, spans: []span{{0, int32(len(p.ids))}}}
}

// segmentSource returns segment s as a source over spans.
func segmentSource(s *segment, spans []span) *vecSource {
	return &vecSource{codes: s.codes, signs: s.signs, fac: s.fac, ids: s.ids, flat: s.vectors, has: s.hasVec, dead: s.dead,
		base: s.base, dim: s.dim, stride: (s.dim + 63) / 64 * s.bits, signW: s.signW, bits: s.bits, spans: spans}
}

// live reports whether slot holds a live vector.
func (v *vecSource) live(slot int32) bool {
	if v.has == nil {
		return true
	}
	bit := uint64(1) << (slot & 63)
	return v.has[slot>>6]&bit != 0 && v.dead[slot>>6]&bit == 0
}

// vector returns the float32 vector of slot.
func (v *vecSource) vector(slot int32) []float32 {
	if v.vecs != nil {
		return v.vecs[slot]
	}
	at := int(slot) * v.dim
	return v.flat[at : at+v.dim : at+v.dim]
}

// ord returns the Index ordinal of slot.
func (v *vecSource) ord(slot int32) uint32 {
	if v.ords != nil {
		return v.base + v.ords[slot]
	}
	return v.base + uint32(slot)
}

// count returns the number of live vectors in the spans.
func (v *vecSource) count() int {
	n := 0
	for _, sp := range v.spans {
		if v.has == nil {
			n += int(sp.hi - sp.lo)
			continue
		}
		for s := sp.lo; s < sp.hi; s++ {
			if v.live(s) {
				n++
			}
		}
	}
	return n
}

// vecRef names a slot of a source: source index << 32 | slot.
type vecRef uint64

func ref(src int, slot int32) vecRef          { return vecRef(uint64(src)<<32 | uint64(uint32(slot))) }
func (r vecRef) split() (src int, slot int32) { return int(r >> 32), int32(uint32(r)) }

// rescoreBudget is how many candidates the code scan keeps for exact
// re-scoring when n results are wanted from size vectors. Measured at
// 100k vectors (PERF.md): 500 already gives recall@10 1.0 against exact
// search on the built-in embedder (four-bit codes) and on clustered
// 384-dimension vectors; isotropic random vectors, the worst case, need
// 1,000 (0.98, 1.0 with a wider Hamming pass).
var rescoreBudget = func(n, size int) int {
	return max(10*n, 1000)
}

// coarseKeep is how many slots the Hamming pass keeps for the code scan:
// coarseWidth times the re-scoring budget, and at least 2% of the scope.
var coarseKeep = func(budget, size int) int {
	return max(coarseWidth*budget, size/50)
}

// coarseWidth is how many times the re-scoring budget the Hamming pass
// keeps (see coarseKeep).
var coarseWidth = 10

// parallelScan is the number of slots from which a scan is split over
// the CPUs; parallelExact the number of candidates from which exact
// re-scoring is.
const (
	parallelScan  = 32 << 10
	parallelExact = 512
)

// searchVectors returns the n vectors of the sources most similar to q (a
// unit vector of their dimension), with exact cosines, best first.
// filtered says the spans are a documents filter's chunks: they are
// scanned without the Hamming pass.
func searchVectors(q []float32, n int, srcs []*vecSource, filtered bool) []vectorHit {
	total := 0
	for _, src := range srcs {
		total += src.count()
	}
	if n <= 0 || total == 0 {
		return nil
	}
	budget := rescoreBudget(n, total)
	var cand []vecRef
	if total > budget {
		src0 := srcs[0]
		qq := newQuantQuery(q, (src0.dim+63)/64)
		var coarse []vecRef
		if wide := coarseKeep(budget, total); !filtered && src0.bits <= 2 && total >= 2*wide {
			coarse = coarsePass(qq, srcs, wide, total)
		}
		cand = codeScan(qq, budget, srcs, coarse)
	} else {
		cand = make([]vecRef, 0, total)
		for i, src := range srcs {
			for _, sp := range src.spans {
				for s := sp.lo; s < sp.hi; s++ {
					if src.live(s) {
						cand = append(cand, ref(i, s))
					}
				}
			}
		}
	}
	return exactHits(q, n, srcs, cand)
}

// exactHits scores the candidates exactly and returns the best n.
func exactHits(q []float32, n int, srcs []*vecSource, cand []vecRef) []vectorHit {
	hits := make([]vectorHit, len(cand))
	workers := 1
	if len(cand) >= parallelExact {
		workers = runtime.GOMAXPROCS(0)
	}
	parallel(len(cand), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			si, slot := cand[i].split()
			src := srcs[si]
			hits[i] = vectorHit{ord: src.ord(slot), id: src.ids[slot], sim: dot(q, src.vector(slot))}
		}
	})
	slices.SortFunc(hits, compareHits)
	return hits[:min(n, len(hits))]
}

// flatSlots lists every (source, span) of srcs with its first position
// in one numbering of all their slots, so that work can be split evenly.
type flatSlots struct {
	srcs  []*vecSource
	at    []int // position of each piece's first slot; last: the total
	piece []struct {
		src int
		sp  span
	}
}

func newFlatSlots(srcs []*vecSource) *flatSlots {
	f := &flatSlots{srcs: srcs, at: []int{0}}
	for i, src := range srcs {
		for _, sp := range src.spans {
			f.piece = append(f.piece, struct {
				src int
				sp  span
			}{i, sp})
			f.at = append(f.at, f.at[len(f.at)-1]+int(sp.hi-sp.lo))
		}
	}
	return f
}

// each calls fn with the source and slot range of every piece
// overlapping positions [lo, hi), and the position of the range's start.
func (f *flatSlots) each(lo, hi int, fn func(src int, from, to int32, pos int)) {
	for k, p := range f.piece {
		a, b := max(lo, f.at[k]), min(hi, f.at[k+1])
		if a >= b {
			continue
		}
		off := int32(a - f.at[k])
		fn(p.src, p.sp.lo+off, p.sp.lo+off+int32(b-a), a)
	}
}

// coarsePass returns the live slots whose sign codes are nearest the
// query's in Hamming distance: all within the distance that reaches k
// slots, ties included, so the set does not depend on slot order or on
// which part holds a vector. One XOR and one popcount per 64 components.
func coarsePass(qq *quantQuery, srcs []*vecSource, k, total int) []vecRef {
	f := newFlatSlots(srcs)
	size := f.at[len(f.at)-1]
	dist := distPool.get(size)
	defer distPool.put(dist)
	dim := srcs[0].dim
	workers := 1
	if size >= parallelScan {
		workers = runtime.GOMAXPROCS(0)
	}
	hists := make([][]int32, workers)
	const skip = ^uint16(0)
	parallel(workers, workers, func(part, _ int) {
		hist := make([]int32, dim+1)
		f.each(size*part/workers, size*(part+1)/workers, func(si int, from, to int32, pos int) {
			src := srcs[si]
			w := src.signW
			for s := from; s < to; s, pos = s+1, pos+1 {
				if !src.live(s) {
					dist[pos] = skip
					continue
				}
				d := 0
				for j, x := range src.signs[int(s)*w : int(s)*w+w : int(s)*w+w] {
					d += bits.OnesCount64((x ^ qq.signs[j]) & qq.mask[j])
				}
				dist[pos] = uint16(d)
				hist[d]++
			}
		})
		hists[part] = hist
	})
	var limit, count int
	for d := 0; d <= dim; d++ {
		for _, h := range hists {
			count += int(h[d])
		}
		if count >= k {
			limit = d
			break
		}
	}
	out := make([]vecRef, 0, count)
	f.each(0, size, func(si int, from, to int32, pos int) {
		for s := from; s < to; s, pos = s+1, pos+1 {
			if d := dist[pos]; d != skip && int(d) <= limit {
				out = append(out, ref(si, s))
			}
		}
	})
	return out
}

// distPool recycles the Hamming distance buffers (2 MB at a million
// vectors).
var distPool u16Pool

type u16Pool struct{ p sync.Pool }

func (up *u16Pool) get(n int) []uint16 {
	if b, ok := up.p.Get().(*[]uint16); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]uint16, n)
}

func (up *u16Pool) put(b []uint16) { up.p.Put(&b) }

// codeScan returns the budget slots (among cand, or all live slots when
// cand is nil) with the best estimates, in the order (estimate desc,
// chunk id asc), in no particular order.
func codeScan(qq *quantQuery, budget int, srcs []*vecSource, cand []vecRef) []vecRef {
	var f *flatSlots
	size := len(cand)
	if cand == nil {
		f = newFlatSlots(srcs)
		size = f.at[len(f.at)-1]
	}
	workers := 1
	if size >= parallelScan || cand != nil && size >= parallelExact*4 {
		workers = runtime.GOMAXPROCS(0)
	}
	heaps := make([]estHeap, workers)
	parallel(workers, workers, func(w, _ int) {
		h := estHeap{max: budget}
		lo, hi := size*w/workers, size*(w+1)/workers
		if cand != nil {
			for _, r := range cand[lo:hi] {
				si, s := r.split()
				src := srcs[si]
				h.offer(src.estimate(qq, s), src.ids[s], r)
			}
		} else {
			f.each(lo, hi, func(si int, from, to int32, _ int) {
				srcs[si].scanRange(qq, si, from, to, &h)
			})
		}
		heaps[w] = h
	})
	h := heaps[0]
	for _, o := range heaps[1:] {
		for i := range o.refs {
			h.offer(o.est[i], o.keys[i], o.refs[i])
		}
	}
	return h.refs
}

// estimate returns the code estimate of ⟨q, v⟩ for slot s.
func (v *vecSource) estimate(qq *quantQuery, s int32) float32 {
	code := v.codes[int(s)*v.stride : int(s+1)*v.stride : int(s+1)*v.stride]
	var uv int
	switch v.bits {
	case 1:
		uv = uv1(qq.planes, code)
	case 2:
		uv = uv2(qq.planes, code)
	default:
		uv = uv4(qq.planes, code)
	}
	f := v.fac[3*s : 3*s+3 : 3*s+3]
	return f[0]*qq.a + f[1]*(qq.lo*f[2]+qq.delta*float32(uv))
}

// scanRange offers every live slot in [lo, hi) to h. The loop is written
// out per code width so that the popcount kernel is inlined.
func (v *vecSource) scanRange(qq *quantQuery, si int, lo, hi int32, h *estHeap) {
	st := v.stride
	pl, a, qlo, qd := qq.planes, qq.a, qq.lo, qq.delta
	offer := func(s int32, uv int) {
		f := v.fac[3*s : 3*s+3 : 3*s+3]
		e := f[0]*a + f[1]*(qlo*f[2]+qd*float32(uv))
		if len(h.refs) < h.max || e >= h.est[0] {
			h.offer(e, v.ids[s], ref(si, s))
		}
	}
	for s := lo; s < hi; s++ {
		if !v.live(s) {
			continue
		}
		code := v.codes[int(s)*st : int(s)*st+st : int(s)*st+st]
		switch v.bits {
		case 1:
			offer(s, uv1(pl, code))
		case 2:
			offer(s, uv2(pl, code))
		default:
			offer(s, uv4(pl, code))
		}
	}
}

// uv2 is Σuv for two-bit codes.
func uv2(pl, code []uint64) (uv int) {
	for w := 0; w+1 < len(code); w += 2 {
		k := pl[2*w : 2*w+4 : 2*w+4]
		x0, x1 := code[w], code[w+1]
		uv += bits.OnesCount64(x0&k[0]) + 2*bits.OnesCount64(x0&k[1]) + 4*bits.OnesCount64(x0&k[2]) + 8*bits.OnesCount64(x0&k[3]) +
			2*bits.OnesCount64(x1&k[0]) + 4*bits.OnesCount64(x1&k[1]) + 8*bits.OnesCount64(x1&k[2]) + 16*bits.OnesCount64(x1&k[3])
	}
	return uv
}

// uv4 is Σuv for four-bit codes.
func uv4(pl, code []uint64) (uv int) {
	for w := 0; w+3 < len(code); w += 4 {
		k := pl[w : w+4 : w+4]
		x0, x1, x2, x3 := code[w], code[w+1], code[w+2], code[w+3]
		uv += bits.OnesCount64(x0&k[0]) + 2*bits.OnesCount64(x0&k[1]) + 4*bits.OnesCount64(x0&k[2]) + 8*bits.OnesCount64(x0&k[3]) +
			2*(bits.OnesCount64(x1&k[0])+2*bits.OnesCount64(x1&k[1])+4*bits.OnesCount64(x1&k[2])+8*bits.OnesCount64(x1&k[3])) +
			4*(bits.OnesCount64(x2&k[0])+2*bits.OnesCount64(x2&k[1])+4*bits.OnesCount64(x2&k[2])+8*bits.OnesCount64(x2&k[3])) +
			8*(bits.OnesCount64(x3&k[0])+2*bits.OnesCount64(x3&k[1])+4*bits.OnesCount64(x3&k[2])+8*bits.OnesCount64(x3&k[3]))
	}
	return uv
}

// estHeap keeps the max best (estimate, chunk id) pairs seen, by
// estimate and then by lower chunk id, as a min-heap (worst at the root).
type estHeap struct {
	est  []float32
	keys []uint64
	refs []vecRef
	max  int
}

// worse reports whether entry i of the heap ranks below entry j.
func (h *estHeap) worse(i, j int) bool {
	if h.est[i] != h.est[j] {
		return h.est[i] < h.est[j]
	}
	return h.keys[i] > h.keys[j]
}

// offer adds (e, key) if it ranks among the best max seen so far.
func (h *estHeap) offer(e float32, key uint64, r vecRef) {
	if len(h.refs) < h.max {
		h.est, h.keys, h.refs = append(h.est, e), append(h.keys, key), append(h.refs, r)
		for i := len(h.refs) - 1; i > 0; {
			parent := (i - 1) / 2
			if !h.worse(i, parent) {
				break
			}
			h.swap(i, parent)
			i = parent
		}
		return
	}
	if e < h.est[0] || e == h.est[0] && key > h.keys[0] {
		return
	}
	h.est[0], h.keys[0], h.refs[0] = e, key, r
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.refs) && h.worse(l, m) {
			m = l
		}
		if r < len(h.refs) && h.worse(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h.swap(i, m)
		i = m
	}
}

func (h *estHeap) swap(i, j int) {
	h.est[i], h.est[j] = h.est[j], h.est[i]
	h.keys[i], h.keys[j] = h.keys[j], h.keys[i]
	h.refs[i], h.refs[j] = h.refs[j], h.refs[i]
}

// search returns the n vectors of the part most similar to q, restricted
// to the chunks of docs when docs is not empty (tests and measurements of
// one part alone).
func (p *quantPart) search(q []float32, n int, docs []uint64) []vectorHit {
	if len(q) != p.dim || len(p.ids) == 0 {
		return nil
	}
	src := tailSource(p, 0)
	if len(docs) > 0 {
		src.spans = p.docSpans(docs)
	}
	return searchVectors(q, n, []*vecSource{src}, len(docs) > 0)
}

// docSpans returns the slots of the chunks of docs, one span each.
func (p *quantPart) docSpans(docs []uint64) []span {
	var out []span
	for _, d := range docs {
		for _, id := range p.byDoc[d] {
			s := p.slots[id]
			out = append(out, span{s, s + 1})
		}
	}
	return out
}
