package retrieval

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// quantPart is one owner's vectors laid out for a fast scan: a 1-bit code
// per vector (the sign of each component) in one contiguous slice, beside
// the chunk id, document and float32 vector of each slot.
//
// A search scores every code against the query quantised to 4 bits
// (asymmetric: the query keeps 16 levels, only the stored side is
// binary), keeps the best rescore(n) slots, and re-scores those exactly
// with their float32 vectors: the returned similarities are exact cosines,
// only the candidate set is approximate. Scopes no larger than the rescore
// budget, and documents filters that select few chunks, are searched
// exactly.
//
//	slot:   0        1        2      …
//	codes:  [w words][w words][w words]   w = ⌈dim/64⌉, bit i = (v[i] > 0)
//	scale:  α₀       α₁       α₂          mean |v[i]| (the code's length)
//	ids, docs, vecs by slot; slots: chunk id → slot; byDoc: document → chunk ids
//
// Removal moves the last slot into the hole, so the layout stays dense.
// Nothing depends on the order slots were added in: the candidate set is
// the top of a total order (estimate, then chunk id), so an index rebuilt
// from the store returns exactly what the live one does.
type quantPart struct {
	dim, words int
	bits       int // code bits per component: 1, 2 or 4
	codes      []uint64
	signs      []uint64  // per slot, words words: bit i = v[i] > 0 (the Hamming pass)
	fac        []float32 // per slot: lo, delta, Σv (v[i] ≈ lo + delta·code[i])
	ids        []uint64
	docs       []uint64
	vecs       [][]float32
	slots      map[uint64]int32
	byDoc      map[uint64][]uint64
}

// codeBits is the code width for vectors of dim components from a
// lexical embedder (the built-in one: hashed features, heavy-tailed
// components) or a neural one. Lexical vectors need four bits: at two,
// recall@10 against exact search falls from 0.998 to 0.905 at the same
// re-scoring budget. Neural-like vectors (clustered, or isotropic random
// ones, the worst case) lose nothing at two bits up to 768 dimensions,
// which makes the scan twice as fast and lets the coarse pass (the top
// two planes of the query only) halve it again; at four bits the coarse
// pass would see only the code's top planes, which for the built-in
// embedder cut recall to 0.54, so four-bit parts scan in one pass.
// A test may set quantBits to force a width.
func codeBits(dim int, lexical bool) int {
	switch {
	case quantBits > 0:
		return quantBits
	case lexical:
		return 4
	case dim <= 768:
		return 2
	}
	return 1
}

// quantBits, when not zero, overrides codeBits (for measurements).
var quantBits = 0

// newQuantPart returns an empty part for vectors of dimension dim
// (lexical: from the built-in embedder).
func newQuantPart(dim int, lexical bool) *quantPart {
	return &quantPart{dim: dim, words: (dim + 63) / 64, bits: codeBits(dim, lexical), slots: make(map[uint64]int32), byDoc: make(map[uint64][]uint64)}
}

// stride is the number of code words per slot.
func (p *quantPart) stride() int { return p.words * p.bits }

// len returns the number of vectors held.
func (p *quantPart) len() int { return len(p.ids) }

// add stores (or replaces) the vector of one chunk. vec must be a unit
// vector of the part's dimension; it is kept by reference.
func (p *quantPart) add(id, doc uint64, vec []float32) {
	if _, ok := p.slots[id]; ok {
		p.remove(id)
	}
	p.slots[id] = int32(len(p.ids))
	p.ids = append(p.ids, id)
	p.docs = append(p.docs, doc)
	p.vecs = append(p.vecs, vec)
	p.codes = append(p.codes, make([]uint64, p.stride())...)
	lo, delta, sum := encodeCode(p.codes[len(p.codes)-p.stride():], vec, p.bits)
	p.fac = append(p.fac, lo, delta, sum)
	if w := p.signWords(); w > 0 {
		p.signs = append(p.signs, make([]uint64, w)...)
		encodeSigns(p.signs[len(p.signs)-w:], vec)
	}
	p.byDoc[doc] = append(p.byDoc[doc], id)
}

// encodeSigns sets bit i of sign when v[i] > 0.
func encodeSigns(sign []uint64, v []float32) {
	for i, x := range v {
		if x > 0 {
			sign[i>>6] |= 1 << (i & 63)
		}
	}
}

// addBatch adds (or replaces) the vectors of items (distinct chunk ids),
// encoding them on all CPUs.
func (p *quantPart) addBatch(items []vectorItem) {
	for _, it := range items {
		p.remove(it.id)
	}
	first, st := len(p.ids), p.stride()
	p.codes = slices.Grow(p.codes, len(items)*st)[:(first+len(items))*st]
	clear(p.codes[first*st:])
	p.fac = slices.Grow(p.fac, 3*len(items))[:3*(first+len(items))]
	w := p.signWords()
	p.signs = slices.Grow(p.signs, len(items)*w)[:(first+len(items))*w]
	clear(p.signs[first*w:])
	workers := runtime.GOMAXPROCS(0)
	if len(items) < 256 {
		workers = 1
	}
	parallel(len(items), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s := first + i
			f := p.fac[3*s : 3*s+3]
			f[0], f[1], f[2] = encodeCode(p.codes[s*st:(s+1)*st], items[i].vec, p.bits)
			if w > 0 {
				encodeSigns(p.signs[s*w:(s+1)*w], items[i].vec)
			}
		}
	})
	p.ids = slices.Grow(p.ids, len(items))
	p.docs = slices.Grow(p.docs, len(items))
	p.vecs = slices.Grow(p.vecs, len(items))
	for i, it := range items {
		p.slots[it.id] = int32(first + i)
		p.ids = append(p.ids, it.id)
		p.docs = append(p.docs, it.doc)
		p.vecs = append(p.vecs, it.vec)
		p.byDoc[it.doc] = append(p.byDoc[it.doc], it.id)
	}
}

// encodeCode quantises v into code (bit planes interleaved by word:
// code[bits·w+k] holds bit k of components 64w…64w+63) and returns lo,
// delta and the sum of the levels, v[i] ≈ lo + delta·level[i]. One bit is
// the sign, scaled by the mean absolute component; two bits are four
// levels a standard deviation apart around the mean; four bits span
// [min, max] evenly.
func encodeCode(code []uint64, v []float32, bits int) (lo, delta, sum float32) {
	n := float64(len(v))
	var flo, fdelta float64
	switch bits {
	case 1:
		var l1 float64
		for _, x := range v {
			l1 += math.Abs(float64(x))
		}
		flo, fdelta = -l1/n, 2*l1/n
	case 2:
		var s, ss float64
		for _, x := range v {
			s += float64(x)
			ss += float64(x) * float64(x)
		}
		mean := s / n
		sd := math.Sqrt(max(ss/n-mean*mean, 0))
		flo, fdelta = mean-1.5*sd, sd
	default:
		mn, mx := minMax(v)
		flo, fdelta = float64(mn), (float64(mx)-float64(mn))/float64(int(1)<<bits-1)
	}
	var inv float32
	if fdelta > 0 {
		inv = float32(1 / fdelta)
	}
	lo32, top := float32(flo), float32(int(1)<<bits-1)
	var total uint64
	for w := 0; w*64 < len(v); w++ {
		var p [4]uint64 // the word's bit planes
		for j, x := range v[w*64 : min(len(v), w*64+64)] {
			var level uint64
			if bits == 1 {
				if x > 0 {
					level = 1
				}
			} else {
				// Plain comparisons (the min and max builtins order
				// NaNs, at a cost) and a conversion through int32 (one
				// instruction; to uint64 it is a branchy sequence).
				f := (x-lo32)*inv + 0.5
				if !(f > 0) {
					f = 0
				} else if f > top {
					f = top
				}
				level = uint64(int32(f))
			}
			total += level
			p[0] |= (level & 1) << j
			p[1] |= (level >> 1 & 1) << j
			p[2] |= (level >> 2 & 1) << j
			p[3] |= (level >> 3 & 1) << j
		}
		copy(code[bits*w:bits*w+bits], p[:bits])
	}
	return lo32, float32(fdelta), float32(total)
}

// minMax returns the smallest and largest component of a non-empty v
// (NaNs are not ordered: they never replace a bound).
func minMax(v []float32) (lo, hi float32) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

// remove forgets chunk id; an unknown id does nothing.
func (p *quantPart) remove(id uint64) {
	if p == nil {
		return
	}
	s, ok := p.slots[id]
	if !ok {
		return
	}
	delete(p.slots, id)
	doc := p.docs[s]
	if ids := slices.DeleteFunc(p.byDoc[doc], func(x uint64) bool { return x == id }); len(ids) == 0 {
		delete(p.byDoc, doc)
	} else {
		p.byDoc[doc] = ids
	}
	last := int32(len(p.ids) - 1)
	if s != last {
		p.ids[s], p.docs[s], p.vecs[s] = p.ids[last], p.docs[last], p.vecs[last]
		copy(p.fac[3*s:3*s+3], p.fac[3*last:])
		st := p.stride()
		copy(p.codes[int(s)*st:int(s+1)*st], p.codes[int(last)*st:])
		w := p.signWords()
		copy(p.signs[int(s)*w:int(s+1)*w], p.signs[int(last)*w:])
		p.slots[p.ids[s]] = s
	}
	p.vecs[last] = nil
	p.ids, p.docs, p.vecs, p.fac = p.ids[:last], p.docs[:last], p.vecs[:last], p.fac[:3*last]
	p.codes = p.codes[:int(last)*p.stride()]
	p.signs = p.signs[:int(last)*p.signWords()]
}

// signWords is the length of a slot's sign code: only parts of two bits or
// fewer per component run the Hamming pass that reads them.
func (p *quantPart) signWords() int {
	if p.bits <= 2 {
		return p.words
	}
	return 0
}

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
// ten times the re-scoring budget, and at least 2% of the part.
var coarseKeep = func(budget, size int) int {
	return max(coarseWidth*budget, size/50)
}

// parallelScan is the part size from which the binary scan is split over
// the CPUs; parallelExact the number of candidates from which exact
// re-scoring is (and four times as many from which the code scan of
// candidates is).
const (
	parallelScan  = 32 << 10
	parallelExact = 512
)

// search appends to out the n vectors of the part most similar to q (a
// unit vector), restricted to the chunks of docs when docs is not empty,
// with exact cosines.
func (p *quantPart) search(q []float32, n int, docs []uint64, out []vectorHit) []vectorHit {
	if len(q) != p.dim || n <= 0 || len(p.ids) == 0 {
		return out
	}
	budget := rescoreBudget(n, len(p.ids))
	var cand []int32
	switch {
	case len(docs) > 0:
		for _, d := range docs {
			for _, id := range p.byDoc[d] {
				cand = append(cand, p.slots[id])
			}
		}
		if len(cand) == 0 {
			return out
		}
		if len(cand) > budget {
			cand = p.scan(newQuantQuery(q, p.words), budget, cand)
		}
	case len(p.ids) <= budget:
		return p.exact(q, n, nil, out)
	default:
		qq := newQuantQuery(q, p.words)
		if wide := coarseKeep(budget, len(p.ids)); p.bits <= 2 && len(p.ids) >= 2*wide {
			cand = p.coarse(qq.signs, qq.mask, wide)
		}
		cand = p.scan(qq, budget, cand)
	}
	return p.exact(q, n, cand, out)
}

// coarseWidth is how many times the re-scoring budget the Hamming pass
// keeps (see coarseKeep).
var coarseWidth = 10

// coarse returns the slots whose sign codes are nearest the query's in
// Hamming distance: all within the distance that reaches k slots, ties
// included, so the set does not depend on slot order. The pass reads
// only the sign codes (one bit per component, contiguous) with one XOR
// and one popcount per 64 components.
func (p *quantPart) coarse(qsigns, qmask []uint64, k int) []int32 {
	n := len(p.ids)
	dist := distPool.get(n)
	defer distPool.put(dist)
	workers := 1
	if n >= parallelScan {
		workers = runtime.GOMAXPROCS(0)
	}
	w := p.words
	hists := make([][]int32, workers)
	parallel(workers, workers, func(part, _ int) {
		lo, hi := n*part/workers, n*(part+1)/workers
		hist := make([]int32, p.dim+1)
		signs := p.signs[lo*w : hi*w]
		switch w {
		case 4: // 256 dimensions, written out
			q0, q1, q2, q3 := qsigns[0], qsigns[1], qsigns[2], qsigns[3]
			m0, m1, m2, m3 := qmask[0], qmask[1], qmask[2], qmask[3]
			for i := 0; i+3 < len(signs); i += 4 {
				d := bits.OnesCount64((signs[i]^q0)&m0) + bits.OnesCount64((signs[i+1]^q1)&m1) + bits.OnesCount64((signs[i+2]^q2)&m2) + bits.OnesCount64((signs[i+3]^q3)&m3)
				dist[lo+i/4] = uint16(d)
				hist[d]++
			}
		default:
			for s := lo; s < hi; s++ {
				d := 0
				for j, x := range p.signs[s*w : s*w+w : s*w+w] {
					d += bits.OnesCount64((x ^ qsigns[j]) & qmask[j])
				}
				dist[s] = uint16(d)
				hist[d]++
			}
		}
		hists[part] = hist
	})
	var limit, count int
	for d := 0; d <= p.dim; d++ {
		for _, h := range hists {
			count += int(h[d])
		}
		if count >= k {
			limit = d
			break
		}
	}
	out := make([]int32, 0, count)
	for s, d := range dist {
		if int(d) <= limit {
			out = append(out, int32(s))
		}
	}
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

// exact appends the n best of the given slots (all slots when cand is
// nil) by exact cosine with q.
func (p *quantPart) exact(q []float32, n int, cand []int32, out []vectorHit) []vectorHit {
	start, size := len(out), len(cand)
	if cand == nil {
		size = len(p.ids)
	}
	out = slices.Grow(out, size)[:start+size]
	hits := out[start:]
	workers := 1
	if size >= parallelExact {
		workers = runtime.GOMAXPROCS(0)
	}
	parallel(size, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s := i
			if cand != nil {
				s = int(cand[i])
			}
			hits[i] = vectorHit{id: p.ids[s], sim: dot(q, p.vecs[s])}
		}
	})
	slices.SortFunc(hits, compareHits)
	return out[:start+min(n, len(hits))]
}

// compareHits orders hits by similarity, best first, then by chunk id.
func compareHits(a, b vectorHit) int {
	if c := cmp.Compare(b.sim, a.sim); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// quantQuery is a query vector quantised to 4 bits per component,
// q[i] ≈ lo + delta·u[i] with u[i] in 0..15, stored as four bit planes
// interleaved by word: planes[4w+k] holds bit k of u for components
// 64w…64w+63.
type quantQuery struct {
	planes    []uint64
	lo, delta float32
	signs     []uint64 // bit i = q[i] > 0
	mask      []uint64 // bit i = |q[i]| large enough to count in the Hamming pass
	// a is the part of the estimate that depends on the code's lo only:
	// dim·lo + delta·Σu.
	a float32
}

// newQuantQuery quantises q.
func newQuantQuery(q []float32, words int) *quantQuery {
	lo, hi := slices.Min(q), slices.Max(q)
	qq := &quantQuery{planes: make([]uint64, 4*words), lo: lo, signs: make([]uint64, words), mask: make([]uint64, words)}
	cut := maskCut(q)
	if hi > lo {
		qq.delta = (hi - lo) / 15
	}
	sumU := 0
	for i, x := range q {
		u := 0
		if qq.delta > 0 {
			u = min(15, int(math.Round(float64((x-lo)/qq.delta))))
		}
		sumU += u
		if x > 0 {
			qq.signs[i>>6] |= 1 << (i & 63)
		}
		if abs32(x) >= cut && x != 0 {
			qq.mask[i>>6] |= 1 << (i & 63)
		}
		for k := range 4 {
			if u&(1<<k) != 0 {
				qq.planes[4*(i>>6)+k] |= 1 << (i & 63)
			}
		}
	}
	qq.a = float32(len(q))*lo + qq.delta*float32(sumU)
	return qq
}

// The estimate of one code with factors (lo, delta, Σv) is ⟨q̃, ṽ⟩ =
// Σ (qlo + qδ·u)(lo + δ·v) = lo·(dim·qlo + qδ·Σu) + δ·(qlo·Σv + qδ·Σuv),
// where Σuv = Σ_jk 2^(j+k)·popcount(U_j ∧ V_k). uv1 computes Σuv for
// one-bit codes; scanRange writes the two- and four-bit kernels out.

func uv1(pl, code []uint64) (uv int) {
	for w, x := range code {
		k := pl[4*w : 4*w+4 : 4*w+4]
		uv += bits.OnesCount64(x&k[0]) + 2*bits.OnesCount64(x&k[1]) + 4*bits.OnesCount64(x&k[2]) + 8*bits.OnesCount64(x&k[3])
	}
	return uv
}

// maskCut returns the least |q[i]| that counts in the Hamming pass: the
// larger half of the query's components. Comparing signs where the query
// is near zero only adds noise: on isotropic random 384-dimension vectors
// recall@10 (10k vectors, a quarter kept) is 0.958 with every component,
// 0.988 with the larger half; on the built-in embedder's sparse queries
// 0.66 with every component, 0.92 with the non-zero ones, which is why
// four-bit (lexical) parts skip the pass.
func maskCut(q []float32) float32 {
	a := make([]float32, len(q))
	for i, x := range q {
		a[i] = abs32(x)
	}
	slices.Sort(a)
	return a[len(a)/2]
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// scan returns the slots (among cand, or all when cand is nil) with the
// best estimates: the first budget of them in the order (estimate desc,
// chunk id asc), in no particular order.
func (p *quantPart) scan(qq *quantQuery, budget int, cand []int32) []int32 {
	size := len(p.ids)
	if cand != nil {
		size = len(cand)
	}
	workers := 1
	if size >= parallelScan || cand != nil && size >= parallelExact*4 {
		workers = runtime.GOMAXPROCS(0)
	}
	heaps := make([]estHeap, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := size*w/workers, size*(w+1)/workers
		run := func() {
			h := estHeap{ids: p.ids, max: budget}
			p.scanRange(qq, lo, hi, cand, &h)
			heaps[w] = h
		}
		if w == workers-1 {
			run()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	h := heaps[0]
	for _, o := range heaps[1:] {
		for i, s := range o.slots {
			h.offer(o.est[i], s)
		}
	}
	return h.slots
}

// scanRange offers every slot in [lo, hi) to h, or with cand the slots
// cand[lo:hi]. The loop is written out per code width so that the
// popcount kernel is inlined.
func (p *quantPart) scanRange(qq *quantQuery, lo, hi int, cand []int32, h *estHeap) {
	st := p.stride()
	slot := func(i int) int {
		if cand != nil {
			return int(cand[i])
		}
		return i
	}
	pl, a, qlo, qd := qq.planes, qq.a, qq.lo, qq.delta
	offer := func(s int, uv int) {
		f := p.fac[3*s : 3*s+3 : 3*s+3]
		e := f[0]*a + f[1]*(qlo*f[2]+qd*float32(uv))
		if len(h.slots) < h.max || e >= h.est[0] {
			h.offer(e, int32(s))
		}
	}
	switch p.bits {
	case 1:
		for i := lo; i < hi; i++ {
			s := slot(i)
			offer(s, uv1(pl, p.codes[s*st:s*st+st:s*st+st]))
		}
	case 2: // uv2, written out
		for i := lo; i < hi; i++ {
			s := slot(i)
			code := p.codes[s*st : s*st+st : s*st+st]
			uv := 0
			for w := 0; w+1 < len(code); w += 2 {
				k := pl[2*w : 2*w+4 : 2*w+4]
				x0, x1 := code[w], code[w+1]
				uv += bits.OnesCount64(x0&k[0]) + 2*bits.OnesCount64(x0&k[1]) + 4*bits.OnesCount64(x0&k[2]) + 8*bits.OnesCount64(x0&k[3]) +
					2*bits.OnesCount64(x1&k[0]) + 4*bits.OnesCount64(x1&k[1]) + 8*bits.OnesCount64(x1&k[2]) + 16*bits.OnesCount64(x1&k[3])
			}
			offer(s, uv)
		}
	default: // uv4, written out
		for i := lo; i < hi; i++ {
			s := slot(i)
			code := p.codes[s*st : s*st+st : s*st+st]
			uv := 0
			for w := 0; w+3 < len(code); w += 4 {
				k := pl[w : w+4 : w+4]
				x0, x1, x2, x3 := code[w], code[w+1], code[w+2], code[w+3]
				uv += bits.OnesCount64(x0&k[0]) + 2*bits.OnesCount64(x0&k[1]) + 4*bits.OnesCount64(x0&k[2]) + 8*bits.OnesCount64(x0&k[3]) +
					2*(bits.OnesCount64(x1&k[0])+2*bits.OnesCount64(x1&k[1])+4*bits.OnesCount64(x1&k[2])+8*bits.OnesCount64(x1&k[3])) +
					4*(bits.OnesCount64(x2&k[0])+2*bits.OnesCount64(x2&k[1])+4*bits.OnesCount64(x2&k[2])+8*bits.OnesCount64(x2&k[3])) +
					8*(bits.OnesCount64(x3&k[0])+2*bits.OnesCount64(x3&k[1])+4*bits.OnesCount64(x3&k[2])+8*bits.OnesCount64(x3&k[3]))
			}
			offer(s, uv)
		}
	}
}

// estHeap keeps the max best (estimate, slot) pairs seen, ordered by
// estimate and then by lower chunk id, as a min-heap (worst at the root).
type estHeap struct {
	ids   []uint64
	est   []float32
	slots []int32
	max   int
}

// worse reports whether entry i of the heap ranks below entry j.
func (h *estHeap) worse(i, j int) bool {
	if h.est[i] != h.est[j] {
		return h.est[i] < h.est[j]
	}
	return h.ids[h.slots[i]] > h.ids[h.slots[j]]
}

// offer adds (e, s) if it ranks among the best max seen so far.
func (h *estHeap) offer(e float32, s int32) {
	if len(h.slots) < h.max {
		h.est = append(h.est, e)
		h.slots = append(h.slots, s)
		for i := len(h.slots) - 1; i > 0; {
			parent := (i - 1) / 2
			if !h.worse(i, parent) {
				break
			}
			h.swap(i, parent)
			i = parent
		}
		return
	}
	if e < h.est[0] || e == h.est[0] && h.ids[s] > h.ids[h.slots[0]] {
		return
	}
	h.est[0], h.slots[0] = e, s
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.slots) && h.worse(l, m) {
			m = l
		}
		if r < len(h.slots) && h.worse(r, m) {
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
	h.slots[i], h.slots[j] = h.slots[j], h.slots[i]
}
